-- The use area (issue 5): service matters and usage lists (art. 13),
-- scenarios (art. 15, 18, 20) and consent grants (art. 18–19). Each object
-- is kept as its JSON document plus the columns the store looks it up by.

CREATE TABLE matters (
	code  TEXT PRIMARY KEY,
	owner TEXT NOT NULL,
	doc   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX matters_owner ON matters (owner, code);

CREATE TABLE usage_lists (
	unit   TEXT NOT NULL,
	matter TEXT NOT NULL,
	doc    TEXT NOT NULL,
	PRIMARY KEY (unit, matter)
) WITHOUT ROWID;

CREATE TABLE scenarios (
	seq    INTEGER PRIMARY KEY,
	id     TEXT NOT NULL UNIQUE,
	unit   TEXT NOT NULL,
	region TEXT NOT NULL,
	status TEXT NOT NULL,
	kind   TEXT NOT NULL,
	doc    TEXT NOT NULL
);
CREATE INDEX scenarios_unit ON scenarios (unit);
CREATE INDEX scenarios_region ON scenarios (region);

CREATE TABLE grants (
	seq            INTEGER PRIMARY KEY,
	id             TEXT NOT NULL UNIQUE,
	unit           TEXT NOT NULL,
	holder_id_type TEXT NOT NULL,
	holder_id      TEXT NOT NULL,
	doc            TEXT NOT NULL
);
CREATE INDEX grants_unit ON grants (unit);
CREATE INDEX grants_holder ON grants (holder_id, holder_id_type);
