/**
 * "Where this album is stored": opened on demand, it shows where the album's originals and
 * thumbnails are kept, through the page's own view of it (islands/WhereStored). Browser-compatible.
 *
 * @module
 */

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { LibraryPhoto } from "../photo_library.ts";

export function AlbumWhere({ photos, render }: {
  photos: LibraryPhoto[];
  /** What the page shows for these blob ids once opened. */
  render: (blobIds: string[]) => ComponentChildren;
}) {
  const [open, setOpen] = useState(false);
  return (
    <details
      class="card album-where"
      onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}
    >
      <summary>Where this album is stored</summary>
      {open &&
        render(photos.flatMap((p) =>
          p.view.thumb ? [p.view.original.id, p.view.thumb.id] : [p.view.original.id]
        ))}
    </details>
  );
}
