/**
 * The family at work in the soak (tests/reliability/soak.ts): what its members do, one action
 * at a time — albums made, photos uploaded by the admin and by contributors, albums shared and
 * un-shared, members invited, joining and removed — against whichever nodes are up, and what
 * the nodes acknowledged; then, at the end, who may still read what, on every node.
 */

import { type Admin, call, type Follows, headsAt, signAs, signIn } from "../../demo.ts";
import type { SignedRecord } from "../../lib/crypto/mod.ts";
import { toBase64Url } from "../../lib/crypto/mod.ts";
import type { SealedPersonName } from "../../lib/web/browser/api_types.ts";
import { inviteBodies } from "../../lib/web/browser/family_keys.ts";
import type { NodeProcess } from "../_support/node_process.ts";
import {
  cookieOn,
  createAlbum,
  inviteRecords,
  joinRecords,
  type RemoteAlbum,
  uploadPhoto,
} from "../integration/replication_cluster.ts";
import { drawSize, Rng } from "./_support.ts";

export interface Member extends Admin {
  /** The token she joined with: it stays on every version of her member record. */
  invite: string;
  /** Her name as her member record carries it: sealed under the family key (FORMAT §14). */
  sealedName: SealedPersonName;
  removed: boolean;
}

export interface Album extends RemoteAlbum {
  /** Member key → role of the grants in force. */
  grants: Map<string, "viewer" | "contributor">;
  revoked: Set<string>;
  photos: { id: string; blobs: string[]; uploader: string }[];
}

/** How often each action is drawn. */
const WEIGHTS: [Action, number][] = [
  ["photo", 50],
  ["album", 4],
  ["share", 12],
  ["unshare", 6],
  ["join", 5],
  ["remove", 2],
];
type Action = "photo" | "album" | "share" | "unshare" | "join" | "remove";

export class SoakFamily {
  readonly members: Member[] = [];
  readonly albums: Album[] = [];
  readonly ackedBlobs = new Set<string>();
  readonly ackedRecords = new Set<string>();
  readonly actions: Record<string, number> = {};
  joined = 0;

  constructor(
    readonly admin: Admin,
    /** The nodes, updated in place as they restart. */
    readonly nodes: NodeProcess[],
    /** Indexes of the nodes that are up right now. */
    readonly up: Set<number>,
    readonly rng: Rng,
    readonly finding: (what: string) => void,
  ) {}

  /** One action, drawn by weight. */
  async act(): Promise<void> {
    const total = WEIGHTS.reduce((n, [, w]) => n + w, 0);
    let r = this.rng.next() * total;
    for (const [name, w] of WEIGHTS) {
      if ((r -= w) < 0) return await this[name]();
    }
  }

  #note(what: string): void {
    this.actions[what] = (this.actions[what] ?? 0) + 1;
  }

  #liveNode(): NodeProcess {
    return this.nodes[this.rng.pick([...this.up])];
  }

  /** Sends a signed-in request as `who`; undefined when the node went away meanwhile. */
  async #send(who: Admin, node: NodeProcess, method: string, path: string, body?: unknown) {
    try {
      const res = await call(`${node.url}${path}`, method, body, await cookieOn(who, node.url));
      if (res.status >= 500) {
        this.finding(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
      }
      return res;
    } catch (err) {
      if (this.up.has(this.nodes.indexOf(node))) this.finding(`${method} ${path} failed: ${err}`);
      return undefined;
    }
  }

  async album(): Promise<void> {
    if (this.albums.length >= 12) return;
    const a = await createAlbum(this.admin, this.#liveNode().url).catch(() => undefined);
    if (!a) return;
    this.albums.push({ ...a, grants: new Map(), revoked: new Set(), photos: [] });
    this.#note("album");
  }

  async photo(): Promise<void> {
    const album = this.albums.length ? this.rng.pick(this.albums) : undefined;
    if (!album) return;
    const contributors = this.members.filter((m) =>
      !m.removed && album.grants.get(m.key) === "contributor"
    );
    const who = contributors.length && this.rng.chance(0.5)
      ? this.rng.pick(contributors)
      : this.admin;
    try {
      const p = await uploadPhoto(who, this.#liveNode().url, album, drawSize(this.rng, 3 << 20));
      p.blobs.forEach((b) => this.ackedBlobs.add(b));
      this.ackedRecords.add(`photo/${p.id}`);
      album.photos.push({ id: p.id, blobs: p.blobs, uploader: who.key });
      this.#note("photo");
    } catch (err) {
      // A node restarting under the upload, or a grant not yet on this node: not acked.
      if (!/fetch|connect|reset|closed|error sending|403|Sign-in failed/i.test(String(err))) {
        this.finding(`photo upload: ${String(err).slice(0, 300)}`);
      }
    }
  }

  async share(): Promise<void> {
    const album = this.albums.length ? this.rng.pick(this.albums) : undefined;
    const candidates = this.members.filter((m) => !m.removed && !album?.grants.has(m.key));
    if (!album || !candidates.length) return;
    const m = this.rng.pick(candidates);
    const role = this.rng.chance(0.5) ? "viewer" : "contributor";
    // As the album page: it offers the members the node it came from knows. A member who just
    // joined on another node may not have reached this one yet (a restart, a catch-up).
    const node = this.#liveNode();
    const res = await this.#send(this.admin, node, "GET", "/v1/members");
    if (res?.status !== 200) return void await res?.body?.cancel();
    const known = (await res.json()) as { members: { key: string; removed: boolean }[] };
    if (!known.members.some((x) => x.key === m.key && !x.removed)) return;
    if (await this.#grant(album, m, role, false, node)) {
      album.grants.set(m.key, role);
      album.revoked.delete(m.key);
      this.#note("share");
    }
  }

  async unshare(): Promise<void> {
    const shared = this.albums.filter((a) => a.grants.size);
    if (!shared.length) return;
    const album = this.rng.pick(shared);
    const key = this.rng.pick([...album.grants.keys()]);
    const m = this.members.find((x) => x.key === key)!;
    if (await this.#grant(album, m, album.grants.get(key)!, true)) {
      album.grants.delete(key);
      album.revoked.add(key);
      this.#note("unshare");
    }
  }

  async #grant(
    album: Album,
    m: Member,
    role: string,
    revoked: boolean,
    node = this.#liveNode(),
  ): Promise<boolean> {
    return await this.#signAndPost((heads) =>
      signAs(this.admin, "grant", `${album.id}.${m.key}`, {
        album: album.id,
        member: m.key,
        role,
        epoch: 0,
        wrapped: toBase64Url(crypto.getRandomValues(new Uint8Array(92))),
        revoked,
      }, heads), node) !== undefined;
  }

  /**
   * Signs a record of the admin's following a live node's heads and stores it there; the
   * record once stored (200), else undefined (a node restarting under it: not acknowledged).
   */
  async #signAndPost(
    make: (heads: Follows) => SignedRecord | SignedRecord[],
    node = this.#liveNode(),
  ): Promise<SignedRecord | undefined> {
    const heads = await headsAt(this.admin, node.url).catch(() => undefined);
    if (!heads) return undefined;
    const made = make(heads);
    const records = Array.isArray(made) ? made : [made];
    const res = await this.#send(this.admin, node, "POST", "/v1/records", { records });
    if (res && res.status >= 400 && res.status < 500) {
      // The admin's own well-formed records: a refusal is a defect (of the node or the soak),
      // not something to skip quietly.
      this.finding(`POST /v1/records (${records[0].kind}): HTTP ${res.status} ${await res.text()}`);
      return undefined;
    }
    await res?.body?.cancel();
    return res?.status === 200 ? records[0] : undefined;
  }

  async join(): Promise<void> {
    if (this.members.filter((m) => !m.removed).length >= 8) return;
    const keys = this.admin.familyKeys;
    if (!keys) throw new Error("The soak's admin does not hold the family key");
    const node = this.#liveNode();
    // As the members page: the invite, and the family key wrapped to the invite's key pair.
    const made = await inviteBodies(keys, "member", Date.now() + 3600_000);
    const invite = await this.#signAndPost((heads) => inviteRecords(this.admin, made, heads), node);
    if (!invite) return;
    this.ackedRecords.add(`invite/${invite.id}`);
    // The new member's record follows the node's heads, the invite among them (the join page
    // asks the node it joins through).
    const heads = await headsAt(this.admin, node.url).catch(() => undefined);
    if (!heads) return;
    const joiner = await joinRecords(keys, `Member ${++this.joined}`, "member", made.token, heads);
    const { record, familyKey } = joiner;
    const m: Member = {
      ...joiner.member,
      invite: made.token,
      sealedName: joiner.sealedName,
      removed: false,
    };
    try {
      const res = await call(`${node.url}/v1/join`, "POST", { record, familyKey });
      await res.body?.cancel();
      if (res.status !== 201) return this.finding(`join: HTTP ${res.status}`);
    } catch {
      return; // the node went away: the join was not acknowledged
    }
    this.members.push(m);
    this.ackedRecords.add(`member/${m.key}`);
    this.#note("join");
  }

  async remove(): Promise<void> {
    const active = this.members.filter((m) => !m.removed);
    if (active.length < 3) return;
    const m = this.rng.pick(active);
    const removal = await this.#signAndPost((heads) =>
      signAs(this.admin, "member", m.key, {
        x25519: m.x25519,
        name: m.sealedName,
        role: "member",
        removed: true,
        invite: m.invite,
      }, heads)
    );
    if (removal) {
      m.removed = true;
      this.#note("remove");
    }
  }

  /**
   * Access at the end, on every node: removed members are signed out and refused; a member
   * whose grant was revoked cannot read the album's photos she did not upload; one with a
   * grant can.
   */
  async checkAccess(): Promise<void> {
    for (const node of this.nodes) {
      for (const m of this.members) {
        const cookie = m.cookies.get(node.url) ??
          (m.removed ? undefined : await signIn(m, node.url).catch(() => undefined));
        if (m.removed) {
          if (cookie) {
            const res = await call(`${node.url}/v1/session`, "GET", undefined, cookie);
            await res.body?.cancel();
            if (res.status !== 401) {
              this.finding(`removed ${m.name} still signed in: HTTP ${res.status}`);
            }
          }
          const again = await signIn(m, node.url).then(() => true, () => false);
          if (again) this.finding(`removed ${m.name} could sign in again`);
          continue;
        }
        if (!cookie) {
          this.finding(`${m.name} cannot sign in on ${node.url}`);
          continue;
        }
        for (const album of this.albums) {
          const photo = album.photos.find((p) => p.uploader !== m.key);
          if (!photo) continue;
          const may = album.grants.has(m.key);
          const res = await fetch(`${node.url}/v1/blobs/${photo.blobs[0]}`, {
            method: "HEAD",
            headers: { cookie },
          });
          if (may && res.status !== 200) {
            this.finding(`${m.name} (shared) cannot read a photo of her album: HTTP ${res.status}`);
          }
          if (!may && album.revoked.has(m.key) && res.status !== 404) {
            this.finding(`${m.name} (un-shared) still reads a photo: HTTP ${res.status}`);
          }
        }
      }
    }
  }
}
