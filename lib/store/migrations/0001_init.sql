-- p2pos index database, schema 1: the node's own settings.
-- The index holds no plaintext: ids, sizes, server times and public keys only.

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
