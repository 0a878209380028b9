-- +goose Up
-- The public 政府信息公开 column (issue 19 point 1) and topics (issue 20
-- point 5).
--
-- public_items: one row per item the website published, written in the
-- transaction that records the website's delivery (and again, with the
-- new text, when a correction is delivered). It is the column's index:
-- its lists, pages, filters and full-text search read it, then load the
-- few items shown from drafts and revisions. terms is the item's text as
-- Go-made character bigrams (internal/fulltext), for a GIN index:
-- PostgreSQL 15 has no Chinese parser and pg_trgm cannot look up one- or
-- two-character words. NULL terms (items published before this migration)
-- are filled by Store.Migrate. A withdrawn item keeps its row (and its
-- 索引号) with withdrawn set, and leaves every list and search.
--
-- index_year and index_serial are the item's 索引号 serial, assigned once
-- at its first publication from index_serials (per agency and year) and
-- never changed; index_no is the 索引号 as the agency's pattern made it
-- then.
CREATE TABLE public_items (
    draft_id      bigint PRIMARY KEY REFERENCES drafts(id),
    agency_id     bigint NOT NULL REFERENCES agencies(id),
    department_id bigint NOT NULL REFERENCES departments(id),
    revision      int NOT NULL,
    category      text NOT NULL,
    topics        text[] NOT NULL DEFAULT '{}',
    published_at  timestamptz NOT NULL,
    year          int NOT NULL,
    index_serial  int NOT NULL,
    index_no      text NOT NULL,
    withdrawn     boolean NOT NULL DEFAULT false,
    terms         tsvector,
    UNIQUE (agency_id, year, index_serial)
);
CREATE INDEX public_items_list ON public_items (agency_id, published_at DESC, draft_id DESC) WHERE NOT withdrawn;
CREATE INDEX public_items_category ON public_items (agency_id, category, published_at DESC, draft_id DESC) WHERE NOT withdrawn;
CREATE INDEX public_items_terms ON public_items USING gin (terms) WHERE NOT withdrawn;
CREATE INDEX public_items_department ON public_items (department_id, published_at DESC, draft_id DESC) WHERE NOT withdrawn;
CREATE INDEX public_items_topics ON public_items USING gin (topics) WHERE NOT withdrawn;
-- the few items with topics, for an agency's list of its topics
CREATE INDEX public_items_topical ON public_items (agency_id) WHERE topics <> '{}' AND NOT withdrawn;

CREATE TABLE index_serials (
    agency_id bigint NOT NULL REFERENCES agencies(id),
    year      int NOT NULL,
    last      int NOT NULL,
    PRIMARY KEY (agency_id, year)
);

-- agency_sites: what an agency's public column shows besides its items,
-- set by its admins (audited in the agency's chain).
CREATE TABLE agency_sites (
    agency_id     bigint PRIMARY KEY REFERENCES agencies(id),
    credit_code   text NOT NULL DEFAULT '',   -- 统一社会信用代码, the 索引号's prefix
    index_pattern text NOT NULL DEFAULT '{code}/{year}-{serial}',
    emblem        text NOT NULL DEFAULT '',   -- a same-site image path (/public/files/...)
    sponsor       text NOT NULL DEFAULT '',   -- 主办单位
    site_code     text NOT NULL DEFAULT '',   -- 网站标识码
    icp           text NOT NULL DEFAULT '',   -- 备案号
    guide         text NOT NULL DEFAULT '',   -- 政府信息公开指南
    rules         text NOT NULL DEFAULT '',   -- 政府信息公开制度
    updated_by    bigint REFERENCES users(id),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Topics (专题): part of a revision's content, hashed with it.
ALTER TABLE revisions ADD COLUMN topics text[] NOT NULL DEFAULT '{}';

-- The items already public, numbered in the order they were published.
WITH p AS (
    SELECT d.id, d.agency_id, d.department_id, r.revision, r.category,
        (SELECT min(f.delivered_at) FROM publications f WHERE f.draft_id = d.id AND f.channel = 'website' AND f.status = 'delivered') AS at,
        d.state = 'withdrawn' AS withdrawn
    FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = COALESCE(d.published_revision, d.revision)
    WHERE EXISTS (SELECT 1 FROM publications f WHERE f.draft_id = d.id AND f.revision = r.revision AND f.channel = 'website' AND f.status = 'delivered')
), n AS (
    SELECT p.*, EXTRACT(year FROM p.at AT TIME ZONE 'Asia/Shanghai')::int AS y,
        row_number() OVER (PARTITION BY p.agency_id, EXTRACT(year FROM p.at AT TIME ZONE 'Asia/Shanghai') ORDER BY p.at, p.id)::int AS serial
    FROM p
)
INSERT INTO public_items (draft_id, agency_id, department_id, revision, category, published_at, year, index_serial, index_no, withdrawn)
SELECT n.id, n.agency_id, n.department_id, n.revision, n.category, n.at, n.y, n.serial,
    (SELECT a.slug FROM agencies a WHERE a.id = n.agency_id) || '/' || n.y || '-' || lpad(n.serial::text, 5, '0'), n.withdrawn
FROM n;
INSERT INTO index_serials (agency_id, year, last) SELECT agency_id, year, max(index_serial) FROM public_items GROUP BY agency_id, year;

-- +goose Down
ALTER TABLE revisions DROP COLUMN topics;
DROP TABLE agency_sites;
DROP TABLE index_serials;
DROP TABLE public_items;
