/**
 * Request bodies: read as JSON and checked by a zod schema, with errors a
 * person can act on. Size is capped earlier (the body-limit middleware for `/v1`,
 * peer authentication for `/internal/v1`).
 */

import type { Context } from "hono";
import type { z } from "zod";
import { TooLargeError, ValidationError } from "../core/errors.ts";
import { describeIssues } from "../core/schemas.ts";

export async function readJson<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const type = c.req.header("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    throw new ValidationError("Send the request body as JSON (Content-Type: application/json)");
  }
  return parseJson(await c.req.text(), schema);
}

/** `text` as JSON checked by `schema`; a {@link ValidationError} says what is wrong with it. */
export function parseJson<T>(text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError("The request body is not valid JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(
      `The request body is not what this route expects: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

/**
 * Checks a blob's declared size (`header` names where it came from) before a byte is read: a
 * {@link ValidationError} when it is not a decimal number, a {@link TooLargeError} over `max`.
 * Absent, the store's own cap stops the body as it streams.
 */
export function assertDeclaredBlobSize(
  declared: string | undefined,
  max: number,
  header = "Content-Length",
): void {
  if (declared === undefined) return;
  if (!/^\d+$/.test(declared)) throw new ValidationError(`${header} is not a number`);
  if (Number(declared) > max) {
    throw new TooLargeError(`Blob of ${declared} bytes exceeds this node's limit of ${max} bytes`);
  }
}
