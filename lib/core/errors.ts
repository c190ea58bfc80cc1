/**
 * Domain errors that callers really catch. Each maps to one HTTP status in
 * `lib/web/errors.ts`; the substrate never imports HTTP types.
 *
 * Browser-compatible: no I/O.
 */

/** Base class: `code` is a stable machine-readable string shown to API clients. */
export class P2posError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist (or the caller may not know it exists). */
export class NotFoundError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("not_found", message, options);
  }
}

/** The request conflicts with the current state (already exists, wrong offset, …). */
export class ConflictError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("conflict", message, options);
  }
}

/** Bytes do not match their hash, or an authentication tag does not verify. */
export class IntegrityError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("integrity", message, options);
  }
}

/** The caller is known but lacks the right to do this. */
export class ForbiddenError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("forbidden", message, options);
  }
}

/** The caller is not authenticated (no session, bad signature, expired). */
export class UnauthorizedError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("unauthorized", message, options);
  }
}

/** Input is well-formed but invalid (bad id, bad field). */
export class ValidationError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("invalid", message, options);
  }
}

/** A body or object exceeds a configured size limit. */
export class TooLargeError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("too_large", message, options);
  }
}

/** A byte range cannot be satisfied. */
export class RangeNotSatisfiableError extends P2posError {
  readonly size: number;
  constructor(message: string, size: number, options?: ErrorOptions) {
    super("range_not_satisfiable", message, options);
    this.size = size;
  }
}

/** A transfer moved no byte for longer than its stall limit and was given up. */
export class StalledError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("stalled", message, options);
  }
}

/**
 * The blob store's backend cannot take or give bytes right now: an object store that is
 * down, refuses the node's credentials, lacks its bucket, or rejects this machine's clock.
 * The message says which, and what to do; it never carries a credential.
 */
export class StoreUnavailableError extends P2posError {
  /** Suggested wait before trying again (HTTP `Retry-After`). */
  readonly retryAfterSeconds: number;
  constructor(message: string, options?: ErrorOptions & { retryAfterSeconds?: number }) {
    super("store_unavailable", message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 30;
  }
}

/**
 * The disk that holds the data dir is full: nothing was stored, nothing half-written is kept.
 * Not the caller's fault and not a crash: the node keeps serving reads, and the same request
 * succeeds once an operator frees space.
 */
export class StorageFullError extends P2posError {
  constructor(options?: ErrorOptions) {
    super(
      "insufficient_storage",
      "This node's disk is full, so nothing was stored. Free space on the disk that holds its " +
        "data directory (or move it to a larger one); the node carries on by itself.",
      options,
    );
  }
}

/** errno names and messages of a full disk or quota, and SQLite's SQLITE_FULL (13). */
const DISK_FULL =
  /\bENOSPC\b|\bEDQUOT\b|No space left on device|Disk quota exceeded|database or disk is full/;

/**
 * Whether `err` (or an error it wraps) is a write refused for lack of space: Deno's ENOSPC
 * (`code`), node:sqlite's SQLITE_FULL (`errcode` 13), or a message that carries either (the
 * direct I/O thread passes only the message back).
 */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StorageFullError) return true;
    const { code, errcode, message } = e as {
      code?: unknown;
      errcode?: unknown;
      message?: unknown;
    };
    if (code === "ENOSPC" || code === "EDQUOT" || errcode === 13) return true;
    if (typeof message === "string" && DISK_FULL.test(message)) return true;
  }
  return false;
}
