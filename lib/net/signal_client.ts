/**
 * A node's connection to the signaling relay (docs/PROTOCOL.md §8.1): one
 * WebSocket, registered by signing the relay's challenge with the node key;
 * reconnects with backoff (0.5 s doubling to 30 s, ±25 %), trying the relay
 * URLs in turn. Delivers the `signal` messages other nodes send this one, and
 * keeps the TURN credentials the relay hands out.
 */

import { toBase64Url } from "../crypto/mod.ts";
import { getLogger } from "../core/log.ts";
import type { NodeSigner } from "../core/transport.ts";
import {
  type ClientMessage,
  registrationInput,
  RelayMessage,
  type TurnCredentials,
} from "./signal_protocol.ts";

const log = getLogger("net");

export interface SignalClientOptions {
  urls: string[];
  signer: NodeSigner;
  onSignal(from: string, data: Record<string, unknown>): void;
  /** The relay refused a message to `to` (not connected there, rate limited). */
  onError?(code: string, message: string, to?: string): void;
  /** Registered (true) or lost the relay (false). */
  onState?(registered: boolean): void;
  /** @default 500 */
  backoffBaseMs?: number;
  /** @default 30_000 */
  backoffMaxMs?: number;
  /** @default 20_000 */
  pingMs?: number;
}

export class SignalClient {
  readonly #opt: Required<Omit<SignalClientOptions, "onError" | "onState">> & SignalClientOptions;
  #socket?: WebSocket;
  #registered = false;
  #stopped = true;
  #attempt = 0;
  #urlIndex = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #pinger?: ReturnType<typeof setInterval>;
  #waiters: (() => void)[] = [];
  turn?: TurnCredentials;
  /** The relay URL of the current (or last) connection. */
  url?: string;

  constructor(options: SignalClientOptions) {
    if (!options.urls.length) throw new RangeError("SignalClient needs at least one relay URL");
    this.#opt = { backoffBaseMs: 500, backoffMaxMs: 30_000, pingMs: 20_000, ...options };
  }

  get registered(): boolean {
    return this.#registered;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#pinger);
    try {
      this.#socket?.close(1000, "node stopping");
    } catch { /* not open */ }
    this.#lost();
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves once registered (or after `timeoutMs`, to false). */
  async waitRegistered(timeoutMs: number): Promise<boolean> {
    if (this.#registered) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((r) => this.#waiters.push(r)),
      new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
    return this.#registered;
  }

  /** Sends `data` to node `to` through the relay; false when not registered. */
  send(to: string, data: Record<string, unknown>): boolean {
    return this.#send({ type: "signal", to, data });
  }

  /** Asks for fresh TURN credentials (they arrive in `turn`). */
  refreshTurn(): void {
    this.#send({ type: "turn" });
  }

  #send(msg: ClientMessage): boolean {
    if (!this.#registered || this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(msg));
    return true;
  }

  #connect(): void {
    if (this.#stopped) return;
    const url = this.#opt.urls[this.#urlIndex % this.#opt.urls.length];
    this.url = url;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      log.warn("Bad signaling relay URL", { url, error: (err as Error).message });
      return this.#retry();
    }
    this.#socket = socket;
    socket.onmessage = (e) => {
      if (socket !== this.#socket) return;
      this.#onMessage(socket, url, e.data).catch((err) => {
        log.warn("Signaling relay message failed", { error: (err as Error).message });
      });
    };
    socket.onclose = (e) => {
      if (socket !== this.#socket) return;
      if (this.#registered) {
        log.info("Lost the signaling relay", { url, code: e.code, reason: e.reason });
      }
      this.#lost();
      this.#retry();
    };
    socket.onerror = () => {/* onclose follows */};
  }

  async #onMessage(socket: WebSocket, url: string, data: unknown): Promise<void> {
    if (typeof data !== "string") return;
    let parsed;
    try {
      parsed = RelayMessage.safeParse(JSON.parse(data));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const msg = parsed.data;
    switch (msg.type) {
      case "challenge": {
        const { signer } = this.#opt;
        const input = registrationInput(new URL(url).host, msg.nonce, signer.nodeId);
        socket.send(JSON.stringify(
          {
            type: "register",
            nodeId: signer.nodeId,
            publicKey: toBase64Url(signer.publicKey),
            signature: toBase64Url(await signer.sign(input)),
          } satisfies ClientMessage,
        ));
        return;
      }
      case "registered":
        this.#registered = true;
        this.#attempt = 0;
        this.turn = msg.turn;
        log.info("Registered with the signaling relay", { url });
        clearInterval(this.#pinger);
        this.#pinger = setInterval(() => this.#send({ type: "ping" }), this.#opt.pingMs);
        for (const w of this.#waiters.splice(0)) w();
        this.#opt.onState?.(true);
        return;
      case "turn":
        if (msg.turn) this.turn = msg.turn;
        return;
      case "signal":
        this.#opt.onSignal(msg.from, msg.data);
        return;
      case "error":
        if (msg.code === "bad_registration") {
          log.error("The signaling relay refused this node's registration", {
            url,
            message: msg.message,
          });
        }
        this.#opt.onError?.(msg.code, msg.message, msg.to);
        return;
      case "pong":
        return;
    }
  }

  #lost(): void {
    clearInterval(this.#pinger);
    this.#socket = undefined;
    if (!this.#registered) return;
    this.#registered = false;
    this.#opt.onState?.(false);
  }

  #retry(): void {
    if (this.#stopped) return;
    this.#urlIndex++;
    const base = Math.min(this.#opt.backoffMaxMs, this.#opt.backoffBaseMs * 2 ** this.#attempt++);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.#timer = setTimeout(() => this.#connect(), delay);
  }
}
