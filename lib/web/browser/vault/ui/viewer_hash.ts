/**
 * The photo viewer follows the address (`#photo=<id>`), so Back closes it and a link opens it.
 * Browser-only (history and location).
 *
 * @module
 */

import { useEffect, useRef, useState } from "preact/hooks";
import type { LibraryPhoto } from "../photo_library.ts";

function photoFromHash(): string | undefined {
  return /^#photo=([A-Za-z0-9_-]{22})$/.exec(location.hash)?.[1];
}

/** Which photo of `photos` is open, and how to open another or close the viewer. */
export function useViewerHash(photos: LibraryPhoto[] | undefined) {
  const [open, setOpen] = useState<number | undefined>();
  const pushed = useRef(false);

  useEffect(() => {
    if (!photos) return;
    const sync = () => {
      const id = photoFromHash();
      const i = id ? photos.findIndex((p) => p.view.id === id) : -1;
      setOpen(i >= 0 ? i : undefined);
      if (i < 0) pushed.current = false;
    };
    sync();
    addEventListener("popstate", sync);
    return () => removeEventListener("popstate", sync);
  }, [photos]);

  /** Opens photo `i` of `list` (the current list unless a new one is about to be set). */
  const show = (i: number, list = photos!) => {
    const id = list[i].view.id;
    if (open === undefined) {
      history.pushState(null, "", `#photo=${id}`);
      pushed.current = true;
    } else {
      history.replaceState(null, "", `#photo=${id}`);
    }
    setOpen(i);
  };
  const close = () => {
    setOpen(undefined);
    if (pushed.current) history.back();
    else history.replaceState(null, "", location.pathname + location.search);
    pushed.current = false;
  };
  return { open, show, close };
}
