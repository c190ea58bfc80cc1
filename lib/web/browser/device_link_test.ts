import assert from "node:assert/strict";
import { inviteAndJoin, json, setupFamily } from "../../../tests/_support/family.ts";
import { makeTestApp } from "../../../tests/_support/test_app.ts";
import {
  formatLinkCode,
  linkLookup,
  newLinkSecret,
  openLink,
  parseLinkCode,
  sealLink,
} from "./device_link.ts";

Deno.test("A link code round-trips however it is typed, and says what is wrong with a bad one", () => {
  for (let i = 0; i < 50; i++) {
    const secret = newLinkSecret();
    const code = formatLinkCode(secret);
    assert.match(code, /^([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{2}$/);
    assert.deepEqual(parseLinkCode(code), secret);
    assert.deepEqual(parseLinkCode(code.toLowerCase().replaceAll("-", " ")), secret);
  }
  const code = formatLinkCode(new Uint8Array(16).fill(0xff));
  assert.deepEqual(parseLinkCode(code.replace(/1/g, "l")), new Uint8Array(16).fill(0xff));
  assert.throws(() => parseLinkCode("ABCD"), /has 26 letters and digits; this one has 4/);
  assert.throws(() => parseLinkCode("U".repeat(26)), /"U" cannot be part of a link code/);
});

Deno.test("A sealed link opens only with its own secret; the lookup is not the secret", async () => {
  const secret = newLinkSecret();
  const payload = {
    v: 1 as const,
    seed: "c2VlZA",
    memberKey: "k",
    name: "Ada",
    familyName: "River",
  };
  const sealed = await sealLink(secret, payload);
  assert.deepEqual(await openLink(secret, sealed), payload);
  await assert.rejects(openLink(newLinkSecret(), sealed));
  assert.match(linkLookup(secret), /^[0-9a-f]{64}$/);
  assert.ok(!sealed.includes("Ada"));
});

Deno.test("Device links: left by a signed-in member, fetched once without a session, then gone", async () => {
  await using t = await makeTestApp();
  const ada = await setupFamily(t);
  const ben = await inviteAndJoin(t, ada, "Ben");
  const lookup = "ab".repeat(32);
  const leave = (cookie?: string) =>
    json(t, "/v1/device-links", { body: { lookup, sealed: "AAAA" }, cookie });
  assert.equal((await leave()).status, 401, "a session is needed to leave one");
  assert.equal((await leave(ada.cookie)).status, 201);
  const status = (cookie: string) =>
    t.app.request(`/v1/device-links/${lookup}`, { headers: { cookie } });
  assert.equal((await status(ada.cookie!)).status, 200);
  assert.equal((await status(ben.cookie!)).status, 404, "only its maker sees it waiting");

  const claim = () => json(t, "/v1/device-links/claim", { body: { lookup } });
  const first = await claim();
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { sealed: "AAAA" });
  assert.equal((await claim()).status, 404, "single use");
  assert.equal((await status(ada.cookie!)).status, 404);

  // Expired after 10 minutes.
  await leave(ada.cookie);
  t.advance(10 * 60_000 + 1);
  assert.equal((await claim()).status, 404);
  // Guessing is cut off: 20 wrong lookups a minute.
  for (let i = 0; i < 19; i++) assert.equal((await claim()).status, 404);
  assert.equal((await claim()).status, 429);
});
