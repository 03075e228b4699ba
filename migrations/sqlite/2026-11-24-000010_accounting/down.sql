DROP TABLE accounting_state;
DROP TABLE accounting_periods;
DROP TABLE accounting_lines;
DROP TABLE accounting_moves;
DROP TABLE accounting_journals;
DROP TABLE chart_mappings;
