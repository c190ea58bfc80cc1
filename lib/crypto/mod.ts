/**
 * p2pos cryptography: the encrypted blob format, member identities, key wrapping, signed
 * records, the login message, upload receipts and sealed names, exactly as docs/FORMAT.md
 * specifies them.
 *
 * Browser-compatible: one code base for Deno and Chromium, no I/O, no Deno or Node APIs.
 * Bulk encryption and hashing use WebCrypto (native speed); Ed25519, X25519 and HKDF use
 * @noble. Randomness comes only from `crypto.getRandomValues`. This is the lowest layer: it
 * imports nothing from the rest of the project.
 *
 * ```ts
 * const fileKey = newFileKey();
 * const blob = await encryptBytes(fileKey, photoBytes);
 * const id = await blobId(blob); // what nodes store it under
 * const sealedKey = await encryptBytes(albumKey, fileKey); // the photo record's `key` (FORMAT §12.3)
 * const wrapped = await wrapKey(albumKey, member.x25519PublicKey); // a grant (FORMAT §12.2)
 * const sealed = await sealName("Ada", familyKey); // a member's name (FORMAT §14.3)
 * ```
 *
 * The test-vector runner is deliberately not re-exported (it is not needed by the app):
 * harnesses import `lib/crypto/vectors.ts` directly.
 *
 * @module
 */

export {
  BLOB_MAGIC,
  BLOB_VERSION,
  CHUNK_SIZE,
  ciphertextSize,
  FILE_KEY_SIZE,
  HEADER_SIZE,
  plaintextSize,
  SEALED_CHUNK_SIZE,
  SUITE_AES256GCM_64K,
  TAG_SIZE,
} from "./blob_format.ts";
export { BLOB_ID_PATTERN, blobId, BlobIdHasher, isBlobId } from "./blob_id.ts";
export {
  bufferSource,
  concatBytes,
  equalBytes,
  fromBase64Url,
  fromHex,
  toBase64Url,
  toHex,
  utf8Decode,
  utf8Encode,
} from "./bytes.ts";
export {
  assertJson,
  canonicalJson,
  type JsonObject,
  type JsonValue,
  MAX_JSON_DEPTH,
} from "./canonical_json.ts";
export {
  CryptoError,
  type CryptoErrorKind,
  HeaderError,
  type HeaderErrorCode,
  type IdentityErrorCode,
  LoginError,
  type LoginErrorCode,
  MetadataError,
  type MetadataErrorCode,
  MnemonicError,
  NameError,
  type NameErrorCode,
  PayloadError,
  type PayloadErrorCode,
  ReceiptError,
  type ReceiptErrorCode,
  RecordError,
  type RecordErrorCode,
  WrapError,
  type WrapErrorCode,
} from "./errors.ts";
export {
  decodeKeychain,
  encodeKeychain,
  FAMILY_KEY_SIZE,
  familyKeyId,
  inviteKeyPair,
  newFamilyKey,
  newInviteSecret,
  openKeychain,
  sealKeychain,
} from "./family_key.ts";
export { hkdfSha256, hmacSha256 } from "./hkdf.ts";
export {
  deriveIdentity,
  type Identity,
  isStrongSigningKey,
  MNEMONIC_WORDS,
  mnemonicToSeed,
  newSeed,
  SEED_SIZE,
  seedToMnemonic,
  sign,
  signingPublicKeyOf,
  verify,
} from "./identity.ts";
export { type LoginChallenge, loginMessage, verifyLogin } from "./login.ts";
export {
  decodeMetadata,
  decryptMetadata,
  encodeMetadata,
  encryptMetadata,
  MAX_METADATA_SIZE,
  METADATA_PADDING,
} from "./metadata.ts";
export { randomBytes } from "./random.ts";
export {
  MAX_PREV,
  RECORD_SIGNING_PREFIX,
  type RecordEnvelope,
  recordHash,
  recordSigningInput,
  type SignedRecord,
  signRecord,
  verifyRecord,
} from "./records.ts";
export {
  decodeName,
  encodeName,
  MAX_NAME_LENGTH,
  nameProblem,
  openName,
  SEALED_NAME_SIZE,
  sealName,
} from "./sealed_name.ts";
export { decryptBytes, decryptStream } from "./stream_decrypt.ts";
export {
  uploadReceiptMessage,
  type UploadReceiptStatement,
  verifyUploadReceipt,
} from "./upload_receipt.ts";
export { encryptBytes, encryptStream, newFileKey } from "./stream_encrypt.ts";
export { unwrapKey, WRAP_VERSION_X25519, wrapKey, WRAPPED_KEY_SIZE } from "./wrap.ts";
