-- Enterprise books: the accounts of one hub or producer, written from its orders and
-- settlements (the deployment's books are `accounting_moves`). Keep in step with the other
-- backend's copy.

-- The accounts and journals of enterprise books (one JSON document, the `books` part of
-- the chart; absent: the French defaults).
CREATE TABLE chart_books (
    id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    body        TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- One row per enterprise whose books were validated: the lock of its validation, and the
-- time before which every source was booked (the next validation reads from a little
-- earlier on, not from the beginning).
CREATE TABLE book_state (
    enterprise_id    TEXT PRIMARY KEY NOT NULL REFERENCES enterprises (id),
    validated_at     TIMESTAMP NOT NULL,
    complete_before  TIMESTAMP
);

-- A move of an enterprise's books, from one source (an order's sale, a euro receipt, a
-- producer's settlement), numbered continuously per journal and fiscal year of that book.
-- A source that moves nothing (an order weighed down to zero) is recorded without a number
-- or lines: it is never exported, and never read again.
CREATE TABLE book_moves (
    id             TEXT PRIMARY KEY NOT NULL,
    enterprise_id  TEXT NOT NULL REFERENCES enterprises (id),
    seq            BIGINT NOT NULL,
    source         TEXT NOT NULL,
    journal_code   TEXT NOT NULL,
    journal_label  TEXT NOT NULL,
    fiscal_year    INTEGER NOT NULL,
    number         BIGINT,
    entry_date     DATE NOT NULL,
    piece_ref      TEXT NOT NULL,
    label          TEXT NOT NULL,
    validated_at   TIMESTAMP NOT NULL,
    UNIQUE (enterprise_id, source),
    UNIQUE (enterprise_id, seq),
    UNIQUE (enterprise_id, journal_code, fiscal_year, number)
);
CREATE INDEX book_moves_by_date ON book_moves (enterprise_id, entry_date, seq);

-- Its lines, as exported.
CREATE TABLE book_lines (
    move_id          TEXT NOT NULL REFERENCES book_moves (id),
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
    -- lettering: the lines of one account, auxiliary account and piece that balance
    letter           TEXT NOT NULL DEFAULT '',
    lettered_on      DATE,
    PRIMARY KEY (move_id, position)
);
CREATE INDEX book_lines_to_letter ON book_lines (account_code, aux_code, letter);

-- The sources of a hub's books: its booked orders, its orders with euros received.
CREATE INDEX orders_booked_by_hub ON orders (hub_id, booked_at) WHERE booked_at IS NOT NULL;
CREATE INDEX orders_paid_by_hub ON orders (hub_id, euro_paid_at) WHERE euro_paid_at IS NOT NULL;

-- How many lettering codes each book (`''`: the deployment's; else an enterprise id) has used
-- per account code: the next letter without counting every lettered line.
CREATE TABLE letter_counters (
    book          TEXT NOT NULL,
    account_code  TEXT NOT NULL,
    used          BIGINT NOT NULL,
    PRIMARY KEY (book, account_code)
);

-- Each euro receipt recorded on an order: the ledger entry that booked it, its amount, when.
CREATE TABLE order_receipts (
    entry_id      TEXT PRIMARY KEY NOT NULL REFERENCES ledger_entries (id),
    order_id      TEXT NOT NULL REFERENCES orders (id),
    hub_id        TEXT NOT NULL REFERENCES enterprises (id),
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
    received_at   TIMESTAMP NOT NULL
);
CREATE INDEX order_receipts_by_hub ON order_receipts (hub_id, received_at);
INSERT INTO order_receipts (entry_id, order_id, hub_id, amount_minor, received_at)
    SELECT e.id, o.id, o.hub_id, t.amount, e.created_at
    FROM ledger_entries e
    JOIN ledger_transfers t ON t.entry_id = e.id
    JOIN orders o ON o.number = substr(e.reference, 7)
    WHERE e.code = 'receipt' AND e.reference LIKE 'order %';

-- A producer's settlements (the sources of its books).
CREATE INDEX producer_settlements_by_producer ON producer_settlements (producer_id, created_at);
