-- Teams conversation references: what a proactive message (a StackStorm announcement, a webhook
-- post) needs to reach a conversation or a person later. Saved from verified activities only.
-- Conversation ids can be long, so rows are keyed by a hash of the id.
CREATE TABLE teams_conversations (
	key_hash CHAR(64) NOT NULL PRIMARY KEY,
	conversation_id {{TEXT}} NOT NULL,
	service_url {{TEXT}} NOT NULL,
	tenant_id {{STR}} NOT NULL,
	bot_id {{STR}} NOT NULL,
	updated_at {{TIME}} NOT NULL
);

-- People by Entra object id: their Teams user id for creating a 1:1 conversation, and that
-- conversation's id once created ("" before).
CREATE TABLE teams_users (
	aad_object_id {{STR}} NOT NULL PRIMARY KEY,
	user_id {{TEXT}} NOT NULL,
	service_url {{TEXT}} NOT NULL,
	tenant_id {{STR}} NOT NULL,
	bot_id {{STR}} NOT NULL,
	personal_conversation_id {{TEXT}} NOT NULL,
	updated_at {{TIME}} NOT NULL
);
