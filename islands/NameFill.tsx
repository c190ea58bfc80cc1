import { useEffect } from "preact/hooks";
import { catchUpFamilyKey } from "../lib/web/browser/family_admin.ts";
import type { FamilyNames } from "../lib/web/browser/family_keys.ts";
import { familyNames, forgetFamilyNames } from "../lib/web/browser/family_names.ts";
import { identityMeta, keystore } from "../lib/web/browser/keystore.ts";
import {
  fillNameSlots as fill,
  markUnreadSlots as markUnread,
} from "../lib/web/browser/ui/name_slots.ts";
import { browserVaultDeps } from "../lib/web/browser/vault/client.ts";

interface Props {
  signedIn: boolean;
  /** An admin's pages also hand the family key on to whoever lacks it. */
  admin?: boolean;
}

const NOT_SHARED = "Names are encrypted. This browser cannot read this one yet: an admin's " +
  "browser shares the family's key with you on their next visit.";

/** Fills every name slot of the page from what this browser can open. */
async function fillAll(names: FamilyNames): Promise<void> {
  if (names.family !== undefined) fill("family", names.family, "open");
  for (const [key, name] of names.members) {
    if (name !== undefined) fill(`member:${key}`, name, "open");
  }
  markUnread(NOT_SHARED);
  // The keystore's label greets this member at the next sign-in: keep it up to date.
  const meta = await identityMeta();
  const mine = meta && names.members.get(meta.memberKey);
  if (meta && mine !== undefined && names.family !== undefined) {
    if (meta.name !== mine || meta.familyName !== names.family) {
      await keystore().updateMeta({ name: mine, familyName: names.family });
    }
  }
}

/**
 * On every page: the node cannot read the family's or the members' names (FORMAT §14), so the
 * server renders placeholders and this island fills them in. First from this browser's own
 * label of its key (its member's name and the family's, known before unlock), then, signed in,
 * from the family's sealed names opened with the member's key. An admin's page also wraps the
 * family key for whoever lacks it and finishes a rotation a removal waits for.
 */
export default function NameFill({ signedIn, admin = false }: Props) {
  useEffect(() => {
    let live = true;
    identityMeta().then((meta) => {
      if (!live || !meta) return;
      fill("family", meta.familyName, "local");
      fill(`member:${meta.memberKey}`, meta.name, "local");
    }, () => {});
    if (!signedIn) return;
    (async () => {
      let names: FamilyNames;
      try {
        names = await familyNames();
      } catch {
        if (live) markUnread("Names are encrypted, and this browser could not open them.");
        return;
      }
      if (!live) return;
      await fillAll(names);
      if (!admin) return;
      try {
        if (await catchUpFamilyKey(await browserVaultDeps(), names)) {
          forgetFamilyNames();
          if (live) await fillAll(await familyNames());
        }
      } catch (err) {
        console.warn("Could not share the family key:", (err as Error).message);
      }
    })();
    return () => {
      live = false;
    };
  }, []);
  return null;
}
