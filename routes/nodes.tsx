import type { Handlers, PageProps } from "../lib/web/types.ts";
import { services, sessionOf, toSignIn } from "../lib/web/page_helpers.ts";
import { NameSlot } from "../lib/web/browser/ui/NameSlot.tsx";
import type { NodeBody } from "../lib/core/node_kinds.ts";
import { toBase64Url } from "../lib/crypto/mod.ts";
import type { ReplicationStatus } from "../lib/replication/mod.ts";
import type { BlobStoreInfo } from "../lib/store/mod.ts";
import EditThisNode from "../islands/EditThisNode.tsx";
import NodeList from "../islands/NodeList.tsx";
import PairNode from "../islands/PairNode.tsx";

interface NodesData {
  isAdmin: boolean;
  self: {
    nodeId: string;
    publicKey: string;
    url: string;
    /** The address in this node's own record (absent: it only dials out, or not paired). */
    recordUrl?: string;
    name?: string;
    paired: boolean;
    removed: boolean;
  };
  status: ReplicationStatus;
  /** Where this node keeps its blobs; absent when the store cannot say right now. */
  store?: BlobStoreInfo;
  storeError?: string;
}

function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export const handler: Handlers<NodesData> = {
  async GET(_req, ctx) {
    const session = sessionOf(ctx.state);
    if (!session) return toSignIn(ctx);
    const { records, nodeKey, replication, config, blobs } = services(ctx.state);
    let store: BlobStoreInfo | undefined;
    let storeError: string | undefined;
    try {
      store = await blobs.describe();
    } catch (err) {
      storeError = (err as Error).message;
    }
    ctx.state.title = "Nodes";
    const record = records.get<NodeBody>("node", nodeKey.nodeId);
    return ctx.render({
      isAdmin: session.member.body.role === "admin",
      self: {
        nodeId: nodeKey.nodeId,
        publicKey: toBase64Url(nodeKey.publicKey),
        url: record?.body.url ?? config.publicUrl ?? ctx.url.origin,
        recordUrl: record?.body.url,
        name: record?.body.name,
        paired: record !== undefined && !record.body.removed,
        removed: record?.body.removed === true,
      },
      status: replication!.status(),
      store,
      storeError,
    });
  },
};

export default function Nodes({ data }: PageProps<NodesData>) {
  const { self, status } = data;
  return (
    <section>
      <p class="eyebrow">
        <NameSlot of="family" placeholder="Your family" />
      </p>
      <h1>Nodes</h1>
      <p class="lead">
        Every node of the family keeps a full, encrypted copy of every photo. None of them can read
        your photos: the keys stay in your browsers.
      </p>
      {self.removed && (
        <div class="alert alert-warn" role="alert">
          An admin removed this node from the family. The other nodes no longer talk to it.
        </div>
      )}
      <div class="card">
        <h2>This node{self.name ? ` — ${self.name}` : ""}</h2>
        <dl class="facts">
          <dt>Node id</dt>
          <dd>
            <code class="node-id">{self.nodeId}</code>
          </dd>
          <dt>Address</dt>
          <dd>
            <code class="mono">{self.url}</code>
          </dd>
          <dt>Stores</dt>
          <dd>
            {status.storage.blobs} encrypted objects · {bytes(status.storage.bytes)}
          </dd>
          <dt>Blob store</dt>
          <dd>
            {data.store
              ? (
                <>
                  {data.store.backend === "s3" ? "S3 object storage" : "Files in the data dir"}
                  {data.store.problem && (
                    <>
                      {" "}
                      <span class="badge badge-warn">cannot be reached right now</span>
                    </>
                  )}
                  <div class="muted small mono">{data.store.location}</div>
                  <div class="muted small">
                    {data.store.problem
                      ? data.store.problem.slice(0, 300)
                      : data.store.capacity
                      ? `${bytes(data.store.capacity.freeBytes)} free of ${
                        bytes(data.store.capacity.totalBytes)
                      }`
                      : "Capacity: not reported by the object store"}
                  </div>
                </>
              )
              : (
                <span class="badge badge-warn" title={data.storeError}>
                  cannot be read right now
                </span>
              )}
            {data.storeError && <div class="muted small">{data.storeError.slice(0, 300)}</div>}
          </dd>
          <dt>Last scrub</dt>
          <dd>
            {status.lastScrub
              ? new Date(status.lastScrub).toLocaleString()
              : "not yet since this start (daily)"}
          </dd>
        </dl>
        {data.isAdmin && self.paired && self.name && (
          <EditThisNode nodeId={self.nodeId} name={self.name} url={self.recordUrl} />
        )}
      </div>
      <div class="card">
        <h2>Other nodes</h2>
        <NodeList isAdmin={data.isAdmin} initial={status} />
      </div>
      {data.isAdmin && (
        <div class="card">
          <h2>Pair a node</h2>
          <p class="muted">
            On the new node's first page choose “Join an existing family as another node” and enter
            its setup code; it shows a join code. Paste it here and approve: your browser signs the
            approval with your key, and the family's nodes trust exactly the nodes admins approved.
          </p>
          <PairNode
            self={{
              nodeId: self.nodeId,
              publicKey: self.publicKey,
              url: self.url,
              paired: self.paired,
            }}
          />
        </div>
      )}
    </section>
  );
}
