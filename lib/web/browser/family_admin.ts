/**
 * What an admin's browser does with the family key (FORMAT §14): removing a member starts a
 * new epoch in the same batch — the removal, the family record with a new key (its name
 * sealed again, the earlier keys in its keychain), and the new key wrapped for every member
 * who stays and every pending invite — so nothing sealed afterwards is readable with the keys
 * the removed member keeps. And catching up: wrapping the key in force for whoever lacks it
 * (someone who joined through an invite older than a rotation), or finishing a rotation a
 * removal is still waiting for. Browser-compatible: the deps carry the calls and the signing.
 *
 * @module
 */

import type { SignedRecord } from "../../crypto/mod.ts";
import type {
  FamilyResponse,
  InvitesResponse,
  MemberRecordBody,
  MembersResponse,
} from "./api_types.ts";
import { type FamilyKeys, type FamilyNames, openFamilyNames } from "./family_keys.ts";
import { postRecords, type VaultDeps } from "./vault/client.ts";

export type FamilyDeps = Pick<VaultDeps, "call" | "sign" | "me">;

/** Reads the family's names with this member's key. */
export async function readFamilyNames(deps: FamilyDeps): Promise<FamilyNames> {
  const answer = await deps.call<FamilyResponse>("GET", "/v1/family");
  return await openFamilyNames(answer, deps.me.x25519SecretKey);
}

/** This browser cannot seal anything new: it does not hold the family key in force. */
export class FamilyKeyMissingError extends Error {
  constructor() {
    super(
      "This browser does not hold the family's current key yet, so it cannot invite people, " +
        "remove members or seal names. Another admin's browser shares the key with you on " +
        "their next visit; try again after that.",
    );
    this.name = "FamilyKeyMissingError";
  }
}

/** The keys and the family name, or an error a person can act on. */
function held(names: FamilyNames): { keys: FamilyKeys; familyName: string } {
  if (!names.keys || names.family === undefined) throw new FamilyKeyMissingError();
  return { keys: names.keys, familyName: names.family };
}

/**
 * Signs the next epoch after `first` (records already signed in this batch, e.g. a removal):
 * the family record with a new key, then the key wrapped for every current member but
 * `leaving` and every pending invite. Returns the whole batch.
 */
async function nextEpoch(
  deps: FamilyDeps,
  names: FamilyNames,
  first: SignedRecord[],
  leaving?: string,
): Promise<SignedRecord[]> {
  const { keys, familyName } = held(names);
  const next = keys.next();
  const { family, members } = names.answer;
  const batch = [...first];
  const add = async (kind: string, id: string, body: unknown) =>
    batch.push(await deps.sign(kind, id, body, batch.at(-1)));
  await add("family", family.id, await next.familyBody(family.founder, familyName));
  for (const m of members) {
    if (!m.removed && m.key !== leaving) {
      await add("family_key", m.x25519, await next.wrapFor(m.x25519));
    }
  }
  const { invites } = await deps.call<InvitesResponse>("GET", "/v1/invites");
  for (const i of invites) {
    if (i.status !== "pending") continue;
    await add("family_key", i.record.body.x25519, await next.wrapFor(i.record.body.x25519));
  }
  return batch;
}

/** Removes `memberKey` from the family and starts a new family key epoch, in one batch. */
export async function removeMember(deps: FamilyDeps, memberKey: string): Promise<void> {
  const names = await readFamilyNames(deps);
  held(names);
  const { members } = await deps.call<MembersResponse>("GET", "/v1/members");
  const current = members.find((m) => m.key === memberKey);
  if (!current) {
    throw new Error("This member is no longer in the family's records. Reload the page.");
  }
  // Every field stays (the X25519 key, the redeemed invite, the sealed name); only `removed`.
  const body: MemberRecordBody = { ...current.record.body, removed: true };
  const removal = await deps.sign("member", memberKey, body);
  await postRecords(deps, await nextEpoch(deps, names, [removal], memberKey));
}

/**
 * An admin's catch-up, run when her pages load: finishes a rotation a removal waits for, or
 * wraps the key in force for whoever lacks it. Returns whether it changed anything.
 */
export async function catchUpFamilyKey(deps: FamilyDeps, names: FamilyNames): Promise<boolean> {
  if (!names.keys || names.family === undefined) return false;
  if (names.answer.rotate) {
    await postRecords(deps, await nextEpoch(deps, names, []));
    return true;
  }
  const behind = names.answer.behind ?? [];
  if (behind.length === 0) return false;
  const batch: SignedRecord[] = [];
  for (const r of behind.slice(0, 199)) {
    batch.push(
      await deps.sign("family_key", r.x25519, await names.keys.wrapFor(r.x25519), batch.at(-1)),
    );
  }
  await postRecords(deps, batch);
  return true;
}
