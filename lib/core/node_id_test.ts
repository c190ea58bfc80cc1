import assert from "node:assert/strict";
import { luhn32, nodeIdFromDigest, nodeIdFromPublicKey, parseNodeId } from "./node_id.ts";

Deno.test("nodeIdFromDigest() makes eight dash-separated groups of seven base32 characters", () => {
  const id = nodeIdFromDigest(new Uint8Array(32).fill(0xab));
  assert.match(id, /^([A-Z2-7]{7}-){7}[A-Z2-7]{7}$/);
});

Deno.test("luhn32() matches Syncthing's check character algorithm", () => {
  // Syncthing's luhn_test.go: luhnBase32.generate("AB725E4GHIQPL3ZFGT") == 'G'.
  assert.equal(luhn32("AB725E4GHIQPL3ZFGT"), "G");
});

Deno.test("parseNodeId() accepts any case and spacing, and catches a mistyped character", async () => {
  const id = await nodeIdFromPublicKey(new Uint8Array(32).fill(7));
  assert.equal(parseNodeId(id.toLowerCase().replace(/-/g, " ")), id);
  const chars = id.replace(/-/g, "").split("");
  chars[3] = chars[3] === "A" ? "B" : "A";
  assert.throws(() => parseNodeId(chars.join("")), /check character 1 does not match/);
  assert.throws(() => parseNodeId(id.slice(0, 20)), /56 characters/);
});

Deno.test("nodeIdFromPublicKey() rejects keys that are not 32 bytes", async () => {
  await assert.rejects(() => nodeIdFromPublicKey(new Uint8Array(31)), /expected 32 bytes, got 31/);
});
