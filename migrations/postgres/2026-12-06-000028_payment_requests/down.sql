DROP TABLE payment_request_payments;
DROP TABLE payment_requests;
