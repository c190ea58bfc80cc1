import { useEffect, useState } from "preact/hooks";
import { fetchFamilyNodes, isAlive, saveFamilyNodes } from "../lib/web/browser/family_nodes.ts";
import { NodeSearch } from "../lib/web/browser/ui/NodeSearch.tsx";

interface Props {
  signedIn: boolean;
}

/** How often a signed-in page checks that its node still answers. */
const HEARTBEAT_MS = 4000;

/**
 * On every page: installs the app's service worker; for a signed-in member, remembers the
 * family's node addresses and watches this node, and when it stops answering (twice in a row)
 * moves the page to a healthy family node (lib/web/browser/ui/NodeSearch.tsx).
 */
export default function NodeWatch({ signedIn }: Props) {
  const [lost, setLost] = useState(false);
  const [moved, setMoved] = useState<string | undefined>();

  useEffect(() => {
    const here = new URL(location.href);
    const from = here.searchParams.get("from");
    if (from && signedIn) {
      setMoved(from.slice(0, 60));
      here.searchParams.delete("from");
      history.replaceState(history.state, "", here.pathname + here.search + here.hash);
    }
    if ("serviceWorker" in navigator && globalThis.isSecureContext) {
      // After the page has loaded: installing fetches the whole shell, which must not compete
      // with what the page itself shows first.
      const register = () =>
        navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
      if (document.readyState === "complete") setTimeout(register, 1000);
      else addEventListener("load", () => setTimeout(register, 1000), { once: true });
    }
    if (!signedIn) return;
    fetchFamilyNodes().then((nodes) => {
      saveFamilyNodes(nodes);
      // The cached offline page's policy must allow probing these nodes.
      navigator.serviceWorker?.controller?.postMessage({ type: "refresh-offline" });
    }, () => {});
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const beat = async () => {
      if (stopped) return;
      if (document.visibilityState === "visible") {
        failures = (await isAlive(location.origin)) ? 0 : failures + 1;
        if (failures >= 2) {
          setLost(true);
          return;
        }
      }
      timer = setTimeout(beat, HEARTBEAT_MS);
    };
    timer = setTimeout(beat, HEARTBEAT_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  if (lost) return <div class="node-lost">{<NodeSearch />}</div>;
  if (moved) {
    return (
      <p class="alert alert-warn moved-note" role="status">
        {moved}{" "}
        is not answering, so you are now on this node of your family: everything it holds is here.
        {" "}
        <button type="button" class="btn-link" onClick={() => setMoved(undefined)}>
          Dismiss
        </button>
      </p>
    );
  }
  return null;
}
