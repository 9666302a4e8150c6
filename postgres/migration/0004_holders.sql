-- The holder area (issue 4) on PostgreSQL: sessions, the delivery inbox (art. 9) and its
-- notification outbox, display-token keys and presentations (art. 16),
-- proxy authorizations (art. 22).

CREATE TABLE holder_sessions (
	hash                BYTEA PRIMARY KEY, -- SHA-256 of the cookie secret
	holder_id_type      TEXT NOT NULL,
	holder_id           TEXT NOT NULL,
	name                TEXT NOT NULL,
	method              TEXT NOT NULL,
	acting_for_id_type  TEXT NOT NULL,
	acting_for_id       TEXT NOT NULL,
	proxy_authorization TEXT NOT NULL,
	created_at          TIMESTAMPTZ NOT NULL,
	expires_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX holder_sessions_expires ON holder_sessions (expires_at);

CREATE TABLE inbox_messages (
	seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             TEXT NOT NULL UNIQUE,
	holder_id_type TEXT NOT NULL,
	holder_id      TEXT NOT NULL,
	kind           TEXT NOT NULL,
	license        TEXT NOT NULL,
	license_base   TEXT NOT NULL,
	type_name      TEXT NOT NULL,
	issuer_code    TEXT NOT NULL,
	issuer_name    TEXT NOT NULL,
	note           TEXT NOT NULL,
	delivered_at   TIMESTAMPTZ NOT NULL,
	read_at        TIMESTAMPTZ
);
CREATE INDEX inbox_messages_holder ON inbox_messages (holder_id, holder_id_type);

-- The outbox of notifications: queued with the delivery, sent by a worker.
CREATE TABLE notifications (
	seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             TEXT NOT NULL UNIQUE,
	message_id     TEXT NOT NULL,
	holder_id_type TEXT NOT NULL,
	holder_id      TEXT NOT NULL,
	kind           TEXT NOT NULL,
	license        TEXT NOT NULL,
	type_name      TEXT NOT NULL,
	delivered_at   TIMESTAMPTZ NOT NULL,
	attempts       INTEGER NOT NULL,
	next_attempt   TIMESTAMPTZ NOT NULL,
	sent_at        TIMESTAMPTZ,
	failed_at      TIMESTAMPTZ,
	last_error     TEXT NOT NULL,
	created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX notifications_due ON notifications (next_attempt) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE display_keys (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kid         TEXT NOT NULL UNIQUE,
	alg         TEXT NOT NULL,
	cert_pem    TEXT NOT NULL,
	private_key BYTEA NOT NULL, -- encrypted PKCS#8
	not_before  TIMESTAMPTZ NOT NULL,
	not_after   TIMESTAMPTZ NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE presentations (
	nonce          TEXT PRIMARY KEY, -- hex
	license        TEXT NOT NULL,
	license_base   TEXT NOT NULL,
	holder_id_type TEXT NOT NULL,
	holder_id      TEXT NOT NULL,
	fields         TEXT NOT NULL, -- JSON array of {key, label, value}
	disclosure     BYTEA NOT NULL, -- the bytes the token's digest covers
	purpose        TEXT NOT NULL,
	actor          TEXT NOT NULL,
	license_inline BOOLEAN NOT NULL,
	fields_inline  BOOLEAN NOT NULL,
	created_at     TIMESTAMPTZ NOT NULL,
	expires_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE proxy_authorizations (
	seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             TEXT NOT NULL UNIQUE,
	holder_id_type TEXT NOT NULL,
	holder_id      TEXT NOT NULL,
	holder_name    TEXT NOT NULL,
	proxy_id_type  TEXT NOT NULL,
	proxy_id       TEXT NOT NULL,
	proxy_name     TEXT NOT NULL,
	relation       TEXT NOT NULL,
	note           TEXT NOT NULL,
	created_at     TIMESTAMPTZ NOT NULL,
	created_by     TEXT NOT NULL,
	expires_at     TIMESTAMPTZ,
	revoked_at     TIMESTAMPTZ,
	revoked_by     TEXT NOT NULL
);
CREATE INDEX proxy_authorizations_holder ON proxy_authorizations (holder_id, holder_id_type);
CREATE INDEX proxy_authorizations_proxy ON proxy_authorizations (proxy_id, proxy_id_type);
