/**
 * `useFamilyNames()`: the family's names for an island, once this page has read and opened
 * them (lib/web/browser/family_names.ts); undefined before, and when this browser cannot.
 * Browser-compatible: the effect runs only in the browser, so server rendering sees undefined.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import type { FamilyNames } from "../family_keys.ts";
import { familyNames } from "../family_names.ts";

export function useFamilyNames(): FamilyNames | undefined {
  const [names, setNames] = useState<FamilyNames | undefined>();
  useEffect(() => {
    let live = true;
    familyNames().then((n) => live && setNames(n), () => {});
    return () => {
      live = false;
    };
  }, []);
  return names;
}
