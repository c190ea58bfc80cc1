/**
 * Shown when the node says this browser's session ended (signed out elsewhere, expired, or
 * removed from the family). Browser-only (reads `location`).
 *
 * @module
 */

export function SignedOutAlert() {
  const next = typeof location === "undefined" ? "/" : location.pathname + location.search;
  return (
    <div class="alert alert-warn" role="alert">
      Your session has ended. <a href={`/?next=${encodeURIComponent(next)}`}>Sign in again</a>{" "}
      to continue.
    </div>
  );
}
