-- +goose Up
-- A topic (专题) is a key of the terms too, #t:老旧小区改造, like the
-- category and the department (migration 031): a search within a large
-- topic is then answered by the GIN index alone, where the topic checked
-- on each row of the word's hits read tens of thousands of rows per window
-- (a common word in a topic of 50,000 items: 79 ms p99 over 200,000
-- items). A small topic's search reads its items at once (store.topicHits).
-- Only items with topics change: few rows.
-- +goose StatementBegin
CREATE FUNCTION public_item_topic_keys(topics text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
    SELECT array_to_tsvector(ARRAY(SELECT '#t:' || t FROM unnest(topics) t))
$$;
-- +goose StatementEnd
UPDATE public_items SET terms = terms || public_item_topic_keys(topics) WHERE topics <> '{}' AND terms IS NOT NULL;

-- +goose Down
UPDATE public_items SET terms = array_to_tsvector(ARRAY(SELECT t FROM unnest(tsvector_to_array(terms)) t WHERE t NOT LIKE '#t:%'))
    WHERE topics <> '{}' AND terms IS NOT NULL;
DROP FUNCTION public_item_topic_keys(text[]);
