-- Schema 4: replication between family nodes (docs/PROTOCOL.md). All times are ms since
-- the epoch. Nothing here is needed for correctness after a loss: jobs and locations are
-- rebuilt by the periodic inventory exchange, cursors by pulling a feed from 0.

-- Nonces of signed node requests, kept until their validity window has closed, so a
-- captured request can never be played again (PROTOCOL §2.4).
CREATE TABLE request_nonces (
  nonce      TEXT PRIMARY KEY,
  node_id    TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX request_nonces_expiry ON request_nonces (expires_at);

-- How far this node has applied each peer's record feed. A peer whose database was reset
-- has a new index id, and its feed is read again from 0.
CREATE TABLE peer_cursors (
  node_id    TEXT NOT NULL,
  index_id   TEXT NOT NULL,
  seq        INTEGER NOT NULL CHECK (seq >= 0),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (node_id, index_id)
) STRICT, WITHOUT ROWID;

-- What this node knows of each peer: the cursor of our feed it confirmed, when it last
-- answered, when a full record sync with it last completed, and what it stores.
CREATE TABLE peer_state (
  node_id       TEXT PRIMARY KEY,
  pushed_seq    INTEGER NOT NULL DEFAULT 0,
  last_seen     INTEGER,
  last_sync     INTEGER,
  last_error    TEXT,
  blob_count    INTEGER,
  blob_bytes    INTEGER
) STRICT;

-- The durable blob job queue: one row per blob x peer x direction (DESIGN §7).
-- pending -> in_flight -> done, or back to pending with exponential backoff, or failed
-- after too many attempts; failed jobs return to pending after
-- P2POS_REP_FAILED_RETRY_AFTER_SECS. A job left in_flight by a crash is pending at start.
CREATE TABLE blob_jobs (
  blob_id    TEXT NOT NULL,
  peer_id    TEXT NOT NULL,
  dir        TEXT NOT NULL CHECK (dir IN ('push', 'pull')),
  state      TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'failed')),
  attempts   INTEGER NOT NULL DEFAULT 0,
  next_at    INTEGER NOT NULL,
  size       INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (blob_id, peer_id, dir)
) STRICT, WITHOUT ROWID;
CREATE INDEX blob_jobs_due ON blob_jobs (state, next_at);
CREATE INDEX blob_jobs_peer ON blob_jobs (peer_id, state);

-- Where is it stored: which peers hold which blob, since when (acknowledged: a push was
-- acknowledged, a pull from it succeeded, or its inventory listed it) and when a proof of
-- possession last succeeded. This node's own copies are read from the blob store.
CREATE TABLE blob_locations (
  blob_id     TEXT NOT NULL,
  node_id     TEXT NOT NULL,
  acked_at    INTEGER NOT NULL,
  verified_at INTEGER,
  seen_at     INTEGER NOT NULL,
  PRIMARY KEY (blob_id, node_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX blob_locations_node ON blob_locations (node_id, seen_at);
CREATE INDEX blob_locations_verify ON blob_locations (node_id, verified_at);

-- Records from a peer that could not be authorized yet, usually because what authorizes
-- them (an invite, an admin's member record) comes later in the peer's feed. They are tried
-- again whenever new records arrive, and dropped once a version at least as new is stored.
CREATE TABLE parked_records (
  kind      TEXT NOT NULL,
  id        TEXT NOT NULL,
  hlc       TEXT NOT NULL,
  author    TEXT NOT NULL,
  json      TEXT NOT NULL,
  from_node TEXT NOT NULL,
  reason    TEXT NOT NULL,
  parked_at INTEGER NOT NULL,
  attempts  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (kind, id, hlc, author)
) STRICT, WITHOUT ROWID;
