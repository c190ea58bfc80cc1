/**
 * Issue #10 §6, "Done when": a family set up, paired and joined through real node processes
 * (the demo's own steps, demo.ts) leaves no family or member name readable in any node's data
 * directory — `index.db`, its `-wal` and `-shm`, the blobs, anything else there — in UTF-8 or
 * UTF-16; and a session keeps no browser's User-Agent string. Node names stay readable (nodes
 * need them): finding them proves the search reads what the nodes wrote, WAL included.
 */

import assert from "node:assert/strict";
import { createFamily, pairNode, signIn } from "../../demo.ts";
import { loginMessage, sign, toBase64Url } from "../../lib/crypto/mod.ts";
import type { FamilyResponse } from "../../lib/web/browser/api_types.ts";
import { openFamilyNames } from "../../lib/web/browser/family_keys.ts";
import { needles, occurrences } from "../_support/name_search.ts";
import { rigTest } from "../_support/rig.ts";
import { addMember, FAST_ENV, getJson, waitFor } from "./replication_cluster.ts";

const FAMILY = "Okonkwo-Lindqvist Household";
const FOUNDER = "Zebediah Quarrington";
const MEMBERS = ["Ngozi Ålander", "Þórunn 🌻 Vasquez"];
const NODE_NAMES = ["Oakhollow-NAS", "Pinecrest-Attic"];
/** A whole User-Agent string; its version must not reach a disk. */
const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " +
  "Chrome/131.0.6778.85 Safari/537.36";

rigTest(
  "A family set up through real nodes leaves no family or member name, nor a User-Agent, " +
    "in any node's index.db, WAL, -shm or blobs",
  async (rig) => {
    const nodes = await Promise.all(
      // No WAL checkpoint on stop is relied on: the files are read while the nodes run.
      NODE_NAMES.map(() => rig.node({ env: FAST_ENV })),
    );
    const [oak, pine] = nodes;
    // The demo's setup: the founder's records signed as the setup page signs them.
    const founder = await createFamily(
      { url: oak.url, setupCode: oak.setupCode! },
      { family: FAMILY, founder: FOUNDER, node: NODE_NAMES[0] },
    );
    await pairNode(
      founder,
      oak.url,
      { url: pine.url, setupCode: pine.setupCode! },
      NODE_NAMES[1],
    );
    // Two people join through invites (one of them on the other node), as the join page does.
    const first = await addMember(founder, oak.url, MEMBERS[0], "admin");
    await waitFor("the new admin on Pine", () => signIn(first, pine.url).then(() => true));
    const second = await addMember(first, pine.url, MEMBERS[1]);
    // A browser signs in with its whole User-Agent string.
    const ch = await (await fetch(`${pine.url}/v1/auth/challenge`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    })).json();
    const signature = sign(
      loginMessage({ origin: pine.url, nodeId: ch.nodeId, challenge: ch.challenge }),
      second.signingSecretKey,
    );
    const signedIn = await fetch(`${pine.url}/v1/auth/verify`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": UA },
      body: JSON.stringify({
        member: second.key,
        challenge: ch.challenge,
        signature: toBase64Url(signature),
      }),
    });
    assert.equal(signedIn.status, 200, await signedIn.text());

    // Both nodes hold every member, and a member's browser reads every name on either.
    for (const node of nodes) {
      const names = await waitFor(`all names on ${node.url}`, async () => {
        const answer = await getJson<FamilyResponse>(second, node.url, "/v1/family");
        const opened = await openFamilyNames(answer, second.x25519SecretKey);
        return opened.members.size === 3 && opened;
      });
      assert.equal(names.family, FAMILY);
      assert.deepEqual(
        [...names.members.values()].sort(),
        [FOUNDER, ...MEMBERS].sort(),
      );
    }

    const names = needles([FAMILY, FOUNDER, ...MEMBERS]);
    const { found, files } = await occurrences(nodes.map((n) => n.dataDir), [
      ...names,
      { label: "the User-Agent's version", bytes: new TextEncoder().encode("6778.85") },
      { label: "the User-Agent's prefix", bytes: new TextEncoder().encode("Mozilla/5.0") },
    ]);
    assert.ok(files.some((f) => f === "index.db-wal"), `a WAL was searched: ${files}`);
    assert.deepEqual(found, [], "no name is readable on any node");
    // What nodes may read, they can: the search finds it (in UTF-8) where it was written.
    const control = await occurrences(nodes.map((n) => n.dataDir), needles(NODE_NAMES));
    for (const n of NODE_NAMES) {
      assert.ok(control.found.some((f) => f.startsWith(`${n} (UTF-8) in `)), n);
    }
    // The device list shows the coarse label.
    const session = await getJson<{ sessions: { device: string; current: boolean }[] }>(
      second,
      pine.url,
      "/v1/session",
    );
    assert.ok(session.sessions.some((s) => s.device === "Chrome on Linux"));

    // And after the nodes stopped (their WAL checkpointed into index.db).
    await Promise.all(nodes.map((n) => n.stop()));
    assert.deepEqual((await occurrences(nodes.map((n) => n.dataDir), names)).found, []);
  },
);
