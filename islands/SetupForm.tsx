import { useState } from "preact/hooks";

/** Setup codes use 32 characters without 0/O and 1/I (lib/vault/setup_code.ts). */
const CODE_CHARS = /[^23456789ABCDEFGHJKLMNPQRSTUVWXYZ]/g;

export function formatSetupCode(input: string): string {
  const raw = input.toUpperCase().replace(CODE_CHARS, "").slice(0, 12);
  return raw.match(/.{1,4}/g)?.join("-") ?? "";
}

interface Props {
  nodeId: string;
}

/** First-run form: takes the one-time setup code the node printed at start. */
export default function SetupForm(_props: Props) {
  const [code, setCode] = useState("");
  const complete = code.replace(/-/g, "").length === 12;
  return (
    <form
      class="setup-form"
      method="post"
      onSubmit={(e) => e.preventDefault()}
    >
      <label for="setup-code">Setup code</label>
      <input
        id="setup-code"
        name="code"
        class="code-input"
        autocomplete="off"
        spellcheck={false}
        placeholder="XXXX-XXXX-XXXX"
        value={code}
        onInput={(e) => setCode(formatSetupCode((e.target as HTMLInputElement).value))}
      />
      <p class="hint">
        {complete
          ? "Looks right. Continue to create your family."
          : "12 characters, shown in the node's console next to “Setup code”."}
      </p>
      <button type="submit" class="btn btn-primary" disabled={!complete}>
        Continue
      </button>
    </form>
  );
}
