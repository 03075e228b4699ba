-- Accounting: how ledger accounts map to the chart of accounts, and the accounting moves
-- validated from ledger entries (numbered, with their lines as exported, never changed
-- again). Keep in step with the other backend's copy.

-- A rule mapping ledger accounts to an accounting account. The most specific rule wins: one
-- ledger account (`ledger_account_id`) over a kind in one currency over a kind in any
-- currency. `auxiliary`: lines carry the account's owner as the auxiliary account
-- (CompAuxNum: a 467 sub-account per producer or wallet holder).
CREATE TABLE chart_mappings (
    id                  TEXT PRIMARY KEY NOT NULL,
    account_kind        TEXT NOT NULL,
    currency            TEXT NOT NULL DEFAULT '',
    ledger_account_id   TEXT NOT NULL DEFAULT '',
    code                TEXT NOT NULL,
    label               TEXT NOT NULL,
    auxiliary           BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX chart_mappings_rule ON chart_mappings (account_kind, currency, ledger_account_id);

-- Which journal each kind of ledger entry goes to.
CREATE TABLE accounting_journals (
    entry_code     TEXT PRIMARY KEY NOT NULL,
    journal_code   TEXT NOT NULL,
    journal_label  TEXT NOT NULL
);

-- A validated move: one per ledger entry that moves money (holds and voids do not), numbered
-- continuously per journal and fiscal (calendar) year in ledger order.
CREATE TABLE accounting_moves (
    ledger_entry_id  TEXT PRIMARY KEY NOT NULL REFERENCES ledger_entries (id),
    ledger_seq       BIGINT NOT NULL UNIQUE,
    journal_code     TEXT NOT NULL,
    journal_label    TEXT NOT NULL,
    fiscal_year      INTEGER NOT NULL,
    number           BIGINT NOT NULL,
    entry_date       DATE NOT NULL,
    piece_ref        TEXT NOT NULL,
    label            TEXT NOT NULL,
    validated_at     TIMESTAMP NOT NULL,
    UNIQUE (journal_code, fiscal_year, number)
);
CREATE INDEX accounting_moves_by_date ON accounting_moves (entry_date, ledger_seq);

-- The lines of a move as exported: euros (cents) in debit or credit; a local-currency line
-- also carries its amount and currency.
CREATE TABLE accounting_lines (
    ledger_entry_id  TEXT NOT NULL REFERENCES accounting_moves (ledger_entry_id),
    position         INTEGER NOT NULL,
    account_code     TEXT NOT NULL,
    account_label    TEXT NOT NULL,
    aux_code         TEXT NOT NULL DEFAULT '',
    aux_label        TEXT NOT NULL DEFAULT '',
    label            TEXT NOT NULL,
    debit_minor      BIGINT NOT NULL,
    credit_minor     BIGINT NOT NULL,
    currency_amount  TEXT NOT NULL DEFAULT '',
    currency         TEXT NOT NULL DEFAULT '',
    -- the ledger account of the line, and its lettering: the lines of a receivable that
    -- balance (an order's euro part owed, then received) share a letter from the day the
    -- last of them was validated
    ledger_account_id TEXT NOT NULL,
    letter           TEXT NOT NULL DEFAULT '',
    lettered_on      DATE,
    PRIMARY KEY (ledger_entry_id, position)
);
CREATE INDEX accounting_lines_to_letter ON accounting_lines (ledger_account_id, letter);

-- A closed period: its moves are final and every export of it is the same file.
CREATE TABLE accounting_periods (
    id           TEXT PRIMARY KEY NOT NULL,
    starts_on    DATE NOT NULL,
    ends_on      DATE NOT NULL,
    closed_at    TIMESTAMP NOT NULL,
    -- the treasurer who closed it (none: from the command line)
    closed_by    TEXT REFERENCES users (id)
);

-- How far the ledger has been validated into moves (ledger entries up to this seq).
CREATE TABLE accounting_state (
    id             INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    validated_seq  BIGINT NOT NULL
);
INSERT INTO accounting_state (id, validated_seq) VALUES (1, 0);
