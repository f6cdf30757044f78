-- Web UI accounts (issue 12) and their sessions. Roles and what they permit are code
-- (opsgate.Role.Permits), not rows: three fixed roles need no tables. A session row is keyed by
-- the SHA-256 of its cookie token, so a copy of the database opens no sessions.
CREATE TABLE users (
	id {{ID}},
	name_key {{STR}} NOT NULL UNIQUE,
	name {{STR}} NOT NULL,
	role {{STR}} NOT NULL,
	password_hash {{STR}} NOT NULL,
	created_at {{TIME}} NOT NULL,
	updated_at {{TIME}} NOT NULL
);

CREATE TABLE ui_sessions (
	token_hash CHAR(64) NOT NULL PRIMARY KEY,
	data {{TEXT}} NOT NULL,
	expires_at {{TIME}} NOT NULL
);

CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);
