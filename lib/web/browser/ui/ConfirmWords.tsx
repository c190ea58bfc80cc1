/**
 * Asks for three randomly chosen words by position, proving they were written down.
 * Browser-compatible (positions come from `crypto.getRandomValues`).
 *
 * @module
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorAlert } from "./ErrorAlert.tsx";

export interface ConfirmWordsProps {
  words: string[];
  /** @default 3 */
  count?: number;
  onConfirmed(): void;
  onBack(): void;
}

/** `count` distinct positions in [0, n), ascending, chosen uniformly at random. */
export function choosePositions(n: number, count: number): number[] {
  if (count > n) throw new RangeError(`cannot choose ${count} of ${n} positions`);
  const chosen = new Set<number>();
  const buf = new Uint32Array(1);
  while (chosen.size < count) {
    crypto.getRandomValues(buf);
    // Rejection sampling keeps every position equally likely.
    const limit = Math.floor(0x1_0000_0000 / n) * n;
    if (buf[0] < limit) chosen.add(buf[0] % n);
  }
  return [...chosen].sort((a, b) => a - b);
}

export function ConfirmWords({ words, count = 3, onConfirmed, onBack }: ConfirmWordsProps) {
  const [positions] = useState(() => choosePositions(words.length, count));
  const [answers, setAnswers] = useState<string[]>(() => positions.map(() => ""));
  const [wrong, setWrong] = useState<number[]>([]);
  const firstInput = useRef<HTMLInputElement>(null);
  useEffect(() => firstInput.current?.focus(), []);

  const submit = (e: Event) => {
    e.preventDefault();
    const bad = positions.filter((p, i) => answers[i].trim().toLowerCase() !== words[p]);
    setWrong(bad);
    if (bad.length === 0) onConfirmed();
  };
  const message = wrong.length === 0
    ? undefined
    : `Word${wrong.length > 1 ? "s" : ""} ${wrong.map((p) => `#${p + 1}`).join(", ")} ${
      wrong.length > 1 ? "do" : "does"
    } not match. Check your paper, or go back to see the words.`;

  return (
    <form class="confirm-words" onSubmit={submit} noValidate>
      <p>To be sure they are written down, type these words from your list.</p>
      <ErrorAlert message={message} />
      <div class="word-inputs">
        {positions.map((p, i) => (
          <div class="field" key={p}>
            <label for={`confirm-word-${p + 1}`}>Word #{p + 1}</label>
            <input
              id={`confirm-word-${p + 1}`}
              ref={i === 0 ? firstInput : undefined}
              class="mono"
              autocomplete="off"
              autocapitalize="none"
              spellcheck={false}
              aria-invalid={wrong.includes(p) ? "true" : undefined}
              value={answers[i]}
              onInput={(e) => {
                const v = (e.target as HTMLInputElement).value;
                setAnswers((a) => a.map((x, j) => (j === i ? v : x)));
              }}
            />
          </div>
        ))}
      </div>
      <div class="btn-row">
        <button type="button" class="btn" onClick={onBack}>Show the words again</button>
        <button
          type="submit"
          class="btn btn-primary"
          disabled={answers.some((a) => a.trim() === "")}
        >
          Confirm
        </button>
      </div>
    </form>
  );
}
