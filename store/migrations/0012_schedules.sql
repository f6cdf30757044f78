-- Scheduled commands (issue 13). last_planned is the latest planned run handled (run or
-- skipped), so runs missed while no replica was up can be found after a restart.
CREATE TABLE schedules (
	id {{ID}},
	cron {{STR}} NOT NULL,
	time_zone {{STR}} NOT NULL,
	platform {{STR}} NOT NULL,
	org_id {{STR}} NOT NULL,
	channel_id {{STR}} NOT NULL,
	user_id {{STR}} NOT NULL,
	text {{TEXT}} NOT NULL,
	missed {{STR}} NOT NULL,
	created_at {{TIME}} NOT NULL,
	last_planned {{TIME}}
);
