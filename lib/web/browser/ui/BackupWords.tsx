/**
 * Shows a new identity's 24 words with advice on keeping them, and asks the person to say
 * they wrote them down before going on. Browser-compatible.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { MnemonicWords } from "./MnemonicWords.tsx";

export interface BackupWordsProps {
  words: string[];
  onContinue(): void;
  onBack?(): void;
}

export function BackupWords({ words, onContinue, onBack }: BackupWordsProps) {
  const [written, setWritten] = useState(false);
  return (
    <div class="backup-words">
      <p>
        These {words.length} words <strong>are</strong>{" "}
        your key. Write them on paper, in order, and keep the paper somewhere safe.
      </p>
      <ul class="advice">
        <li>You need them to use p2pos on a new phone or computer, or if this browser is reset.</li>
        <li>Nobody can recover them for you — not an admin, not the node.</li>
        <li>
          Anyone who has them can act as you. Never type them anywhere but your family's node.
        </li>
      </ul>
      <MnemonicWords words={words} />
      <label class="check">
        <input
          type="checkbox"
          checked={written}
          onChange={(e) => setWritten((e.target as HTMLInputElement).checked)}
        />
        I wrote down all {words.length} words, in order
      </label>
      <div class="btn-row">
        {onBack && <button type="button" class="btn" onClick={onBack}>Back</button>}
        <button type="button" class="btn btn-primary" disabled={!written} onClick={onContinue}>
          Continue
        </button>
      </div>
    </div>
  );
}
