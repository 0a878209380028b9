-- +goose Up
-- The public column's search answers its filters from the GIN index
-- (issue 19 point 1): an item's terms also hold keys of its category
-- (#c:penalty), department (#g:12) and Beijing year, month and day of its
-- first publication (#y:2024, #m:2024-06, #d:2024-06-15). A search's
-- words and filters, and its window of days, are then tsqueries the GIN
-- index answers alone (store.searchHits): checked on the rows instead, a
-- filter read every row's terms from TOAST (2-4 s over a million items). A word is letters, digits or Han only, never '#', so no
-- search matches a key. Rows without terms get theirs, keys included,
-- from Store.Migrate (fillSearchTerms).
-- +goose StatementBegin
CREATE FUNCTION public_item_keys(category text, department_id bigint, published_at timestamptz) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT array_to_tsvector(ARRAY['#c:' || category, '#g:' || department_id,
        to_char(published_at AT TIME ZONE 'Asia/Shanghai', '"#y:"YYYY'),
        to_char(published_at AT TIME ZONE 'Asia/Shanghai', '"#m:"YYYY-MM'),
        to_char(published_at AT TIME ZONE 'Asia/Shanghai', '"#d:"YYYY-MM-DD')])
$$;
-- +goose StatementEnd
UPDATE public_items SET terms = terms || public_item_keys(category, department_id, published_at) WHERE terms IS NOT NULL;
-- The terms' index covers withdrawn items too: a search's query is written
-- so that only this index can serve it (store.listSQL), which a partial
-- index on NOT withdrawn like the column's others would not allow. A
-- search drops withdrawn items on reading the row.
DROP INDEX public_items_terms;
CREATE INDEX public_items_terms ON public_items USING gin (terms);

-- +goose Down
UPDATE public_items SET terms = array_to_tsvector(ARRAY(SELECT t FROM unnest(tsvector_to_array(terms)) t WHERE t NOT LIKE '#%'))
    WHERE terms IS NOT NULL;
DROP INDEX public_items_terms;
CREATE INDEX public_items_terms ON public_items USING gin (terms) WHERE NOT withdrawn;
DROP FUNCTION public_item_keys(text, bigint, timestamptz);
