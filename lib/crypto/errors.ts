/**
 * Errors raised when bytes fail a cryptographic check. Browser-compatible: no I/O, no Deno or
 * Node APIs.
 *
 * `lib/crypto` is the lowest layer, so it has its own error classes instead of importing
 * `lib/core/errors.ts`; `core` maps them (a `CryptoError` is an integrity failure).
 *
 * Every failure has a `kind` (what was being decoded) and a `code` (which rule failed). The pair
 * is what test vectors name in their `expect:` line, e.g. `payload failure (truncated)`
 * (FORMAT §9). Codes are stable: callers and vectors may depend on them.
 *
 * @module
 */

/** What was being decoded when a check failed (FORMAT §9). */
export type CryptoErrorKind =
  | "header"
  | "payload"
  | "wrap"
  | "identity"
  | "record"
  | "login"
  | "metadata"
  | "receipt"
  | "name"
  | "keychain"
  | "invite";

/** Failure codes of a blob header (FORMAT §3.3). */
export type HeaderErrorCode =
  | "truncated"
  | "magic"
  | "unknown_version"
  | "unknown_suite"
  | "flags"
  | "header_mac";

/** Failure codes of a blob payload (FORMAT §4.4). */
export type PayloadErrorCode =
  | "truncated"
  | "trailing_data"
  | "tag"
  | "empty_final_chunk"
  | "too_long";

/** Failure codes of a wrapped key (FORMAT §5.3). */
export type WrapErrorCode = "length" | "unknown_version" | "low_order_point" | "tag";

/** Failure codes of a mnemonic (FORMAT §7.1). */
export type IdentityErrorCode = "mnemonic_length" | "mnemonic_word" | "mnemonic_checksum";

/** Failure codes of a signed record, checked in the order of FORMAT §6.4. */
export type RecordErrorCode = "shape" | "version" | "author" | "signature";

/** Failure codes of a login, checked in the order of FORMAT §8.1. */
export type LoginErrorCode = "origin" | "node_id" | "challenge" | "signature";

/** Failure codes of an upload receipt, checked in the order of FORMAT §13. */
export type ReceiptErrorCode = "node_id" | "member" | "blob" | "size" | "signature";

/** Failure codes of a metadata document, checked in the order of FORMAT §10.2. */
export type MetadataErrorCode = "too_large" | "utf8" | "json" | "not_object";

/** Failure codes of a sealed name, checked in the order of FORMAT §14.3. */
export type NameErrorCode = "length" | "label" | "padding" | "utf8" | "text";

/** Failure codes of a family keychain, checked in the order of FORMAT §14.4. */
export type KeychainErrorCode = "label" | "length";

/** Failure codes of an invite secret (FORMAT §14.5). */
export type InviteErrorCode = "secret";

/** Base class. `kind` and `code` are machine-readable; `message` is for people. */
export class CryptoError extends Error {
  readonly kind: CryptoErrorKind;
  readonly code: string;
  constructor(kind: CryptoErrorKind, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
    this.code = code;
    this.name = new.target.name;
  }
}

/** The blob header is malformed, of an unknown version, or its MAC does not verify. */
export class HeaderError extends CryptoError {
  declare readonly code: HeaderErrorCode;
  constructor(code: HeaderErrorCode, message: string, options?: ErrorOptions) {
    super("header", code, message, options);
  }
}

/** A payload chunk is missing, extra, reordered or altered. */
export class PayloadError extends CryptoError {
  declare readonly code: PayloadErrorCode;
  constructor(code: PayloadErrorCode, message: string, options?: ErrorOptions) {
    super("payload", code, message, options);
  }
}

/** A wrapped key cannot be unwrapped. */
export class WrapError extends CryptoError {
  declare readonly code: WrapErrorCode;
  constructor(code: WrapErrorCode, message: string, options?: ErrorOptions) {
    super("wrap", code, message, options);
  }
}

/** A recovery mnemonic is not a valid 24-word BIP39 English phrase. */
export class MnemonicError extends CryptoError {
  declare readonly code: IdentityErrorCode;
  constructor(code: IdentityErrorCode, message: string, options?: ErrorOptions) {
    super("identity", code, message, options);
  }
}

/** A signed record is malformed or its signature does not verify. */
export class RecordError extends CryptoError {
  declare readonly code: RecordErrorCode;
  constructor(code: RecordErrorCode, message: string, options?: ErrorOptions) {
    super("record", code, message, options);
  }
}

/** A login field is malformed, or the login signature does not verify. */
export class LoginError extends CryptoError {
  declare readonly code: LoginErrorCode;
  constructor(code: LoginErrorCode, message: string, options?: ErrorOptions) {
    super("login", code, message, options);
  }
}

/** A decrypted metadata document is too large, not UTF-8, not plain JSON, or not an object. */
export class MetadataError extends CryptoError {
  declare readonly code: MetadataErrorCode;
  constructor(code: MetadataErrorCode, message: string, options?: ErrorOptions) {
    super("metadata", code, message, options);
  }
}

/** An upload receipt's statement is malformed, or its signature does not verify. */
export class ReceiptError extends CryptoError {
  declare readonly code: ReceiptErrorCode;
  constructor(code: ReceiptErrorCode, message: string, options?: ErrorOptions) {
    super("receipt", code, message, options);
  }
}

/** A sealed name decrypted, but what it holds is not a name (FORMAT §14.3). */
export class NameError extends CryptoError {
  declare readonly code: NameErrorCode;
  constructor(code: NameErrorCode, message: string, options?: ErrorOptions) {
    super("name", code, message, options);
  }
}

/** A family keychain decrypted, but it does not hold the keys of the earlier epochs (§14.4). */
export class KeychainError extends CryptoError {
  declare readonly code: KeychainErrorCode;
  constructor(code: KeychainErrorCode, message: string, options?: ErrorOptions) {
    super("keychain", code, message, options);
  }
}

/** The secret of an invite link is not 32 bytes of base64url (FORMAT §14.5). */
export class InviteError extends CryptoError {
  declare readonly code: InviteErrorCode;
  constructor(code: InviteErrorCode, message: string, options?: ErrorOptions) {
    super("invite", code, message, options);
  }
}
