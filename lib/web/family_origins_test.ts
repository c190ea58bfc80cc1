import assert from "node:assert/strict";
import { toBase64Url } from "../crypto/mod.ts";
import { json, setupFamily, signed } from "../../tests/_support/family.ts";
import { makeTestApp } from "../../tests/_support/test_app.ts";

Deno.test("Only the family's nodes may probe /health across origins, and pages may connect to them", async () => {
  await using t = await makeTestApp();
  await using other = await makeTestApp();
  const admin = await setupFamily(t);
  const pineOrigin = "http://127.0.0.1:9999";
  const pine = (removed: boolean) =>
    signed(t, admin, "node", other.nodeKey.nodeId, {
      publicKey: toBase64Url(other.nodeKey.publicKey),
      name: "Pine",
      url: pineOrigin,
      removed,
    });
  const health = (origin: string) => t.app.request("/health", { headers: { origin } });
  const csp = async () =>
    (await t.app.request("/", { headers: { accept: "text/html" } })).headers.get(
      "content-security-policy",
    ) ?? "";

  assert.equal((await health(pineOrigin)).headers.get("access-control-allow-origin"), null);
  assert.match(await csp(), /connect-src 'self';/);

  const added = await json(t, "/v1/records", {
    body: { records: [pine(false)] },
    cookie: admin.cookie,
  });
  assert.equal(added.status, 200);
  assert.equal((await health(pineOrigin)).headers.get("access-control-allow-origin"), pineOrigin);
  assert.equal(
    (await health("http://evil.example")).headers.get("access-control-allow-origin"),
    null,
  );
  assert.match(await csp(), new RegExp(`connect-src 'self' ${pineOrigin};`));

  // A removed node is no longer one of them.
  await json(t, "/v1/records", { body: { records: [pine(true)] }, cookie: admin.cookie });
  assert.equal((await health(pineOrigin)).headers.get("access-control-allow-origin"), null);
  assert.match(await csp(), /connect-src 'self';/);
});
