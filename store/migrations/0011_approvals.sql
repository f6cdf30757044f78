-- Two-person approval (issue 13): rules, and the requests they hold. A request's whole chat
-- request is kept (request_doc) so it runs after a restart, on whichever replica is asked.
CREATE TABLE approval_rules (
	id {{ID}},
	platform {{STR}} NOT NULL,
	command {{STR}} NOT NULL,
	subcommand {{STR}} NOT NULL,
	approvers {{TEXT}} NOT NULL,
	group_names {{TEXT}} NOT NULL,
	required INTEGER NOT NULL,
	timeout_seconds BIGINT NOT NULL,
	created_at {{TIME}} NOT NULL
);

CREATE TABLE approval_requests (
	id {{ID}},
	rule_id BIGINT NOT NULL,
	status {{STR}} NOT NULL,
	request_doc {{TEXT}} NOT NULL,
	command {{STR}} NOT NULL,
	subcommand {{STR}} NOT NULL,
	required INTEGER NOT NULL,
	approvals {{TEXT}} NOT NULL,
	decided_by {{STR}} NOT NULL,
	reason {{TEXT}} NOT NULL,
	created_at {{TIME}} NOT NULL,
	expires_at {{TIME}} NOT NULL
);

CREATE INDEX approval_requests_status ON approval_requests (status, id);
