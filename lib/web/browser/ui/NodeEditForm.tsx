import { useState } from "preact/hooks";
import { personNameProblem } from "../names.ts";
import { nodeAddress } from "../node_address.ts";
import { NodeFields } from "./NodeFields.tsx";

export interface NodeEditFormProps {
  /** Prefix of the inputs' ids (two forms can be open on one page). @default "edit-node" */
  idPrefix?: string;
  /** The node's name now, shown in the heading and as the name field's start. */
  name: string;
  url?: string;
  /** Signs and sends the new version; throws to show an error, resolves when done. */
  onSave(name: string, url: string | undefined): Promise<void>;
  onCancel(): void;
}

/**
 * Edits a node's name and the address the others reach it at. Checks both before anything is
 * signed and shows what to fix next to the field; `onSave` does the signing.
 */
export function NodeEditForm(p: NodeEditFormProps) {
  const [draft, setDraft] = useState({ name: p.name, url: p.url ?? "" });
  const [problem, setProblem] = useState<{ field: "name" | "url"; message: string }>();
  const [saving, setSaving] = useState(false);

  const save = async (e: Event) => {
    e.preventDefault();
    const name = draft.name.trim();
    const address = nodeAddress(draft.url);
    const nameProblem = name === ""
      ? "Give the node a name, e.g. “Grandma's NAS”."
      : personNameProblem(name)?.replace("your name", "the name");
    const bad = nameProblem
      ? { field: "name" as const, message: nameProblem }
      : address.ok
      ? undefined
      : { field: "url" as const, message: address.problem };
    setProblem(bad);
    if (bad || !address.ok) return;
    setSaving(true);
    try {
      await p.onSave(name, address.url);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="edit-node" onSubmit={save} aria-label={`Edit ${p.name}`}>
      <h3>Edit {p.name}</h3>
      <div class="form-grid">
        <NodeFields
          idPrefix={p.idPrefix ?? "edit-node"}
          name={draft.name}
          url={draft.url}
          onName={(name) => setDraft({ ...draft, name })}
          onUrl={(url) => setDraft({ ...draft, url })}
          invalid={problem?.field}
          urlHint={
            <>
              After a move or a new domain. Leave it empty for a node that cannot be reached from
              outside (it calls the others instead). Start that node with the same{" "}
              <code>--public-url</code>.
            </>
          }
        />
      </div>
      {problem && <p class="field-error" role="alert">{problem.message}</p>}
      <div class="btn-row">
        <button type="submit" class="btn btn-primary" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" class="btn" onClick={p.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
