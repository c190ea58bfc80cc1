import assert from "node:assert/strict";
import { nameProblem } from "../../crypto/mod.ts";
import { inviteTokenHash as coreTokenHash } from "../../core/family_kinds.ts";
import { familyNameProblem, personNameProblem } from "./names.ts";
import { inviteTokenHash, newInviteToken } from "./invite_token.ts";

const SAMPLES = [
  "Ada",
  "  Ada  ",
  "",
  "   ",
  "x".repeat(60),
  "x".repeat(61),
  "x".repeat(80),
  "x".repeat(81),
  "Ada\nLovelace",
  "Ada\u007f",
  "Zoë Ørsted-Łukasz",
];

Deno.test("Browser name checks accept exactly what a sealed name may hold, after trimming", () => {
  // The islands trim what people type before sealing it (FORMAT §14.3); a person's name is
  // also kept to 60 characters, as before names were sealed.
  for (const s of SAMPLES) {
    const sealable = nameProblem(s.trim()) === undefined;
    assert.equal(
      personNameProblem(s) === undefined,
      sealable && s.trim().length <= 60,
      JSON.stringify(s),
    );
    assert.equal(familyNameProblem(s) === undefined, sealable, JSON.stringify(s));
  }
  assert.notEqual(nameProblem("  Ada  "), undefined, "untrimmed names are refused");
});

Deno.test("Name checks explain empty and overlong names", () => {
  assert.match(personNameProblem("  ")!, /Enter your name/);
  assert.match(personNameProblem("x".repeat(61))!, /60/);
  assert.match(familyNameProblem("")!, /Enter a name/);
  assert.match(familyNameProblem("x".repeat(81))!, /80/);
});

Deno.test("inviteTokenHash() in the browser matches lib/core's; tokens are 43 characters", () => {
  for (let i = 0; i < 20; i++) {
    const token = newInviteToken();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(inviteTokenHash(token), coreTokenHash(token));
  }
});
