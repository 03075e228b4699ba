-- Double-entry ledger (PostgreSQL). Keep in step with ../../sqlite/.
--
-- Balance convention: balance = credits_posted - debits_posted (a wallet is credited when it
-- receives money). Every transfer adds the same amount to one account's debits and another's
-- credits, so per currency the balances of all accounts sum to zero.
-- Entries and transfers are append-only (triggers below); accounts cache their totals.

ALTER TABLE currencies ADD COLUMN allow_member_to_member BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE ledger_accounts (
    id                       TEXT PRIMARY KEY NOT NULL,
    currency                 TEXT NOT NULL REFERENCES currencies (code),
    kind                     TEXT NOT NULL CHECK (kind IN ('member_wallet', 'enterprise_wallet', 'guarantee_fund',
                               'issuance', 'commission_income', 'euro_clearing', 'euro_receivable', 'euro_payable',
                               'vat_collected', 'exchange')),
    owner_kind               TEXT NOT NULL CHECK (owner_kind IN ('user', 'enterprise', 'system')),
    owner_id                 TEXT,
    name                     TEXT NOT NULL,
    -- NULL: unlimited (issuance and clearing accounts only); 0: no negative balance; N: down to -N
    overdraft_limit          BIGINT CHECK (overdraft_limit >= 0),
        pays_professionals_only  BOOLEAN NOT NULL DEFAULT FALSE,
    -- the local currency an association account or a euro payable serves (the guarantee
    -- fund, euro clearing and payables are EUR accounts, one per local currency)
    for_currency             TEXT REFERENCES currencies (code),
    status                   TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
    debits_posted            BIGINT NOT NULL DEFAULT 0,
    credits_posted           BIGINT NOT NULL DEFAULT 0,
    debits_pending           BIGINT NOT NULL DEFAULT 0,
    credits_pending          BIGINT NOT NULL DEFAULT 0,
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL,
    CHECK ((owner_kind = 'system') = (owner_id IS NULL))
);
CREATE UNIQUE INDEX ledger_accounts_one_per_owner
    ON ledger_accounts (owner_kind, COALESCE(owner_id, ''), currency, kind, COALESCE(for_currency, ''));
CREATE INDEX ledger_accounts_by_served_currency ON ledger_accounts (for_currency, kind);
CREATE INDEX ledger_accounts_by_currency ON ledger_accounts (currency, kind);

CREATE TABLE ledger_entries (
    id                 TEXT PRIMARY KEY NOT NULL,
    seq                BIGINT NOT NULL UNIQUE,
    code               TEXT NOT NULL,
    reference          TEXT NOT NULL DEFAULT '',
    description        TEXT NOT NULL DEFAULT '',
    request_hash       TEXT NOT NULL,
    reverses_entry_id  TEXT UNIQUE REFERENCES ledger_entries (id),
    created_at         TIMESTAMP NOT NULL,
    prev_hash          TEXT NOT NULL,
    hash               TEXT NOT NULL
);
CREATE INDEX ledger_entries_by_time ON ledger_entries (created_at);

CREATE TABLE ledger_transfers (
    id                 TEXT PRIMARY KEY NOT NULL,
    entry_id           TEXT NOT NULL REFERENCES ledger_entries (id),
    position           INTEGER NOT NULL,
    debit_account_id   TEXT NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id  TEXT NOT NULL REFERENCES ledger_accounts (id),
    currency           TEXT NOT NULL REFERENCES currencies (code),
    amount             BIGINT NOT NULL CHECK (amount > 0),
    kind               TEXT NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending')),
    pending_id         TEXT REFERENCES ledger_transfers (id),
    expires_at         TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)),
    UNIQUE (entry_id, position)
);
-- a hold is resolved (posted or voided) exactly once
CREATE UNIQUE INDEX ledger_transfers_resolve_once ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_by_debit ON ledger_transfers (debit_account_id, created_at);
CREATE INDEX ledger_transfers_by_credit ON ledger_transfers (credit_account_id, created_at);
CREATE INDEX ledger_transfers_open_holds ON ledger_transfers (expires_at) WHERE kind = 'pending';

-- the head of the hash chain: one row, updated by every entry
CREATE TABLE ledger_head (
    id    INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE reconversion_rules (
    currency      TEXT NOT NULL REFERENCES currencies (code),
    -- an account kind, or '*' for every kind without a rule of its own
    account_kind  TEXT NOT NULL DEFAULT '*',
    percent_bp    INTEGER NOT NULL DEFAULT 0 CHECK (percent_bp BETWEEN 0 AND 10000),
    fixed_minor   BIGINT NOT NULL DEFAULT 0 CHECK (fixed_minor >= 0),
    PRIMARY KEY (currency, account_kind)
);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: post a reversing entry instead', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transfers_append_only BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
