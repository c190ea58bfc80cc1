/**
 * Album keys (DESIGN §4): one random 32-byte key per epoch, wrapped for each member in a
 * grant; the album's document (name, dedup key, every earlier epoch's key) sealed under the
 * current one. Browser-compatible: lib/crypto only, no I/O.
 *
 * Keeping all earlier keys inside the current document means a member who can open the album
 * today can read every photo, including those whose file keys a half-finished re-wrap left
 * at an older epoch.
 *
 * @module
 */

import {
  decryptMetadata,
  encryptMetadata,
  fromBase64Url,
  newFileKey,
  toBase64Url,
  unwrapKey,
} from "../../../crypto/mod.ts";
import type { AlbumDoc, AlbumView } from "./types.ts";

/** Seals `doc` under `key`: the value of an album record's `meta`. */
export async function sealAlbumDoc(doc: AlbumDoc, key: Uint8Array): Promise<string> {
  return toBase64Url(await encryptMetadata(doc, key));
}

/** Opens an album record's `meta`; throws when it is not an album document. */
export async function openAlbumDoc(meta: string, key: Uint8Array): Promise<AlbumDoc> {
  const doc = await decryptMetadata(fromBase64Url(meta), key) as Partial<AlbumDoc>;
  if (doc.v !== 1 || typeof doc.name !== "string" || typeof doc.dedupKey !== "string") {
    throw new SyntaxError("Cannot read this album: its document is not an album document (v1)");
  }
  const keys: Record<string, string> = {};
  if (doc.keys && typeof doc.keys === "object") {
    for (const [epoch, k] of Object.entries(doc.keys)) if (typeof k === "string") keys[epoch] = k;
  }
  return {
    v: 1,
    name: doc.name,
    dedupKey: doc.dedupKey,
    createdAt: typeof doc.createdAt === "number" ? doc.createdAt : 0,
    keys,
  };
}

/** A new album's document: its name and a dedup key that never changes. */
export function newAlbumDoc(name: string, now: number): AlbumDoc {
  return { v: 1, name, dedupKey: toBase64Url(newFileKey()), createdAt: now, keys: {} };
}

/** The document of the next epoch: the same, plus the key being retired. */
export function docForNextEpoch(doc: AlbumDoc, epoch: number, key: Uint8Array): AlbumDoc {
  return { ...doc, keys: { ...doc.keys, [String(epoch)]: toBase64Url(key) } };
}

/** The keys of one album as this member holds them. */
export class AlbumKeys {
  readonly #older = new Map<number, Uint8Array>();

  constructor(
    readonly albumId: string,
    readonly epoch: number,
    readonly current: Uint8Array,
    readonly doc: AlbumDoc,
  ) {
    for (const [e, k] of Object.entries(doc.keys)) {
      const n = Number(e);
      if (Number.isInteger(n) && n >= 0 && n < epoch) this.#older.set(n, fromBase64Url(k));
    }
  }

  get name(): string {
    return this.doc.name;
  }

  get dedupKey(): Uint8Array {
    return fromBase64Url(this.doc.dedupKey);
  }

  /** The album key of `epoch`; throws a message a person can act on when it is not held. */
  keyFor(epoch: number): Uint8Array {
    if (epoch === this.epoch) return this.current;
    const key = this.#older.get(epoch);
    if (!key) {
      throw new Error(
        `This photo uses album key #${epoch}, which this album's document does not hold. ` +
          "Ask the album's owner to open the album once, so its keys are brought up to date.",
      );
    }
    return key;
  }

  /** Unwraps the caller's grant of `view` and opens the album document. */
  static async open(view: AlbumView, x25519SecretKey: Uint8Array): Promise<AlbumKeys> {
    if (!view.grant || view.grant.epoch !== view.epoch) throw new KeyNotSharedError(view.id);
    const key = await unwrapKey(fromBase64Url(view.grant.wrapped), x25519SecretKey);
    return new AlbumKeys(view.id, view.epoch, key, await openAlbumDoc(view.meta, key));
  }
}

/** The album moved to a new key epoch and the owner has not wrapped it for this member yet. */
export class KeyNotSharedError extends Error {
  constructor(readonly albumId: string) {
    super(
      "This album's key changed and has not been shared with you again yet. " +
        "Ask its owner to open the album, which finishes sharing it.",
    );
    this.name = "KeyNotSharedError";
  }
}
