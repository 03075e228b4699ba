DROP TABLE reconversion_rules;
DROP TABLE ledger_head;
DROP TABLE ledger_transfers;
DROP TABLE ledger_entries;
DROP TABLE ledger_accounts;
DROP FUNCTION ledger_append_only();
ALTER TABLE currencies DROP COLUMN allow_member_to_member;
