/**
 * JSON calls from islands to this node's `/v1` API. Browser-only.
 *
 * Every failure becomes an {@link ApiError} whose message a person can act on: the node's
 * own `{ error: { code, message } }` when it sent one, a plain explanation when the node
 * could not be reached or answered with something that is not JSON.
 *
 * @module
 */

/** A failed API call. `status` is 0 when the node could not be reached at all. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.name = "ApiError";
  }
}

export const UNREACHABLE_MESSAGE =
  "Cannot reach this node. Check that it is running and that this device is on its network, " +
  "then try again.";

/** Messages for codes whose server wording is terse or technical. */
const FRIENDLY: Record<string, string> = {
  too_large: "That is more than this node accepts in one request.",
  internal: "The node hit an unexpected error. Try again; if it keeps happening, check its log.",
};

export interface ApiOptions {
  /** Injectable for tests. @default globalThis.fetch */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** Calls `method path` with an optional JSON body; resolves to the parsed JSON (or undefined for 204). */
export async function api<T = unknown>(
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
  options: ApiOptions = {},
): Promise<T> {
  if (!path.startsWith("/")) throw new TypeError(`"path" expected to start with "/", got ${path}`);
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  let res: Response;
  try {
    res = await doFetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined
        ? { Accept: "application/json" }
        : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "unreachable", UNREACHABLE_MESSAGE, { cause });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text().catch(() => "");
  let json: unknown = undefined;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    // handled below: a proxy's HTML error page is not our JSON
  }
  if (res.ok) {
    if (json === undefined && text !== "") {
      throw new ApiError(
        res.status,
        "not_json",
        `The node answered ${path} with something that is not JSON.`,
      );
    }
    return json as T;
  }
  const err = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof err?.code === "string" ? err.code : `http_${res.status}`;
  const serverMessage = typeof err?.message === "string" && err.message !== ""
    ? sentence(err.message)
    : undefined;
  const message = FRIENDLY[code] ?? serverMessage ?? fallbackMessage(res.status);
  throw new ApiError(res.status, code, message);
}

/** Server messages are often lower-case clauses ("this invite has expired"); show them as sentences. */
function sentence(text: string): string {
  const t = text.trim();
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : capital + ".";
}

function fallbackMessage(status: number): string {
  if (status === 401) return "You are not signed in, or your session ended. Sign in again.";
  if (status === 403) return "You are not allowed to do that.";
  if (status === 404) return "The node does not know that; it may have been removed.";
  if (status === 429) return "Too many attempts. Wait a minute, then try again.";
  if (status >= 500) {
    return `The node failed (HTTP ${status}). Try again; if it persists, check its log.`;
  }
  return `The node refused the request (HTTP ${status}).`;
}

/** The message of any error, for an alert: never a stack, never an object dump. */
export function messageOf(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  return "Something went wrong. Try again.";
}

/** True when `err` means "nobody is signed in here" (session missing, expired or ended). */
export function isSignedOut(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401;
}
