import assert from "node:assert/strict";
import {
  fetchFamilyNodes,
  findHealthyNode,
  loadFamilyNodes,
  movedFrom,
  movedUrl,
  saveFamilyNodes,
} from "./family_nodes.ts";

const oak = { nodeId: "OAK", name: "Oak", url: "http://127.0.0.1:1001" };
const pine = { nodeId: "PINE", name: "Pine", url: "http://127.0.0.1:1002" };
const cedar = { nodeId: "CEDAR", name: "Cedar", url: "http://127.0.0.1:1003" };

Deno.test("The family's node addresses are kept per origin and read back; junk reads as none", () => {
  const store = new Map<string, string>();
  const storage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
  };
  assert.equal(loadFamilyNodes(storage), undefined);
  saveFamilyNodes({ self: oak, others: [pine], savedAt: 1 }, storage);
  assert.deepEqual(loadFamilyNodes(storage)?.others, [pine]);
  store.set("p2pos:family-nodes", "{not json");
  assert.equal(loadFamilyNodes(storage), undefined);
});

Deno.test("Only nodes with an http(s) address are candidates; addresses become origins", async () => {
  // deno-lint-ignore require-await
  const call = (async () => ({
    self: { nodeId: "OAK", name: "Oak", url: "http://127.0.0.1:1001/" },
    peers: [
      { nodeId: "PINE", name: "Pine", url: "http://127.0.0.1:1002/some/path" },
      { nodeId: "NAT", name: "Behind NAT" },
      { nodeId: "BAD", name: "Bad", url: "javascript:alert(1)" },
    ],
  })) as never;
  const nodes = await fetchFamilyNodes(call, () => 5);
  assert.deepEqual(nodes, { self: oak, others: [pine], savedAt: 5 });
});

Deno.test("The first family node whose /health answers is chosen; none when none answers", async () => {
  const alive = new Set([cedar.url]);
  const calls: string[] = [];
  // deno-lint-ignore require-await
  const fakeFetch = (async (input: string) => {
    calls.push(input);
    const origin = new URL(input).origin;
    if (!alive.has(origin)) throw new TypeError("connection refused");
    return new Response(JSON.stringify({ status: "ok" }));
  }) as typeof fetch;
  assert.deepEqual(await findHealthyNode([pine, cedar], { fetch: fakeFetch }), cedar);
  assert.deepEqual(calls.sort(), [`${pine.url}/health`, `${cedar.url}/health`]);
  alive.clear();
  assert.equal(await findHealthyNode([pine, cedar], { fetch: fakeFetch }), undefined);
  assert.equal(await findHealthyNode([], { fetch: fakeFetch }), undefined);
});

Deno.test("Moving keeps the page (path, query, photo) and says where it came from", () => {
  const here = new URL("http://127.0.0.1:1001/albums/abc?x=1#photo=AAAAAAAAAAAAAAAAAAAAAA");
  const moved = movedUrl(pine, "Oak", here);
  assert.equal(moved, "http://127.0.0.1:1002/albums/abc?x=1&from=Oak#photo=AAAAAAAAAAAAAAAAAAAAAA");
  assert.equal(movedFrom(new URL(moved)), "Oak");
  const signIn = new URL(
    `http://127.0.0.1:1002/?next=${encodeURIComponent("/albums/abc?from=Oak")}`,
  );
  assert.equal(movedFrom(signIn), "Oak");
  assert.equal(movedFrom(new URL("http://127.0.0.1:1002/?next=/albums")), undefined);
});
