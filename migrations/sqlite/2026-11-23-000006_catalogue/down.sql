DROP INDEX variants_by_producer;
DROP INDEX variants_by_price;
DROP INDEX variants_by_name_key;
ALTER TABLE variants DROP COLUMN name_key;
DROP INDEX products_name_per_producer;
DROP TABLE enterprise_currencies;
ALTER TABLE enterprise_relationships DROP COLUMN hub_accepted_at;
ALTER TABLE enterprises DROP COLUMN siret;
