import { NodeSearch } from "../lib/web/browser/ui/NodeSearch.tsx";

/** The offline page's search for a healthy family node (served by the service worker). */
export default function NodeFinder(_props: Record<string, never>) {
  return <NodeSearch offline />;
}
