DELETE FROM chart_mappings WHERE account_kind IN ('holding', 'customer_credit');
DROP TABLE customer_credits;
DROP TABLE order_refunds;
ALTER TABLE order_receipts DROP COLUMN method;
ALTER TABLE order_lines DROP COLUMN delivery_note;
ALTER TABLE order_lines DROP COLUMN delivery_status;
ALTER TABLE orders DROP COLUMN weight_tolerance_percent;
ALTER TABLE orders DROP COLUMN credit_used_minor;
ALTER TABLE orders DROP COLUMN euro_refunded_minor;
ALTER TABLE order_cycles DROP COLUMN settles_at;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check CHECK (kind IN ('member_wallet',
    'enterprise_wallet', 'guarantee_fund', 'issuance', 'commission_income', 'euro_clearing',
    'euro_receivable', 'euro_payable', 'vat_collected', 'exchange'));
