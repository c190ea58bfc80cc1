/**
 * An error a person can act on, announced to screen readers. Browser-compatible.
 *
 * @module
 */

import type { ComponentChildren } from "preact";

export interface ErrorAlertProps {
  message?: string;
  children?: ComponentChildren;
}

export function ErrorAlert({ message, children }: ErrorAlertProps) {
  if (!message && !children) return null;
  return (
    <div class="alert alert-error" role="alert">
      {message}
      {children}
    </div>
  );
}
