import assert from "node:assert/strict";
import { DisplayName } from "../../core/schemas.ts";
import { FamilyBody, inviteTokenHash as coreTokenHash } from "../../core/family_kinds.ts";
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

Deno.test("Browser name checks accept exactly what lib/core's schemas accept, after trimming", () => {
  // The islands trim what people type before signing it; the schemas take only trimmed names.
  for (const s of SAMPLES) {
    assert.equal(
      personNameProblem(s) === undefined,
      DisplayName.safeParse(s.trim()).success,
      JSON.stringify(s),
    );
    assert.equal(
      familyNameProblem(s) === undefined,
      FamilyBody.shape.name.safeParse(s.trim()).success,
      JSON.stringify(s),
    );
  }
  assert.equal(DisplayName.safeParse("  Ada  ").success, false, "untrimmed names are refused");
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
