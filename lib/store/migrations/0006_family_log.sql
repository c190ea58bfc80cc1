-- Schema 6: the family log (docs/SECURITY.md "The family log"). Every version of every
-- record is kept as a link that names the links it follows (`prev`); the `records` table
-- keeps, for each kind and id, the version in force. Nothing here is plaintext a member
-- encrypted.

-- Every version ever stored. `seq` is the local feed order (parents always come first).
-- `valid` = 0: voided by a revocation that had not seen it; kept only while a valid link
-- names it, so that the log stays whole.
CREATE TABLE links (
  hash        TEXT PRIMARY KEY,
  seq         INTEGER NOT NULL UNIQUE,
  kind        TEXT NOT NULL,
  id          TEXT NOT NULL,
  author      TEXT NOT NULL,
  hlc         TEXT NOT NULL,
  json        TEXT NOT NULL,
  valid       INTEGER NOT NULL CHECK (valid IN (0, 1)),
  received_at INTEGER NOT NULL,
  -- JSON array: the latest links of kinds that grant or end rights (member, grant, invite,
  -- node) among this link's ancestors; answers "had it seen that removal?" without walking
  -- the whole log.
  rights      TEXT NOT NULL DEFAULT '[]'
) STRICT, WITHOUT ROWID;
CREATE INDEX links_by_record ON links (kind, id);
CREATE INDEX links_by_author ON links (author, seq);
CREATE INDEX links_void ON links (seq) WHERE valid = 0;

-- The edges of the log: `child` names `parent` in its `prev`.
CREATE TABLE link_parents (
  child  TEXT NOT NULL,
  parent TEXT NOT NULL,
  PRIMARY KEY (child, parent)
) STRICT, WITHOUT ROWID;
CREATE INDEX link_parents_by_parent ON link_parents (parent);

-- Links that end a right (RecordKind.revokes), by whose right they end (NULL: anyone's, as
-- an invite withdrawal). A link the revocation had not seen cannot stand.
CREATE TABLE revocations (
  hash    TEXT PRIMARY KEY,
  subject TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX revocations_by_subject ON revocations (subject);

-- Valid links no valid link names yet: what the next record made here follows.
CREATE TABLE link_heads (
  hash TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

-- When this node first saw the version in force enter its phase (an album in the trash):
-- periods are counted from what this node saw, never from a time the author signed.
CREATE TABLE record_phases (
  kind  TEXT NOT NULL,
  id    TEXT NOT NULL,
  phase TEXT NOT NULL,
  since INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

-- The link hash of the version in force. Rows from before the family log have none: such a
-- data directory cannot be read (RecordLog says so at start).
ALTER TABLE records ADD COLUMN hash TEXT;
