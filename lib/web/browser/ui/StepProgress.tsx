/**
 * "Step 2 of 5" as a row of numbered steps. Browser-compatible.
 *
 * @module
 */

export interface StepProgressProps {
  steps: string[];
  /** Zero-based index of the step shown now. */
  current: number;
}

export function StepProgress({ steps, current }: StepProgressProps) {
  return (
    <ol class="steps" aria-label={`Step ${current + 1} of ${steps.length}`}>
      {steps.map((label, i) => (
        <li
          key={label}
          class={i < current ? "step step-done" : i === current ? "step step-current" : "step"}
          aria-current={i === current ? "step" : undefined}
        >
          <span class="step-num" aria-hidden="true">{i < current ? "✓" : i + 1}</span>
          <span class="step-label">{label}</span>
        </li>
      ))}
    </ol>
  );
}
