/**
 * Reads the address a person types for a node (the origin other nodes use to reach it) into
 * the form node records carry: scheme, host and port only, as `NodeUrl` in lib/core requires.
 * A trailing slash is forgiven; a path, query, fragment or credentials are refused with a
 * message that says what to type instead. Browser-compatible and pure (no zod: see names.ts).
 *
 * @module
 */

export type NodeAddress =
  | { ok: true; /** Absent when the field was left empty: the node only dials out. */ url?: string }
  | { ok: false; problem: string };

const EXAMPLE = "https://pine.example.org:8420";

/** The origin to sign for `input`, or the problem with it. Empty means "no address". */
export function nodeAddress(input: string): NodeAddress {
  const text = input.trim();
  if (text === "") return { ok: true };
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return {
      ok: false,
      problem: `“${text.slice(0, 80)}” is not an address: type it in full, e.g. ${EXAMPLE}.`,
    };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return { ok: false, problem: `The address must start with https:// (or http://).` };
  }
  if (u.username || u.password) {
    return { ok: false, problem: "Leave the user name and password out of the address." };
  }
  if (u.pathname !== "/" || u.search || u.hash) {
    return {
      ok: false,
      problem: `A node is served at the root of its address: type only ${u.origin}, no path.`,
    };
  }
  if (u.origin.length > 300) return { ok: false, problem: "That address is too long." };
  return { ok: true, url: u.origin };
}
