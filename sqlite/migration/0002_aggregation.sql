-- Aggregation (issue 6): bulk import jobs and their reports, daily
-- increment receipts, outages, and the index reconciliation walks.

-- An import job. The document holds the whole ImportJob as JSON; the
-- columns are what the store looks up and guards. rows is the checkpoint:
-- it advances in the same transaction as each batch of licenses.
CREATE TABLE import_jobs (
	seq      INTEGER PRIMARY KEY,
	id       TEXT NOT NULL UNIQUE,
	issuer   TEXT NOT NULL,
	key      TEXT, -- NULL: a job that cannot be resumed
	rows     INTEGER NOT NULL,
	document TEXT NOT NULL,
	UNIQUE (issuer, key)
);
CREATE INDEX import_jobs_issuer ON import_jobs (issuer);

-- The lines of an import's report, in the order they were found.
CREATE TABLE import_problems (
	seq     INTEGER PRIMARY KEY,
	job     TEXT NOT NULL,
	row     INTEGER NOT NULL,
	field   TEXT NOT NULL,
	reason  TEXT NOT NULL,
	outcome TEXT NOT NULL
);
CREATE INDEX import_problems_job ON import_problems (job, row);

CREATE TABLE increment_receipts (
	issuer       TEXT NOT NULL,
	date         TEXT NOT NULL,
	received_at  TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	document     TEXT NOT NULL, -- the IncrementReceipt as JSON
	PRIMARY KEY (issuer, date)
) WITHOUT ROWID;

CREATE TABLE outages (
	seq          INTEGER PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	issuer       TEXT NOT NULL,
	start        TEXT NOT NULL,
	end_at       TEXT,
	deadline     TEXT,
	caught_up_at TEXT,
	document     TEXT NOT NULL -- the Outage as JSON
);
CREATE INDEX outages_issuer ON outages (issuer, start);

-- Reconciliation walks an issuer's licenses by base in byte order.
CREATE INDEX licenses_issuer_base ON licenses (issuer, base);
