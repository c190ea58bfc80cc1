/**
 * Test helpers: {@link VaultDeps} for a test member of an in-process node, so the browser's
 * vault code (lib/web/browser/vault) runs unchanged against the real API.
 */

import { fromBase64Url, recordHash } from "../../lib/crypto/mod.ts";
import { api } from "../../lib/web/browser/api.ts";
import type { VaultDeps } from "../../lib/web/browser/vault/client.ts";
import { signed, type TestMember } from "./family.ts";
import type { TestApp } from "./test_app.ts";

/** Calls the test app as `member` (their session cookie on every request). */
export function memberFetch(t: TestApp, member: TestMember): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (member.cookie) headers.set("cookie", member.cookie);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return Promise.resolve(t.app.request(url, { ...init, headers }));
  };
}

export function vaultDepsFor(t: TestApp, member: TestMember): VaultDeps {
  const doFetch = memberFetch(t, member);
  return {
    call: (method, path, body) => api(method, path, body, { fetch: doFetch }),
    fetch: doFetch,
    // deno-lint-ignore require-await
    sign: async (kind, id, body, after) =>
      signed(
        t,
        member,
        kind,
        id,
        body as Record<string, unknown>,
        undefined,
        after ? [recordHash(after)] : undefined,
      ) as never,
    me: {
      key: member.key,
      x25519PublicKey: fromBase64Url(member.x25519),
      x25519SecretKey: member.x25519SecretKey,
    },
    now: () => t.records.now(),
  };
}
