/**
 * One entry, not IP hunting (issue #16): the browser remembers the family's node addresses
 * (from the signed node records, through `/v1/nodes`), and when the node a page came from
 * stops answering, finds a healthy one and moves the person there, on the same path.
 * Browser-compatible: storage and fetch are injectable.
 *
 * What is remembered (in localStorage, per origin) is what every node already shows: node ids,
 * names and addresses. No key, no session and nothing decrypted.
 *
 * @module
 */

import { api } from "./api.ts";

export interface FamilyNode {
  nodeId: string;
  name: string;
  /** The node's origin, e.g. `https://pine.example`. */
  url: string;
}

export interface FamilyNodes {
  /** The node this origin belongs to. */
  self: FamilyNode;
  /** The family's other nodes with an address. */
  others: FamilyNode[];
  savedAt: number;
}

const KEY = "p2pos:family-nodes";

type KeyValue = Pick<Storage, "getItem" | "setItem">;

export function saveFamilyNodes(nodes: FamilyNodes, storage: KeyValue = localStorage): void {
  storage.setItem(KEY, JSON.stringify(nodes));
}

export function loadFamilyNodes(storage: KeyValue = localStorage): FamilyNodes | undefined {
  try {
    const v = JSON.parse(storage.getItem(KEY) ?? "null") as FamilyNodes | null;
    return v && typeof v.self?.url === "string" && Array.isArray(v.others) ? v : undefined;
  } catch {
    return undefined;
  }
}

function originOf(url: string | undefined): string | undefined {
  try {
    const u = new URL(url ?? "");
    return u.protocol === "http:" || u.protocol === "https:" ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

interface NodesAnswer {
  self: { nodeId: string; name?: string; url: string };
  peers: { nodeId: string; name: string; url?: string }[];
}

/** This node and its peers as `/v1/nodes` lists them (needs a session). */
export async function fetchFamilyNodes(
  call: typeof api = api,
  now: () => number = Date.now,
): Promise<FamilyNodes> {
  const answer = await call<NodesAnswer>("GET", "/v1/nodes");
  const others: FamilyNode[] = [];
  for (const p of answer.peers) {
    const url = originOf(p.url);
    if (url) others.push({ nodeId: p.nodeId, name: p.name, url });
  }
  return {
    self: {
      nodeId: answer.self.nodeId,
      name: answer.self.name ?? "this node",
      url: originOf(answer.self.url) ?? location.origin,
    },
    others,
    savedAt: now(),
  };
}

/** Whether p2pos answers at `origin` (its `/health`) within `timeoutMs`. */
export async function isAlive(
  origin: string,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<boolean> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  try {
    const res = await doFetch(`${origin}/health`, {
      cache: "no-store",
      credentials: "omit",
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
    if (!res.ok) return false;
    return (await res.json())?.status === "ok";
  } catch {
    return false;
  }
}

/** The first of `candidates` to answer, or undefined when none does. */
export async function findHealthyNode(
  candidates: FamilyNode[],
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<FamilyNode | undefined> {
  if (candidates.length === 0) return undefined;
  try {
    return await Promise.any(candidates.map(async (n) => {
      if (await isAlive(n.url, options)) return n;
      throw new Error(`${n.name} does not answer`);
    }));
  } catch {
    return undefined;
  }
}

/**
 * The same page on `target`, marked `from=<name>` so it can say where the person came from
 * (and sign in with the key this browser holds there, if the session is gone).
 */
export function movedUrl(target: FamilyNode, from: string, here: URL): string {
  const url = new URL(here.pathname + here.search + here.hash, target.url);
  url.searchParams.set("from", from);
  return url.href;
}

/** The node a page was moved from (`?from=`, or inside `?next=` on the sign-in page). */
export function movedFrom(here: URL): string | undefined {
  const direct = here.searchParams.get("from");
  if (direct) return direct.slice(0, 60);
  const next = here.searchParams.get("next");
  if (!next) return undefined;
  try {
    return new URL(next, here.origin).searchParams.get("from")?.slice(0, 60) ?? undefined;
  } catch {
    return undefined;
  }
}
