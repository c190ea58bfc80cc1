import assert from "node:assert/strict";
import { insecureContext } from "./secure_context.ts";
import { safeNext } from "./session.ts";
import { formatSetupCode, isCompleteSetupCode } from "./setup_code.ts";
import { describeUserAgent, spanOf, timeAgo, timeLeft } from "./user_agent.ts";
import { choosePositions } from "./ui/ConfirmWords.tsx";

Deno.test("formatSetupCode() groups what people type and drops look-alike characters", () => {
  assert.equal(formatSetupCode("abcd efgh jkmn"), "ABCD-EFGH-JKMN");
  assert.equal(formatSetupCode("0O1I-2345"), "2345");
  assert.equal(formatSetupCode("ABCDEFGHJKMNPQRS"), "ABCD-EFGH-JKMN");
  assert.equal(isCompleteSetupCode("ABCD-EFGH-JKMN"), true);
  assert.equal(isCompleteSetupCode("ABCD-EFGH-JKM"), false);
});

Deno.test("safeNext() allows only same-site paths after sign-in", () => {
  assert.equal(safeNext("/members?x=1"), "/members?x=1");
  for (const bad of ["//evil.example", "https://evil.example", "/\\evil.example", "", undefined]) {
    assert.equal(safeNext(bad), "/", String(bad));
  }
});

Deno.test("insecureContext() explains http from another device and names localhost", () => {
  const problem = insecureContext(
    {
      isSecureContext: false,
      crypto: {},
      location: { port: "8080", origin: "http://192.168.1.20:8080" },
    } as unknown as typeof globalThis,
  );
  assert.ok(problem);
  assert.match(problem.fixes.join(" "), /https/);
  assert.match(problem.fixes.join(" "), /http:\/\/localhost:8080/);
  assert.match(problem.fixes.join(" "), /127\.0\.0\.1:8080/);
  assert.equal(insecureContext(globalThis), undefined, "Deno is a secure context");
});

Deno.test("describeUserAgent() names common browsers and systems", () => {
  const chromeLinux =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
  assert.equal(describeUserAgent(chromeLinux), "Chrome on Linux");
  assert.equal(
    describeUserAgent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"),
    "Safari on iOS",
  );
  assert.equal(
    describeUserAgent("Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"),
    "Firefox on Android",
  );
  assert.equal(describeUserAgent(""), "Unknown device");
});

Deno.test("timeAgo(), timeLeft() and spanOf() read naturally", () => {
  const now = 1_700_000_000_000;
  assert.equal(timeAgo(now - 5_000, now), "just now");
  assert.equal(timeAgo(now - 5 * 60_000, now), "5 minutes ago");
  assert.equal(timeAgo(now - 3 * 3600_000, now), "3 hours ago");
  assert.equal(timeLeft(now + 3600_000, now), "in 1 hour");
  assert.equal(timeLeft(now + 7 * 24 * 3600_000, now), "in 7 days");
  assert.equal(timeLeft(now - 1, now), "expired");
  assert.equal(timeLeft(now + 20_000, now), "in under a minute");
  assert.equal(spanOf(60_000), "1 minute");
  assert.equal(spanOf(1_000), "1 second");
  assert.equal(spanOf(24 * 3600_000), "24 hours");
  assert.equal(spanOf(3 * 24 * 3600_000), "3 days");
});

Deno.test("choosePositions() picks distinct, sorted, in-range positions", () => {
  for (let i = 0; i < 200; i++) {
    const p = choosePositions(24, 3);
    assert.equal(new Set(p).size, 3);
    assert.deepEqual(p, [...p].sort((a, b) => a - b));
    assert.ok(p.every((x) => x >= 0 && x < 24));
  }
  assert.throws(() => choosePositions(2, 3), RangeError);
});
