import { useEffect, useState } from "preact/hooks";
import { isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import { removeNode, renameOrMoveNode } from "../lib/web/browser/node_records.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { NodeEditForm } from "../lib/web/browser/ui/NodeEditForm.tsx";
import { ProofSummary } from "../lib/web/browser/ui/ProofSummary.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";
import { timeAgo } from "../lib/web/browser/user_agent.ts";
import {
  backlogCount,
  formatBytes,
  type PeerStatus,
  type ReplicationStatus,
  subscribe,
} from "./_replication_live.ts";

export interface NodeListProps {
  isAdmin: boolean;
  /** The status when the page was rendered; updated live afterwards. */
  initial: ReplicationStatus;
}

/** DESIGN §8: the path in use per peer, in words people know. */
const PATH_LABEL: Record<string, string> = {
  http: "direct HTTP",
  "webrtc/host": "WebRTC, direct",
  "webrtc/srflx": "WebRTC through NAT (STUN)",
  "webrtc/relay": "WebRTC through a TURN relay",
  webrtc: "WebRTC",
  none: "waiting for it to connect",
};

function pathLabel(path: string): string {
  return PATH_LABEL[path] ?? path;
}

/** "9.4 MB/s over WebRTC, direct · 210 MB/s over HTTP", newest first. */
function throughputLine(peer: PeerStatus): string | undefined {
  const recent = (peer.throughput ?? []).filter((t) => Date.now() - t.at < 3_600_000)
    .sort((a, b) => b.at - a.at);
  if (!recent.length) return undefined;
  return recent.map((t) => `${formatBytes(t.bytesPerSec)}/s over ${pathLabel(t.path)}`).join(" · ");
}

function PeerRow(
  { peer, isAdmin, onRemove, onEdit, removing }: {
    peer: PeerStatus;
    isAdmin: boolean;
    onRemove: (p: PeerStatus) => void;
    onEdit: (p: PeerStatus) => void;
    removing: boolean;
  },
) {
  const backlog = backlogCount(peer.push) + backlogCount(peer.pull);
  return (
    <tr data-node={peer.nodeId}>
      <td>
        <strong>{peer.name}</strong>
        <div class="muted small mono">
          {peer.url ?? "no address: reached through the relay"}
        </div>
      </td>
      <td>
        <span class={peer.reachable ? "badge badge-ok" : "badge badge-warn"}>
          {peer.reachable ? "online" : "offline"}
        </span>
        <div class="muted small" data-path={peer.path}>
          {pathLabel(peer.path)}
          {peer.blobPath && peer.reachable && ` · photos over ${pathLabel(peer.blobPath)}`}
        </div>
        {peer.reachable && throughputLine(peer) && (
          <div class="muted small" data-throughput>{throughputLine(peer)}</div>
        )}
        {!peer.reachable && peer.lastError && (
          <div class="muted small" title={peer.lastError}>{peer.lastError.slice(0, 80)}</div>
        )}
        {peer.linkError && peer.reachable && (
          <div class="muted small" title={peer.linkError}>
            data channel: {peer.linkError.slice(0, 60)}
          </div>
        )}
        {peer.diskFull && (
          <div class="small">
            <span class="badge badge-danger">disk full</span>{" "}
            Its disk is full: blobs for it wait until its operator frees space.
          </div>
        )}
      </td>
      <td>
        {peer.lastSync ? timeAgo(peer.lastSync) : "never"}
        {peer.lastSeen && peer.lastSeen !== peer.lastSync && (
          <div class="muted small">seen {timeAgo(peer.lastSeen)}</div>
        )}
      </td>
      <td>
        {peer.storage ? `${peer.storage.blobs} objects · ${formatBytes(peer.storage.bytes)}` : "—"}
        {peer.storage?.backend && (
          <div class="muted small">
            {peer.storage.backend === "s3" ? "in S3 object storage" : "in files on its disk"}
          </div>
        )}
        <div class="muted small">
          {peer.held} known here, {peer.verified} verified
        </div>
        {peer.oldestProofAt !== undefined && (
          <div class="muted small">oldest proof {timeAgo(peer.oldestProofAt)}</div>
        )}
      </td>
      <td>
        {backlog === 0
          ? <span class="badge badge-ok">in step</span>
          : (
            <span class={peer.push.failed + peer.pull.failed ? "badge badge-danger" : "badge"}>
              {backlog} waiting
            </span>
          )}
        {(peer.push.inFlight + peer.pull.inFlight) > 0 && (
          <div class="muted small">{peer.push.inFlight + peer.pull.inFlight} moving now</div>
        )}
      </td>
      {isAdmin && (
        <td class="actions">
          <button
            type="button"
            class="btn btn-small"
            disabled={removing}
            onClick={() => onEdit(peer)}
            aria-label={`Edit ${peer.name}: name and address`}
          >
            Edit
          </button>{" "}
          <button
            type="button"
            class="btn btn-danger btn-small"
            disabled={removing}
            onClick={() => onRemove(peer)}
            aria-label={`Remove ${peer.name} from the family`}
          >
            {removing ? "Removing…" : "Remove"}
          </button>
        </td>
      )}
    </tr>
  );
}

/**
 * Nodes page: the family's other nodes — online or not, by which path, when
 * last synced, what they store, what is still on its way — live over SSE.
 * Admins rename a node, change the address the others reach it at, or remove
 * it here: a new version of its node record, signed in this browser (with
 * `removed: true` to remove it; every node then refuses it).
 */
export default function NodeList({ isAdmin, initial }: NodeListProps) {
  const [status, setStatus] = useState<ReplicationStatus>(initial);
  const [error, setError] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);
  const [removing, setRemoving] = useState<string | undefined>();
  const [confirm, setConfirm] = useState<PeerStatus | undefined>();
  const [editing, setEditing] = useState<PeerStatus | undefined>();

  useEffect(() =>
    subscribe((e) => {
      if (e.event === "replication") setStatus(e.data.status);
    }), []);

  const remove = async (peer: PeerStatus) => {
    setConfirm(undefined);
    setRemoving(peer.nodeId);
    setError(undefined);
    try {
      await removeNode(peer.nodeId, peer.name);
      setStatus((s) => ({ ...s, peers: s.peers.filter((p) => p.nodeId !== peer.nodeId) }));
    } catch (err) {
      if (isSignedOut(err)) setSignedOut(true);
      else setError(messageOf(err));
    } finally {
      setRemoving(undefined);
    }
  };

  const startEdit = (peer: PeerStatus) => {
    setConfirm(undefined);
    setEditing(peer);
  };

  const save = async (name: string, url: string | undefined) => {
    const peer = editing!;
    setError(undefined);
    try {
      await renameOrMoveNode(peer.nodeId, peer.name, name, url);
      setStatus((s) => ({
        ...s,
        peers: s.peers.map((p) => p.nodeId === peer.nodeId ? { ...p, name, url } : p),
      }));
      setEditing(undefined);
    } catch (err) {
      if (isSignedOut(err)) setSignedOut(true);
      else setError(messageOf(err));
    }
  };

  if (signedOut) return <SignedOutAlert />;
  const full = status.diskFull && (
    <div class="alert alert-error" role="alert">
      <strong>This node's disk is full</strong> (since{" "}
      {timeAgo(status.diskFull.since)}). Uploads to it are refused and it receives nothing from the
      other nodes; what it holds can still be read. Free space on the disk that holds its data
      directory: it carries on by itself.
    </div>
  );
  if (status.peers.length === 0) {
    return (
      <div class="empty">
        {full}
        <p>
          <strong>No other nodes yet.</strong> Everything lives on this node only.
        </p>
        <p class="muted">
          Start p2pos on a second machine (another house, a NAS, a small VPS), choose “Join an
          existing family as another node”, and paste its join code below.
        </p>
      </div>
    );
  }
  return (
    <div class="node-list">
      {full}
      <ErrorAlert message={error} />
      {confirm && (
        <div class="alert alert-warn confirm-panel" role="alertdialog" aria-live="assertive">
          <p>
            Remove <strong>{confirm.name}</strong>{" "}
            from the family? Every node will refuse it from now on. Copies it already holds stay on
            its disk, encrypted.
          </p>
          <div class="btn-row">
            <button
              type="button"
              class="btn btn-danger"
              onClick={() =>
                remove(confirm)}
            >
              Remove {confirm.name}
            </button>
            <button
              type="button"
              class="btn"
              onClick={() =>
                setConfirm(undefined)}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
      {editing && (
        <NodeEditForm
          key={editing.nodeId}
          name={editing.name}
          url={editing.url}
          onSave={save}
          onCancel={() => setEditing(undefined)}
        />
      )}
      <ProofSummary proofs={status.proofs} />
      <table class="nodes">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Status</th>
            <th scope="col">Last sync</th>
            <th scope="col">Stores</th>
            <th scope="col">Backlog</th>
            {isAdmin && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {status.peers.map((p) => (
            <PeerRow
              key={p.nodeId}
              peer={p}
              isAdmin={isAdmin}
              removing={removing === p.nodeId}
              onRemove={(peer) => {
                setEditing(undefined);
                setConfirm(peer);
              }}
              onEdit={startEdit}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
