-- Settlement after the close, money held until then, refunds and customer credit (#20).
-- Keep in step with the other backend's copy.
--
-- Two new kinds of ledger account: `holding` (what a close captured, per hub and currency,
-- until settlement pays it out) and `customer_credit` (euros a hub owes its customers as
-- credit).
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check CHECK (kind IN ('member_wallet',
    'enterprise_wallet', 'guarantee_fund', 'issuance', 'commission_income', 'euro_clearing',
    'euro_receivable', 'euro_payable', 'vat_collected', 'exchange', 'holding', 'customer_credit'));

-- A cycle's settlement, when later than its close: between `closes_at` (ordering stops) and
-- `settles_at` the hub weighs, marks lines missing or substituted and records payments.
-- NULL: the close settles at once.
ALTER TABLE order_cycles ADD COLUMN settles_at TIMESTAMP;

-- Euros given back to the customer (refunded or turned into credit with the hub).
ALTER TABLE orders ADD COLUMN euro_refunded_minor BIGINT NOT NULL DEFAULT 0;
-- Customer credit with the hub used to pay this order (part of `euro_received_minor`).
ALTER TABLE orders ADD COLUMN credit_used_minor BIGINT NOT NULL DEFAULT 0;
-- How much more than ordered (percent) the customer accepted for weighed lines.
ALTER TABLE orders ADD COLUMN weight_tolerance_percent INTEGER NOT NULL DEFAULT 0
    CHECK (weight_tolerance_percent BETWEEN 0 AND 25);

-- What the hub found when packing: a line missing, or substituted (the note says by what).
ALTER TABLE order_lines ADD COLUMN delivery_status TEXT
    CHECK (delivery_status IN ('missing', 'substituted'));
ALTER TABLE order_lines ADD COLUMN delivery_note TEXT NOT NULL DEFAULT '';

-- How a receipt was paid: money received by the hub, or the customer's credit with it.
ALTER TABLE order_receipts ADD COLUMN method TEXT NOT NULL DEFAULT 'payment'
    CHECK (method IN ('payment', 'credit'));

-- Euros owed back to a customer, given back: refunded (method, reference) or turned into
-- credit with the hub. One ledger entry each.
CREATE TABLE order_refunds (
    entry_id      TEXT PRIMARY KEY NOT NULL REFERENCES ledger_entries (id),
    order_id      TEXT NOT NULL REFERENCES orders (id),
    hub_id        TEXT NOT NULL REFERENCES enterprises (id),
    customer_id   TEXT NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL CHECK (kind IN ('refund', 'credit')),
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
    method        TEXT CHECK (method IN ('bank_transfer', 'cash', 'cheque', 'card', 'other')),
    reference     TEXT NOT NULL DEFAULT '',
    recorded_by   TEXT REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    CHECK ((kind = 'refund') = (method IS NOT NULL))
);
CREATE INDEX order_refunds_by_order ON order_refunds (order_id);
CREATE INDEX order_refunds_by_hub ON order_refunds (hub_id, created_at);

-- Each customer's credit with a hub: the per-customer detail of the hub's customer credit
-- account in the ledger (the auditor checks that they add up).
CREATE TABLE customer_credits (
    hub_id         TEXT NOT NULL REFERENCES enterprises (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    balance_minor  BIGINT NOT NULL CHECK (balance_minor >= 0),
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (hub_id, user_id)
);
CREATE INDEX customer_credits_by_user ON customer_credits (user_id);

-- The new kinds are a hub's money held for others: third-party accounts in the
-- deployment's books, like its VAT set aside.
INSERT INTO chart_mappings (id, account_kind, currency, ledger_account_id, code, label, auxiliary, updated_at)
SELECT 'default-holding-' || CASE WHEN currency = '' THEN 'any' ELSE currency END, 'holding', currency, '', code, label, auxiliary, updated_at
  FROM chart_mappings WHERE account_kind = 'vat_collected' AND ledger_account_id = '';
INSERT INTO chart_mappings (id, account_kind, currency, ledger_account_id, code, label, auxiliary, updated_at)
SELECT 'default-customer-credit-' || CASE WHEN currency = '' THEN 'any' ELSE currency END, 'customer_credit', currency, '', code, label, auxiliary, updated_at
  FROM chart_mappings WHERE account_kind = 'vat_collected' AND ledger_account_id = '';
