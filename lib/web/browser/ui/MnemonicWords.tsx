/**
 * The 24 recovery words, numbered (the numbers come from CSS counters in `.mnemonic`).
 * Browser-compatible.
 *
 * @module
 */

export function MnemonicWords({ words }: { words: string[] }) {
  return (
    <ol class="mnemonic" aria-label={`Your ${words.length} recovery words, in order`}>
      {words.map((w, i) => <li key={i} translate={false}>{w}</li>)}
    </ol>
  );
}
