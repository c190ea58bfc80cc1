/**
 * Bad input at scale, on every route (issue #14 §3): requests drawn by fast-check against the
 * in-process node of tests/reliability/_world.ts — every route of the OpenAPI document
 * (`/v1` and `/internal/v1`) and every page, as every actor of the matrix (node actors sign
 * what they send, correctly or not, and sometimes replay), with path parameters that name
 * real objects or garbage, odd queries and headers, and bodies that are random JSON, the
 * route's own shape with fuzzed fields, batches of record-like objects (signed by the actor or
 * not, nested right up to and past the depth limit, with lone surrogates), raw bytes or text.
 *
 * What must hold for every case: no HTTP 500 (nor any 5xx but a pairing's 502 from an
 * unreachable node), no hang, and every error under `/v1` and `/internal` a JSON
 * `{ error: { code, message } }`. Findings are grouped by route, status and message.
 */

import fc from "fast-check";
import { blobDigest, contentDigest, signRequest } from "../../lib/net/signing.ts";
import { configureLogging } from "../../lib/core/log.ts";
import { signIn } from "../_support/family.ts";
import { documentedRoutes } from "./authz_matrix.ts";
import { cookieOf, isMember, signerOf, type World } from "./_world.ts";
import { bodyBytes, type Case, mixedArb } from "./_fuzz_cases.ts";

export interface FuzzRoutesReport {
  seed: number;
  cases: number;
  routes: number;
  /** Answers by class over all cases. */
  statuses: Record<string, number>;
  /** Per route: answers by status, so it shows how far the cases got. */
  byRoute: Record<string, Record<string, number>>;
  /** Distinct failures: "METHOD /route → what", with how often and the first case. */
  findings: { what: string; count: number; example: string }[];
}

const HANG_MS = 15_000;

/** Pages (routes/), as their paths with `{param}` for `[param]`. */
async function pageRoutes(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: URL, prefix: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(new URL(`${e.name}/`, dir), `${prefix}/${e.name}`);
      else if (/\.tsx$/.test(e.name) && !e.name.startsWith("_")) {
        const name = e.name.replace(/\.tsx$/, "").replace(/^\[(\w+)\]$/, "{$1}");
        out.push(`GET ${name === "index" ? prefix || "/" : `${prefix}/${name}`}`);
      }
    }
  };
  await walk(new URL("../../routes/", import.meta.url), "");
  return [...out, "GET /health", "GET /static/{path}", "GET /_islands/{path}"];
}

function pathOf(c: Case): string {
  let i = 0;
  const [, template] = c.route.split(" ");
  let path = template.replace(/\{(\w+)\}/g, () => {
    const p = String(c.params[i++ % c.params.length]).toWellFormed();
    // Mostly encoded as a client would; sometimes raw, broken escapes and all.
    return p.length % 7 === 0 ? p.replace(/[/?#\s]/g, "") : encodeURIComponent(p);
  });
  const q = new URLSearchParams(c.query).toString();
  if (q) path += `?${q}`;
  return path;
}

interface Answer {
  status: number;
  text: string;
  contentType: string;
}

let lastSigned: Record<string, string> | undefined;

async function play(w: World, c: Case): Promise<Answer> {
  const method = c.method ?? c.route.split(" ")[0];
  const path = pathOf(c);
  const bytes = method === "GET" || method === "HEAD" ? undefined : bodyBytes(w, c);
  const headers: Record<string, string> = { ...c.headers };
  const cookie = cookieOf(w, c.actor);
  if (cookie) headers.cookie = cookie;
  const signer = signerOf(w, c.actor);
  if (signer) {
    if (c.replay && lastSigned) Object.assign(headers, lastSigned);
    else {
      const blobPut = method === "PUT" && path.startsWith("/internal/v1/blobs/");
      const signed = await signRequest(signer, {
        method,
        target: c.goodSignature ? path : `${path}x`,
        to: w.t.nodeKey.nodeId,
        digest: blobPut
          ? blobDigest(/[0-9a-f]{64}/.exec(path)?.[0] ?? "0".repeat(64))
          : contentDigest(bytes ?? new Uint8Array(0)),
      }, { now: w.t.records.now() });
      lastSigned = signed;
      Object.assign(headers, signed);
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    const res = await Promise.race([
      Promise.resolve(w.t.app.request(`http://localhost${path}`, {
        method,
        headers,
        body: bytes as BodyInit | undefined,
      })),
      hang,
    ]);
    const contentType = res.headers.get("content-type") ?? "";
    if (contentType.includes("event-stream")) {
      await res.body?.cancel();
      return { status: res.status, text: "", contentType };
    }
    const text = await Promise.race([res.text(), hang]);
    return { status: res.status, text, contentType };
  } finally {
    clearTimeout(timer);
  }
}

/** What is wrong with an answer, if anything. */
function judge(c: Case, path: string, a: Answer): string | undefined {
  if (a.status >= 500) {
    let code = "";
    try {
      code = JSON.parse(a.text).error?.code ?? "";
    } catch { /* not JSON */ }
    if (!(a.status === 502 && code === "pairing_failed")) {
      return `HTTP ${a.status} ${a.text.slice(0, 160)}`;
    }
  }
  const api = /^\/(internal\/)?v1\//.test(path);
  const method = c.method ?? c.route.split(" ")[0];
  if (api && a.status >= 400 && method !== "HEAD") {
    if (!a.contentType.includes("application/json")) {
      return `error ${a.status} as ${a.contentType || "no content type"}`;
    }
    try {
      const e = JSON.parse(a.text).error;
      if (typeof e?.code !== "string" || typeof e?.message !== "string") {
        return `error ${a.status} without {error:{code,message}}: ${a.text.slice(0, 120)}`;
      }
    } catch {
      return `error ${a.status} that is not JSON: ${a.text.slice(0, 120)}`;
    }
  }
  return undefined;
}

/** Known ids for path parameters: objects that exist, so handlers get past "not found". */
function knownIds(w: World): string[] {
  const albums = Object.values(w.albums);
  const things = Object.values(w.members);
  return [
    ...albums.flatMap((a) => [a.album.id, a.photo.id, a.photo.original, a.photo.thumb]),
    ...things.flatMap((
      m,
    ) => [m.own.album.id, m.own.photo.id, m.complete.id, m.fresh.id, m.second.handle]),
    w.loose.id,
    "app.css",
  ];
}

export async function fuzzRoutes(
  w: World,
  options: { cases: number; seed: number; log?: (line: string) => void },
): Promise<FuzzRoutesReport> {
  const routes = [...await documentedRoutes(w.t.app), ...await pageRoutes()];
  const arb = mixedArb(routes, knownIds(w));
  const statuses: Record<string, number> = {};
  const byRoute: Record<string, Record<string, number>> = {};
  const findings = new Map<string, { count: number; example: string }>();
  const CHUNK = 500;
  let played = 0;
  // The node's own account of an unexpected error goes with the finding; its routine
  // warnings (thousands of refused requests) stay out of the output.
  let unhandled: string | undefined;
  const sink = configureLogging({
    sink: (r) => {
      if (r.msg === "Unhandled error") {
        unhandled = `${r.fields?.error}: ${String(r.fields?.message).slice(0, 120)}`;
      }
    },
  });
  for (let chunk = 0; played < options.cases; chunk++) {
    const cases = fc.sample(arb, {
      numRuns: Math.min(CHUNK, options.cases - played),
      seed: options.seed + chunk,
    });
    for (const c of cases) {
      played++;
      const path = pathOf(c);
      let what: string | undefined;
      unhandled = undefined;
      try {
        const a = await play(w, c);
        const cls = `${Math.floor(a.status / 100)}xx`;
        statuses[cls] = (statuses[cls] ?? 0) + 1;
        const r = (byRoute[c.route] ??= {});
        r[a.status] = (r[a.status] ?? 0) + 1;
        what = judge(c, path, a);
        if (what && unhandled) what = `${what.slice(0, 8)} — ${unhandled}`;
        // A case that ended the actor's session: she signs in again for the next ones.
        if (isMember(c.actor) && /logout|sessions/.test(path) && a.status < 300) {
          await signIn(w.t, w.members[c.actor].member);
        }
      } catch (err) {
        statuses.thrown = (statuses.thrown ?? 0) + 1;
        what = `threw ${(err as Error).message?.slice(0, 160)}`;
      }
      if (what) {
        const key = `${c.method ?? c.route.split(" ")[0]} ${c.route.split(" ")[1]} → ${
          what.replace(/[A-Za-z0-9_-]{16,}/g, "<id>").replace(/(\[0\]|\.a){3,}/g, "…")
        }`;
        const seen = findings.get(key);
        if (seen) seen.count++;
        else {
          findings.set(key, {
            count: 1,
            example: `${c.actor}: ${path.slice(0, 120)} ${describeBody(w, c).slice(0, 300)}`,
          });
        }
      }
    }
    if (chunk % 20 === 19) options.log?.(`  ${played} cases, ${findings.size} distinct findings`);
  }
  configureLogging({ sink });
  return {
    seed: options.seed,
    cases: played,
    routes: routes.length,
    statuses,
    byRoute,
    findings: [...findings].map(([what, f]) => ({ what, ...f })),
  };
}

function describeBody(w: World, c: Case): string {
  try {
    const bytes = bodyBytes(w, c);
    return bytes ? new TextDecoder().decode(bytes.slice(0, 300)) : "";
  } catch (err) {
    return `(${(err as Error).message})`;
  }
}
