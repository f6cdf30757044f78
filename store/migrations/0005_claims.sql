-- Claims: which replica acts on a delivered-more-than-once event (Slack retries, StackStorm announcements).
CREATE TABLE claims (
	key_hash CHAR(64) NOT NULL PRIMARY KEY,
	scope {{STR}} NOT NULL,
	claimed_at {{TIME}} NOT NULL
);

CREATE INDEX claims_scope_claimed ON claims (scope, claimed_at);

DROP TABLE stackstorm_announcements;
