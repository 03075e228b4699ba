-- The general ledger reads one account's lines at a time (src/accounting/general_ledger.rs):
-- the deployment's lines by account code. Enterprise books have book_lines_to_letter, which
-- starts with the account code. Keep in step with the other backend's copy.
CREATE INDEX accounting_lines_by_account ON accounting_lines (account_code);
