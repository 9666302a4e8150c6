-- The library's initial schema. Times are TEXT in UTC with microseconds,
-- 2006-01-02T15:04:05.000000Z, so that they sort as they compare and read
-- well in the sqlite3 shell. JSON columns hold arrays and objects the store
-- never queries by position. Tables listed in insertion order have an
-- explicit INTEGER PRIMARY KEY seq: VACUUM may renumber implicit rowids.

CREATE TABLE units (
	seq         INTEGER PRIMARY KEY,
	code        TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	roles       TEXT NOT NULL, -- JSON array of roles
	region      TEXT NOT NULL,
	signing_alg TEXT NOT NULL,
	created_at  TEXT NOT NULL
);

CREATE TABLE unit_keys (
	id         TEXT PRIMARY KEY,
	unit       TEXT NOT NULL REFERENCES units (code),
	hash       BLOB NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	revoked_at TEXT
);

CREATE TABLE signing_keys (
	seq         INTEGER PRIMARY KEY,
	kid         TEXT NOT NULL UNIQUE,
	unit        TEXT NOT NULL REFERENCES units (code),
	alg         TEXT NOT NULL,
	cert_pem    TEXT NOT NULL,
	private_key BLOB NOT NULL, -- encrypted PKCS#8
	not_before  TEXT NOT NULL,
	not_after   TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	active      INTEGER NOT NULL
);
CREATE INDEX signing_keys_unit ON signing_keys (unit, created_at);

CREATE TABLE license_types (
	seq           INTEGER PRIMARY KEY,
	code          TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	definer       TEXT NOT NULL,
	holder_kind   TEXT NOT NULL,
	level         TEXT NOT NULL,
	public        INTEGER NOT NULL,
	collect_since TEXT NOT NULL,
	fields        TEXT NOT NULL, -- JSON array of field specs
	issuers       TEXT NOT NULL, -- JSON array of unit codes; [] means any issuer
	owner         TEXT NOT NULL,
	created_at    TEXT NOT NULL
);

-- A license is its signed document plus the columns the store filters on
-- and the lifecycle fields, which change outside the signature. The
-- document is kept as signed, lifecycle fields cleared.
CREATE TABLE licenses (
	seq               INTEGER PRIMARY KEY, -- storage order, keyset cursor
	id                TEXT NOT NULL UNIQUE,
	type              TEXT NOT NULL REFERENCES license_types (code),
	issuer            TEXT NOT NULL,
	serial            TEXT NOT NULL,
	version           TEXT NOT NULL,
	base              TEXT NOT NULL, -- type.issuer.serial: every version
	holder_id         TEXT NOT NULL,
	status            TEXT NOT NULL,
	superseded_by     TEXT NOT NULL,
	revoked_at        TEXT,
	revocation_reason TEXT NOT NULL,
	document          TEXT NOT NULL, -- JSON, as signed
	UNIQUE (type, issuer, serial, version)
);
-- Secondary indexes end in the rowid (seq), so equality on their columns
-- yields rows in storage order without sorting.
CREATE INDEX licenses_holder ON licenses (holder_id);
CREATE INDEX licenses_issuer ON licenses (issuer);
CREATE INDEX licenses_base ON licenses (base);
-- (type, issuer) is served by the UNIQUE index above.

CREATE TABLE idempotency_records (
	unit         TEXT NOT NULL REFERENCES units (code),
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	license_id   TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	PRIMARY KEY (unit, key)
) WITHOUT ROWID;

-- The audit log: entries numbered from 0 without gaps. The log is
-- append-only; the triggers stop changes through SQL by mistake (the
-- Merkle tree and signed checkpoints catch the rest).
CREATE TABLE audit_entries (
	idx          INTEGER PRIMARY KEY,
	time         TEXT NOT NULL,
	actor        TEXT NOT NULL,
	action       TEXT NOT NULL,
	license      TEXT NOT NULL,
	license_base TEXT NOT NULL,
	subject      TEXT NOT NULL,
	details      TEXT -- JSON object, NULL when empty
);
CREATE INDEX audit_entries_license_base ON audit_entries (license_base) WHERE license_base <> '';
CREATE INDEX audit_entries_actor ON audit_entries (actor);
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
	SELECT RAISE(ABORT, 'audit entries are append-only');
END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
	SELECT RAISE(ABORT, 'audit entries are append-only');
END;

CREATE TABLE tree_nodes (
	level INTEGER NOT NULL,
	idx   INTEGER NOT NULL,
	hash  BLOB NOT NULL,
	PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TRIGGER tree_nodes_no_update BEFORE UPDATE ON tree_nodes
BEGIN
	SELECT RAISE(ABORT, 'tree nodes are append-only');
END;

CREATE TABLE tree_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	size INTEGER NOT NULL,
	root BLOB
);

CREATE TABLE checkpoints (
	size   INTEGER PRIMARY KEY,
	origin TEXT NOT NULL,
	root   BLOB NOT NULL,
	note   TEXT NOT NULL,
	time   TEXT NOT NULL
);
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN
	SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
