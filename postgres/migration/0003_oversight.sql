-- Oversight (issue 7): objections, notices, responsible staff, supervision
-- counters and random checks. Tables listed in insertion order have an
-- identity column seq (see 0001_init.sql on why seq follows commit order).

-- An objection (异议) against a license; the answer is stored in place.
CREATE TABLE objections (
	seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	license      TEXT NOT NULL,
	license_base TEXT NOT NULL,
	type         TEXT NOT NULL,
	issuer       TEXT NOT NULL,
	filer        TEXT NOT NULL, -- Actor.ID of the party with standing
	filed_by     TEXT NOT NULL,
	fields       TEXT[] NOT NULL,
	reason       TEXT NOT NULL,
	attachments  JSONB NOT NULL, -- array of {name, media_type, size, sha256}
	status       TEXT NOT NULL,
	filed_at     TIMESTAMPTZ NOT NULL,
	due_on       DATE NOT NULL, -- China time
	answered_at  TIMESTAMPTZ,
	answered_by  TEXT NOT NULL,
	answer       TEXT NOT NULL,
	correction   TEXT NOT NULL
);
CREATE INDEX objections_issuer ON objections (issuer, status, seq);
CREATE INDEX objections_filer ON objections (filer, seq);
CREATE INDEX objections_base ON objections (license_base, status);
CREATE INDEX objections_open ON objections (status, due_on);

-- Notices to a party's notice box (units, holders).
CREATE TABLE notices (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	recipient  TEXT NOT NULL,
	kind       TEXT NOT NULL,
	objection  TEXT NOT NULL,
	license    TEXT NOT NULL,
	message    TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	read_at    TIMESTAMPTZ
);
CREATE INDEX notices_recipient ON notices (recipient, seq);

-- Responsible administrators of units (art. 25).
CREATE TABLE unit_contacts (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	unit       TEXT NOT NULL REFERENCES units (code),
	name       TEXT NOT NULL,
	title      TEXT NOT NULL,
	phone      TEXT NOT NULL,
	email      TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX unit_contacts_unit ON unit_contacts (unit, seq);

-- Supervision counters: per unit, granularity (d: a day YYYY-MM-DD, m: a
-- month YYYY-MM), period, metric and license type, kept in the same
-- transaction as the change they count. stats_period serves the city-wide
-- queries with an index-only scan.
CREATE TABLE stats (
	unit   TEXT NOT NULL,
	g      TEXT NOT NULL,
	period TEXT NOT NULL,
	metric TEXT NOT NULL,
	type   TEXT NOT NULL,
	n      BIGINT NOT NULL,
	sum    BIGINT NOT NULL,
	PRIMARY KEY (unit, g, period, metric, type)
);
CREATE INDEX stats_period ON stats (g, period) INCLUDE (unit, metric, type, n, sum);

-- Random checks (抽查) with their items and review outcomes.
CREATE TABLE random_checks (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	unit       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	created_by TEXT NOT NULL,
	items      JSONB NOT NULL -- array of check items
);
CREATE INDEX random_checks_unit ON random_checks (unit, seq);
