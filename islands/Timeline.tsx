import { useEffect, useState } from "preact/hooks";
import { isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import { countPhotos } from "../lib/web/browser/vault/format.ts";
import { type LibraryPhoto, PhotoDecryptor } from "../lib/web/browser/vault/photo_library.ts";
import { type FamilyMember, familyMembers } from "../lib/web/browser/vault/sharing.ts";
import { Timeline as TimelineData } from "../lib/web/browser/vault/timeline.ts";
import { useVault } from "../lib/web/browser/vault/ui/hooks.ts";
import { useViewerHash } from "../lib/web/browser/vault/ui/viewer_hash.ts";
import { PhotoGrid } from "../lib/web/browser/vault/ui/PhotoGrid.tsx";
import { PhotoViewer } from "../lib/web/browser/vault/ui/PhotoViewer.tsx";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";

/**
 * Every photo the member can open, across albums, newest first and grouped by month; the
 * viewer steps through the whole timeline. Albums' indexes give the order; photos are fetched
 * and decrypted a screen at a time.
 */
export default function Timeline(_props: Record<string, never>) {
  const vault = useVault();
  const deps = vault.deps;
  const [timeline, setTimeline] = useState<TimelineData | undefined>();
  const [decryptor, setDecryptor] = useState<PhotoDecryptor | undefined>();
  const [photos, setPhotos] = useState<LibraryPhoto[] | undefined>();
  const [members, setMembers] = useState<FamilyMember[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);

  const fail = (err: unknown) => {
    if (isSignedOut(err)) setSignedOut(true);
    else setError(messageOf(err));
  };

  useEffect(() => {
    if (!deps) return;
    familyMembers(deps).then(setMembers, () => {});
    (async () => {
      const t = await TimelineData.open(deps);
      performance.mark("p2pos:timeline-ordered"); // bench/album_page.ts reads these marks
      await t.loadMore();
      const d = new PhotoDecryptor((p) => t.keysOf(p), deps.fetch);
      setTimeline(t);
      setDecryptor(d);
      setPhotos([...t.loaded]);
      performance.mark("p2pos:photos-first");
      // The first screen's thumbnails are asked for now, as the album page does, not once the
      // grid has been laid out and its tiles seen (a profile showed the page idle meanwhile).
      for (const p of t.loaded.slice(0, 60)) d.thumbUrl(p.view).catch(() => {});
    })().catch(fail);
  }, [deps]);

  useEffect(() => () => decryptor?.dispose(), [decryptor]);

  const more = async () => {
    if (!timeline?.more) return;
    try {
      await timeline.loadMore();
      setPhotos([...timeline.loaded]);
    } catch (err) {
      fail(err);
    }
  };

  const viewer = useViewerHash(photos);
  const { open, close } = viewer;
  const show = (i: number) => {
    viewer.show(i);
    // Stepping towards the end of what is loaded brings the next slice in.
    if (photos && i >= photos.length - 3) more();
  };

  if (vault.signedOut || signedOut) return <SignedOutAlert />;
  const names = new Map(members.map((m) => [m.key, m.name]));
  const total = timeline?.total;

  return (
    <div class="timeline-page">
      <h1>Photos</h1>
      <p class="muted album-meta">
        {total === undefined ? "Decrypting…" : `${countPhotos(total)} · newest first`}{" "}
        · every album you can open
      </p>
      <ErrorAlert message={vault.error ?? error} />
      {photos && decryptor
        ? photos.length === 0
          ? (
            <div class="card empty">
              <h2>No photos yet</h2>
              <p>Photos from every album you can open appear here, newest first.</p>
              <a class="btn btn-primary" href="/albums">Go to your albums</a>
            </div>
          )
          : (
            <PhotoGrid
              photos={photos}
              decryptor={decryptor}
              onOpen={show}
              group="month"
              total={total}
              more={timeline?.more}
              onMore={more}
            />
          )
        : (
          <div class="grid photo-grid" aria-busy="true" aria-label="Decrypting photos">
            {Array.from({ length: 24 }, (_, i) => <div class="tile shimmer" key={i} />)}
          </div>
        )}
      {open !== undefined && photos?.[open] && decryptor && (
        <PhotoViewer
          photos={photos}
          index={open}
          decryptor={decryptor}
          names={names}
          isOwner={false}
          coverId={null}
          canDelete={() => false}
          onIndex={show}
          onClose={close}
          onCover={() => Promise.resolve()}
          onDelete={() => Promise.resolve()}
          albumLink={(p) => `/albums/${p.view.record.body.album}#photo=${p.view.id}`}
        />
      )}
    </div>
  );
}
