/**
 * The clients of a kill -9 round (tests/reliability/crash_rounds.ts): what they do while the
 * victim dies — uploads in one request and resumably, signed records, photos — and what the
 * nodes told them: every acknowledged blob, record and upload offset, which the round then
 * checks against what the nodes hold.
 */

import { type Admin, call, type Follows, headsAt, signAs } from "../../demo.ts";
import { toBase64Url } from "../../lib/crypto/mod.ts";
import type { NodeProcess } from "../_support/node_process.ts";
import {
  cookieOn,
  type RemoteAlbum,
  type RemoteBlobRef,
} from "../integration/replication_cluster.ts";
import { drawSize, inviteRecords, randomHex, Rng, sha256Hex, uniqueBytes } from "./_support.ts";

export const NAMES = ["Oak", "Pine"];
const REQUEST_TIMEOUT_MS = 60_000;

/** What the clients do while the victim is killed, and the fault points that work reaches. */
export const SCENARIOS = {
  /** Single-request uploads (PUT /v1/blobs) to the victim. */
  put: ["blob.put.synced", "blob.put.moved"],
  /** Resumable uploads to the victim. */
  resumable: [
    "upload.append.synced",
    "blob.import.hashed",
    "blob.import.moved",
    "upload.finish.stored",
    "upload.finish.committed",
  ],
  /** Signed record writes (invites, photos) to the victim. */
  records: ["records.apply.committed"],
  /** Uploads to the victim, which pushes them (and its records) to its peer. */
  push: ["replication.push.sent", "blob.put.moved"],
  /** Uploads and records to the peer: the victim receives pushes, pulls blobs and records. */
  pull: [
    "blob.put.synced",
    "replication.pull.stored",
    "records.pull.applied",
    "records.push.applied",
  ],
  /** Blobs rotted on the victim's disk: its scrub finds them, deletes and pulls them again. */
  scrub: ["scrub.repair.deleted"],
} as const;
export type Scenario = keyof typeof SCENARIOS;

export interface PendingUpload {
  node: number;
  upload: string;
  blob: string;
  bytes: Uint8Array<ArrayBuffer>;
  acked: number;
}

/** The clients of one round. */
export class Workload {
  #stopped = false;
  edgeSizes = 0;

  constructor(
    readonly admin: Admin,
    readonly nodes: NodeProcess[],
    readonly victim: number,
    readonly album: RemoteAlbum,
    readonly rng: Rng,
    readonly ackedBlobs: Map<string, { size: number; node: number }>,
    readonly ackedRecords: Map<string, { sig: string; node: number }>,
    readonly pending: PendingUpload[],
    readonly finding: (what: string) => void,
    readonly knownUploads: Set<string>,
  ) {}

  stop(): void {
    this.#stopped = true;
  }

  run(scenario: Scenario): Promise<unknown> {
    const v = this.victim;
    const peer = 1 - v;
    switch (scenario) {
      case "put":
        return Promise.all([this.#puts(v), this.#puts(v)]);
      case "resumable":
        return Promise.all([this.#resumables(v), this.#resumables(v)]);
      case "records":
        return Promise.all([this.#records(v), this.#records(v)]);
      case "push":
        return Promise.all([this.#puts(v), this.#records(v)]);
      case "pull":
        return Promise.all([this.#puts(peer, true), this.#records(peer)]);
      case "scrub":
        return this.#puts(peer);
    }
  }

  #size(big = false): number {
    const size = drawSize(this.rng, big ? 8 << 20 : 3 << 20);
    if (size > 300 * 1024) this.edgeSizes++;
    return size;
  }

  /**
   * Whether a failed request is what a dying victim causes. Anything else (an error from the
   * node that is not being killed, a 5xx) is a finding.
   */
  #expectedFailure(node: number, what: string, err: unknown): boolean {
    if (node === this.victim) return true;
    this.finding(`${what} on ${NAMES[node]} (not killed) failed: ${String(err).slice(0, 200)}`);
    return false;
  }

  async #send(node: number, what: string, init: () => Promise<Response>) {
    try {
      const res = await init();
      if (res.status >= 500) {
        this.finding(`${what} on ${NAMES[node]}: HTTP ${res.status} ${await res.text()}`);
        return undefined;
      }
      return res;
    } catch (err) {
      this.#expectedFailure(node, what, err);
      return undefined;
    }
  }

  async #cookie(node: number): Promise<string> {
    return await cookieOn(this.admin, this.nodes[node].url);
  }

  /** PUT one blob; once acknowledged, its reference with the node's upload receipt. */
  async #put(node: number, bytes: Uint8Array<ArrayBuffer>): Promise<RemoteBlobRef | undefined> {
    const id = await sha256Hex(bytes);
    const cookie = await this.#cookie(node);
    const res = await this.#send(
      node,
      "PUT blob",
      () =>
        fetch(`${this.nodes[node].url}/v1/blobs/${id}`, {
          method: "PUT",
          headers: { cookie },
          body: bytes,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        }),
    );
    if (!res) return undefined;
    const text = await res.text().catch(() => "");
    if (res.status === 201) {
      this.ackedBlobs.set(id, { size: bytes.length, node });
      const receipt = JSON.parse(text).receipt;
      return { id, size: bytes.length, receipt };
    }
    if (node !== this.victim) {
      this.finding(`PUT blob on ${NAMES[node]}: HTTP ${res.status} ${text}`);
    }
    return undefined;
  }

  async #puts(node: number, big = false): Promise<void> {
    while (!this.#stopped) {
      if ((await this.#put(node, uniqueBytes(this.#size(big)))) === undefined) {
        if (node === this.victim) return;
      }
    }
  }

  async #resumables(node: number): Promise<void> {
    while (!this.#stopped) {
      const bytes = uniqueBytes(this.rng.chance(0.05) ? 0 : this.#size());
      const blob = await sha256Hex(bytes);
      const cookie = await this.#cookie(node);
      const url = this.nodes[node].url;
      const opened = await this.#send(
        node,
        "open upload",
        () => call(`${url}/v1/uploads`, "POST", { blob, size: bytes.length }, cookie),
      );
      if (!opened) return;
      const body = await opened.json().catch(() => undefined);
      if (opened.status === 200 && body?.complete) {
        this.ackedBlobs.set(blob, { size: bytes.length, node });
        continue;
      }
      if (opened.status !== 201) {
        if (node !== this.victim) {
          this.finding(`open upload: HTTP ${opened.status} ${JSON.stringify(body)}`);
        }
        return;
      }
      const up: PendingUpload = { node, upload: body.upload, blob, bytes, acked: 0 };
      this.knownUploads.add(up.upload);
      if (!(await this.#finishUpload(up, 0))) {
        this.pending.push(up);
        return;
      }
    }
  }

  /** Sends the rest of an upload from `offset` and finishes it; false when the node died. */
  async #finishUpload(up: PendingUpload, offset: number): Promise<boolean> {
    const url = this.nodes[up.node].url;
    const cookie = await this.#cookie(up.node);
    const chunk = this.rng.pick([65_535, 262_144, 1 << 20]);
    while (offset < up.bytes.length) {
      const res = await this.#send(
        up.node,
        "upload chunk",
        () =>
          fetch(`${url}/v1/uploads/${up.upload}`, {
            method: "PATCH",
            headers: { cookie, "upload-offset": String(offset) },
            body: up.bytes.slice(offset, offset + chunk),
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          }),
      );
      if (!res) return false;
      const body = await res.json().catch(() => ({}));
      if (res.status !== 200) {
        this.finding(`upload chunk at ${offset}: HTTP ${res.status} ${JSON.stringify(body)}`);
        return true; // given up: not pending either
      }
      offset = up.acked = body.offset;
    }
    const fin = await this.#send(
      up.node,
      "finish upload",
      () => call(`${url}/v1/uploads/${up.upload}/finish`, "POST", {}, cookie),
    );
    if (!fin) return false;
    const body = await fin.json().catch(() => ({}));
    if (fin.status !== 201) {
      this.finding(`finish upload: HTTP ${fin.status} ${JSON.stringify(body)}`);
      return true;
    }
    if (body.blob !== up.blob || body.size !== up.bytes.length) {
      this.finding(`finish upload answered ${JSON.stringify(body)}`);
    }
    this.ackedBlobs.set(up.blob, { size: up.bytes.length, node: up.node });
    return true;
  }

  /** After the restart: the upload is still there, at least at its acknowledged offset. */
  async resume(up: PendingUpload): Promise<boolean> {
    const url = this.nodes[up.node].url;
    const cookie = await this.#cookie(up.node);
    const res = await call(`${url}/v1/uploads/${up.upload}`, "GET", undefined, cookie);
    const body = await res.json().catch(() => ({}));
    if (res.status !== 200) {
      this.finding(
        `resumable upload ${up.upload} is gone after the restart: HTTP ${res.status} ${
          JSON.stringify(body)
        }`,
      );
      return false;
    }
    if (body.offset < up.acked) {
      this.finding(`upload resumed at ${body.offset}, below the acknowledged ${up.acked}`);
    }
    if (!(await this.#finishUpload(up, body.offset))) {
      this.finding(`resuming upload ${up.upload} failed on the restarted node`);
      return false;
    }
    return true;
  }

  /** Blobs among `blobs` that their uploader cannot HEAD on `node` at their size. */
  async unreadable(node: number, blobs: [string, { size: number }][]): Promise<string[]> {
    const cookie = await this.#cookie(node);
    const out: string[] = [];
    for (const [id, { size }] of blobs) {
      const res = await fetch(`${this.nodes[node].url}/v1/blobs/${id}`, {
        method: "HEAD",
        headers: { cookie },
      });
      if (res.status !== 200 || res.headers.get("content-length") !== String(size)) {
        out.push(`${id}: HTTP ${res.status}`);
      }
    }
    return out;
  }

  async #records(node: number): Promise<void> {
    while (!this.#stopped) {
      const ok = this.rng.chance(0.6) ? await this.#invites(node) : await this.#photo(node);
      if (!ok && node === this.victim) return;
    }
  }

  async #postRecords(node: number, path: string, records: ReturnType<typeof signAs>[]) {
    const cookie = await this.#cookie(node);
    const res = await this.#send(
      node,
      `POST ${path}`,
      () => call(`${this.nodes[node].url}${path}`, "POST", { records }, cookie),
    );
    if (!res) return false;
    const text = await res.text().catch(() => "");
    if (res.status !== 200 && res.status !== 201) {
      this.finding(`POST ${path} on ${NAMES[node]}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return false;
    }
    for (const r of records) this.ackedRecords.set(`${r.kind}/${r.id}`, { sig: r.sig, node });
    return true;
  }

  async #invites(node: number): Promise<boolean> {
    const heads = await this.#heads(node);
    if (!heads) return false;
    return await this.#postRecords(
      node,
      "/v1/records",
      inviteRecords(this.admin, heads, this.rng.int(1, 3)),
    );
  }

  /** The node's heads in the family log, for a record to follow; undefined if it died. */
  async #heads(node: number): Promise<Follows | undefined> {
    try {
      return await headsAt(this.admin, this.nodes[node].url);
    } catch (err) {
      this.#expectedFailure(node, "GET /v1/heads", err);
      return undefined;
    }
  }

  /** A photo whose three blobs were just uploaded to `node`. */
  async #photo(node: number): Promise<boolean> {
    const refs: RemoteBlobRef[] = [];
    for (const size of [this.rng.int(1_000, 60_000), this.rng.int(200, 2_000), 300]) {
      const ref = await this.#put(node, uniqueBytes(size));
      if (!ref) return false;
      refs.push(ref);
    }
    const rand = (n: number) => toBase64Url(crypto.getRandomValues(new Uint8Array(n)));
    const heads = await this.#heads(node);
    if (!heads) return false;
    const record = signAs(this.admin, "photo", rand(16), {
      album: this.album.id,
      uploader: this.admin.key,
      epoch: 0,
      key: rand(60),
      original: refs[0],
      thumb: refs[1],
      meta: refs[2],
      sort: rand(36),
      dedup: randomHex(32),
    }, heads);
    return await this.#postRecords(node, "/v1/photos", [record]);
  }
}
