import assert from "node:assert/strict";
import { DiskSpace } from "./disk_space.ts";

const ENOSPC = Object.assign(new Error("No space left on device (os error 28)"), {
  code: "ENOSPC",
});

Deno.test("DiskSpace pauses on a refused write and ends the pause once there is room again, not before the recheck time", () => {
  let now = 1_000;
  let free = 0;
  let changes = 0;
  const disk = new DiskSpace({ freeBytes: () => free, now: () => now, onChange: () => changes++ }, {
    roomBytes: 100,
    recheckMs: 50,
  });
  // A getter read through a function: assertions would otherwise narrow its type.
  const full = () => disk.full;
  assert.equal(disk.refused(new Error("connection reset")), false, "other errors are not a pause");
  assert.equal(full(), undefined);
  assert.equal(disk.refused(ENOSPC), true);
  assert.deepEqual(full()?.since, 1_000);
  assert.match(full()!.message, /disk is full/);
  assert.equal(changes, 1);
  free = 1_000;
  now += 10;
  assert.ok(full(), "room is looked at only after the recheck time");
  now += 50;
  assert.equal(full(), undefined, "room again: the pause ends by itself");
  assert.equal(changes, 2);
  free = 10;
  disk.refused(ENOSPC);
  now += 100;
  assert.ok(full(), "too little room: still paused");
  disk.wrote();
  assert.equal(full(), undefined, "a write that succeeded ends it too");
});
