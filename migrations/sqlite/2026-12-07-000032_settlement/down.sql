-- Not reversible on SQLite without rewriting `ledger_accounts` again (the new kinds would
-- have to go first); restore a backup instead.
DELETE FROM chart_mappings WHERE account_kind IN ('holding', 'customer_credit');
DROP TABLE customer_credits;
DROP TABLE order_refunds;
