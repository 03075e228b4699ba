-- Approved professionals (src/association/professionals.rs): an enterprise asks to accept a
-- local currency; the currency association's owners or treasurers approve or refuse it, and
-- may suspend an approval (the wallet frozen, its balance kept). Until approved, the
-- enterprise has no wallet in that currency and does not show as accepting it. Enterprises
-- that accepted a currency before this version were trusted then: they stay approved.
-- Keep in step with the other backend's copy.
ALTER TABLE enterprise_currencies ADD COLUMN state TEXT NOT NULL DEFAULT 'approved'
    CHECK (state IN ('requested', 'approved', 'refused', 'suspended'));
ALTER TABLE enterprise_currencies ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprise_currencies ADD COLUMN requested_at TIMESTAMP NULL;
ALTER TABLE enterprise_currencies ADD COLUMN decided_at TIMESTAMP NULL;
ALTER TABLE enterprise_currencies ADD COLUMN decided_by TEXT NULL;
CREATE INDEX enterprise_currencies_queue ON enterprise_currencies (currency_code, state);
