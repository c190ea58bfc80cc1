import type { ComponentChildren } from "preact";
import { MAX_PERSON_NAME } from "../names.ts";

export interface NodeFieldsProps {
  /** Prefix of the inputs' ids: `<prefix>-name`, `<prefix>-url`. */
  idPrefix: string;
  name: string;
  url: string;
  onName(name: string): void;
  onUrl(url: string): void;
  /** Which field the shown problem is about, for `aria-invalid`. */
  invalid?: "name" | "url";
  namePlaceholder?: string;
  /** Shown under the address field. */
  urlHint?: ComponentChildren;
}

/**
 * The name and address of a family node, as an admin types them when pairing a node or
 * editing one; the caller reads the address with `nodeAddress()` before signing.
 */
export function NodeFields(p: NodeFieldsProps) {
  const urlHintId = `${p.idPrefix}-url-hint`;
  return (
    <>
      <div class="field">
        <label for={`${p.idPrefix}-name`}>Name</label>
        <input
          id={`${p.idPrefix}-name`}
          required
          maxLength={MAX_PERSON_NAME}
          aria-invalid={p.invalid === "name" ? "true" : undefined}
          value={p.name}
          placeholder={p.namePlaceholder}
          onInput={(e) => p.onName((e.target as HTMLInputElement).value)}
        />
      </div>
      <div class="field">
        <label for={`${p.idPrefix}-url`}>Address other nodes use to reach it</label>
        <input
          id={`${p.idPrefix}-url`}
          class="mono"
          value={p.url}
          placeholder="https://pine.example.org:8420"
          aria-describedby={p.urlHint ? urlHintId : undefined}
          aria-invalid={p.invalid === "url" ? "true" : undefined}
          onInput={(e) => p.onUrl((e.target as HTMLInputElement).value)}
        />
        {p.urlHint && <div class="hint" id={urlHintId}>{p.urlHint}</div>}
      </div>
    </>
  );
}
