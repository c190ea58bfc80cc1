import assert from "node:assert/strict";
import { ValidationError } from "../core/errors.ts";
import { assertBlobId, isBlobId } from "./blob_id.ts";

const GOOD = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Deno.test("isBlobId() accepts exactly 64 lowercase hex characters", () => {
  assert.equal(isBlobId(GOOD), true);
  assert.equal(isBlobId(GOOD.toUpperCase()), false);
  assert.equal(isBlobId(GOOD.slice(1)), false);
  assert.equal(isBlobId(GOOD + "0"), false);
  assert.equal(isBlobId(GOOD + "\n"), false);
  assert.equal(isBlobId(` ${GOOD.slice(1)}`), false);
  assert.equal(isBlobId(GOOD.slice(1) + "g"), false);
  assert.equal(isBlobId(undefined), false);
  assert.equal(isBlobId(42), false);
});

Deno.test("assertBlobId() names the problem without echoing a huge or binary id", () => {
  assert.throws(() => assertBlobId("a".repeat(10_000)), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.match(err.message, /10000 characters/);
    assert.ok(err.message.length < 200, err.message);
    return true;
  });
  assert.throws(() => assertBlobId("a\0b", "list cursor"), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.match(err.message, /^Invalid list cursor/);
    assert.ok(!err.message.includes("\0"));
    return true;
  });
  assert.throws(() => assertBlobId(null), ValidationError);
});
