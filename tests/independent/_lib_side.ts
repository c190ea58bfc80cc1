/**
 * The lib/crypto side of the differential tests: each function runs the product's code on an
 * input and reports the same kind of outcome as the second implementation does, so the two can
 * be compared with `assert.deepEqual`. This file is test glue, not part of the second
 * implementation (`mod.ts` does not import it; `independence_test.ts` checks that graph).
 *
 * @module
 */

import {
  canonicalJson,
  CryptoError,
  decryptBytes,
  decryptMetadata,
  decryptStream,
  mnemonicToSeed,
  openName,
  RecordError,
  toHex,
  unwrapKey,
  verifyLogin,
  verifyRecord,
  verifyUploadReceipt,
} from "../../lib/crypto/mod.ts";
import {
  concat,
  Failure,
  hex,
  jcs,
  type JValue,
  type LoginFields,
  loginMessageOf,
  openBlob,
  openMetadata,
  openSealedName,
  readPhrase,
  receiptMessageOf,
  type ReceiptStatement,
  unwrap,
  verifyLogin as verifyLoginIndependent,
  verifyReceipt as verifyReceiptIndependent,
  verifyRecord as verifyRecordIndependent,
} from "./mod.ts";

/** A verdict both sides can give: success with a comparable value, or "<kind> failure (<code>)". */
export type Outcome = { ok: true; value: string } | { ok: false; failure: string };

/** Runs `fn`; a CryptoError or a Failure becomes a failure outcome, anything else a bug label. */
export async function outcome(fn: () => Promise<string> | string): Promise<Outcome> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (error instanceof CryptoError || error instanceof Failure) {
      return { ok: false, failure: `${error.kind} failure (${error.code})` };
    }
    // Not a format failure: a crash on hostile input, which the comparison reports as such.
    return { ok: false, failure: `threw ${(error as Error)?.name}: ${(error as Error)?.message}` };
  }
}

/**
 * Counts the verdicts a differential test met, so a test can assert that its generators still
 * reach every rule (an agreement on inputs that all fail the same first check proves little).
 * Deno runs a file's tests in order, so a last test can read what the earlier ones noted.
 */
export class Coverage {
  readonly seen = new Map<string, number>();

  /** Notes `verdict` under `what` and returns it. */
  note(what: string, verdict: Outcome): Outcome {
    const key = `${what} ${verdict.ok ? "success" : verdict.failure}`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    return verdict;
  }

  /** Throws unless every verdict in `keys` was noted at least once. */
  expect(keys: string[]): void {
    const missing = keys.filter((k) => !this.seen.has(k));
    if (missing.length > 0) {
      throw new Error(
        `The runs never reached: ${missing.join("; ")}. Seen: ${JSON.stringify([...this.seen])}`,
      );
    }
  }
}

/** Reads a whole stream into one array. */
async function gather(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return concat(...parts);
}

/** Feeds `bytes` as a stream in pieces of `piece` bytes. */
function streamOf(bytes: Uint8Array, piece: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + piece));
      at += piece;
    },
  });
}

export const blobs = {
  lib: (key: Uint8Array, blob: Uint8Array) =>
    outcome(async () => hex(await decryptBytes(key, blob))),
  libStream: (key: Uint8Array, blob: Uint8Array, piece: number) =>
    outcome(async () => hex(await gather(decryptStream(key, streamOf(blob, piece))))),
  independent: (key: Uint8Array, blob: Uint8Array) => outcome(() => hex(openBlob(key, blob))),
};

export const wraps = {
  lib: (wrapped: Uint8Array, secret: Uint8Array) =>
    outcome(async () => toHex(await unwrapKey(wrapped, secret))),
  independent: (wrapped: Uint8Array, secret: Uint8Array) =>
    outcome(() => hex(unwrap(wrapped, secret))),
};

export const metadata = {
  lib: (blob: Uint8Array, key: Uint8Array) =>
    outcome(async () => canonicalJson(await decryptMetadata(blob, key))),
  independent: (blob: Uint8Array, key: Uint8Array) => outcome(() => jcs(openMetadata(blob, key))),
};

export const names = {
  lib: (sealed: Uint8Array, key: Uint8Array) => outcome(() => openName(sealed, key)),
  independent: (sealed: Uint8Array, key: Uint8Array) => outcome(() => openSealedName(sealed, key)),
};

export const records = {
  /** FORMAT §6.4 step 1 as the node does it: JSON.parse, a SyntaxError being a shape failure. */
  lib: (text: string, publicKey: Uint8Array) =>
    outcome(() => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new RecordError("shape", "not JSON");
      }
      const { sig: _sig, ...unsigned } = verifyRecord(value, publicKey);
      return canonicalJson(unsigned);
    }),
  independent: (text: string, publicKey: Uint8Array) =>
    outcome(() => {
      const record = new Map(verifyRecordIndependent(text, publicKey));
      record.delete("sig");
      return jcs(record as JValue);
    }),
};

export const mnemonics = {
  lib: (typed: string) => outcome(() => toHex(mnemonicToSeed(typed))),
  independent: (typed: string) => outcome(() => hex(readPhrase(typed))),
};

export const logins = {
  lib: (fields: LoginFields, signature: string, publicKey: Uint8Array) =>
    outcome(() => toHex(verifyLogin(fields, signature, publicKey))),
  independent: (fields: LoginFields, signature: string, publicKey: Uint8Array) =>
    outcome(() => hex(verifyLoginIndependent(fields, signature, publicKey))),
  /** The message, when the independent side can build it (to sign it for a valid case). */
  message: (fields: LoginFields) => {
    try {
      return loginMessageOf(fields);
    } catch {
      return null;
    }
  },
};

export const receipts = {
  lib: (statement: ReceiptStatement, signature: string, nodeKey: Uint8Array) =>
    outcome(() => {
      verifyUploadReceipt(statement, signature, nodeKey);
      return "verified";
    }),
  independent: (statement: ReceiptStatement, signature: string, nodeKey: Uint8Array) =>
    outcome(() => {
      verifyReceiptIndependent(statement, signature, nodeKey);
      return "verified";
    }),
  /** The message, when the independent side can build it (to sign it for a valid case). */
  message: (statement: ReceiptStatement) => {
    try {
      return receiptMessageOf(statement);
    } catch {
      return null;
    }
  },
};
