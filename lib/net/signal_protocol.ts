/**
 * The signaling relay's wire protocol (docs/PROTOCOL.md §8.1): JSON text
 * frames over one WebSocket per node. Shared by the relay (`signal/`) and the
 * node's client (`signal_client.ts`), so both read the same schema.
 *
 * Registration proves the node key: the relay sends a random challenge, the
 * node signs it together with the relay's host (so a signature given to one
 * relay cannot register the node at another) and its node id.
 */

import { z } from "zod";
import { utf8Encode } from "../crypto/mod.ts";

export const REGISTER_DOMAIN = "p2pos-signal-register-v1";
/** Path of the relay's WebSocket, on `p2pos signal` and inside a node started with `--signal`. */
export const SIGNAL_PATH = "/signal";

const B64 = /^[A-Za-z0-9_-]+$/;
const NodeIdString = z.string().regex(/^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$/);

/** TURN REST credentials (coturn `use-auth-secret`): valid until `expiresAt` (ms). */
export const TurnCredentials = z.object({
  urls: z.array(z.string().max(300)).max(8),
  username: z.string().max(200),
  credential: z.string().max(200),
  expiresAt: z.number().int(),
}).strict();
export type TurnCredentials = z.infer<typeof TurnCredentials>;

export const ClientMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("register"),
    nodeId: NodeIdString,
    publicKey: z.string().regex(B64).length(43),
    signature: z.string().regex(B64).length(86),
  }).strict(),
  z.object({
    type: z.literal("signal"),
    to: NodeIdString,
    data: z.record(z.string(), z.unknown()),
  }).strict(),
  z.object({ type: z.literal("turn") }).strict(),
  z.object({ type: z.literal("ping") }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export const RelayMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("challenge"), nonce: z.string().regex(B64).min(22).max(64) }),
  z.object({
    type: z.literal("registered"),
    nodeId: z.string(),
    turn: TurnCredentials.optional(),
  }),
  z.object({
    type: z.literal("signal"),
    from: NodeIdString,
    data: z.record(z.string(), z.unknown()),
  }),
  z.object({ type: z.literal("turn"), turn: TurnCredentials.optional() }),
  z.object({
    type: z.literal("error"),
    code: z.string(),
    message: z.string(),
    to: z.string().optional(),
  }),
  z.object({ type: z.literal("pong") }),
]);
export type RelayMessage = z.infer<typeof RelayMessage>;

/** The bytes a node signs to register: `host` is the relay's host as the node dialed it. */
export function registrationInput(host: string, nonce: string, nodeId: string): Uint8Array {
  return utf8Encode([REGISTER_DOMAIN, host.toLowerCase(), nonce, nodeId].join("\n"));
}
