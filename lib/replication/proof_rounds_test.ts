import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { NotFoundError } from "../core/errors.ts";
import { type Transport, TransportError } from "../core/transport.ts";
import { type BlobStore, FsBlobStore, IndexDb } from "../store/mod.ts";
import { LocationStore } from "./locations.ts";
import type { Peer, PeerDirectory } from "./peers.ts";
import { proofOf } from "./proof.ts";
import { ProofRounds, type ProofRoundsOptions } from "./proof_rounds.ts";

const MINUTE = 60_000;
const PEERS: Peer[] = ["pine", "cedar"].map((nodeId) => ({
  nodeId,
  publicKey: "k",
  url: `http://127.0.0.1:1/${nodeId}`,
  name: nodeId,
}));

/**
 * This node's store and one store per peer, real files, holding the same `count` blobs of
 * `size` bytes; each peer answers proofs from its own store as /internal/v1 would
 * (PeerSide.proveLocal). `read` counts the bytes this node's proofs read.
 */
async function fixture(count: number, size: number, options: ProofRoundsOptions) {
  const dirs: string[] = [];
  const open = async () => {
    dirs.push(await Deno.makeTempDir({ prefix: "p2pos-proof-" }));
    return await FsBlobStore.open(dirs.at(-1)!);
  };
  const local = await open();
  const remote = new Map<string, FsBlobStore>();
  for (const p of PEERS) remote.set(p.nodeId, await open());
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(size);
    new DataView(bytes.buffer).setUint32(0, i);
    const id = createHash("sha256").update(bytes).digest("hex");
    for (const store of [local, ...remote.values()]) {
      await store.put(id, new Blob([bytes]).stream());
    }
    ids.push(id);
  }
  const db = await IndexDb.open(":memory:");
  const locations = new LocationStore(db);
  let clock = 1_000_000;
  for (const p of PEERS) for (const id of ids) locations.ack(id, p.nodeId, clock);
  const read = { bytes: 0 };
  // The bytes this node's proofs read, counted as the streams deliver them.
  const counted = new Proxy(local, {
    get(target, prop) {
      if (prop !== "get") return Reflect.get(target, prop);
      return async (id: string) => {
        const r = await target.get(id);
        const count = new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, c) {
            read.bytes += chunk.byteLength;
            c.enqueue(chunk);
          },
        });
        return { ...r, stream: r.stream.pipeThrough(count) };
      };
    },
  }) as BlobStore;
  const asked: string[] = [];
  const transport = {
    proveBlob: async (peer: Peer, id: string, nonce: Uint8Array) => {
      asked.push(`${peer.nodeId}:${id}`);
      try {
        return (await proofOf(remote.get(peer.nodeId)!, id, nonce)).proof;
      } catch (err) {
        // What the HTTP route answers for a blob the peer does not hold.
        if (!(err instanceof NotFoundError)) throw err;
        throw new TransportError("not_found", err.message, { retryable: false, status: 404 });
      }
    },
  } as unknown as Transport;
  // The family's other nodes, all reachable (the directory itself is tested with the log).
  const peers = {
    list: () => PEERS,
    get: (id: string) => PEERS.find((p) => p.nodeId === id),
    reachableIds: () => PEERS.map((p) => p.nodeId),
    transportFor: () => transport,
  } as unknown as PeerDirectory;
  const results: string[] = [];
  const repaired: string[] = [];
  const rounds = new ProofRounds({
    locations,
    blobs: counted,
    peers,
    now: () => clock,
    onResult: (blobId, nodeId, state) => results.push(`${state} ${nodeId}:${blobId}`),
    repair: (id) => {
      repaired.push(id);
      return Promise.resolve();
    },
    stopped: () => false,
  }, options);
  return {
    ids,
    local,
    remote,
    locations,
    rounds,
    read,
    asked,
    results,
    repaired,
    advance: (ms: number) => (clock += ms),
    now: () => clock,
    /** The oldest last proof over every copy; 0 while one was never proven. */
    oldestProof: () =>
      Math.min(...locations.perNode().map((r) => r.held === r.verified ? r.oldestProofAt! : 0)),
    async [Symbol.asyncDispose]() {
      db.close();
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    },
  };
}

Deno.test("Proof rounds are sized from the number of copies: all 600 are proven within the window, and stay so", async () => {
  // 300 blobs on two peers; every copy must be proven every 10 minutes, a round a minute.
  // A fixed batch of 20 a round would prove 200 in that time.
  await using f = await fixture(300, 1024, { intervalMs: MINUTE, windowMs: 10 * MINUTE });
  const plan = f.rounds.plan(600, 300 * 1024);
  assert.equal(plan.perRound, Math.ceil(600 / 9), "a pass in 90 % of the window");
  assert.ok(plan.passMs <= 10 * MINUTE, `a pass fits the window (${plan.passMs} ms)`);
  for (let minute = 0; minute < 9; minute++) {
    f.advance(MINUTE);
    await f.rounds.round();
  }
  assert.ok(f.oldestProof() > 0, "every copy proven after 9 rounds");
  const proven = f.results.filter((r) => r.startsWith("verified")).length;
  assert.ok(proven <= 9 * (plan.perRound + 1), `rounds keep to their size (${proven} proofs)`);
  // From then on no copy's last proof is ever older than the window.
  for (let minute = 0; minute < 25; minute++) {
    f.advance(MINUTE);
    await f.rounds.round();
    const age = f.now() - f.oldestProof();
    assert.ok(age <= 10 * MINUTE, `oldest proof ${age / MINUTE} min old after round ${minute}`);
  }
  assert.deepEqual(f.repaired, []);
});

Deno.test("A proof round reads at most its byte budget, and one read proves a blob on every peer", async () => {
  // 10 KiB blobs, 40 KiB a minute: four blobs a round, each proven on both peers (the
  // count alone, 24 copies in a pass of 108 s, would allow 14 copies, seven blobs).
  await using f = await fixture(12, 10 * 1024, {
    intervalMs: MINUTE,
    windowMs: 2 * MINUTE,
    bytesPerMinute: 40 * 1024,
  });
  f.advance(MINUTE);
  const r = await f.rounds.round();
  assert.equal(f.read.bytes, 40 * 1024, "four blobs read once each");
  assert.equal(r.bytes, f.read.bytes);
  assert.equal(r.verified, 8, "four blobs × two peers");
  assert.equal(new Set(f.asked.map((a) => a.split(":")[1])).size, 4);
  // 80 KiB at 40 KiB a round: two rounds, within the window; 120 KiB takes three, and the
  // plan says it is late.
  assert.equal(f.rounds.plan(24, 80 * 1024).passMs, 2 * MINUTE);
  assert.equal(f.rounds.plan(24, 120 * 1024).passMs, 3 * MINUTE);
});

Deno.test("A blob larger than a round's byte budget is still proven, alone in its round", async () => {
  await using f = await fixture(2, 64 * 1024, { intervalMs: MINUTE, bytesPerMinute: 1024 });
  f.advance(MINUTE);
  const r = await f.rounds.round();
  assert.equal(r.verified, 2, "one blob, on both peers");
  assert.equal(f.read.bytes, 64 * 1024);
});

Deno.test("A copy proven in the last half of the window is not proven again yet", async () => {
  await using f = await fixture(3, 1024, { intervalMs: MINUTE, windowMs: 10 * MINUTE });
  assert.equal(f.rounds.plan(6, 0).perRound, 1, "one copy a round would do");
  for (let i = 0; i < 3; i++) {
    f.advance(MINUTE);
    assert.equal((await f.rounds.round()).verified, 2, "one blob, both its copies");
  }
  f.advance(2 * MINUTE);
  assert.deepEqual(await f.rounds.round(), { verified: 0, lost: 0, bytes: 0 });
  f.advance(2 * MINUTE);
  assert.equal((await f.rounds.round()).verified, 2, "the first blob is due again");
});

Deno.test("A peer whose copy changed fails its proof; a rotten local copy accuses no one and is repaired", async () => {
  await using f = await fixture(2, 1024, { intervalMs: MINUTE, windowMs: MINUTE });
  const [good, rotten] = f.ids;
  // Pine lost `good`; this node's own copy of `rotten` flipped a byte.
  await f.remote.get("pine")!.delete(good);
  const path = `${f.local.root}/blobs/${rotten.slice(0, 2)}/${rotten.slice(2, 4)}/${rotten}`;
  const bytes = await Deno.readFile(path);
  bytes[100] ^= 0xff;
  await Deno.writeFile(path, bytes);
  f.advance(MINUTE);
  const r = await f.rounds.round();
  assert.deepEqual(f.repaired, [rotten]);
  assert.equal(r.lost, 1);
  assert.deepEqual(f.results.filter((x) => x.startsWith("lost")), [`lost pine:${good}`]);
  assert.deepEqual(f.locations.holders(good).map((l) => l.nodeId), ["cedar"]);
  assert.equal(f.locations.holders(rotten).filter((l) => l.verifiedAt).length, 0);
});
