/**
 * Small preact hooks shared by islands. Browser-compatible: effects run only in the browser,
 * so server rendering sees the initial state.
 *
 * @module
 */

import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { type InsecureContext, insecureContext } from "../secure_context.ts";

/** The insecure-context explanation, checked once the island runs in the browser. */
export function useInsecureContext(): InsecureContext | undefined {
  const [state, setState] = useState<InsecureContext | undefined>(undefined);
  useEffect(() => setState(insecureContext()), []);
  return state;
}

/**
 * A ref whose element receives focus whenever `key` changes after the first render, so
 * keyboard and screen-reader users land on the new step's heading rather than on `<body>`.
 */
export function useFocusOnChange<T extends HTMLElement>(key: unknown): RefObject<T | null> {
  const ref = useRef<T>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.focus();
  }, [key]);
  return ref;
}
