/**
 * The origins of the family's nodes, from their admin-signed node records: the only other
 * origins a page may probe (CSP `connect-src`) and the only ones `/health` answers across
 * origins, so a page whose node stopped answering can find a healthy one (issue #16).
 */

import { activeNodes } from "../core/node_kinds.ts";
import type { RecordLog } from "../store/mod.ts";

export function familyOrigins(records: RecordLog, selfId: string): () => string[] {
  let cached: string[] | undefined;
  records.onChange((stored) => {
    if (stored.some(({ record }) => record.kind === "node")) cached = undefined;
  });
  return () =>
    cached ??= activeNodes(records).filter((n) => n.id !== selfId && n.body.url).flatMap((n) => {
      try {
        const url = new URL(n.body.url!);
        return url.protocol === "http:" || url.protocol === "https:" ? [url.origin] : [];
      } catch {
        return [];
      }
    });
}
