-- The review queue's amount order served by an index (issue "desktop": sort under 150 ms on
-- 100,000 documents). Amounts are decimal text; the queue ordered them with the folio_decimal
-- collation (crates/store/src/queue.rs), which sorts all matching documents on every sort and
-- which an index cannot use on a connection without that collation. Instead each document gets a
-- text key whose plain (binary) order is the amount's numeric order, computed from the decimal
-- text with built-in functions only (any connection can write documents), in two virtual columns
-- (computed, never stored in the table; only the index stores the key):
--
--   payable_digits  the absolute value as 40 integer digits (zero-padded; the CHECK of payable
--                   bounds it to 40 characters), '.', and the fraction without trailing zeros:
--                   equal amounts ("10", "10.00") get equal digits, and for two non-negative
--                   amounts text order is numeric order.
--   payable_order   'P' || digits for zero and positive amounts; for negative amounts 'N' (before
--                   every 'P'), the digits with each digit d replaced by 9 - d (so a larger
--                   magnitude sorts first), and '~' (after every digit, so that -5 sorts after
--                   -5.1 whose fraction continues).
--
-- The two columns keep the nesting of the expression within SQLite's parser limits. A test in
-- queue.rs compares this order with rust_decimal's on thousands of amounts.

ALTER TABLE documents ADD COLUMN payable_digits TEXT GENERATED ALWAYS AS (
    substr('0000000000000000000000000000000000000000'
           || (CASE WHEN instr(substr(payable, 1 + (payable GLOB '-*')), '.') > 0 THEN substr(substr(payable, 1 + (payable GLOB '-*')), 1, instr(substr(payable, 1 + (payable GLOB '-*')), '.') - 1) ELSE substr(payable, 1 + (payable GLOB '-*')) END), -40)
    || '.'
    || (CASE WHEN instr(substr(payable, 1 + (payable GLOB '-*')), '.') > 0 THEN rtrim(substr(substr(payable, 1 + (payable GLOB '-*')), instr(substr(payable, 1 + (payable GLOB '-*')), '.') + 1), '0') ELSE '' END)
) VIRTUAL;

ALTER TABLE documents ADD COLUMN payable_order TEXT GENERATED ALWAYS AS (
    CASE WHEN payable GLOB '-*' AND payable_digits <> '0000000000000000000000000000000000000000.'
    THEN 'N' || replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(payable_digits, '0', 'a'), '1', 'b'), '2', 'c'), '3', 'd'), '4', 'e'), '5', 'f'), '6', 'g'), '7', 'h'), '8', 'i'), '9', 'j'), 'a', '9'), 'b', '8'), 'c', '7'), 'd', '6'), 'e', '5'), 'f', '4'), 'g', '3'), 'h', '2'), 'i', '1'), 'j', '0') || '~'
    ELSE 'P' || payable_digits END
) VIRTUAL;

-- Ties broken by id in the same direction, as the other orders of migration 0009.
CREATE INDEX documents_queue_amount ON documents (payable_order, id);
