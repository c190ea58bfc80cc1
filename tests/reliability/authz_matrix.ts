/**
 * The authorization matrix (issue #14 §4): every route of the node's OpenAPI document
 * (generated from the app's routes, `/v1` and `/internal/v1`) × every actor × every object it takes,
 * against the family of tests/reliability/_world.ts. Each route has a spec here: the objects
 * it is tried on, who should be allowed, and how to tell that a request was allowed (a 2xx,
 * and for writes that the change was stored). A route of the document without a spec, or a
 * spec without a route, fails the matrix: a new route cannot be left out.
 *
 * Besides allow/deny, the matrix checks that no answer tells someone without access whether an
 * object exists or how big it is: a denied request for a hidden object (unshared, trashed,
 * purged) must be answered exactly as one for an object that does not exist (ids aside).
 */

import { openApiDocument } from "../../lib/web/api/openapi.ts";
import type { TestApp } from "../_support/test_app.ts";
import { type Actor, ACTORS, buildWorld, type World } from "./_world.ts";
import { type Ctx, type Obj, ok, type Reply, sees, type Spec } from "./_matrix_requests.ts";
import { V1_SPECS } from "./_matrix_specs.ts";
import { NODE_SPECS, VARIANTS } from "./_matrix_node_specs.ts";

/** Every route's spec: `/v1` and node-to-node. */
export const SPECS: Record<string, Spec> = { ...V1_SPECS, ...NODE_SPECS };

export interface MatrixReport {
  routes: number;
  variants: number;
  actors: number;
  cells: number;
  allowed: number;
  denied: number;
  unexpectedAllows: string[];
  unexpectedDenies: string[];
  oracles: string[];
  leaks: string[];
  publicDiffers: string[];
  unspecified: string[];
}

/** The routes the OpenAPI document of `app` describes, as "METHOD /path". */
export async function documentedRoutes(app: TestApp["app"]): Promise<string[]> {
  const doc = await openApiDocument(app);
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)
  );
}

/** Plays every cell; `w` is the world (reads run on it, writes on copies of it). */
export async function runMatrix(w: World): Promise<MatrixReport> {
  const routes = await documentedRoutes(w.t.app);
  const unspecified = [
    ...routes.filter((r) => !SPECS[r]).map((r) =>
      `${r}: in the OpenAPI document, not in the matrix`
    ),
    ...Object.keys(SPECS).filter((r) => !routes.includes(r)).map((r) =>
      `${r}: in the matrix, not in the OpenAPI document`
    ),
  ];
  const report: MatrixReport = {
    routes: routes.length,
    variants: Object.keys(VARIANTS).length,
    actors: ACTORS.length,
    cells: 0,
    allowed: 0,
    denied: 0,
    unexpectedAllows: [],
    unexpectedDenies: [],
    oracles: [],
    leaks: [],
    publicDiffers: [],
    unspecified,
  };
  const all: [string, Spec][] = [...Object.entries(SPECS), ...Object.entries(VARIANTS)];
  let copy: TestApp | undefined;
  const dropCopy = async () => {
    await copy?.[Symbol.asyncDispose]();
    copy = undefined;
  };
  try {
    for (const [name, spec] of all) {
      const publicAnswers = new Map<number, Actor[]>();
      for (const actor of ACTORS) {
        const answers = new Map<Obj, Reply & { allowed: boolean }>();
        for (const object of spec.objects) {
          const t = spec.read ? w.t : (copy ??= await w.copy());
          const c: Ctx = { w, t, actor, object };
          const { reply, allowed } = await spec.run(c);
          report.cells++;
          allowed ? report.allowed++ : report.denied++;
          answers.set(object, { ...reply, allowed });
          const where = `${name} as ${actor}${object === "—" ? "" : ` on ${object}`}`;
          if (reply.status >= 500 && reply.json?.error?.code !== "pairing_failed") {
            report.leaks.push(`${where}: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
          }
          const expected = spec.expect(actor, object);
          if (expected === "public") {
            publicAnswers.set(reply.status, [...(publicAnswers.get(reply.status) ?? []), actor]);
          } else if (allowed && !expected) {
            report.unexpectedAllows.push(`${where}: allowed (HTTP ${reply.status})`);
          } else if (!allowed && expected) {
            report.unexpectedDenies.push(
              `${where}: denied (HTTP ${reply.status} ${reply.text.slice(0, 160)})`,
            );
          }
          const leak = await spec.leak?.(c, reply);
          if (leak) report.leaks.push(`${where}: ${leak}`);
          // A write that went through changed the copy: the next cell gets a fresh one.
          if (!spec.read && (ok(reply) || allowed)) await dropCopy();
        }
        report.oracles.push(
          ...existenceOracles(w, name, actor, answers, (o) => sees(actor, o)),
        );
      }
      if (publicAnswers.size > 1) {
        report.publicDiffers.push(
          `${name}: ${[...publicAnswers].map(([s, a]) => `${s} for ${a.join(", ")}`).join("; ")}`,
        );
      }
      await dropCopy();
    }
  } finally {
    await dropCopy();
  }
  return report;
}

/**
 * A hidden object (one the actor may not see) must be answered exactly as a missing one: same
 * status, same error code, same message once ids are set aside, and no byte count.
 */
function existenceOracles(
  w: World,
  route: string,
  actor: Actor,
  answers: Map<Obj, Reply & { allowed: boolean }>,
  visible: (o: Obj) => boolean,
): string[] {
  const missing = answers.get("missing");
  if (!missing || missing.allowed) return [];
  const ids = [
    ...Object.values(w.missing),
    ...Object.values(w.albums).flatMap((a) => [a.album.id, a.photo.id, a.photo.original]),
    ...Object.values(w.members).flatMap((m) => [
      m.own.album.id,
      m.own.photo.id,
      m.own.photo.original,
      m.complete.id,
      m.fresh.id,
      m.second.handle,
    ]),
  ];
  const shape = (r: Reply) => {
    let text = r.json?.error
      ? `${r.json.error.code}: ${r.json.error.message}`
      : Object.keys(r.json ?? {}).sort().join(",");
    for (const id of ids) text = text.replaceAll(id, "<id>");
    // The id of the record the cell made up is new each time: it tells nothing.
    text = text.replace(/\((\w+) [A-Za-z0-9_.-]+\)/g, "($1 <new>)");
    return `${r.status} ${text}`;
  };
  const out: string[] = [];
  for (const [object, answer] of answers) {
    // What she may see, she may be told about; what she may not, must look like nothing.
    if (object === "missing" || object === "own" || answer.allowed || visible(object)) continue;
    if (shape(answer) !== shape(missing)) {
      out.push(
        `${route} as ${actor}: a ${object} object is answered "${shape(answer).slice(0, 160)}", ` +
          `a missing one "${shape(missing).slice(0, 160)}"`,
      );
    }
    const sizes = [...w.blobBytes.values()].map((b) => b.length).filter((n) => n > 99);
    const said = answer.json?.error?.message ?? "";
    if (sizes.some((n) => new RegExp(`\\b${n}\\b`).test(said))) {
      out.push(`${route} as ${actor}: the answer for a ${object} object names a blob's size`);
    }
  }
  return out;
}

export { buildWorld };
