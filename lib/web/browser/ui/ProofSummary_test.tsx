import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import type { ProofStatus } from "../../../core/replication_view.ts";
import { ProofSummary } from "./ProofSummary.tsx";

const NOW = 1_800_000_000_000;
const HOUR = 3600_000;

const text = (proofs: ProofStatus) =>
  renderToString(<ProofSummary proofs={proofs} now={NOW} />).replace(/<[^>]+>/g, "");

const base: ProofStatus = {
  copies: 60_000,
  perRound: 47,
  intervalMs: 60_000,
  windowMs: 24 * HOUR,
  bytesPerMinute: 256 * 1024 ** 2,
  passMs: 22 * HOUR,
  fresh: 59_000,
  unproven: 1_000,
  oldestProofAt: NOW - 21 * HOUR,
};

Deno.test("The Nodes page says how many copies are proven, how many never were and the oldest proof", () => {
  const shown = text(base);
  assert.match(
    shown,
    /59000 of 60000 copies on the other nodes proven in the last 24 hours · 1000 not proven yet · oldest proof 21 hours ago/,
  );
  assert.match(shown, /A round every 1 minute proves up to 47 copies, reading at most 256 MiB/);
  assert.match(shown, /a full pass takes about 22 hours\./);
  assert.doesNotMatch(shown, /Raise/, "no warning while a pass fits the window");
});

Deno.test("The Nodes page says what to change when a pass takes longer than the window", () => {
  const shown = text({ ...base, passMs: 3 * 24 * HOUR, bytesPerMinute: 16 * 1024 ** 2 });
  assert.match(shown, /a full pass takes about 3 days\./);
  assert.match(shown, /takes longer than the 24 hours within which every copy should be proven/);
  assert.match(shown, /--rep-proof-mib-per-min/);
});

Deno.test("The Nodes page says when there is nothing to prove yet", () => {
  const shown = text({ ...base, copies: 0, fresh: 0, unproven: 0, oldestProofAt: undefined });
  assert.match(shown, /no copies on the other nodes to prove yet/);
});
