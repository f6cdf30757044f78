-- Secrets (issue 5): references to secret values, never the values; secrets groups; cache flush requests.
-- Names are unique case-insensitively on every database (name_key is the lower-cased name), as
-- MySQL's default collation would make them anyway.
CREATE TABLE secrets (
	id {{ID}},
	name_key {{STR}} NOT NULL UNIQUE,
	name {{STR}} NOT NULL,
	description {{TEXT}} NOT NULL,
	provider {{STR}} NOT NULL,
	parameters {{TEXT}} NOT NULL,
	created_at {{TIME}} NOT NULL,
	updated_at {{TIME}} NOT NULL
);

CREATE TABLE secrets_groups (
	id {{ID}},
	name_key {{STR}} NOT NULL UNIQUE,
	name {{STR}} NOT NULL,
	description {{TEXT}} NOT NULL,
	created_at {{TIME}} NOT NULL,
	updated_at {{TIME}} NOT NULL
);

CREATE TABLE secrets_group_members (
	id {{ID}},
	group_id BIGINT NOT NULL,
	access_type {{STR}} NOT NULL,
	secret_type {{STR}} NOT NULL,
	secret_id BIGINT NOT NULL,
	UNIQUE (group_id, access_type, secret_type)
);

CREATE INDEX secrets_group_members_secret ON secrets_group_members (secret_id);

CREATE TABLE secret_cache_flushes (
	id {{ID}},
	at {{TIME}} NOT NULL
);
