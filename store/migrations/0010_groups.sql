-- Groups of chat users (issue 13), and grants that name a group or carry conditions.
-- "groups" is a reserved word in MySQL 8, hence user_groups.
CREATE TABLE user_groups (
	id {{ID}},
	name {{STR}} NOT NULL UNIQUE,
	platform {{STR}} NOT NULL,
	created_at {{TIME}} NOT NULL
);

CREATE TABLE group_members (
	group_id BIGINT NOT NULL,
	user_id {{STR}} NOT NULL,
	PRIMARY KEY (group_id, user_id)
);

ALTER TABLE grants ADD COLUMN group_name {{STR}} NOT NULL DEFAULT '';

-- JSON list of {"type","value"}; NULL for none (MySQL gives TEXT no default).
ALTER TABLE grants ADD COLUMN conditions {{TEXT}};
