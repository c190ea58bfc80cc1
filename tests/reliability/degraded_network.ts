/**
 * Replication over a degraded network (issue #14 §5): two real nodes whose node records point
 * at a {@link ChaosProxy} each, so everything they say to each other crosses a proxy that
 * delays, stalls, drops, truncates and resets connections at random. Clients upload to both
 * nodes directly (blob sizes around every buffer edge, past 8 MiB too, where blobs are pulled
 * rather than pushed) and write records; the nodes must end with the same records and the
 * same blobs — none missing, none extra, each hashing to its id — within a bound.
 */

import { call, editNode, headsAt, signIn } from "../../demo.ts";
import {
  blobFiles,
  cookieOn,
  createAlbum,
  getJson,
  recordsOf,
  startCluster,
  uploadPhoto,
} from "../integration/replication_cluster.ts";
import { ChaosProxy, type ChaosStats } from "./_chaos_proxy.ts";
import { BlobVerifier, drawSize, inviteRecords, Rng, sha256Hex, uniqueBytes } from "./_support.ts";

export interface DegradedOptions {
  seed: number;
  /** Blobs uploaded, spread over both nodes. */
  blobs: number;
  /** Records written, spread over both nodes. */
  records: number;
  /** @default 240_000 */
  boundMs?: number;
  log?: (line: string) => void;
}

export interface DegradedReport {
  seed: number;
  blobs: number;
  blobBytes: number;
  records: number;
  convergedMs?: number;
  proxies: ChaosStats[];
  missing: number;
  extra: number;
  corrupt: number;
  recordsDiffering: number;
  findings: string[];
}

export async function runDegradedNetwork(options: DegradedOptions): Promise<DegradedReport> {
  const log = options.log ?? console.log;
  const rng = new Rng(options.seed);
  const findings: string[] = [];
  // Each node is reached through its proxy, and says so (--public-url): a node answers only
  // at its own origins, and the proxy passes the Host header through as it is.
  const proxies = [ChaosProxy.start(0, rng), ChaosProxy.start(0, rng)];
  await using c = await startCluster(
    ["Oak", "Pine"],
    { P2POS_STALL_TIMEOUT_SECS: "3" },
    proxies.map((p) => ({ P2POS_PUBLIC_URL: p.url })),
    { started: (nodes) => nodes.forEach((n, i) => (proxies[i].targetPort = n.port)) },
  );
  const [oak, pine] = c.nodes;
  // Signing in names the node's origin, its public URL: done through the proxy while it is
  // calm; the clients then use the session on the node's own address.
  for (const [i, n] of c.nodes.entries()) {
    if (!c.admin.cookies.has(n.url)) {
      c.admin.cookies.set(n.url, await signIn(c.admin, proxies[i].url));
    }
  }
  try {
    // Every node-to-node request now goes through a proxy: the nodes find each other by the
    // URLs in their node records.
    await editNode(c.admin, oak.url, oak.nodeId, { url: proxies[0].url });
    await editNode(c.admin, oak.url, pine.nodeId, { url: proxies[1].url });
    const urls = async (url: string) => {
      const n = await getJson<{ peers: { url: string }[] }>(c.admin, url, "/v1/nodes");
      return n.peers.map((p) => p.url);
    };
    const deadline = Date.now() + 30_000;
    while (
      !(await urls(pine.url)).includes(proxies[0].url) ||
      !(await urls(oak.url)).includes(proxies[1].url)
    ) {
      if (Date.now() > deadline) throw new Error("the nodes did not learn the proxies' URLs");
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const p of proxies) p.chaos = true;

    // The clients' work, on both nodes directly.
    const uploaded = new Map<string, number>();
    const written = new Set<string>();
    const album = await createAlbum(c.admin, oak.url);
    let bytes = 0;
    for (let i = 0; i < options.blobs; i++) {
      const node = c.nodes[i % 2];
      const size = drawSize(rng);
      const blob = uniqueBytes(size);
      const id = await sha256Hex(blob);
      const res = await fetch(`${node.url}/v1/blobs/${id}`, {
        method: "PUT",
        headers: { cookie: await cookieOn(c.admin, node.url) },
        body: blob,
      });
      await res.body?.cancel();
      if (res.status !== 201) findings.push(`upload ${i} to ${node.url}: HTTP ${res.status}`);
      uploaded.set(id, size);
      bytes += size;
    }
    for (let i = 0; i < options.records; i++) {
      const node = c.nodes[i % 2];
      if (i % 5 === 4) {
        const photo = await uploadPhoto(c.admin, node.url, album, rng.int(1_000, 50_000));
        photo.blobs.forEach((id) => uploaded.set(id, -1));
        written.add(`photo/${photo.id}`);
      } else {
        const [record] = inviteRecords(c.admin, await headsAt(c.admin, node.url));
        const res = await call(
          `${node.url}/v1/records`,
          "POST",
          { records: [record] },
          await cookieOn(c.admin, node.url),
        );
        await res.body?.cancel();
        if (res.status !== 200) findings.push(`record ${i}: HTTP ${res.status}`);
        written.add(`invite/${record.id}`);
      }
    }
    log(`uploaded ${uploaded.size} blobs (${bytes} bytes) and ${written.size} records`);

    // Replication completes through the chaos.
    const started = performance.now();
    const bound = options.boundMs ?? 240_000;
    let convergedMs: number | undefined;
    let lastLog = started;
    while (performance.now() - started < bound) {
      const [a, b] = await Promise.all([blobFiles(oak.dataDir), blobFiles(pine.dataDir)]);
      const ra = recordsOf(oak.dataDir);
      const rb = recordsOf(pine.dataDir);
      const blobsDone = [...uploaded.keys()].every((id) => a.has(id) && b.has(id));
      const recordsDone = [...written].every((k) => ra.has(k) && rb.has(k)) &&
        ra.size === rb.size;
      if (blobsDone && recordsDone) {
        convergedMs = Math.round(performance.now() - started);
        break;
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        const left = [...uploaded.keys()].filter((id) => !a.has(id) || !b.has(id)).length;
        log(`  ${left} blobs still to cross; ${proxies.map((p) => JSON.stringify(p.stats.fates))}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (convergedMs === undefined) findings.push(`replication did not complete within ${bound} ms`);

    // The end state, whatever happened: nothing missing, nothing extra, nothing corrupt.
    const verifier = new BlobVerifier();
    let missing = 0;
    let extra = 0;
    let corrupt = 0;
    for (const n of c.nodes) {
      const files = await blobFiles(n.dataDir);
      missing += [...uploaded.keys()].filter((id) => !files.has(id)).length;
      extra += [...files.keys()].filter((id) => !uploaded.has(id)).length;
      corrupt += (await verifier.bad(n.dataDir, files.keys())).length;
      for (const [id, size] of uploaded) {
        if (size >= 0 && files.has(id) && files.get(id) !== size) corrupt++;
      }
    }
    const ra = recordsOf(oak.dataDir);
    const rb = recordsOf(pine.dataDir);
    const recordsDiffering = [...ra].filter(([k, s]) => rb.get(k) !== s).length +
      [...rb].filter(([k]) => !ra.has(k)).length;
    if (missing) findings.push(`${missing} blobs missing`);
    if (extra) findings.push(`${extra} blobs nobody uploaded`);
    if (corrupt) findings.push(`${corrupt} blobs corrupt`);
    if (recordsDiffering) findings.push(`${recordsDiffering} records differ between the nodes`);
    for (const [i, n] of c.nodes.entries()) {
      for (const line of n.output().split("\n")) {
        if (/Unhandled error|ERROR/.test(line)) {
          findings.push(`${["Oak", "Pine"][i]} logged: ${line.slice(0, 300)}`);
        }
      }
    }
    return {
      seed: options.seed,
      blobs: uploaded.size,
      blobBytes: bytes,
      records: written.size,
      convergedMs,
      proxies: proxies.map((p) => structuredClone(p.stats)),
      missing,
      extra,
      corrupt,
      recordsDiffering,
      findings,
    };
  } finally {
    await Promise.all(proxies.map((p) => p.stop()));
  }
}
