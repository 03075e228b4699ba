DROP TABLE topup_requests;
ALTER TABLE enterprises DROP COLUMN bic;
ALTER TABLE enterprises DROP COLUMN iban;
