import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { fromBase64Url } from "../crypto/mod.ts";
import { loadOrCreateNodeKey } from "./node_key.ts";

Deno.test("The node key signs with WebCrypto exactly as RFC 8032 (@noble) does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-key-" });
  try {
    const path = `${dir}/node.key`;
    const { key, created } = await loadOrCreateNodeKey(path);
    assert.equal(created, true);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const seed = fromBase64Url((await Deno.readTextFile(path)).trim().split("\n")[1]);
    for (const text of ["", "p2pos-request-v1\nGET\n/internal/v1/hello", "x".repeat(10_000)]) {
      const message = new TextEncoder().encode(text);
      const signature = await key.sign(message);
      assert.deepEqual(signature, ed25519.sign(message, seed));
      assert.ok(ed25519.verify(signature, message, key.publicKey));
    }
    const again = await loadOrCreateNodeKey(path);
    assert.equal(again.created, false);
    assert.equal(again.key.nodeId, key.nodeId);
    assert.deepEqual(again.key.publicKey, key.publicKey);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("A damaged node key stops the node with a message naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-key-" });
  try {
    const path = `${dir}/node.key`;
    for (
      const [body, why] of [["abc$def", /damaged: Cannot decode base64url/], [
        "AAAA",
        /holds 3 bytes/,
      ]]
    ) {
      await Deno.writeTextFile(path, `p2pos-node-key-v1\n${body}\n`, { mode: 0o600 });
      await Deno.chmod(path, 0o600);
      await assert.rejects(loadOrCreateNodeKey(path), (err: Error) => {
        assert.equal(err.name, "IntegrityError");
        assert.match(err.message, new RegExp(`Node key ${path}`));
        assert.match(err.message, why as RegExp);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
