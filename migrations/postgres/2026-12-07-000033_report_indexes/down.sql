DROP INDEX order_lines_by_producer;
