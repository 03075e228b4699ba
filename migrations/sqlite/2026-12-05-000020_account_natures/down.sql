DELETE FROM chart_mappings WHERE id = 'default-vat-collected-eur';
ALTER TABLE accounting_state DROP COLUMN language;
ALTER TABLE accounting_state DROP COLUMN books_version;
