import { useState } from "preact/hooks";
import { decodeJoinCode, type JoinCode } from "../lib/core/node_kinds.ts";
import { api, ApiError, isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import { nodeAddress } from "../lib/web/browser/node_address.ts";
import { makeSignedRecord } from "../lib/web/browser/records.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { useInsecureContext } from "../lib/web/browser/ui/hooks.ts";
import { SecureContextNotice } from "../lib/web/browser/ui/SecureContextNotice.tsx";
import { NodeFields } from "../lib/web/browser/ui/NodeFields.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";

export interface PairNodeProps {
  /** This node's id, public key and URL, to sign its own node record when it has none. */
  self: { nodeId: string; publicKey: string; url: string; paired: boolean };
}

function groups(id: string): string {
  return id.split("-").slice(0, 2).join("-") + "-…";
}

/**
 * Admins pair a node (PROTOCOL §4): paste the join code the new node shows,
 * check its id, name it, approve. This browser signs the node record with the
 * admin's key; this node stores it and hands the new node the family. No
 * secret is shared between nodes: the family trusts exactly the keys admins
 * approved.
 */
export default function PairNode({ self }: PairNodeProps) {
  const insecure = useInsecureContext();
  const [text, setText] = useState("");
  const [join, setJoin] = useState<JoinCode | undefined>();
  const [parseError, setParseError] = useState<string | undefined>();
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [selfName, setSelfName] = useState("Home");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);

  const onPaste = (value: string) => {
    setText(value);
    setDone(undefined);
    setError(undefined);
    if (value.trim() === "") {
      setJoin(undefined);
      setParseError(undefined);
      return;
    }
    try {
      const j = decodeJoinCode(value);
      if (j.nodeId === self.nodeId) throw new SyntaxError("That is this node's own join code.");
      setJoin(j);
      setUrl(j.url ?? "");
      setParseError(undefined);
    } catch (err) {
      setJoin(undefined);
      setParseError((err as Error).message);
    }
  };

  const approve = async (e: Event) => {
    e.preventDefault();
    if (!join || busy) return;
    const address = nodeAddress(url);
    if (!address.ok) {
      setError(address.problem);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const record = await makeSignedRecord("node", join.nodeId, {
        publicKey: join.publicKey,
        name: name.trim(),
        removed: false,
        ...(address.url ? { url: address.url } : {}),
      });
      const selfRecord = self.paired ? undefined : await makeSignedRecord("node", self.nodeId, {
        publicKey: self.publicKey,
        name: selfName.trim(),
        removed: false,
        url: self.url,
      });
      await api("POST", "/v1/nodes/peers", { joinCode: text.trim(), record, selfRecord });
      setDone(name.trim());
      setText("");
      setJoin(undefined);
      setName("");
    } catch (err) {
      if (isSignedOut(err)) setSignedOut(true);
      else if (err instanceof ApiError && err.code === "pairing_failed") {
        setError(
          `Approved, but the new node could not be given the family yet: ${err.message} ` +
            "Check that it is running and reachable at that address, then approve again.",
        );
      } else setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  if (insecure) return <SecureContextNotice problem={insecure} />;
  if (signedOut) return <SignedOutAlert />;
  return (
    <form class="pair-form" onSubmit={approve} aria-label="Pair a node">
      {done && (
        <div class="alert alert-ok" role="status">
          {done} joined the family. It is receiving the family's records and copies now.
        </div>
      )}
      <ErrorAlert message={error} />
      <div class="field">
        <label for="join-code">Join code of the new node</label>
        <textarea
          id="join-code"
          class="mono"
          rows={3}
          value={text}
          placeholder="Paste the code the new node shows after “Join an existing family”"
          onInput={(e) => onPaste((e.target as HTMLTextAreaElement).value)}
          aria-describedby="join-code-hint"
          aria-invalid={parseError ? "true" : undefined}
        />
        {parseError
          ? <p class="field-error" id="join-code-hint">{parseError}</p>
          : (
            <p class="hint" id="join-code-hint">
              It carries the node's id and key: nothing secret about this family.
            </p>
          )}
      </div>
      {join && (
        <>
          <dl class="facts">
            <dt>Node id</dt>
            <dd>
              <code class="node-id" title={join.nodeId}>{join.nodeId}</code>
              <div class="hint">
                Check that the new node shows the same id (starting {groups(join.nodeId)}).
              </div>
            </dd>
          </dl>
          <div class="form-grid">
            <NodeFields
              idPrefix="node"
              name={name}
              url={url}
              onName={setName}
              onUrl={setUrl}
              namePlaceholder="Grandma's NAS"
            />
            {!self.paired && (
              <div class="field">
                <label for="self-name">Name of this node (it has none yet)</label>
                <input
                  id="self-name"
                  required
                  maxLength={60}
                  value={selfName}
                  onInput={(e) => setSelfName((e.target as HTMLInputElement).value)}
                />
              </div>
            )}
          </div>
          <div class="btn-row">
            <button type="submit" class="btn btn-primary" disabled={busy || !name.trim()}>
              {busy ? "Pairing…" : "Approve and pair"}
            </button>
          </div>
        </>
      )}
    </form>
  );
}
