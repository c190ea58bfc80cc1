import { useEffect, useState } from "preact/hooks";
import { api, ApiError, messageOf } from "../lib/web/browser/api.ts";
import { formatSetupCode, isCompleteSetupCode } from "../lib/web/browser/setup_code.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { QrCode } from "../lib/web/browser/ui/QrCode.tsx";

export interface JoinAsNodeProps {
  nodeId: string;
}

interface JoinCodeResponse {
  joinCode: string;
  nodeId: string;
  url: string;
}

/**
 * First run, second choice (PROTOCOL §4): make this fresh node another node of
 * an existing family. The setup code proves the person reads this node's
 * console; the join code it reveals goes to an admin of the family, who
 * approves it on any family node. This page then notices the family arrived.
 */
export default function JoinAsNode({ nodeId }: JoinAsNodeProps) {
  const [open, setOpen] = useState(false);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [join, setJoin] = useState<JoinCodeResponse | undefined>();
  const [copied, setCopied] = useState(false);
  const [joined, setJoined] = useState(false);

  useEffect(() => {
    if (!join || joined) return;
    const t = setInterval(async () => {
      try {
        const s = await api<{ joined: boolean }>("GET", "/v1/nodes/join-status");
        if (s.joined) setJoined(true);
      } catch { /* the node restarts or the network blips: keep waiting */ }
    }, 2000);
    return () => clearInterval(t);
  }, [join, joined]);

  const reveal = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      setJoin(await api<JoinCodeResponse>("POST", "/v1/nodes/join-code", { code }));
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === "bad_setup_code"
          ? "That setup code is not right. Use the one this node printed in its console at its latest start."
          : messageOf(err),
      );
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!join) return;
    try {
      await navigator.clipboard.writeText(join.joinCode);
      setCopied(true);
    } catch {
      (document.getElementById("join-code-out") as HTMLTextAreaElement | null)?.select();
    }
  };

  if (joined) {
    return (
      <div class="alert alert-ok" role="status">
        <p>
          <strong>This node joined the family.</strong>{" "}
          It is receiving the family's records and photos now.
        </p>
        <a class="btn btn-primary" href="/">Sign in</a>
      </div>
    );
  }
  if (!open) {
    return (
      <div class="join-as-node">
        <p class="muted">
          Already have a family on another node? Make this machine one more home for your photos.
        </p>
        <button type="button" class="btn" onClick={() => setOpen(true)}>
          Join an existing family as another node
        </button>
      </div>
    );
  }
  if (join) {
    return (
      <div class="join-as-node invite-result" aria-live="polite">
        <div class="invite-result-text">
          <label for="join-code-out">Join code of this node</label>
          <textarea id="join-code-out" class="mono" rows={4} readOnly value={join.joinCode} />
          <div class="btn-row">
            <button type="button" class="btn" onClick={copy}>{copied ? "Copied" : "Copy"}</button>
          </div>
          <p class="hint">
            Give it to an admin of your family (in person or a private message). They paste it on
            the Nodes page of any family node and approve. This node's id starts{" "}
            <code>{nodeId.slice(0, 15)}</code>. Waiting for the approval…
          </p>
        </div>
        <QrCode text={join.joinCode} label="QR code of this node's join code" />
      </div>
    );
  }
  return (
    <form class="join-as-node" onSubmit={reveal} aria-label="Join a family as a node">
      <ErrorAlert message={error} />
      <div class="field">
        <label for="node-setup-code">This node's setup code</label>
        <input
          id="node-setup-code"
          class="code-input mono"
          autoComplete="off"
          spellcheck={false}
          value={code}
          placeholder="XXXX-XXXX-XXXX"
          onInput={(e) => setCode(formatSetupCode((e.target as HTMLInputElement).value))}
        />
        <p class="hint">
          Printed in this node's console when it started; it shows you are its operator.
        </p>
      </div>
      <div class="btn-row">
        <button
          type="submit"
          class="btn btn-primary"
          disabled={busy || !isCompleteSetupCode(code)}
        >
          {busy ? "Checking…" : "Show the join code"}
        </button>
        <button type="button" class="btn btn-link" onClick={() => setOpen(false)}>Back</button>
      </div>
    </form>
  );
}
