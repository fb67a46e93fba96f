"""The statements test_column_masking.py runs through every client, each with what it expects
per result column (the rule that masks it, or none), and the scratch objects they need."""

IDS = "id BETWEEN 1 AND 8"

# Made directly on PostgreSQL before the policy is applied.
SCRATCH = [
    "CREATE TABLE notes (id int, note text)",
    "CREATE TABLE name_log (name text UNIQUE DEFERRABLE INITIALLY DEFERRED)",
    "CREATE FUNCTION echo_text(text) RETURNS text LANGUAGE sql AS 'SELECT $1'",
    "CREATE VIEW contacts AS SELECT id, name AS full_name, email AS mail, upper(name) AS shout "
    "FROM customers",
    "CREATE VIEW contacts2 AS SELECT id, full_name || '!' AS loud FROM contacts",
    "CREATE MATERIALIZED VIEW contacts_mv AS SELECT id, name FROM customers",
]

# What feeds each result column, one letter per column: "-" no masked column (the value must be
# exact), or the first policy rule matching its sources: N names (redact), E emails (redact),
# C cards (partial, last 4 kept), S ssns (null), U sources unknown to the agent (a user function:
# masking_unknown: mask, i.e. redacted). A column of a type that is not text-like and must be
# masked is NULL, whatever the rule.
SELECTS = [
    (f"SELECT * FROM customers WHERE {IDS} ORDER BY id", "-NECS-"),
    (f"SELECT * FROM public.customers WHERE {IDS}", "-NECS-"),
    ("TABLE customers", "-NECS-"),
    (f"SELECT id, name, ssn FROM customers WHERE {IDS}", "-NS"),
    ("SELECT c.id, c.name AS n FROM customers c WHERE c.id BETWEEN 1 AND 8", "-N"),
    (f"SELECT (c).name FROM customers c WHERE {IDS}", "N"),
    (f'SELECT name COLLATE "C" FROM customers WHERE {IDS}', "N"),
    (f"SELECT name::varchar(100), email::varchar FROM customers WHERE {IDS}", "NE"),
    (f"SELECT format('%s', name) FROM customers WHERE {IDS}", "N"),
    (f"SELECT concat_ws(',', name, email) FROM customers WHERE {IDS}", "N"),
    (f"SELECT array_to_string(array_agg(name), ',') FROM customers WHERE {IDS}", "N"),
    (f"SELECT substr(name, 1, 20), left(name, 50), lower(name) FROM customers WHERE {IDS}",
     "NNN"),
    (f"SELECT ROW(name, email)::text FROM customers WHERE {IDS}", "N"),
    (f"SELECT id, to_jsonb(c) FROM customers c WHERE {IDS}", "-N"),
    (f"SELECT to_jsonb(c)::text FROM customers c WHERE {IDS}", "N"),
    (f"SELECT row_to_json(c) FROM customers c WHERE {IDS}", "N"),
    (f"SELECT json_agg(c) FROM customers c WHERE {IDS}", "N"),
    (f"SELECT json_agg(c)::text FROM customers c WHERE {IDS}", "N"),
    (f"SELECT jsonb_build_object('n', name) ->> 'n' FROM customers WHERE {IDS}", "N"),
    (f"SELECT t.x FROM (SELECT name AS x FROM customers WHERE {IDS}) t", "N"),
    (f"SELECT c2.* FROM (SELECT * FROM customers WHERE {IDS}) c2", "-NECS-"),
    (f"WITH w AS (SELECT name FROM customers WHERE {IDS}) SELECT * FROM w", "N"),
    (f"SELECT name FROM customers WHERE {IDS} UNION ALL SELECT 'x'", "N"),
    ("SELECT o.id, o.amount, c.name FROM orders o JOIN customers c ON c.id = o.customer_id "
     "WHERE c.id BETWEEN 1 AND 8", "--N"),
    (f"SELECT id, CASE WHEN id > 0 THEN name END FROM customers WHERE {IDS}", "-N"),
    (f"SELECT coalesce(name, 'x') FROM customers WHERE {IDS}", "N"),
    ("SELECT (SELECT name FROM customers WHERE id = 2)", "N"),
    (f"SELECT string_agg(ssn, ',') FROM customers WHERE {IDS}", "S"),
    (f"SELECT md5(name) FROM customers WHERE {IDS}", "N"),
    (f"SELECT encode(convert_to(name, 'UTF8'), 'hex'), translate(name, 'C', 'K') "
     f"FROM customers WHERE {IDS}", "NN"),
    (f"SELECT email, upper(email), split_part(email, '@', 1) FROM customers WHERE {IDS}", "EEE"),
    (f"SELECT card_number, card_number || '', replace(card_number, ' ', ''), "
     f"replace(card_number, ' ', '-') FROM customers WHERE {IDS}", "CCCC"),
    (f"SELECT 'ssn: ' || ssn, reverse(ssn) FROM customers WHERE {IDS}", "SS"),
    (f"SELECT DISTINCT ssn FROM customers WHERE {IDS}", "S"),
    (f"SELECT max(name), min(email) FROM customers WHERE {IDS}", "NE"),
    (f"SELECT (array_agg(name ORDER BY id))[1] FROM customers WHERE {IDS}", "N"),
    (f"SELECT ARRAY[name, email] FROM customers WHERE {IDS}", "N"),
    (f"SELECT id, name FROM customers WHERE {IDS} ORDER BY name DESC LIMIT 3", "-N"),
    ("SELECT x FROM customers, LATERAL (SELECT name || ' ' || email AS x) l "
     "WHERE customers.id BETWEEN 1 AND 8", "N"),
    ("SELECT c.id, c.name FROM customers c WHERE c.id BETWEEN 1 AND 8 AND EXISTS "
     "(SELECT 1 FROM orders o WHERE o.customer_id = c.id)", "-N"),
    (f"SELECT id, created_at, name FROM customers WHERE {IDS}", "--N"),
    ("SELECT id, customer_id, amount, status, created_at FROM orders "
     "WHERE customer_id BETWEEN 1 AND 8", "-----"),
    ("SELECT count(*) FROM customers", "-"),
    (f"SELECT echo_text(name) FROM customers WHERE {IDS}", "N"),
    ("SELECT echo_text('hello')", "U"),
    (f"SELECT * FROM contacts WHERE {IDS}", "-NEN"),
    (f"SELECT full_name FROM contacts WHERE {IDS}", "N"),
    (f"SELECT id, loud FROM contacts2 WHERE {IDS}", "-N"),
    (f"SELECT * FROM contacts_mv WHERE {IDS}", "-N"),
]

# Statements with RETURNING: every client path but cursors (DECLARE takes only a query).
RETURNING = [
    ("UPDATE customers SET name = name WHERE id = 3 RETURNING id, name, ssn", "-NS"),
    ("INSERT INTO notes (id, note) SELECT id, name FROM customers WHERE id < 4 "
     "RETURNING id, note", "-N"),
    # Without a column list the analysis cannot tell which column got which value (it has no
    # catalog of notes): every column read back carries everything written, so id is masked
    # too (NULL: an int cannot hold "****"). Over-masking, never a leak.
    ("INSERT INTO notes SELECT id, name FROM customers WHERE id < 4 RETURNING id, note", "NN"),
]

CORPUS = SELECTS + RETURNING

# psql, several statements in one simple Query message: (statement, the query whose result
# columns the rows have, columns). No cell may hold a newline (results end with one).
PSQL_MULTI = [
    (f"BEGIN; DECLARE cur CURSOR FOR SELECT * FROM customers WHERE {IDS} ORDER BY id; "
     "FETCH 5 FROM cur; FETCH ALL FROM cur; COMMIT",
     f"SELECT * FROM customers WHERE {IDS}", "-NECS-"),
    (f"BEGIN; DECLARE cur CURSOR FOR SELECT c.id, md5(c.name), to_jsonb(c), "
     f"ROW(c.name, c.email)::text FROM customers c WHERE c.{IDS} ORDER BY c.id; "
     "FETCH 5 FROM cur; COMMIT",
     f"SELECT c.id, md5(c.name), to_jsonb(c), ROW(c.name, c.email)::text FROM customers c "
     f"WHERE c.{IDS}", "-NNN"),
    (f"BEGIN; DECLARE cur CURSOR FOR SELECT * FROM contacts WHERE {IDS} ORDER BY id; "
     "FETCH 5 FROM cur; COMMIT",
     f"SELECT * FROM contacts WHERE {IDS}", "-NEN"),
    # Binary cursor rows through the simple protocol: text values have the same bytes.
    (f"BEGIN; DECLARE cur BINARY CURSOR FOR SELECT name, email, card_number, ssn FROM "
     f"customers WHERE {IDS} ORDER BY id; FETCH ALL FROM cur; COMMIT",
     f"SELECT name, email, card_number, ssn FROM customers WHERE {IDS}", "NECS"),
    (f"PREPARE p AS SELECT id, name, card_number, ssn FROM customers WHERE {IDS} ORDER BY id; "
     "EXECUTE p; EXECUTE p",
     f"SELECT id, name, card_number, ssn FROM customers WHERE {IDS}", "-NCS"),
    ("PREPARE q(int) AS SELECT id, name, email FROM customers WHERE id = $1; "
     "EXECUTE q(3); EXECUTE q(4)",
     "SELECT id, name, email FROM customers WHERE id = 3", "-NE"),
    ("PREPARE r AS UPDATE customers SET name = name WHERE id = 3 RETURNING id, name, ssn; "
     "EXECUTE r",
     "SELECT id, name, ssn FROM customers WHERE id = 3", "-NS"),
]

# psql COPY ... TO STDOUT: (statement, the query whose columns it copies, columns, format).
COPIES = [
    (f"COPY (SELECT id, name, email, card_number, ssn FROM customers WHERE {IDS}) TO STDOUT",
     f"SELECT id, name, email, card_number, ssn FROM customers WHERE {IDS}", "-NECS", "text"),
    ("COPY customers TO STDOUT", "SELECT * FROM customers", "-NECS-", "text"),
    ("COPY customers (id, name) TO STDOUT WITH (FORMAT csv, HEADER)",
     "SELECT id, name FROM customers", "-N", "csv"),
    (f"COPY (SELECT * FROM contacts WHERE {IDS}) TO STDOUT WITH (FORMAT csv)",
     f"SELECT * FROM contacts WHERE {IDS}", "-NEN", "csv"),
    (f"COPY (SELECT id, md5(name), row_to_json(c) FROM customers c WHERE {IDS}) TO STDOUT",
     f"SELECT id, md5(name), row_to_json(c) FROM customers c WHERE {IDS}", "-NN", "text"),
]
