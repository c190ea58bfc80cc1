/**
 * Hooks the vault islands share: the member's vault deps (keys unsealed once per page), and
 * turning errors into what a person sees. Browser-compatible: effects run only in the browser,
 * so server rendering sees the loading state.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { isSignedOut, messageOf } from "../../api.ts";
import { browserVaultDeps, type VaultDeps } from "../client.ts";

export interface VaultState {
  deps?: VaultDeps;
  error?: string;
  signedOut: boolean;
}

let shared: Promise<VaultDeps> | undefined;

/** The page's vault deps, made once and shared by every island of the page. */
export function useVault(): VaultState {
  const [state, setState] = useState<VaultState>({ signedOut: false });
  useEffect(() => {
    shared ??= browserVaultDeps();
    shared.then(
      (deps) => setState({ deps, signedOut: false }),
      (err) => {
        shared = undefined;
        setState({ signedOut: isSignedOut(err), error: messageOf(err) });
      },
    );
  }, []);
  return state;
}

/** An error handler that tells signed-out apart from everything else. */
export function useFailure() {
  const [error, setError] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);
  const fail = (err: unknown) => {
    if (isSignedOut(err)) setSignedOut(true);
    else setError(messageOf(err));
  };
  return { error, setError, signedOut, fail };
}
