/**
 * The family's names in this page: read once per page from `GET /v1/family` and opened with
 * the key this browser holds (lib/web/browser/family_keys.ts), shared by every island of the
 * page. Nothing decrypted is stored: the names live in this page's memory only (the member's
 * own name and the family's stay in the keystore's label, to greet her at sign-in).
 * Browser-only.
 *
 * @module
 */

import { deriveIdentity, toBase64Url } from "../../crypto/mod.ts";
import { api } from "./api.ts";
import type { FamilyResponse } from "./api_types.ts";
import { type FamilyNames, openFamilyNames } from "./family_keys.ts";
import { readFamilyNames } from "./family_admin.ts";
import { browserVaultDeps } from "./vault/client.ts";

let names: Promise<FamilyNames> | undefined;

/** The family's names as this browser can read them (one request per page). */
export function familyNames(): Promise<FamilyNames> {
  if (!names) {
    names = browserVaultDeps().then(readFamilyNames);
    names.catch(() => (names = undefined));
  }
  return names;
}

/** Forgets what was read, after a change: the next call asks the node again. */
export function forgetFamilyNames(): void {
  names = undefined;
}

/**
 * The member's own name and the family's, opened with `seed` right after signing in (before the
 * key is kept): what the keystore's label remembers. Undefined where this member cannot read
 * them yet.
 */
export async function ownNames(seed: Uint8Array): Promise<{ name?: string; family?: string }> {
  const id = deriveIdentity(seed);
  try {
    const answer = await api<FamilyResponse>("GET", "/v1/family");
    const names = await openFamilyNames(answer, id.x25519SecretKey);
    return { name: names.members.get(toBase64Url(id.signingPublicKey)), family: names.family };
  } catch {
    return {};
  } finally {
    id.signingSecretKey.fill(0);
    id.x25519SecretKey.fill(0);
  }
}
