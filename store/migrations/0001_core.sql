-- Core schema: access grants, command tokens, the audit log and the command log.
CREATE TABLE grants (
	id {{ID}},
	key_hash CHAR(64) NOT NULL UNIQUE,
	platform {{STR}} NOT NULL,
	command {{STR}} NOT NULL,
	subcommand {{STR}} NOT NULL,
	grant_type {{STR}} NOT NULL,
	name {{STR}} NOT NULL,
	value {{STR}} NOT NULL,
	expires_at {{TIME}},
	created_at {{TIME}} NOT NULL
);

CREATE TABLE command_tokens (
	id {{ID}},
	platform {{STR}} NOT NULL,
	comment {{STR}} NOT NULL,
	prefix {{STR}} NOT NULL,
	hash CHAR(64) NOT NULL UNIQUE,
	created_at {{TIME}} NOT NULL
);

CREATE TABLE audit_log (
	id {{ID}},
	at {{TIME}} NOT NULL,
	actor {{STR}} NOT NULL,
	action {{STR}} NOT NULL,
	object {{STR}} NOT NULL,
	object_id {{STR}} NOT NULL,
	before_doc {{TEXT}},
	after_doc {{TEXT}}
);

CREATE INDEX audit_log_object ON audit_log (object, id);

CREATE TABLE command_log (
	id {{ID}},
	started_at {{TIME}} NOT NULL,
	runtime_us BIGINT NOT NULL,
	platform {{STR}} NOT NULL,
	org_id {{STR}} NOT NULL,
	channel_id {{STR}} NOT NULL,
	channel_name {{STR}} NOT NULL,
	user_id {{STR}} NOT NULL,
	user_name {{STR}} NOT NULL,
	command {{STR}} NOT NULL,
	subcommand {{STR}} NOT NULL,
	params {{TEXT}} NOT NULL,
	status {{STR}} NOT NULL,
	details {{TEXT}} NOT NULL
);

CREATE INDEX command_log_started ON command_log (started_at);
