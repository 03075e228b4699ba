DROP TABLE order_addresses;
DROP TABLE user_addresses;
