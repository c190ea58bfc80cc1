-- A finished resumable upload keeps its row (without a file) until it expires, so a finish
-- asked again after a crash or a lost answer gets the first answer (issue #13).
ALTER TABLE upload_sessions ADD COLUMN finished_at INTEGER;
ALTER TABLE upload_sessions ADD COLUMN created INTEGER;
