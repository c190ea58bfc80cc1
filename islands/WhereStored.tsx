import { useEffect, useRef, useState } from "preact/hooks";
import { api, isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import { timeAgo } from "../lib/web/browser/user_agent.ts";
import { type LocationsAnswer, type NodeCopy, subscribe } from "./_replication_live.ts";

export interface WhereStoredProps {
  /** The blobs to show: a photo's original and thumbnail, or every blob of an album. */
  blobIds: string[];
  /** "photo": one line per node; "album": counts per node. @default "photo" */
  mode?: "photo" | "album";
}

const RANK: Record<NodeCopy["state"], number> = {
  missing: 0,
  failed: 1,
  pending: 2,
  stored: 3,
  verified: 4,
};

const LABEL: Record<NodeCopy["state"], string> = {
  verified: "✓ verified",
  stored: "✓ stored",
  pending: "on its way",
  failed: "failed — retrying",
  missing: "not here",
};

const BADGE: Record<NodeCopy["state"], string> = {
  verified: "badge badge-ok",
  stored: "badge badge-ok",
  pending: "badge",
  failed: "badge badge-danger",
  missing: "badge badge-warn",
};

interface NodeSummary {
  nodeId: string;
  name: string;
  self: boolean;
  /** The weakest state across the blobs. */
  state: NodeCopy["state"];
  held: number;
  verified: number;
  lastAck?: number;
  lastVerified?: number;
}

function summarize(res: LocationsAnswer): NodeSummary[] {
  const byNode = new Map<string, NodeSummary>();
  for (const blob of res.blobs) {
    for (const n of blob.nodes) {
      const s = byNode.get(n.nodeId) ?? {
        nodeId: n.nodeId,
        name: res.names[n.nodeId] ?? n.nodeId.slice(0, 7),
        self: n.self,
        state: "verified" as NodeCopy["state"],
        held: 0,
        verified: 0,
      };
      if (RANK[n.state] < RANK[s.state]) s.state = n.state;
      if (n.state === "stored" || n.state === "verified") s.held++;
      if (n.state === "verified") s.verified++;
      if (n.ackedAt) s.lastAck = Math.max(s.lastAck ?? 0, n.ackedAt);
      if (n.verifiedAt) s.lastVerified = Math.max(s.lastVerified ?? 0, n.verifiedAt);
      byNode.set(n.nodeId, s);
    }
  }
  return [...byNode.values()].sort((a, b) =>
    Number(b.self) - Number(a.self) || a.name.localeCompare(b.name)
  );
}

/**
 * Where is it stored (DESIGN §7): for the given blobs, which family nodes hold
 * a copy, acknowledged when and verified when — live over SSE.
 */
export default function WhereStored({ blobIds, mode = "photo" }: WhereStoredProps) {
  const [nodes, setNodes] = useState<NodeSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const key = blobIds.join(",");

  useEffect(() => {
    if (blobIds.length === 0) {
      setNodes([]);
      return;
    }
    const ids = new Set(blobIds);
    const load = async () => {
      try {
        const res = await api<LocationsAnswer>("POST", "/v1/replication/locations", {
          blobIds: blobIds.slice(0, 2000),
        });
        setNodes(summarize(res));
        setError(undefined);
      } catch (err) {
        setError(isSignedOut(err) ? "Sign in to see where copies are." : messageOf(err));
      }
    };
    load();
    // Many changes arrive together while a photo replicates: reload at most every 500 ms.
    const soon = () => {
      if (timer.current === undefined) {
        timer.current = setTimeout(() => {
          timer.current = undefined;
          load();
        }, 500);
      }
    };
    const off = subscribe((e) => {
      if (e.event === "resync" || (e.event === "location" && ids.has(e.data.blobId))) soon();
    });
    return () => {
      off();
      clearTimeout(timer.current);
    };
  }, [key]);

  if (error) return <p class="muted">{error}</p>;
  if (!nodes) return <p class="loading">Looking for copies…</p>;
  if (nodes.length === 0) return <p class="muted">Nothing stored yet.</p>;
  const total = blobIds.length;
  return (
    <ul class="where-stored" aria-live="polite">
      {nodes.map((n) => (
        <li key={n.nodeId} class="where-node" data-node={n.nodeId} data-state={n.state}>
          <span class="where-name">
            {n.name}
            {n.self && " "}
            {n.self && <span class="muted">(this node)</span>}
          </span>
          {mode === "album"
            ? (
              <span class={n.held === total ? "badge badge-ok" : "badge"}>
                {n.held}/{total} stored{n.verified ? `, ${n.verified} verified` : ""}
              </span>
            )
            : <span class={BADGE[n.state]}>{LABEL[n.state]}</span>}
          <span class="where-when muted small">
            {n.lastVerified
              ? `verified ${timeAgo(n.lastVerified)}`
              : n.lastAck
              ? `acknowledged ${timeAgo(n.lastAck)}`
              : ""}
          </span>
        </li>
      ))}
    </ul>
  );
}
