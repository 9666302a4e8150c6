-- The signing time of a license, as PostgreSQL keeps it, so that both
-- stores take the same row (package sqlstore). NULL for the licenses
-- stored before this migration; nothing reads it back yet.
ALTER TABLE licenses ADD COLUMN signed_at TEXT;
