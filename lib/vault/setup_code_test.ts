import assert from "node:assert/strict";
import { IndexDb } from "../store/mod.ts";
import { checkSetupCode, hasSetupCode, issueSetupCode, retireSetupCode } from "./setup_code.ts";

Deno.test("A setup code is checked as people type it, works until replaced or used, and is stored only hashed", async () => {
  const db = await IndexDb.open(":memory:");
  try {
    assert.equal(hasSetupCode(db), false);
    assert.equal(checkSetupCode(db, "anything"), false, "no code: nothing matches");
    const code = issueSetupCode(db);
    assert.match(code, /^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);
    assert.equal(checkSetupCode(db, code), true);
    assert.equal(checkSetupCode(db, ` ${code.toLowerCase().replaceAll("-", " ")} `), true);
    assert.equal(checkSetupCode(db, code.slice(0, -1) + (code.endsWith("Z") ? "Y" : "Z")), false);
    assert.equal(checkSetupCode(db, code.repeat(6)), false, "over 64 characters");
    assert.equal(checkSetupCode(db, 42 as unknown as string), false);
    // Only its SHA-256 is kept: a copy of the database does not give the code away.
    assert.match(db.getSetting("setup_code_sha256") ?? "", /^[0-9a-f]{64}$/);
    // A restart before the family exists prints a new code; the old one stops working.
    const next = issueSetupCode(db);
    assert.equal(checkSetupCode(db, code), next === code);
    assert.equal(checkSetupCode(db, next), true);
    // Once the family is created the code never works again.
    retireSetupCode(db);
    assert.equal(hasSetupCode(db), false);
    assert.equal(checkSetupCode(db, next), false);
  } finally {
    db.close();
  }
});
