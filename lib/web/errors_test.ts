import assert from "node:assert/strict";
import { Hono } from "hono";
import { StorageFullError } from "../core/errors.ts";
import { bodyFailure, handleError } from "./errors.ts";

/** What Deno and node:sqlite throw when the disk is full. */
const ENOSPC = Object.assign(new Error("No space left on device (os error 28)"), {
  code: "ENOSPC",
});
const SQLITE_FULL = Object.assign(new Error("database or disk is full"), {
  code: "ERR_SQLITE_ERROR",
  errcode: 13,
});

Deno.test("A write refused for lack of space is 507 insufficient_storage, not an interrupted upload or a 500", async () => {
  assert.ok(bodyFailure(ENOSPC, "Blob upload") instanceof StorageFullError);
  assert.ok(
    bodyFailure(
      new Error("Cannot write the blob to disk", { cause: ENOSPC }),
      "Blob upload",
    ) instanceof
      StorageFullError,
  );
  const app = new Hono();
  app.onError(handleError);
  app.get("/sqlite", () => {
    throw SQLITE_FULL;
  });
  app.get("/direct", () => {
    // The direct I/O thread hands back only a message.
    throw new Error("Cannot write the blob to disk: ENOSPC: no space left on device, write");
  });
  for (const path of ["/sqlite", "/direct"]) {
    const res = await app.request(path);
    assert.equal(res.status, 507, path);
    const body = await res.json();
    assert.equal(body.error.code, "insufficient_storage");
    assert.match(body.error.message, /disk is full.*Free space/);
  }
  // Other failures are unchanged.
  assert.equal(
    bodyFailure(new Error("connection reset"), "Blob upload").code,
    "upload_interrupted",
  );
});
