-- Token prefixes shown in lists are at most 4 characters, after the public "ogt_" marker of a
-- generated token (store.tokenPrefix). Audit rows that recorded longer ones are cut in Go
-- (migrationHooks): JSON cannot be rewritten alike on every dialect.
UPDATE command_tokens SET prefix = CASE
	WHEN SUBSTR(prefix, 1, 4) = 'ogt_' THEN SUBSTR(prefix, 5, 4)
	ELSE SUBSTR(prefix, 1, 4)
END;
