-- Schema 2: signed records, sessions and login challenges.

-- The latest version of every signed record (family, member, invite, node, album, grant,
-- photo, tombstone …), chosen by last-writer-wins (HLC, then author). All shared state is
-- derived from this table by queries; nothing here is plaintext a member encrypted.
CREATE TABLE records (
  kind        TEXT NOT NULL,
  id          TEXT NOT NULL,
  -- Local sequence number, strictly increasing with every stored change: peers ask for
  -- "everything after seq S" (DESIGN §7, Syncthing's delta index).
  seq         INTEGER NOT NULL UNIQUE,
  author      TEXT NOT NULL,
  hlc         TEXT NOT NULL,
  json        TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX records_member_invite ON records (json_extract(json, '$.body.invite'))
  WHERE kind = 'member';

-- Browser sessions: only a SHA-256 of the cookie value is stored, bound to the member key.
CREATE TABLE sessions (
  token_hash       TEXT PRIMARY KEY,
  member_key       TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  last_seen        INTEGER NOT NULL,
  idle_expires     INTEGER NOT NULL,
  absolute_expires INTEGER NOT NULL,
  user_agent       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_member ON sessions (member_key);

-- Single-use login challenges.
CREATE TABLE auth_challenges (
  challenge  TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT;
