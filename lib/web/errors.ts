/**
 * The one place where errors become HTTP: JSON `{ error: { code, message } }`.
 * Domain errors carry their own code; anything unexpected is logged (without
 * request bodies, keys or tokens) and answered with a generic 500 so internals
 * never leak to a client.
 */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  ConflictError,
  ForbiddenError,
  IntegrityError,
  isDiskFull,
  NotFoundError,
  P2posError,
  RangeNotSatisfiableError,
  StalledError,
  StorageFullError,
  StoreUnavailableError,
  TooLargeError,
  UnauthorizedError,
  ValidationError,
} from "../core/errors.ts";
import { getLogger } from "../core/log.ts";

const log = getLogger("web");

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Statuses for error codes that have no class of their own. */
const BY_CODE: Record<string, ContentfulStatusCode> = {
  bad_setup_code: 401,
  already_set_up: 409,
  too_many_attempts: 429,
  upload_interrupted: 400,
  bad_signature: 400,
  unknown_host: 421,
};

/** HTTP status for a domain error. */
export function statusOf(err: P2posError): ContentfulStatusCode {
  if (BY_CODE[err.code]) return BY_CODE[err.code];
  if (err instanceof ValidationError) return 400;
  if (err instanceof UnauthorizedError) return 401;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError) return 409;
  if (err instanceof TooLargeError) return 413;
  if (err instanceof RangeNotSatisfiableError) return 416;
  if (err instanceof IntegrityError) return 422;
  if (err instanceof StalledError) return 408;
  if (err instanceof StoreUnavailableError) return 503;
  if (err instanceof StorageFullError) return 507;
  return 400;
}

/** Hono `onError` handler. */
export function handleError(err: Error, c: Context): Response {
  if (!(err instanceof P2posError) && isDiskFull(err)) err = diskFull(err);
  if (err instanceof RangeNotSatisfiableError) {
    c.header("Content-Range", `bytes */${err.size}`);
  }
  if (err instanceof P2posError) {
    const retry = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retry) c.header("Retry-After", String(retry));
    return c.json(errorBody(err.code, err.message), statusOf(err));
  }
  if (err instanceof HTTPException) {
    return c.json(errorBody("http_" + err.status, err.message || "Request failed"), err.status);
  }
  if (err instanceof SyntaxError) {
    // JSON.parse and our parsers throw SyntaxError for malformed input.
    return c.json(errorBody("malformed", err.message), 400);
  }
  log.error("Unhandled error", {
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    error: err.name,
    message: err.message,
    stack: err.stack,
  });
  return c.json(errorBody("internal", "The node hit an unexpected error; see its log"), 500);
}

/** A write refused for lack of space: a warning (not a stack), answered 507. */
function diskFull(err: unknown): StorageFullError {
  log.warn("Disk full: a write was refused", { reason: (err as Error)?.message });
  return new StorageFullError({ cause: err });
}

/** Hono `notFound` handler for API paths. */
export function notFoundBody(path: string): ErrorBody {
  return errorBody("not_found", `No route for ${path}`);
}

/**
 * What a failure while reading a request body becomes. Domain errors stay as they are;
 * anything else means the client went away or the connection broke, which is the client's
 * to retry, not the node's fault: a warning without a stack, answered 400.
 */
export function bodyFailure(err: unknown, what: string): P2posError {
  if (err instanceof P2posError) return err;
  if (isDiskFull(err)) return diskFull(err);
  log.warn(`${what} interrupted`, { reason: (err as Error)?.message });
  return new P2posError(
    "upload_interrupted",
    `The ${what.toLowerCase()} was interrupted; send it again`,
    { cause: err },
  );
}

/** Throws {@link bodyFailure}. */
export function rethrowBodyFailure(err: unknown, what: string): never {
  throw bodyFailure(err, what);
}
