/**
 * The album grid: tiles in taken-at order, grouped by month, each decrypting its thumbnail
 * only when it scrolls near the viewport (and dropping the work if it scrolls away first).
 * Tiles are added to the page in slices, so a 10,000-photo album stays light. Browser-only.
 *
 * @module
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { formatDay, formatMonth } from "../format.ts";
import { NotWantedError } from "../lru_cache.ts";
import type { LibraryPhoto, PhotoDecryptor } from "../photo_library.ts";

const SLICE = 180;

/** One IntersectionObserver for many elements, each with its own callback. */
class Visibility {
  readonly #callbacks = new Map<Element, (visible: boolean) => void>();
  readonly #observer: IntersectionObserver;

  constructor(rootMargin: string) {
    this.#observer = new IntersectionObserver((entries) => {
      for (const e of entries) this.#callbacks.get(e.target)?.(e.isIntersecting);
    }, { rootMargin });
  }

  watch(el: Element, cb: (visible: boolean) => void): () => void {
    this.#callbacks.set(el, cb);
    this.#observer.observe(el);
    return () => {
      this.#callbacks.delete(el);
      this.#observer.unobserve(el);
    };
  }

  disconnect() {
    this.#observer.disconnect();
  }
}

/**
 * Headings by month when months hold a few photos each, by year when only years do, none when
 * headings would outnumber the photos they label.
 */
export function groupLevel(takenAt: number[]): "month" | "year" | "none" {
  const count = (key: (d: Date) => string) =>
    new Set(takenAt.map((t) => (t ? key(new Date(t)) : ""))).size;
  if (takenAt.length / count((d) => `${d.getFullYear()}-${d.getMonth()}`) >= 4) return "month";
  if (takenAt.length / count((d) => `${d.getFullYear()}`) >= 4) return "year";
  return "none";
}

function headingOf(ms: number, level: "month" | "year"): string {
  if (!ms) return "Date unknown";
  return level === "year" ? String(new Date(ms).getFullYear()) : formatMonth(ms);
}

export interface PhotoGridProps {
  photos: LibraryPhoto[];
  decryptor: PhotoDecryptor;
  onOpen(index: number): void;
  /** Headings: chosen from how the dates spread (default), or always by month (timeline). */
  group?: "auto" | "month";
  /** The total when `photos` is only the start of a longer list (for tile labels). */
  total?: number;
  /** More photos exist beyond `photos`; `onMore` is asked for them near the end. */
  more?: boolean;
  onMore?(): void;
}

export function PhotoGrid(
  { photos, decryptor, onOpen, group = "auto", total, more, onMore }: PhotoGridProps,
) {
  const [shown, setShown] = useState(SLICE);
  const visibility = useMemo(() => new Visibility("600px 0px"), []);
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => () => visibility.disconnect(), []);
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    return visibility.watch(el, (v) => {
      if (!v) return;
      if (shown >= photos.length && more) onMore?.();
      setShown((n) => Math.min(n + SLICE, photos.length));
    });
  }, [photos.length, shown, more]);

  const level = useMemo(
    () => group === "month" ? "month" : groupLevel(photos.map((p) => p.takenAt)),
    [photos, group],
  );
  const items = [];
  let heading = "";
  for (let i = 0; i < Math.min(shown, photos.length); i++) {
    const p = photos[i];
    const g = level === "none" ? "" : headingOf(p.takenAt, level);
    if (g !== heading) {
      heading = g;
      items.push(<h3 class="grid-month" key={`g-${g}`}>{g}</h3>);
    }
    items.push(
      <Tile
        key={p.view.id}
        photo={p}
        index={i}
        total={total ?? photos.length}
        decryptor={decryptor}
        visibility={visibility}
        onOpen={onOpen}
      />,
    );
  }
  return (
    <section class="photo-grid-wrap" aria-label="Photos">
      <div class="grid photo-grid">{items}</div>
      {(shown < photos.length || more) && (
        <div ref={sentinel} class="grid-sentinel" aria-hidden="true" />
      )}
    </section>
  );
}

function Tile(
  { photo, index, total, decryptor, visibility, onOpen }: {
    photo: LibraryPhoto;
    index: number;
    total: number;
    decryptor: PhotoDecryptor;
    visibility: Visibility;
    onOpen(index: number): void;
  },
) {
  const ref = useRef<HTMLButtonElement>(null);
  const [url, setUrl] = useState<string | null | undefined>(() =>
    decryptor.cachedThumb(photo.view.id)
  );
  const [failed, setFailed] = useState(false);
  const visible = useRef(false);
  const started = useRef(false);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let live = true;
    const start = () => {
      if (started.current || url) return;
      started.current = true;
      decryptor.thumbUrl(photo.view, () => visible.current).then(
        (u) => live && setUrl(u),
        (err) => {
          started.current = false;
          if (!live) return;
          if (!(err instanceof NotWantedError)) setFailed(true);
          // Scrolled away and back while it waited: the observer will not say so again.
          else if (visible.current) start();
        },
      );
    };
    const stop = visibility.watch(el, (v) => {
      visible.current = v;
      if (v) start();
    });
    return () => {
      live = false;
      stop();
    };
  }, [photo.view.id]);

  const when = photo.takenAt ? `, taken ${formatDay(photo.takenAt)}` : "";
  return (
    <button
      type="button"
      ref={ref}
      class={url ? "tile photo-tile" : "tile photo-tile tile-loading"}
      data-photo={photo.view.id}
      data-taken={photo.takenAt}
      data-loaded={url ? "true" : undefined}
      aria-label={`Photo ${index + 1} of ${total}${when}`}
      onClick={() => onOpen(index)}
    >
      {url
        ? <img src={url} alt="" decoding="async" />
        : url === null || failed
        ? (
          <span class="tile-empty">
            {failed ? "Could not decrypt the preview" : "No preview"}
          </span>
        )
        : null}
    </button>
  );
}
