/**
 * A second implementation of docs/FORMAT.md, used only by tests. Written from the document
 * alone, on @noble/ciphers (AES-GCM), @noble/hashes (SHA-256, SHA-512, HKDF, HMAC) and
 * @noble/curves (Ed25519 and X25519 arithmetic), with its own base64url, UTF-8, JSON parser and
 * JCS; it imports nothing from lib/ (`independence_test.ts` checks). Browser-safe.
 *
 * Where it and lib/crypto disagree on a vector or on any input of the differential test, one
 * of them, or the document, is wrong.
 *
 * @module
 */

export { blobIdOf, blobLength, openBlob, sealBlob } from "./blob.ts";
export { b64, concat, fromUtf8, hex, unb64, unhex, utf8 } from "./encoding.ts";
export { Failure, type Verdict, verdictOf } from "./failure.ts";
export { keysOf, phraseWords, readPhrase, writePhrase } from "./identity.ts";
export { isObject, jcs, type JObject, type JValue, parseJson, plainProblem } from "./json.ts";
export { type LoginFields, loginMessageOf, verifyLogin } from "./login.ts";
export { MAX_BLOB, openMetadata, padDocument, sealMetadata } from "./metadata.ts";
export { inviteKeysOf, keyIdOf, openKeychainOf, openSealedName, sealName } from "./names.ts";
export { receiptMessageOf, type ReceiptStatement, verifyReceipt } from "./receipt.ts";
export { signingInput, signRecord, verifyRecord } from "./records.ts";
export { readVector, runVector, type Vector } from "./vectors.ts";
export { unwrap, wrapWith, x25519PublicOf } from "./wrap.ts";
