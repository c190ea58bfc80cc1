/**
 * Explains an insecure context (DESIGN §6) instead of failing obscurely. Browser-compatible.
 *
 * @module
 */

import type { InsecureContext } from "../secure_context.ts";

export function SecureContextNotice({ problem }: { problem: InsecureContext }) {
  return (
    <div class="alert alert-warn secure-notice" role="alert">
      <strong>This address cannot keep your key safe.</strong>
      <p>{problem.reason}</p>
      <p>Instead:</p>
      <ul>
        {problem.fixes.map((f) => <li key={f}>{f}</li>)}
      </ul>
      {problem.here && <p class="muted">This page: {problem.here}</p>}
    </div>
  );
}
