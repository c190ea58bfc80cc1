/**
 * Frames of the data-channel link (docs/PROTOCOL.md §8.4): one frame per data
 * channel message, `type (1 byte) ‖ stream id (u32 big-endian) ‖ payload`.
 * Signed `/internal/v1` requests and their answers travel as streams of
 * frames, so HTTP and WebRTC carry exactly the same signed messages.
 *
 * Pure: no I/O.
 */

export const FrameType = {
  /** JSON `{ method, target, headers }`: opens a stream (a signed request). */
  Request: 1,
  /** JSON `{ status, headers }`: the answer's head. */
  Response: 2,
  /** Body bytes, at most {@link MAX_CHUNK}. */
  Data: 3,
  /** The body in this direction is complete. */
  End: 4,
  /** u64 big-endian: the receiver consumed up to here and grants bytes up to this offset. */
  Credit: 5,
  /** UTF-8 reason: the stream is abandoned in both directions. */
  Reset: 6,
  Ping: 7,
  Pong: 8,
} as const;
export type FrameType = typeof FrameType[keyof typeof FrameType];

/** DESIGN §8: body chunks are at most 64 KiB. */
export const MAX_CHUNK = 64 * 1024;
export const HEADER_BYTES = 5;

export interface Frame {
  type: FrameType;
  stream: number;
  payload: Uint8Array;
}

const TYPES = new Set<number>(Object.values(FrameType));
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeFrame(type: FrameType, stream: number, payload?: Uint8Array): Uint8Array {
  const n = payload?.byteLength ?? 0;
  if (n > MAX_CHUNK) throw new RangeError(`Frame payload of ${n} bytes exceeds ${MAX_CHUNK}`);
  const out = new Uint8Array(HEADER_BYTES + n);
  writeFrameHeader(out, type, stream);
  if (payload) out.set(payload, HEADER_BYTES);
  return out;
}

/**
 * Writes a frame's header into the first {@link HEADER_BYTES} of `frame`, whose payload is
 * already in place after them (a body read straight into a frame buffer, no copy).
 */
export function writeFrameHeader(frame: Uint8Array, type: FrameType, stream: number): void {
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
    throw new RangeError(`Stream id expected a u32, got ${stream}`);
  }
  frame[0] = type;
  new DataView(frame.buffer, frame.byteOffset, HEADER_BYTES).setUint32(1, stream);
}

/** Reads a frame; its payload is a view on `bytes` (no copy). SyntaxError when malformed. */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.byteLength < HEADER_BYTES) {
    throw new SyntaxError(`Cannot decode a link frame: ${bytes.byteLength} bytes is too short`);
  }
  if (bytes.byteLength > HEADER_BYTES + MAX_CHUNK) {
    throw new SyntaxError(`Cannot decode a link frame: ${bytes.byteLength} bytes is too long`);
  }
  const type = bytes[0];
  if (!TYPES.has(type)) {
    throw new SyntaxError(`Cannot decode a link frame: type ${type} is unknown`);
  }
  const stream = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  return { type: type as FrameType, stream, payload: bytes.subarray(HEADER_BYTES) };
}

export function jsonPayload(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function parseJsonPayload(payload: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch {
    throw new SyntaxError(`Cannot decode a link ${what}: not UTF-8 JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SyntaxError(`Cannot decode a link ${what}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function creditPayload(offset: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(offset));
  return out;
}

export function readCredit(payload: Uint8Array): number {
  if (payload.byteLength !== 8) throw new SyntaxError("A credit frame carries 8 bytes");
  const v = new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new SyntaxError("Credit offset out of range");
  return Number(v);
}

export function textPayload(text: string): Uint8Array {
  return encoder.encode(text.slice(0, 500));
}

export function readText(payload: Uint8Array): string {
  return new TextDecoder().decode(payload).slice(0, 500);
}
