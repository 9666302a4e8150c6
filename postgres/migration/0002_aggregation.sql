-- Aggregation (issue 6): bulk import jobs and their reports, daily
-- increment receipts, outages, and the index reconciliation walks.

-- An import job. The document holds the whole ImportJob; the columns are
-- what the store looks up and guards. rows is the checkpoint: it advances
-- in the same transaction as each batch of licenses.
CREATE TABLE import_jobs (
	seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id       TEXT NOT NULL UNIQUE,
	issuer   TEXT NOT NULL,
	key      TEXT, -- NULL: a job that cannot be resumed
	rows     BIGINT NOT NULL,
	document TEXT NOT NULL,
	UNIQUE (issuer, key)
);
CREATE INDEX import_jobs_issuer ON import_jobs (issuer, seq);

-- The lines of an import's report, in the order they were found.
CREATE TABLE import_problems (
	seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job     TEXT NOT NULL,
	row     BIGINT NOT NULL,
	field   TEXT NOT NULL,
	reason  TEXT NOT NULL,
	outcome TEXT NOT NULL
);
CREATE INDEX import_problems_job ON import_problems (job, row, seq);

CREATE TABLE increment_receipts (
	issuer       TEXT NOT NULL,
	date         TEXT NOT NULL,
	received_at  TIMESTAMPTZ NOT NULL,
	request_hash BYTEA NOT NULL,
	document     TEXT NOT NULL, -- the IncrementReceipt as JSON
	PRIMARY KEY (issuer, date)
);

CREATE TABLE outages (
	seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	issuer       TEXT NOT NULL,
	start        TIMESTAMPTZ NOT NULL,
	end_at       TIMESTAMPTZ,
	deadline     TIMESTAMPTZ,
	caught_up_at TIMESTAMPTZ,
	document     TEXT NOT NULL -- the Outage as JSON
);
CREATE INDEX outages_issuer ON outages (issuer, seq);

-- Reconciliation walks an issuer's licenses by base in byte order, which
-- is the "C" collation whatever the database's default.
CREATE INDEX licenses_issuer_base ON licenses (issuer, base COLLATE "C");
