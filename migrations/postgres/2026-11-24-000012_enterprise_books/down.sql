DROP TABLE letter_counters;
DROP INDEX orders_paid_by_hub;
DROP INDEX orders_booked_by_hub;
DROP TABLE book_lines;
DROP TABLE book_moves;
DROP TABLE book_state;
DROP TABLE chart_books;
