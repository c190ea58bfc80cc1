-- Schema 3: what the vault needs to answer "who may read this blob" and resumable uploads.

-- Record lookups by body field. Not partial indexes: queries bind the kind as a parameter,
-- and SQLite only uses a partial index when the query's WHERE names its condition literally.
DROP INDEX records_member_invite;
CREATE INDEX records_by_invite ON records (kind, json_extract(json, '$.body.invite'));
CREATE INDEX records_by_token_hash ON records (kind, json_extract(json, '$.body.tokenHash'));
CREATE INDEX records_by_album ON records (kind, json_extract(json, '$.body.album'));
-- Which photo records reference a blob (original, thumbnail or metadata), for the read
-- policy and for "where is it stored" per photo.
CREATE INDEX records_by_original ON records (json_extract(json, '$.body.original.id'));
CREATE INDEX records_by_thumb ON records (json_extract(json, '$.body.thumb.id'));
CREATE INDEX records_by_meta ON records (json_extract(json, '$.body.meta.id'));

-- Who uploaded a blob through this node's API: an uploader may read their own blob before
-- the photo that references it is registered. Node-local, never replicated.
CREATE TABLE blob_uploaders (
  blob_id     TEXT NOT NULL,
  member_key  TEXT NOT NULL,
  uploaded_at INTEGER NOT NULL,
  PRIMARY KEY (blob_id, member_key)
) STRICT, WITHOUT ROWID;

-- Resumable upload sessions: chunks are appended at `offset` and fsynced before the new
-- offset is acknowledged, so an acknowledged offset survives a crash.
CREATE TABLE upload_sessions (
  id          TEXT PRIMARY KEY,
  member_key  TEXT NOT NULL,
  blob_id     TEXT NOT NULL,
  size        INTEGER NOT NULL CHECK (size >= 0),
  offset      INTEGER NOT NULL CHECK (offset >= 0),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX upload_sessions_member ON upload_sessions (member_key);
