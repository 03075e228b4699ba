-- Account natures (see src/accounting/nature.rs). Keep in step with the other backend's copy.
--
-- The deployment's books used to copy the ledger's sides (a ledger debit was a books debit):
-- the guarantee fund's bank account was credited when euros arrived. Moves of periods not
-- closed are re-derived by the next validation (`books_version` 0 → 1, see
-- accounting::moves::upgrade); closed periods keep what was filed.
ALTER TABLE accounting_state ADD COLUMN books_version INTEGER NOT NULL DEFAULT 0;
-- The language of the books' labels (`fr`, `en`): the chart's.
ALTER TABLE accounting_state ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';

-- A chart still holding the old French defaults moves to the new ones: the issuance is the
-- counterpart of the euros received into the fund (an internal transfer, 580000, which the
-- euro clearing shares), and a hub's VAT set aside is the hub's money (a third party, 467),
-- not the association's VAT.
UPDATE chart_mappings SET code = '580000', label = 'Virements internes'
 WHERE account_kind = 'issuance' AND currency = '' AND ledger_account_id = '' AND code = '530100';
UPDATE chart_mappings SET label = 'Virements internes'
 WHERE account_kind = 'euro_clearing' AND currency = '' AND ledger_account_id = '' AND code = '580000';
UPDATE chart_mappings SET code = '467200', label = 'Comptes des professionnels en monnaie locale', auxiliary = TRUE
 WHERE account_kind = 'vat_collected' AND currency = '' AND ledger_account_id = '' AND code = '445710';
INSERT INTO chart_mappings (id, account_kind, currency, ledger_account_id, code, label, auxiliary, updated_at)
SELECT 'default-vat-collected-eur', 'vat_collected', 'EUR', '', '467300', 'Comptes des professionnels en euros', TRUE, CURRENT_TIMESTAMP
 WHERE EXISTS (SELECT 1 FROM chart_mappings WHERE account_kind = 'vat_collected' AND currency = '' AND ledger_account_id = '' AND code = '467200')
   AND NOT EXISTS (SELECT 1 FROM chart_mappings WHERE account_kind = 'vat_collected' AND currency = 'EUR' AND ledger_account_id = '');
