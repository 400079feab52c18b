"""Numbered schema migrations: append only; never edit one that has shipped."""

from __future__ import annotations

M001_INITIAL = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every version of every spec, in the order they were seen (a reverted spec gets a new row).
CREATE TABLE workflow_versions (
    id INTEGER PRIMARY KEY,
    workflow TEXT NOT NULL,
    hash TEXT NOT NULL,
    path TEXT NOT NULL,
    spec_text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX workflow_versions_latest ON workflow_versions (workflow, id);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    workflow TEXT NOT NULL,
    version_id INTEGER REFERENCES workflow_versions(id),
    trigger TEXT NOT NULL DEFAULT 'manual',
    state TEXT NOT NULL,
    model TEXT,
    api_base TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    pid INTEGER,
    host TEXT,
    error TEXT,
    n_inputs INTEGER NOT NULL DEFAULT 0,
    n_items INTEGER NOT NULL DEFAULT 0,
    n_skipped INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL
);
CREATE INDEX runs_workflow ON runs (workflow, id);
CREATE INDEX runs_state ON runs (state);

-- The inputs of a run, written before any model call, so a crashed run can be resumed.
CREATE TABLE run_inputs (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    input_key TEXT NOT NULL,
    input_name TEXT NOT NULL,
    input_text TEXT NOT NULL,
    fields_json TEXT,
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',  -- queued | done | skipped
    UNIQUE (run_id, input_key)
);
CREATE INDEX run_inputs_open ON run_inputs (run_id, status);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    workflow TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    run_input_id INTEGER UNIQUE REFERENCES run_inputs(id),  -- one item per input, ever
    status TEXT NOT NULL,
    input_name TEXT NOT NULL,
    input_text TEXT NOT NULL,
    output TEXT NOT NULL,
    original_output TEXT NOT NULL,
    reason TEXT,          -- why it was escalated, in plain words
    reject_reason TEXT,   -- why a person rejected it
    model TEXT,
    cost_usd REAL,
    latency_ms INTEGER,
    tokens_in INTEGER,
    tokens_out INTEGER,
    checks_json TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    diff TEXT
);
CREATE INDEX items_status ON items (status, id);
CREATE INDEX items_workflow_status ON items (workflow, status, id);

CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id),
    decision TEXT NOT NULL,  -- approve | edit | reject | undo
    was TEXT,                -- the item's state before this decision (what an undo restores)
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT,
    diff TEXT
);
CREATE INDEX decisions_item ON decisions (item_id);

-- Inputs read from a configured source (folder, csv): each processed once, ever.
CREATE TABLE processed_inputs (
    workflow TEXT NOT NULL,
    input_key TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    item_id INTEGER,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (workflow, input_key, content_hash)
);

CREATE TABLE model_calls (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    run_input_id INTEGER,
    workflow TEXT,
    model TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT,
    tokens_in INTEGER,
    tokens_out INTEGER,
    cost_usd REAL,
    latency_ms INTEGER,
    at TEXT NOT NULL
);
CREATE INDEX model_calls_run ON model_calls (run_id);
CREATE INDEX model_calls_at ON model_calls (at);

-- The activity log: append-only, hash-chained (see storage/eventlog.py).
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    workflow TEXT,
    run_id INTEGER,
    item_id INTEGER,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_workflow ON events (workflow, seq);
CREATE INDEX events_item ON events (item_id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the activity log is append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the activity log is append-only');
END;
"""

M002_PROFILES_AND_SWITCHES = """
-- What a model call was for: a run's item, a cost profile, or a comparison on an old item.
-- Every purpose counts towards spend and budgets.
ALTER TABLE model_calls ADD COLUMN purpose TEXT NOT NULL DEFAULT 'run';
ALTER TABLE model_calls ADD COLUMN profile_id INTEGER;
CREATE INDEX model_calls_workflow_at ON model_calls (workflow, at);

-- Cost profiles: a workflow's samples run on one or several models, for one spec version.
CREATE TABLE profiles (
    id INTEGER PRIMARY KEY,
    workflow TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    version_id INTEGER REFERENCES workflow_versions(id),
    state TEXT NOT NULL,            -- running | finished | cancelled | failed
    models_json TEXT NOT NULL,
    runs_per_month REAL,
    report_json TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX profiles_workflow ON profiles (workflow, id);

-- Whether a workflow's schedule is on, and the last schedule slot that was run.
CREATE TABLE workflow_state (
    workflow TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 0,
    enabled_at TEXT,
    spec_hash TEXT,                 -- the spec version that was enabled (a change stops runs)
    profile_id INTEGER REFERENCES profiles(id),
    last_slot TEXT,
    updated_at TEXT NOT NULL
);
"""

M003_ACTIONS = """
-- What happens to an approved item's output, exactly once: the intent is recorded before
-- acting, the result after; a row left 'intended' (a crash in between) is settled on start.
CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL UNIQUE REFERENCES items(id),
    workflow TEXT NOT NULL,
    kind TEXT NOT NULL,             -- file | csv | email_draft | webhook | clipboard
    target TEXT,                    -- the file written, or the URL without credentials or query
    payload_hash TEXT NOT NULL,     -- sha256 of what is written or sent
    idempotency_key TEXT NOT NULL,
    state TEXT NOT NULL,            -- intended | done | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    message TEXT,                   -- the result or the error, in plain words
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX actions_state ON actions (state);
"""

M004_RUNS_READ_SOURCE = """
-- Whether a run's inputs came from its workflow's folder or csv (each then marked processed).
-- Stored, not guessed from the trigger: a resumed scheduled run marks its inputs too.
ALTER TABLE runs ADD COLUMN reads_source INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET reads_source = 1 WHERE trigger IN ('source', 'schedule', 'catch-up');
"""

M005_FULL_TEXT = """
-- Full-text search (storage/fulltext.py): FTS5 trigram indexes over the items' text and the
-- log's detail. An item's original output is indexed only when an edit made it differ from
-- the output (a search looks in both, so the same items are found with a smaller index).
CREATE VIRTUAL TABLE items_fts USING fts5(
    input_name, input_text, output, original_output, reason, reject_reason,
    content='items', content_rowid='id', tokenize='trigram', columnsize=0
);
-- Contentless (the log is append-only: nothing is ever deleted from it); the detail
-- without the prompt's messages and the model's answer.
CREATE VIRTUAL TABLE events_fts USING fts5(detail, content='', tokenize='trigram', columnsize=0);

-- How far each index goes: the rows with key <= done are in it. Newer rows (the tail) are
-- added in batches after they are written (fulltext.build), and found by LIKE until then,
-- so writing an item or an event costs what it did before the index.
CREATE TABLE fulltext_state (
    name TEXT PRIMARY KEY,
    done INTEGER NOT NULL
);
INSERT INTO fulltext_state (name, done) VALUES ('items', 0), ('events', 0);

-- A row the index holds is kept in step when it changes, whoever changes it. The triggers
-- touch only such rows: deleting a row it never held from an external-content index
-- corrupts it.
CREATE TRIGGER items_fts_insert AFTER INSERT ON items
    WHEN new.id <= (SELECT done FROM fulltext_state WHERE name = 'items')
BEGIN
    INSERT INTO items_fts (rowid, input_name, input_text, output, original_output, reason, reject_reason)
        VALUES (new.id, new.input_name, new.input_text, new.output,
            CASE WHEN new.original_output = new.output THEN NULL ELSE new.original_output END,
            new.reason, new.reject_reason);
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items
    WHEN old.id <= (SELECT done FROM fulltext_state WHERE name = 'items')
BEGIN
    INSERT INTO items_fts (items_fts, rowid, input_name, input_text, output, original_output, reason, reject_reason)
        VALUES ('delete', old.id, old.input_name, old.input_text, old.output,
            CASE WHEN old.original_output = old.output THEN NULL ELSE old.original_output END,
            old.reason, old.reject_reason);
END;

CREATE TRIGGER items_fts_update AFTER UPDATE OF id, input_name, input_text, output, original_output, reason, reject_reason ON items
BEGIN
    INSERT INTO items_fts (items_fts, rowid, input_name, input_text, output, original_output, reason, reject_reason)
        SELECT 'delete', old.id, old.input_name, old.input_text, old.output,
            CASE WHEN old.original_output = old.output THEN NULL ELSE old.original_output END,
            old.reason, old.reject_reason
        WHERE old.id <= (SELECT done FROM fulltext_state WHERE name = 'items');
    INSERT INTO items_fts (rowid, input_name, input_text, output, original_output, reason, reject_reason)
        SELECT new.id, new.input_name, new.input_text, new.output,
            CASE WHEN new.original_output = new.output THEN NULL ELSE new.original_output END,
            new.reason, new.reject_reason
        WHERE new.id <= (SELECT done FROM fulltext_state WHERE name = 'items');
END;

-- Events are never changed or deleted (see M001); one written with an old number (only by
-- hand) is indexed at once.
CREATE TRIGGER events_fts_insert AFTER INSERT ON events
    WHEN new.seq <= (SELECT done FROM fulltext_state WHERE name = 'events')
BEGIN
    INSERT INTO events_fts (rowid, detail) VALUES (
        new.seq,
        CASE WHEN json_valid(new.detail)
            THEN json_remove(new.detail, '$.messages', '$.response') ELSE new.detail END
    );
END;
"""

M006_BY_TIME = """
-- The scorecard, drift and the report read a workflow's items and the decisions by time:
-- a few weeks out of years, without reading the rest.
CREATE INDEX items_workflow_created ON items (workflow, created_at);
CREATE INDEX decisions_at ON decisions (at);
"""

M007_NO_EVENT_INSERT_TRIGGER = """
-- An event's number is always past the index's (events are appended, never changed or
-- deleted), so events_fts_insert never fired; yet its WHEN, evaluated for every row, made
-- appending 1,000,000 events take 1.7x a plain insert instead of 1.0x
-- (benchmarks/bench_log.py). New events are indexed with the rest of the tail
-- (storage.fulltext.build); one written by hand with an old number is not, and
-- `signoff log verify` reports it.
DROP TRIGGER IF EXISTS events_fts_insert;
"""

M008_INPUT_PROBLEMS = """
-- An input that could not be read (binary, a CSV row of the wrong width, an e-mail that does
-- not parse) keeps why with it, and one read with a caveat (an unknown charset) its note,
-- so a resumed run judges it as the first did.
ALTER TABLE run_inputs ADD COLUMN problem TEXT;
ALTER TABLE run_inputs ADD COLUMN note TEXT;
"""

M009_ACTION_CLAIMS = """
-- Who recorded an action's intent ("host:pid"): on a team's database another computer takes
-- an action over only once the claim is a minute old, or its process is gone on this host.
ALTER TABLE actions ADD COLUMN claimed_by TEXT;
"""

M010_INPUT_IDENTITY = """
-- What makes an input the same one again when not its text (an e-mail's Message-ID): kept
-- with a run's input, so a resumed run marks it processed as the first read knew it.
ALTER TABLE run_inputs ADD COLUMN identity TEXT;
"""

# (name, sql) in order; the migration number is the position, starting at 1.
MIGRATIONS: list[tuple[str, str]] = [
    ("initial schema", M001_INITIAL),
    ("cost profiles, call purposes, workflow switches", M002_PROFILES_AND_SWITCHES),
    ("actions after approval", M003_ACTIONS),
    ("runs record whether they read their source", M004_RUNS_READ_SOURCE),
    ("full-text search indexes", M005_FULL_TEXT),
    ("items and decisions by time", M006_BY_TIME),
    ("no per-row trigger on appended events", M007_NO_EVENT_INSERT_TRIGGER),
    ("inputs keep why they could not be read", M008_INPUT_PROBLEMS),
    ("actions say who claimed them", M009_ACTION_CLAIMS),
    ("inputs keep what they are known by", M010_INPUT_IDENTITY),
]
