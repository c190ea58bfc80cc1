/**
 * Sealed names: the family's name and every member's display name, encrypted under a family
 * key so that only members' browsers read them (FORMAT §14.3). Browser-compatible: no I/O, no
 * Deno or Node APIs.
 *
 * A name is padded to a fixed 256-byte plaintext, so every sealed name is the same 347-byte
 * blob: a node learns neither the name nor its length. The label at the front keeps a sealed
 * name from being read as anything else sealed under the same key (a keychain, §14.4).
 *
 * @module
 */

import { FILE_KEY_SIZE } from "./blob_format.ts";
import {
  assertBytes,
  assertString,
  concatBytes,
  equalBytes,
  utf8Decode,
  utf8Encode,
} from "./bytes.ts";
import { NameError } from "./errors.ts";
import { decryptBytes } from "./stream_decrypt.ts";
import { encryptBytes } from "./stream_encrypt.ts";

/** FORMAT §14.3: the plaintext's first bytes. */
export const NAME_LABEL: Uint8Array = utf8Encode("p2pos-name-v1\n");
/** FORMAT §14.3: every name plaintext has exactly this length. */
export const NAME_PLAINTEXT_SIZE = 256;
/** FORMAT §14.3: a sealed name is always this long (header 75 + 256 + tag 16). */
export const SEALED_NAME_SIZE = 347;
/** FORMAT §14.3: the longest name, in UTF-16 code units (§2.5). */
export const MAX_NAME_LENGTH = 80;

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * FORMAT §14.3 step 6: why `name` cannot be a name, or undefined when it can. One line, 1 … 80
 * UTF-16 code units, no leading or trailing white space (ECMAScript's `\s`, the set of §7.1).
 */
export function nameProblem(name: string): string | undefined {
  if (typeof name !== "string") return "it is not a string";
  if (name.length === 0) return "it is empty";
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters`;
  if (!name.isWellFormed()) return "it holds a lone surrogate";
  if (CONTROL.test(name)) return "it holds a control character";
  if (name.trim() !== name) return "it starts or ends with white space";
  return undefined;
}

/** FORMAT §14.3: the 256-byte plaintext of `name`; throws {@link NameError} `text`. */
export function encodeName(name: string): Uint8Array {
  assertString(name, "name");
  const problem = nameProblem(name);
  if (problem) throw new NameError("text", `Cannot seal this name: ${problem}`);
  const out = new Uint8Array(NAME_PLAINTEXT_SIZE);
  // 80 code units are at most 240 bytes of UTF-8, so label and name always fit.
  out.set(concatBytes(NAME_LABEL, utf8Encode(name)));
  return out;
}

/** FORMAT §14.3 steps 2–6: the name inside a decrypted plaintext; throws {@link NameError}. */
export function decodeName(plaintext: Uint8Array): string {
  assertBytes(plaintext, "plaintext");
  if (plaintext.length !== NAME_PLAINTEXT_SIZE) {
    throw new NameError(
      "length",
      `Cannot read name: its plaintext is ${plaintext.length} bytes, not ${NAME_PLAINTEXT_SIZE}`,
    );
  }
  if (!equalBytes(plaintext.subarray(0, NAME_LABEL.length), NAME_LABEL)) {
    throw new NameError("label", "Cannot read name: it does not start with p2pos-name-v1");
  }
  const rest = plaintext.subarray(NAME_LABEL.length);
  const end = rest.indexOf(0);
  const bytes = end < 0 ? rest : rest.subarray(0, end);
  if (end >= 0 && rest.subarray(end).some((b) => b !== 0)) {
    throw new NameError("padding", "Cannot read name: a non-zero byte follows the padding");
  }
  let name: string;
  try {
    name = utf8Decode(bytes);
  } catch (cause) {
    throw new NameError("utf8", "Cannot read name: it is not valid UTF-8", { cause });
  }
  // No detail: the message must not quote a decrypted name into an error report.
  const problem = nameProblem(name);
  if (problem) throw new NameError("text", "Cannot read name: it is not a one-line name");
  return name;
}

/** Seals `name` under `familyKey` (FORMAT §14.3): a 347-byte blob. */
export async function sealName(name: string, familyKey: Uint8Array): Promise<Uint8Array> {
  assertBytes(familyKey, "familyKey", FILE_KEY_SIZE);
  return await encryptBytes(familyKey, encodeName(name));
}

/** Opens a sealed name; the blob's own failures keep their codes, the rest are {@link NameError}. */
export async function openName(sealed: Uint8Array, familyKey: Uint8Array): Promise<string> {
  assertBytes(sealed, "sealed");
  assertBytes(familyKey, "familyKey", FILE_KEY_SIZE);
  return decodeName(await decryptBytes(familyKey, sealed));
}
