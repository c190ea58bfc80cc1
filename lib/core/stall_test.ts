import assert from "node:assert/strict";
import { StalledError } from "./errors.ts";
import { stallGuarded, StallTimer } from "./stall.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("StallTimer aborts its signal with StalledError only when progress stops", async () => {
  const timer = new StallTimer(300, "Push of blob x");
  for (let i = 0; i < 5; i++) {
    await sleep(100);
    timer.kick();
  }
  assert.equal(timer.signal.aborted, false, "kicked in time: still going");
  await new Promise((r) => timer.signal.addEventListener("abort", r));
  assert.ok(timer.signal.reason instanceof StalledError);
  assert.equal(timer.signal.reason.message, "Push of blob x made no progress for 300 ms");
});

Deno.test("StallTimer follows the outer signal, and clear() stops it", async () => {
  const outer = new AbortController();
  const timer = new StallTimer(30, "x", outer.signal);
  outer.abort(new Error("node stopping"));
  assert.equal((timer.signal.reason as Error).message, "node stopping");
  const quiet = new StallTimer(30, "y");
  quiet.clear();
  await sleep(60);
  assert.equal(quiet.signal.aborted, false);
});

Deno.test("stallGuarded() passes chunks through, fails a silent source and maps its errors", async () => {
  const chunks = [new Uint8Array([1]), new Uint8Array([2, 3])];
  const got: Uint8Array[] = [];
  for await (const c of stallGuarded(ReadableStream.from(chunks), 50, "body")) got.push(c);
  assert.deepEqual(got, chunks);

  let cancelled: unknown;
  const silent = new ReadableStream<Uint8Array>({
    pull: () => new Promise(() => {}),
    cancel: (r) => void (cancelled = r),
  });
  await assert.rejects(
    stallGuarded(silent, 30, "The PUT body").getReader().read(),
    (err) =>
      err instanceof StalledError && /The PUT body: no bytes arrived for 30 ms/.test(err.message),
  );
  assert.ok(cancelled instanceof StalledError);

  const broken = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("reset")) });
  await assert.rejects(
    stallGuarded(broken, 1000, "b", (e) => new RangeError(`mapped ${(e as Error).message}`))
      .getReader().read(),
    /mapped reset/,
  );
});
