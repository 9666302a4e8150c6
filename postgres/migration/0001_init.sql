-- The library's initial schema on PostgreSQL.
--
-- Times are TIMESTAMPTZ (microseconds), hashes and keys BYTEA. A license's
-- signed document is TEXT, not JSONB: JSONB rewrites numbers (1e-7 becomes
-- 0.0000001) and the signature covers face-field numbers digit for digit.
-- JSONB holds what the store never needs back byte for byte: field
-- templates and audit details (strings only).
--
-- Tables listed in insertion order have an identity column seq. Every
-- write transaction of the store first locks the audit_counter row (see
-- postgres.go), so writers on all servers take turns and seq values are
-- handed out in commit order: a keyset cursor never skips a row that
-- commits later with a smaller seq.

CREATE TABLE units (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	code        TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	roles       TEXT[] NOT NULL,
	region      TEXT NOT NULL,
	signing_alg TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE unit_keys (
	id         TEXT PRIMARY KEY,
	unit       TEXT NOT NULL REFERENCES units (code),
	hash       BYTEA NOT NULL UNIQUE,
	created_at TIMESTAMPTZ NOT NULL,
	revoked_at TIMESTAMPTZ
);
CREATE INDEX unit_keys_unit ON unit_keys (unit);

CREATE TABLE signing_keys (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kid         TEXT NOT NULL UNIQUE,
	unit        TEXT NOT NULL REFERENCES units (code),
	alg         TEXT NOT NULL,
	cert_pem    TEXT NOT NULL,
	private_key BYTEA NOT NULL, -- encrypted PKCS#8
	not_before  TIMESTAMPTZ NOT NULL,
	not_after   TIMESTAMPTZ NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	active      BOOLEAN NOT NULL
);
CREATE INDEX signing_keys_unit ON signing_keys (unit, created_at);

CREATE TABLE license_types (
	seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	code          TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	definer       TEXT NOT NULL,
	holder_kind   TEXT NOT NULL,
	level         TEXT NOT NULL,
	public        BOOLEAN NOT NULL,
	collect_since DATE NOT NULL,
	fields        JSONB NOT NULL, -- array of field specs
	issuers       TEXT[] NOT NULL, -- unit codes; empty means any issuer
	owner         TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL
);

-- A license is its signed document plus the columns the store filters on
-- and the lifecycle fields, which change outside the signature. The
-- document is kept as signed, lifecycle fields cleared.
CREATE TABLE licenses (
	seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- storage order, keyset cursor
	id                TEXT NOT NULL UNIQUE,
	type              TEXT NOT NULL REFERENCES license_types (code),
	issuer            TEXT NOT NULL,
	serial            TEXT NOT NULL,
	version           TEXT NOT NULL,
	base              TEXT NOT NULL GENERATED ALWAYS AS (type || '.' || issuer || '.' || serial) STORED,
	holder_id         TEXT NOT NULL,
	status            TEXT NOT NULL,
	superseded_by     TEXT NOT NULL,
	revoked_at        TIMESTAMPTZ,
	revocation_reason TEXT NOT NULL,
	signed_at         TIMESTAMPTZ NOT NULL,
	document          TEXT NOT NULL, -- JSON, as signed
	UNIQUE (type, issuer, serial, version)
);
-- Secondary indexes end in seq, so that equality on their columns yields
-- rows in storage order without a sort.
CREATE INDEX licenses_holder ON licenses (holder_id, seq);
CREATE INDEX licenses_issuer ON licenses (issuer, seq);
CREATE INDEX licenses_base ON licenses (base, seq);

CREATE TABLE idempotency_records (
	unit         TEXT NOT NULL REFERENCES units (code),
	key          TEXT NOT NULL,
	request_hash BYTEA NOT NULL,
	license_id   TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (unit, key)
);

-- The audit log: entries numbered from 0 without gaps. audit_counter holds
-- the next index; AppendAudit increments it inside the writing
-- transaction, so the row stays locked until commit and a rollback gives
-- the index back. The log is append-only: the triggers stop changes
-- through SQL by mistake (the Merkle tree and signed checkpoints catch
-- the rest).
CREATE TABLE audit_counter (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	next BIGINT NOT NULL CHECK (next >= 0)
);
INSERT INTO audit_counter (id, next) VALUES (1, 0);

CREATE TABLE audit_entries (
	idx          BIGINT PRIMARY KEY,
	time         TIMESTAMPTZ NOT NULL,
	actor        TEXT NOT NULL,
	action       TEXT NOT NULL,
	license      TEXT NOT NULL,
	license_base TEXT NOT NULL,
	subject      TEXT NOT NULL,
	details      JSONB -- object of strings, NULL when empty
);
CREATE INDEX audit_entries_license_base ON audit_entries (license_base, idx) WHERE license_base <> '';
CREATE INDEX audit_entries_actor ON audit_entries (actor, idx);

CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
	FOR EACH ROW EXECUTE FUNCTION append_only();

CREATE TABLE tree_nodes (
	level SMALLINT NOT NULL,
	idx   BIGINT NOT NULL,
	hash  BYTEA NOT NULL,
	PRIMARY KEY (level, idx)
);
CREATE TRIGGER tree_nodes_append_only BEFORE UPDATE ON tree_nodes
	FOR EACH ROW EXECUTE FUNCTION append_only();

-- The integrated tree head: one row, locked by FindTreeHead inside Update.
CREATE TABLE tree_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	size BIGINT NOT NULL,
	root BYTEA
);
INSERT INTO tree_head (id, size, root) VALUES (1, 0, NULL);

CREATE TABLE checkpoints (
	size   BIGINT PRIMARY KEY,
	origin TEXT NOT NULL,
	root   BYTEA NOT NULL,
	note   TEXT NOT NULL,
	time   TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE ON checkpoints
	FOR EACH ROW EXECUTE FUNCTION append_only();
