/**
 * This device's copy of the member's seed (DESIGN §4), in IndexedDB — never localStorage.
 * Browser-only for the default store; the {@link Keystore} class takes any
 * {@link IdentityStore}, so tests run it in Deno with an in-memory one.
 *
 * The seed is sealed with AES-256-GCM under a CryptoKey made with `extractable: false` and
 * kept in the same database (IndexedDB stores CryptoKey objects by structured clone). Page
 * script can therefore *use* the key to unseal, but no script can ever export it, and the
 * seed never sits in storage as plain bytes; the GCM additional data binds the sealed seed to
 * its member key, so metadata and ciphertext cannot be swapped between records. This does not
 * defend against script running in the page (it could unseal): that is what the CSP is for.
 *
 * Unsealed identities are cached in memory until {@link Keystore.lock} drops them.
 *
 * @module
 */

import {
  bufferSource,
  deriveIdentity,
  type Identity,
  SEED_SIZE,
  toBase64Url,
  utf8Encode,
} from "../../crypto/mod.ts";

/** What the device remembers in clear about whose key it holds (shown on the sign-in page). */
export interface IdentityMeta {
  /** base64url Ed25519 public key: the member's id. */
  memberKey: string;
  name: string;
  familyName: string;
  nodeId: string;
}

/** An identity ready to sign: the seed and every key derived from it. */
export interface UnlockedIdentity {
  meta: IdentityMeta;
  seed: Uint8Array;
  keys: Identity;
}

/** The stored shape (structured-cloned into IndexedDB). */
export interface SealedIdentity {
  v: 1;
  meta: IdentityMeta;
  /** Non-extractable AES-GCM key that seals `sealed`. */
  key: CryptoKey;
  iv: Uint8Array;
  sealed: Uint8Array;
}

/** Where the sealed identity lives: one per origin. */
export interface IdentityStore {
  get(): Promise<SealedIdentity | undefined>;
  put(value: SealedIdentity): Promise<void>;
  delete(): Promise<void>;
}

const DB_NAME = "p2pos";
const DB_VERSION = 1;
const STORE = "identity";
const KEY = "self";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** The IndexedDB store: database "p2pos", object store "identity", one entry. */
export function indexedDbStore(): IdentityStore {
  let db: Promise<IDBDatabase> | undefined;
  const open = () =>
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === "undefined") {
        reject(new Error("This browser has no IndexedDB, so it cannot keep your key"));
        return;
      }
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () =>
        reject(
          new Error(
            "Cannot open this browser's storage for p2pos (private browsing may block it)",
            { cause: req.error },
          ),
        );
    });
  const tx = async (mode: IDBTransactionMode) =>
    (await open()).transaction(STORE, mode).objectStore(STORE);
  return {
    async get() {
      return await request((await tx("readonly")).get(KEY)) as SealedIdentity | undefined;
    },
    async put(value) {
      await request((await tx("readwrite")).put(value, KEY));
    },
    async delete() {
      await request((await tx("readwrite")).delete(KEY));
    },
  };
}

/** The sealed-seed keystore. */
export class Keystore {
  #store: IdentityStore;
  #unlocked: UnlockedIdentity | undefined;

  constructor(store: IdentityStore) {
    this.#store = store;
  }

  /** Seals `seed` and remembers it with `meta`, replacing any identity held before. */
  async save(seed: Uint8Array, meta: IdentityMeta): Promise<UnlockedIdentity> {
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_SIZE) {
      throw new RangeError(`"seed" expected ${SEED_SIZE} bytes`);
    }
    seed = seed.slice(); // the caller's array may be one lock() is about to zero
    const keys = deriveIdentity(seed);
    if (toBase64Url(keys.signingPublicKey) !== meta.memberKey) {
      throw new RangeError("Cannot save identity: memberKey is not the key of this seed");
    }
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: aad(meta.memberKey) },
        key,
        bufferSource(seed),
      ),
    );
    await this.#store.put({ v: 1, meta: { ...meta }, key, iv, sealed });
    this.lock();
    this.#unlocked = { meta: { ...meta }, seed, keys };
    return this.#unlocked;
  }

  /** The metadata of the held identity, without unsealing it; undefined when none. */
  async meta(): Promise<IdentityMeta | undefined> {
    return (await this.#store.get())?.meta;
  }

  async has(): Promise<boolean> {
    return (await this.#store.get()) !== undefined;
  }

  /** Unseals the held identity (cached until {@link lock}); undefined when the device holds none. */
  async load(): Promise<UnlockedIdentity | undefined> {
    if (this.#unlocked) return this.#unlocked;
    const stored = await this.#store.get();
    if (!stored) return undefined;
    if (stored.v !== 1) {
      throw new Error(`Cannot read the stored key: version ${stored.v} is unknown`);
    }
    let seed: Uint8Array;
    try {
      seed = new Uint8Array(
        await crypto.subtle.decrypt(
          {
            name: "AES-GCM",
            iv: bufferSource(stored.iv),
            additionalData: aad(stored.meta.memberKey),
          },
          stored.key,
          bufferSource(stored.sealed),
        ),
      );
    } catch (cause) {
      throw new Error(
        "The key stored in this browser is damaged. Add this device again with your 24 words.",
        { cause },
      );
    }
    const keys = deriveIdentity(seed);
    if (toBase64Url(keys.signingPublicKey) !== stored.meta.memberKey) {
      throw new Error(
        "The key stored in this browser does not match its label. Add this device again.",
      );
    }
    this.#unlocked = { meta: stored.meta, seed, keys };
    return this.#unlocked;
  }

  /** Updates the clear metadata (e.g. after a rename) without touching the sealed seed. */
  async updateMeta(changes: Partial<Omit<IdentityMeta, "memberKey">>): Promise<void> {
    const stored = await this.#store.get();
    if (!stored) return;
    const meta = { ...stored.meta, ...changes, memberKey: stored.meta.memberKey };
    await this.#store.put({ ...stored, meta });
    if (this.#unlocked) this.#unlocked = { ...this.#unlocked, meta };
  }

  /** The identity unsealed in this page, if any. */
  unlocked(): UnlockedIdentity | undefined {
    return this.#unlocked;
  }

  /** Forgets the unsealed copy in memory (best effort: the arrays are zeroed). */
  lock(): void {
    const u = this.#unlocked;
    this.#unlocked = undefined;
    if (!u) return;
    u.seed.fill(0);
    u.keys.signingSecretKey.fill(0);
    u.keys.x25519SecretKey.fill(0);
  }

  /** Deletes the identity from this device. */
  async forget(): Promise<void> {
    this.lock();
    await this.#store.delete();
  }
}

/** GCM additional data: a domain label plus the member key the seed belongs to. */
function aad(memberKey: string): Uint8Array<ArrayBuffer> {
  return bufferSource(utf8Encode(`p2pos-keystore-v1\n${memberKey}`));
}

let instance: Keystore | undefined;
/** The page's keystore, backed by IndexedDB. */
export function keystore(): Keystore {
  return instance ??= new Keystore(indexedDbStore());
}

export const saveIdentity = (seed: Uint8Array, meta: IdentityMeta): Promise<UnlockedIdentity> =>
  keystore().save(seed, meta);
export const loadIdentity = (): Promise<UnlockedIdentity | undefined> => keystore().load();
export const identityMeta = (): Promise<IdentityMeta | undefined> => keystore().meta();
export const hasIdentity = (): Promise<boolean> => keystore().has();
export const forgetIdentity = (): Promise<void> => keystore().forget();
export const lockIdentity = (): void => keystore().lock();
