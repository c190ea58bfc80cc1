/**
 * Shared zod building blocks for record bodies and API payloads.
 * Browser-compatible: no I/O.
 */

import { z } from "zod";
import { ValidationError } from "./errors.ts";

/** base64url (no padding) of a 32-byte key: 43 characters. */
export const Key32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "expected base64url of 32 bytes");
/** Lowercase hex SHA-256. */
export const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters");
/** Random ids made by browsers: base64url of 16 bytes (22 characters). */
export const RandomId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, "expected base64url of 16 bytes");
/** A node id as displayed: eight groups of seven base32 characters (lib/core/node_id.ts). */
export const NodeIdText = z.string().regex(
  /^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$/,
  "expected a grouped node id",
);
/** base64url (no padding) of a 64-byte Ed25519 signature: 86 characters. */
export const Sig64 = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "expected base64url of 64 bytes");
export const Role = z.enum(["admin", "member"]);
/**
 * A one-line name: no control characters, no leading or trailing spaces. Checked, never
 * transformed: a signature covers the exact bytes, so what is stored is what was signed.
 */
export function oneLine(max: number) {
  return z.string().min(1, "must not be empty").max(max)
    // deno-lint-ignore no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters")
    .refine((s) => s.trim() === s, "must not start or end with spaces");
}

/** A node's display name (node names stay readable to nodes: they need them). */
export const DisplayName = oneLine(60);

/** A family key epoch (FORMAT §14.1): 0 at setup, one more at each removal. */
export const Epoch = z.number().int().min(0).max(1_000_000);

/** Length of base64url (no padding) of `n` bytes. */
export function base64UrlLength(n: number): number {
  return Math.floor(n / 3) * 4 + (n % 3 === 0 ? 0 : n % 3 + 1);
}

/**
 * A name sealed under a family key (FORMAT §14.3): base64url of 347 bytes, whatever the name.
 * The node cannot read it, only check its shape.
 */
export const SealedName = z.string().regex(
  new RegExp(`^[A-Za-z0-9_-]{${base64UrlLength(347)}}$`),
  "expected a sealed name (base64url of 347 bytes, FORMAT §14.3)",
);

/** A person's name: sealed under the family key of `epoch` (FORMAT §14.3). */
export const SealedPersonName = z.object({ epoch: Epoch, sealed: SealedName }).strict();
export type SealedPersonName = z.infer<typeof SealedPersonName>;

/** Formats zod issues as one sentence a person can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "value"}: ${i.message}`)
    .join("; ");
}

/** A record kind's `parseBody`: the schema's result, or a ValidationError naming the issues. */
export function bodyParser<T>(schema: z.ZodType<T>, what: string): (body: unknown) => T {
  return (body) => {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new ValidationError(`${what} body: ${describeIssues(parsed.error)}`);
    return parsed.data;
  };
}
