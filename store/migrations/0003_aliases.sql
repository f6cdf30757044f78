-- Action aliases kept in the database (issue 4): each row is one alias file in StackStorm's format.
CREATE TABLE aliases (
	id {{ID}},
	pack {{STR}} NOT NULL,
	name {{STR}} NOT NULL,
	definition {{TEXT}} NOT NULL,
	created_at {{TIME}} NOT NULL,
	updated_at {{TIME}} NOT NULL,
	UNIQUE (pack, name)
);
