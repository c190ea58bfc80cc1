import { useEffect, useState } from "preact/hooks";
import { api, isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import type { SessionEntry, SessionResponse } from "../lib/web/browser/api_types.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";
import { timeAgo } from "../lib/web/browser/user_agent.ts";

/** Settings: the browsers signed in as me on this node, with a way to end the others. */
export default function SessionList(_props: Record<string, never>) {
  const [sessions, setSessions] = useState<SessionEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);
  const [ending, setEnding] = useState<string | undefined>();

  const fail = (err: unknown) => {
    if (isSignedOut(err)) setSignedOut(true);
    else setError(messageOf(err));
  };
  const refresh = async () => {
    try {
      const res = await api<SessionResponse>("GET", "/v1/session");
      setSessions(
        [...res.sessions].sort((a, b) =>
          Number(b.current) - Number(a.current) || b.lastSeen - a.lastSeen
        ),
      );
      setError(undefined);
    } catch (err) {
      fail(err);
    }
  };
  useEffect(() => {
    refresh();
  }, []);

  const end = async (s: SessionEntry) => {
    setEnding(s.handle);
    setError(undefined);
    try {
      await api("DELETE", `/v1/sessions/${encodeURIComponent(s.handle)}`);
      await refresh();
    } catch (err) {
      fail(err);
    } finally {
      setEnding(undefined);
    }
  };

  if (signedOut) return <SignedOutAlert />;
  if (sessions === undefined) {
    return (
      <div class="session-list">
        <ErrorAlert message={error} />
        {!error && <p class="loading">Loading your devices…</p>}
      </div>
    );
  }
  const now = Date.now();
  return (
    <div class="session-list">
      <ErrorAlert message={error} />
      <ul class="list">
        {sessions.map((s) => {
          // The node keeps only a coarse label of each device, never its User-Agent string.
          const device = s.device || "Unknown device";
          return (
            <li key={s.handle} class="list-row" data-current={s.current ? "true" : undefined}>
              <div class="list-main">
                <strong>{device}</strong>{" "}
                {s.current && <span class="badge badge-ok">This device</span>}
                <div class="muted small">
                  Signed in {timeAgo(s.createdAt, now)} · last seen {timeAgo(s.lastSeen, now)}
                </div>
              </div>
              {!s.current && (
                <button
                  type="button"
                  class="btn btn-danger btn-small"
                  disabled={ending !== undefined}
                  aria-label={`End the session of ${device}, last seen ${timeAgo(s.lastSeen, now)}`}
                  onClick={() => end(s)}
                >
                  {ending === s.handle ? "Ending…" : "End"}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {sessions.length === 1 && <p class="hint">Only this browser is signed in.</p>}
    </div>
  );
}
