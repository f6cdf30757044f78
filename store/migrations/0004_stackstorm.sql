-- StackStorm: users' own st2 credentials (a token or API key, AES-GCM sealed, base64) and one-time login links.
CREATE TABLE stackstorm_credentials (
	id {{ID}},
	platform {{STR}} NOT NULL,
	user_id {{STR}} NOT NULL,
	user_name {{STR}} NOT NULL,
	kind {{STR}} NOT NULL,
	st2_user {{STR}} NOT NULL,
	sealed {{TEXT}} NOT NULL,
	expires_at {{TIME}},
	created_at {{TIME}} NOT NULL,
	UNIQUE (platform, user_id)
);

CREATE TABLE stackstorm_login_links (
	id {{ID}},
	hash CHAR(64) NOT NULL UNIQUE,
	platform {{STR}} NOT NULL,
	user_id {{STR}} NOT NULL,
	user_name {{STR}} NOT NULL,
	created_at {{TIME}} NOT NULL,
	expires_at {{TIME}} NOT NULL,
	used {{BOOL}} NOT NULL,
	attempts INTEGER NOT NULL
);

CREATE INDEX stackstorm_login_links_expires ON stackstorm_login_links (expires_at);

-- Announcements claimed by one replica (every replica streams; one posts). Rows older than the dedupe window are purged.
CREATE TABLE stackstorm_announcements (
	id {{ID}},
	event_key CHAR(68) NOT NULL UNIQUE,
	claimed_at {{TIME}} NOT NULL
);

CREATE INDEX stackstorm_announcements_claimed ON stackstorm_announcements (claimed_at);
