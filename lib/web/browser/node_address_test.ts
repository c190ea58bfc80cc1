import assert from "node:assert/strict";
import { NodeUrl } from "../../core/node_kinds.ts";
import { nodeAddress } from "./node_address.ts";

Deno.test("A typed node address becomes the origin NodeUrl accepts, or a problem to show", () => {
  const cases: [string, string | undefined, RegExp?][] = [
    ["https://pine.example.org:8420", "https://pine.example.org:8420"],
    ["  https://pine.example.org:8420/  ", "https://pine.example.org:8420"],
    ["HTTP://LOCALHOST:8421", "http://localhost:8421"],
    ["https://nas.local:443", "https://nas.local"],
    ["http://[::1]:8420/", "http://[::1]:8420"],
    ["", undefined],
    ["   ", undefined],
    ["pine.example.org", undefined, /not an address: type it in full/],
    ["ftp://pine.example.org", undefined, /must start with https:\/\//],
    ["https://me:secret@pine.example.org", undefined, /user name and password/],
    [
      "https://pine.example.org/photos",
      undefined,
      /type only https:\/\/pine\.example\.org, no path/,
    ],
    ["https://pine.example.org/?a=1", undefined, /no path/],
    ["https://pine.example.org/#top", undefined, /no path/],
    [`https://${"a".repeat(300)}.org`, undefined, /too long/],
  ];
  for (const [input, url, problem] of cases) {
    const got = nodeAddress(input);
    if (problem) {
      assert.equal(got.ok, false, input);
      assert.match(got.ok ? "" : got.problem, problem, input);
    } else {
      assert.deepEqual(got, url === undefined ? { ok: true } : { ok: true, url }, input);
      // Whatever it accepts, the record schema accepts too.
      if (url) assert.ok(NodeUrl.safeParse(url).success, url);
    }
  }
});
