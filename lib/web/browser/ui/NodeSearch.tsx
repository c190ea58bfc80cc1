/**
 * Looking for a healthy family node when this one stops answering (issue #16): tries the
 * nodes this browser knows (lib/web/browser/family_nodes.ts), moves to the first that answers,
 * on the same page; says plainly when none does, and keeps trying. Browser-only.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { findHealthyNode, isAlive, loadFamilyNodes, movedUrl } from "../family_nodes.ts";

/** How long between two rounds of trying every node, when none answered. */
const RETRY_MS = 5000;

type Phase =
  | { kind: "searching" }
  | { kind: "moving"; to: string }
  | { kind: "none" }
  | { kind: "back" };

export function NodeSearch({ offline }: { offline?: boolean }) {
  const [phase, setPhase] = useState<Phase>({ kind: "searching" });
  const known = typeof localStorage === "undefined" ? undefined : loadFamilyNodes();
  const here = known?.self.name ?? "This node";

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const round = async () => {
      if (stopped) return;
      // This node may be back (a restart): then stay.
      if (await isAlive(location.origin)) {
        if (offline && location.pathname !== "/offline") location.reload();
        else setPhase({ kind: "back" });
        return;
      }
      const target = await findHealthyNode(known?.others ?? []);
      if (stopped) return;
      if (target) {
        setPhase({ kind: "moving", to: target.name });
        location.assign(movedUrl(target, here, new URL(location.href)));
        return;
      }
      setPhase({ kind: "none" });
      timer = setTimeout(round, RETRY_MS);
    };
    round();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  const names = known?.others.map((n) => n.name) ?? [];
  if (phase.kind === "back") {
    return (
      <div class="node-search" role="status">
        <p>
          <strong>{here} answers again.</strong> <a href="/">Continue</a>
        </p>
      </div>
    );
  }
  return (
    <div class="node-search" role="status" aria-live="polite">
      <p>
        <strong>{here} is not answering.</strong> {phase.kind === "moving"
          ? `Moving you to ${phase.to}, another node of your family…`
          : phase.kind === "searching"
          ? names.length > 0 ? `Looking for another node of your family (${names.join(", ")})…` : ""
          : names.length > 0
          ? `No node of your family is reachable right now (tried ${names.join(", ")}). ` +
            "Trying again every few seconds."
          : "No node of your family is reachable, and this browser knows no other node of " +
            "your family yet. Check that the node is running and that this device is online."}
      </p>
      {phase.kind === "none" && (
        <p class="muted small">
          Your photos are safe: they stay encrypted on your family's nodes. This page continues as
          soon as one of them answers.
        </p>
      )}
    </div>
  );
}
