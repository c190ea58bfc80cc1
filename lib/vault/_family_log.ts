/**
 * For the vault's unit tests: a family's log in a real SQLite file, with a real blob store
 * beside it. Records are really signed by members' keys and stored through the record log
 * with every kind's rules, so a test can only put the vault in a state the family could
 * reach; this node's key is a real node key file. Uses lib/crypto, lib/core, lib/store and
 * lib/vault only (a source file here, so no test helper).
 */

import {
  blobId,
  deriveIdentity,
  newSeed,
  type SignedRecord,
  signRecord,
  toBase64Url,
} from "../crypto/mod.ts";
import { HybridClock } from "../core/hlc.ts";
import type { Origin } from "../core/record_kinds.ts";
import {
  FsBlobStore,
  IndexDb,
  loadOrCreateNodeKey,
  type NodeKey,
  RecordLog,
} from "../store/mod.ts";
import type { BlobRef } from "../core/album_shapes.ts";
import { type GrantBody, grantId, type PhotoBody } from "./album_kinds.ts";
import { createKindRegistry } from "./kinds.ts";
import { issueUploadReceipt } from "./upload_receipt.ts";

export const API: Origin = { via: "api" };
export const DAY = 24 * 3600_000;

export interface Person {
  key: string;
  x25519: string;
  secret: Uint8Array;
}

/** A sealed name's shape (FORMAT §14.3): the node checks it, never reads it. */
export const SEALED_NAME = { epoch: 0, sealed: "A".repeat(463) };
/** Any sealed field's stand-in: the node checks its shape, never reads it. */
export const SEALED = "c2VhbGVk";

export function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/** A new person: her signing and X25519 keys. */
export function person(): Person {
  const id = deriveIdentity(newSeed());
  return {
    key: toBase64Url(id.signingPublicKey),
    x25519: toBase64Url(id.x25519PublicKey),
    secret: id.signingSecretKey,
  };
}

/**
 * `author`'s record made on `records`' view: it follows that log's heads, stamped by `clock`
 * after them (what her browser on that node would sign).
 */
export function signFollowing(
  records: RecordLog,
  clock: HybridClock,
  author: Person,
  kind: string,
  id: string,
  body: unknown,
): SignedRecord {
  const heads = records.heads();
  if (heads.hlc) clock.observe(heads.hlc);
  return signRecord(
    { v: 2, kind, id, author: author.key, hlc: clock.next(), prev: heads.prev, body },
    author.secret,
  );
}

export class FamilyLog implements AsyncDisposable {
  /** This node's clock; tests move it forward (the trash). */
  time = Date.UTC(2026, 0, 1);
  readonly #hlc = new HybridClock(() => this.time);

  /** The family's records, judged by every kind's rules at this node's clock. */
  readonly records: RecordLog;

  private constructor(
    readonly dir: string,
    readonly db: IndexDb,
    readonly blobs: FsBlobStore,
    readonly node: NodeKey,
    readonly founder: Person,
  ) {
    this.records = new RecordLog(db, createKindRegistry(), () => this.time);
  }

  /** A family founded by one admin, with this node's own node record (it signs receipts). */
  static async open(): Promise<FamilyLog> {
    const dir = await Deno.makeTempDir({ prefix: "p2pos-vault-" });
    const db = await IndexDb.open(`${dir}/index.sqlite`).catch(async (err) => {
      await Deno.remove(dir, { recursive: true });
      throw err;
    });
    try {
      const blobs = await FsBlobStore.open(`${dir}/blobs`);
      const { key } = await loadOrCreateNodeKey(`${dir}/node.key`);
      const log = new FamilyLog(dir, db, blobs, key, person());
      const f = log.founder;
      const family = {
        founder: f.key,
        epoch: 0,
        keyId: "0".repeat(64),
        name: SEALED_NAME.sealed,
        keys: null,
      };
      log.put(f, "family", randomId(), family, { via: "peer", nodeId: "setup" });
      log.put(f, "member", f.key, {
        x25519: f.x25519,
        name: SEALED_NAME,
        role: "admin",
        removed: false,
      });
      log.put(f, "node", log.node.nodeId, {
        publicKey: toBase64Url(log.node.publicKey),
        name: "Oak",
        removed: false,
      });
      return log;
    } catch (err) {
      db.close();
      await Deno.remove(dir, { recursive: true });
      throw err;
    }
  }

  /** `author`'s signed record, following the log's heads. */
  sign(author: Person, kind: string, id: string, body: unknown): SignedRecord {
    return signFollowing(this.records, this.#hlc, author, kind, id, body);
  }

  /** Signs and stores one record through the record log's rules. */
  put(author: Person, kind: string, id: string, body: unknown, origin = API): SignedRecord {
    const record = this.sign(author, kind, id, body);
    this.records.apply([record], origin);
    return record;
  }

  /** A member the founder adds. */
  member(): Person {
    const p = person();
    this.setMember(p, { removed: false });
    return p;
  }

  setMember(p: Person, { removed }: { removed: boolean }): void {
    this.put(this.founder, "member", p.key, {
      x25519: p.x25519,
      name: SEALED_NAME,
      role: "member",
      removed,
    });
  }

  /** A new album of `owner`'s, with her own grant. */
  album(owner: Person): string {
    const id = randomId();
    this.put(owner, "album", id, {
      owner: owner.key,
      epoch: 0,
      meta: SEALED,
      cover: null,
      trashedAt: null,
    });
    this.grant(owner, id, owner, "owner");
    return id;
  }

  grant(
    owner: Person,
    album: string,
    member: Person,
    role: GrantBody["role"],
    revoked = false,
  ): void {
    const body: GrantBody = { album, member: member.key, role, epoch: 0, wrapped: SEALED, revoked };
    this.put(owner, "grant", grantId(album, member.key), body);
  }

  trashAlbum(owner: Person, album: string): void {
    this.put(owner, "album", album, {
      owner: owner.key,
      epoch: 0,
      meta: SEALED,
      cover: null,
      trashedAt: this.time,
    });
  }

  /** `bytes` stored here as a blob `uploader` sent, with this node's receipt for her. */
  async upload(uploader: Person, bytes: Uint8Array): Promise<BlobRef> {
    const id = await blobId(bytes);
    await this.blobs.put(id, ReadableStream.from([bytes]));
    return { id, size: bytes.length, receipt: await this.receipt(uploader, id, bytes.length) };
  }

  receipt(member: Person, id: string, size: number) {
    return issueUploadReceipt(this.node, member.key, id, size);
  }

  /** A photo body naming `blobs` (original, thumb, meta), by `uploader`. */
  photoBody(
    album: string,
    uploader: Person,
    [original, thumb, meta]: [BlobRef, BlobRef | null, BlobRef],
  ): PhotoBody {
    return {
      album,
      uploader: uploader.key,
      epoch: 0,
      key: SEALED,
      original,
      thumb,
      meta,
      sort: SEALED,
      dedup: original.id,
    };
  }

  /** A photo `uploader` adds to `album`, with three blobs she uploads here. */
  async photo(album: string, uploader: Person): Promise<{ id: string; body: PhotoBody }> {
    const blob = (role: string) =>
      this.upload(uploader, new TextEncoder().encode(`${role} ${randomId()}`));
    const id = randomId();
    const body = this.photoBody(album, uploader, [
      await blob("original"),
      await blob("thumb"),
      await blob("meta"),
    ]);
    this.put(uploader, "photo", id, body);
    return { id, body };
  }

  deletePhoto(author: Person, album: string, photo: string): void {
    this.put(author, "tombstone", `photo.${photo}`, { kind: "photo", target: photo, album });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.db.close();
    await Deno.remove(this.dir, { recursive: true });
  }
}

/**
 * The family most vault tests start from: Ann (the founder) owns an album where Ben
 * contributes and Cat views; Dan is in the family, not in the album.
 */
export async function sharedAlbum() {
  const log = await FamilyLog.open();
  const ann = log.founder;
  const [ben, cat, dan] = [log.member(), log.member(), log.member()];
  const album = log.album(ann);
  log.grant(ann, album, ben, "contributor");
  log.grant(ann, album, cat, "viewer");
  return { log, ann, ben, cat, dan, album };
}
