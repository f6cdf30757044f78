-- Leases: which replica holds a connection only one may hold at a time (XMPP, Slack Socket Mode).
CREATE TABLE leases (
	name {{STR}} NOT NULL PRIMARY KEY,
	holder {{STR}} NOT NULL,
	expires_at {{TIME}} NOT NULL
);
