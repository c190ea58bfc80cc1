import { useState } from "preact/hooks";
import { isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import { renameOrMoveNode } from "../lib/web/browser/node_records.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { NodeEditForm } from "../lib/web/browser/ui/NodeEditForm.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";

export interface EditThisNodeProps {
  nodeId: string;
  name: string;
  /** The address in this node's record, if it has one. */
  url?: string;
}

/**
 * On the Nodes page, for admins: rename this node or change the address its record gives the
 * others (after a move, say) — a new version of its node record, signed in this browser. The
 * page reloads to show what the node now says about itself.
 */
export default function EditThisNode({ nodeId, name, url }: EditThisNodeProps) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);

  if (signedOut) return <SignedOutAlert />;
  if (!open) {
    return (
      <button
        type="button"
        class="btn btn-small"
        onClick={() => setOpen(true)}
        aria-label={`Edit this node (${name}): name and address`}
      >
        Edit
      </button>
    );
  }
  return (
    <>
      <ErrorAlert message={error} />
      <NodeEditForm
        idPrefix="edit-self"
        name={name}
        url={url}
        onCancel={() => setOpen(false)}
        onSave={async (newName, newUrl) => {
          setError(undefined);
          try {
            await renameOrMoveNode(nodeId, name, newName, newUrl);
            location.reload();
          } catch (err) {
            if (isSignedOut(err)) setSignedOut(true);
            else setError(messageOf(err));
          }
        }}
      />
    </>
  );
}
