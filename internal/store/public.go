package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/fulltext"
)

// indexColumns are the public column's index rows (public_items) a
// transaction writes: one per website delivery of a revision.
type indexColumns struct {
	draftID  []int64
	revision []int32
	category []string
	terms    []string
	topics   []string // each revision's topics joined by topicSep
}

// topicSep joins a revision's topics into one text for unnest.
const topicSep = "\x1f"

// SearchTerms is the tsvector literal of a revision's searchable text: its
// title, digest, body and topics (fulltext.Vector).
func SearchTerms(c domain.Content) string {
	return fulltext.Vector(c.Title, c.Digest, c.Body, strings.Join(c.Topics, " "))
}

// index adds the public column's row of draft id's revision rev, whose
// website delivery the transaction records.
func (m *moveSet) index(id int64, rev int, c domain.Content) {
	x := &m.idx
	x.draftID = append(x.draftID, id)
	x.revision = append(x.revision, int32(rev))
	x.category = append(x.category, c.Category)
	x.terms = append(x.terms, SearchTerms(c))
	x.topics = append(x.topics, strings.Join(c.Topics, topicSep))
}

// indexDelivered adds the index row of each website delivery among os.
func (m *moveSet) indexDelivered(id int64, rev int, c domain.Content, os []PublicationOutcome) {
	for _, o := range os {
		if o.Channel == domain.ChannelWebsite && o.Status == "delivered" {
			m.index(id, rev, c)
			return
		}
	}
}

// indexSerial is the 索引号 of a new row, from the agency's pattern:
// {code} its credit code (its slug until one is set), {year} and {serial}
// (five digits). f is the fresh row (agency_id, y, n: its serial).
const indexSerial = `replace(replace(replace(COALESCE(st.index_pattern, '{code}/{year}-{serial}'),
		'{code}', COALESCE(NULLIF(st.credit_code, ''), a.slug)), '{year}', f.y::text), '{serial}', lpad(f.serial::text, 5, '0'))`

// queueIndex writes the rows of x: a correction's new text over its row,
// and a first publication's row with its 索引号, numbered from the
// agency's counter for the year (one upsert per agency in the batch).
func queueIndex(b *pgx.Batch, x *indexColumns) {
	if len(x.draftID) == 0 {
		return
	}
	const rows = `unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[]) AS x(id, rev, category, terms, topics)`
	b.Queue(`UPDATE public_items p SET revision = x.rev, category = x.category,
			terms = x.terms::tsvector || public_item_keys(x.category, d.department_id, p.published_at)
				|| public_item_topic_keys(string_to_array(x.topics, E'\x1f')),
			topics = string_to_array(x.topics, E'\x1f'), department_id = d.department_id, withdrawn = false
		FROM `+rows+` JOIN drafts d ON d.id = x.id WHERE p.draft_id = x.id AND p.revision < x.rev`,
		x.draftID, x.revision, x.category, x.terms, x.topics)
	b.Queue(`WITH fresh AS (
			SELECT x.*, d.agency_id, d.department_id, EXTRACT(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int AS y,
				row_number() OVER (PARTITION BY d.agency_id ORDER BY x.id)::int AS n, count(*) OVER (PARTITION BY d.agency_id)::int AS k
			FROM `+rows+` JOIN drafts d ON d.id = x.id
			WHERE NOT EXISTS (SELECT 1 FROM public_items p WHERE p.draft_id = x.id)),
		counter AS (
			INSERT INTO index_serials AS s (agency_id, year, last) SELECT agency_id, min(y), max(k) FROM fresh GROUP BY agency_id
			ON CONFLICT (agency_id, year) DO UPDATE SET last = s.last + EXCLUDED.last RETURNING agency_id, last),
		f AS (SELECT fresh.*, counter.last - fresh.k + fresh.n AS serial FROM fresh JOIN counter USING (agency_id))
		INSERT INTO public_items (draft_id, agency_id, department_id, revision, category, topics, published_at, year, index_serial, index_no, terms)
		SELECT f.id, f.agency_id, f.department_id, f.rev, f.category, string_to_array(f.topics, E'\x1f'), now(), f.y, f.serial, `+indexSerial+`,
			f.terms::tsvector || public_item_keys(f.category, f.department_id, now()) || public_item_topic_keys(string_to_array(f.topics, E'\x1f'))
		FROM f JOIN agencies a ON a.id = f.agency_id LEFT JOIN agency_sites st ON st.agency_id = f.agency_id`,
		x.draftID, x.revision, x.category, x.terms, x.topics)
}

// indexRevision adds the index row of a revision whose website delivery
// recordOutcomes wrote (the one-draft path, which has not read its text).
func indexRevision(ctx context.Context, tx pgx.Tx, set *moveSet, id int64, rev int) error {
	var c domain.Content
	err := tx.QueryRow(ctx, `SELECT title, body, digest, category, topics FROM revisions WHERE draft_id = $1 AND revision = $2`, id, rev).
		Scan(&c.Title, &c.Body, &c.Digest, &c.Category, &c.Topics)
	if err != nil {
		return fmt.Errorf("error reading revision %d of draft %d for the public index: %w", rev, id, err)
	}
	set.index(id, rev, c)
	return nil
}

// fillSearchTerms writes the terms of the index rows that lack them (the
// items published before migration 027), a thousand at a time.
func (s *Store) fillSearchTerms(ctx context.Context) error {
	for {
		rows, _ := s.Pool.Query(ctx, `SELECT p.draft_id, p.revision, r.title, r.body, r.digest, r.topics FROM public_items p
			JOIN revisions r ON r.draft_id = p.draft_id AND r.revision = p.revision WHERE p.terms IS NULL LIMIT 1000`)
		var ids []int64
		var terms []string
		var revs []int32
		var c domain.Content
		var id int64
		var rev int32
		_, err := pgx.ForEachRow(rows, []any{&id, &rev, &c.Title, &c.Body, &c.Digest, &c.Topics}, func() error {
			ids, revs, terms = append(ids, id), append(revs, rev), append(terms, SearchTerms(c))
			return nil
		})
		if err != nil {
			return fmt.Errorf("error reading the items to index: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := s.Pool.Exec(ctx, `UPDATE public_items p SET terms = x.t::tsvector || public_item_keys(p.category, p.department_id, p.published_at)
				|| public_item_topic_keys(p.topics)
			FROM unnest($1::bigint[], $2::int[], $3::text[]) AS x(id, rev, t) WHERE p.draft_id = x.id AND p.revision = x.rev`, ids, revs, terms); err != nil {
			return fmt.Errorf("error indexing published items: %w", err)
		}
	}
}

// PublicQuery is what a visitor asks of a column: a page of its items,
// filtered, and with Q, searched.
type PublicQuery struct {
	AgencyID     int64 // 0: every agency's
	Q            string
	Category     string
	Categories   []string // any of these (a column of several categories)
	DepartmentID int64
	Year         int
	Month        int // 1–12, with Year
	Topic        string
	Oldest       bool // oldest first (a topic's story); else newest first
	Page, Size   int  // Page from 1
}

// PublicPage is one page of a column.
type PublicPage struct {
	Items []PublicItem
	Total int64 // every item that matches, up to the cap
	// Capped: a list has at least listCountCap items, or a search more
	// than searchHitCap hits; Total is the cap.
	Capped bool
	Runs   []string // the query's runs, for highlighting
}

// listCountCap bounds how many items a list counts: a visitor narrows
// a list of thousands rather than paging through it, and a list's pages go
// on past the count (PublicPage.Capped).
const listCountCap = 10000

// MaxSearchPages bounds a search's pages (of SearchPageSize items).
const MaxSearchPages = 50

// SearchPageSize is the public column's page of a search or list.
const SearchPageSize = 20

// searchHitCap bounds how many hits a search collects and counts: the
// hits of its MaxSearchPages pages. More are reported as Capped. (A
// variable for the tests.)
var searchHitCap = MaxSearchPages * SearchPageSize

// ErrBadQuery is a search with nothing to look for (only punctuation).
var ErrBadQuery = errors.New("the query holds no words")

// listSQL is a query of the column as SQL.
type listSQL struct {
	cond string // every filter, for a list and a search's bounds
	args []any
	// A search's windows keep only keep (the agency) as SQL,
	// with their arguments; its words and other filters are one tsquery
	// (words, keys) the GIN index answers alone (searchHits).
	keep     string
	keepArgs []any
	topic    bool // a topic's items only (a row filter, not a key)
	words    string
	keys     []string
	runs     []string
}

// publicListSQL is q as SQL.
func publicListSQL(q PublicQuery) (listSQL, error) {
	var l listSQL
	// keep is written so that no index but the terms' GIN index serves it:
	// the column's b-trees (and the topics' GIN index) are partial, on NOT
	// withdrawn, which "IS NOT TRUE" does not imply, and "+ 0" keeps the
	// agency from the unique index on (agency_id, year, index_serial). A
	// plan that read the agency's rows from a b-tree and checked each one's
	// terms (read from TOAST) is what PostgreSQL chose for the wide windows
	// of a rare word from 3,000 to 100,000 items: 25-55 ms at 8,000.
	where, keep := []string{"NOT p.withdrawn"}, []string{"p.withdrawn IS NOT TRUE"}
	arg := func(v any) string {
		l.args = append(l.args, v)
		return fmt.Sprintf("$%d", len(l.args))
	}
	keepArg := func(v any) string {
		l.keepArgs = append(l.keepArgs, v)
		return fmt.Sprintf("$%d", len(l.keepArgs))
	}
	if q.AgencyID != 0 {
		where = append(where, "p.agency_id = "+arg(q.AgencyID))
		keep = append(keep, "p.agency_id + 0 = "+keepArg(q.AgencyID))
	}
	if q.Category != "" {
		where = append(where, "p.category = "+arg(q.Category))
		l.keys = append(l.keys, fulltext.Quote(categoryKey+q.Category))
	}
	if len(q.Categories) > 0 {
		where = append(where, "p.category = ANY("+arg(q.Categories)+")")
		var oneOf []string
		for _, c := range q.Categories {
			oneOf = append(oneOf, fulltext.Quote(categoryKey+c))
		}
		l.keys = append(l.keys, "("+strings.Join(oneOf, " | ")+")")
	}
	if q.DepartmentID != 0 {
		where = append(where, "p.department_id = "+arg(q.DepartmentID))
		l.keys = append(l.keys, fulltext.Quote(fmt.Sprint(departmentKey, q.DepartmentID)))
	}
	if q.Year != 0 { // as a range of the list's order, which its indexes serve
		from, to := time.Date(q.Year, 1, 1, 0, 0, 0, 0, domain.Beijing), time.Date(q.Year+1, 1, 1, 0, 0, 0, 0, domain.Beijing)
		if q.Month >= 1 && q.Month <= 12 {
			from = time.Date(q.Year, time.Month(q.Month), 1, 0, 0, 0, 0, domain.Beijing)
			to = from.AddDate(0, 1, 0)
		}
		where = append(where, "p.published_at >= "+arg(from)+" AND p.published_at < "+arg(to))
	}
	if q.Topic != "" {
		where = append(where, "p.topics @> "+arg([]string{q.Topic}))
		l.keys = append(l.keys, fulltext.Quote(topicKey+q.Topic))
		l.topic = true
	}
	l.cond, l.keep = strings.Join(where, " AND "), strings.Join(keep, " AND ")
	if strings.TrimSpace(q.Q) != "" {
		if l.words, l.runs = fulltext.Query(q.Q); l.words == "" {
			return l, ErrBadQuery
		}
	}
	return l, nil
}

// The keys of an item's filters in its terms (public_item_keys, migration
// 031): its category, department and Beijing year, month and day; and its
// topics (public_item_topic_keys, migration 037). A word
// is letters, digits or Han only, so no query of words matches a key.
const (
	categoryKey   = "#c:"
	departmentKey = "#g:"
	topicKey      = "#t:" // public_item_topic_keys, migration 037
)

// dayKeys are the keys that cover the Beijing days from through to (both
// included): whole years as #y:, whole months as #m:, the rest as #d:.
func dayKeys(from, to time.Time) []string {
	var out []string
	for d := from; !d.After(to); {
		switch {
		case d.YearDay() == 1 && !d.AddDate(1, 0, -1).After(to):
			out = append(out, fmt.Sprintf("'#y:%d'", d.Year()))
			d = d.AddDate(1, 0, 0)
		case d.Day() == 1 && !d.AddDate(0, 1, -1).After(to):
			out = append(out, fmt.Sprintf("'#m:%d-%02d'", d.Year(), d.Month()))
			d = d.AddDate(0, 1, 0)
		default:
			out = append(out, fmt.Sprintf("'#d:%d-%02d-%02d'", d.Year(), d.Month(), d.Day()))
			d = d.AddDate(0, 0, 1)
		}
	}
	return out
}

// listOrder is the column's order: newest first, or oldest.
func listOrder(oldest bool) string {
	if oldest {
		return "p.published_at, p.draft_id"
	}
	return "p.published_at DESC, p.draft_id DESC"
}

// PublicList answers q from the index, then loads the page's items.
// Every item is on exactly one page of an unfiltered list: the order is
// the first publication time, ties broken by id. A list counts up to
// listCountCap items; a search collects its hits up to searchHitCap
// (searchHits).
func (s *Store) PublicList(ctx context.Context, q PublicQuery) (PublicPage, error) {
	return s.publicList(ctx, q, nil)
}

// ExplainPublicList is the plans PostgreSQL runs q's queries with
// (EXPLAIN ANALYZE, for the benchmark).
func (s *Store) ExplainPublicList(ctx context.Context, q PublicQuery) (string, error) {
	var b strings.Builder
	_, err := s.publicList(ctx, q, &b)
	return b.String(), err
}

// publicList is PublicList; with explain, it writes each query's plan
// there before running it.
func (s *Store) publicList(ctx context.Context, q PublicQuery, explain *strings.Builder) (PublicPage, error) {
	var out PublicPage
	l, err := publicListSQL(q)
	if err != nil {
		return out, err
	}
	out.Runs = l.runs
	size := max(q.Size, 1)
	from := (max(q.Page, 1) - 1) * size
	err = pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		run := func(sql string, args []any) (pgx.Rows, error) {
			if explain != nil {
				rows, _ := tx.Query(ctx, `EXPLAIN (ANALYZE, COSTS OFF) `+sql, args...)
				lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					return nil, err
				}
				explain.WriteString(strings.Join(lines, "\n") + "\n")
			}
			rows, _ := tx.Query(ctx, sql, args...)
			return rows, nil
		}
		var ids []int64
		if l.words != "" {
			limit := searchHitCap // a page past it is empty: the pages stop at MaxSearchPages
			hits, err := searchHits(ctx, tx, run, l, q.Oldest, limit)
			if err != nil {
				return fmt.Errorf("error searching public items: %w", err)
			}
			n := min(len(hits), limit)
			out.Total, out.Capped = int64(n), len(hits) > limit
			ids = hits[min(from, n):min(from+size, n)]
		} else {
			rows, err := run(fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM public_items p WHERE %s LIMIT %d) c`, l.cond, listCountCap), l.args)
			if err != nil {
				return err
			}
			if out.Total, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[int64]); err != nil {
				return fmt.Errorf("error counting public items: %w", err)
			}
			out.Capped = out.Total >= listCountCap
			rows, err = run(`SELECT p.draft_id FROM public_items p WHERE `+l.cond+` ORDER BY `+listOrder(q.Oldest)+
				fmt.Sprintf(` LIMIT %d OFFSET %d`, size, from), l.args)
			if err != nil {
				return err
			}
			if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return fmt.Errorf("error listing public items: %w", err)
			}
		}
		out.Items, err = s.publicItemsByID(ctx, tx, ids)
		return err
	})
	return out, err
}

// firstWindow is how many days of publications a search reads first.
const firstWindow = 7

// topicDirect is how many items a topic may have for a search within it
// to read its hits at once (topicHits). (A variable for the tests.)
var topicDirect = 5000

// windowItems bounds how many items (at the column's mean rate) a
// search's window spans. (A variable for the tests.)
var windowItems = 50000.0

// searchHits are the ids of the first limit+1 items (fewer when there
// are fewer) that l finds, in the column's order.
//
// A search does not ask PostgreSQL for all its hits sorted: a common word
// is in hundreds of thousands of items, and sorting them costs seconds. It
// reads the hits a window of Beijing days at a time, from the newest (the
// oldest with oldest), and stops when it has limit+1. The GIN index
// answers each window alone, from two tsqueries: the words with the
// filters' keys, and the window's days (dayKeys). A filter checked on the
// rows instead would read every row's terms from TOAST. Two tsqueries, not
// one: in one, GIN would read every item of the window's days before the
// word's fewer hits (it starts from the smallest keys until they decide
// the match), where two are intersected by skipping from one to the other
// (40 ms against 2 for a year's window over a million items).
//
// The first window is a week; each next one is sized from the hits per day
// found so far to hold what is still missing (at least twice the last,
// eight times after an empty one), so a common word takes one narrow
// window and a rare one a few wide ones.
func searchHits(ctx context.Context, tx pgx.Tx, run func(string, []any) (pgx.Rows, error), l listSQL, oldest bool, limit int) ([]int64, error) {
	if l.topic {
		if hits, ok, err := topicHits(run, l, oldest, limit); ok || err != nil {
			return hits, err
		}
	}
	var lo, hi *time.Time
	var items float64 // the whole column's, as PostgreSQL last counted them (-1: not yet)
	rows, err := run(`SELECT min(p.published_at), max(p.published_at), (SELECT reltuples FROM pg_class WHERE oid = 'public_items'::regclass)::float8
		FROM public_items p WHERE `+l.cond, l.args)
	if err != nil {
		return nil, err
	}
	if _, err := pgx.ForEachRow(rows, []any{&lo, &hi, &items}, func() error { return nil }); err != nil {
		return nil, err
	}
	if lo == nil {
		return nil, nil
	}
	// The GIN index must answer the windows (listSQL.keep): not a scan of
	// the whole table either, which reads every row's terms from TOAST.
	if _, err := tx.Exec(ctx, `SELECT set_config('enable_seqscan', 'off', true)`); err != nil {
		return nil, err
	}
	day := func(t time.Time) time.Time {
		y, m, d := t.In(domain.Beijing).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, domain.Beijing)
	}
	first, last := day(*lo), day(*hi)
	// No window holds more than about windowItems items, whatever the hits
	// so far promise: a word found rarely, or not at all, in the newest
	// years may be in half the items of an older stretch (疫情), and a
	// window's hits are all read and sorted.
	maxSpan := 366 * 100
	if days := last.Sub(first).Hours()/24 + 1; items > 0 {
		maxSpan = max(firstWindow, int(windowItems/(items/days)))
	}
	n := len(l.keepArgs)
	sql := `SELECT p.draft_id FROM public_items p WHERE ` + l.keep +
		fmt.Sprintf(` AND p.terms @@ $%d::tsquery AND p.terms @@ $%d::tsquery ORDER BY %s LIMIT $%d`, n+1, n+2, listOrder(oldest), n+3)
	found := strings.Join(append([]string{"(" + l.words + ")"}, l.keys...), " & ")
	var hits []int64
	span, read := firstWindow, 0
	for from, to := first, last; ; {
		if oldest {
			if to = from.AddDate(0, 0, span-1); to.After(last) {
				to = last
			}
		} else if from = to.AddDate(0, 0, 1-span); from.Before(first) {
			from = first
		}
		rows, err := run(sql, append(l.keepArgs[:n:n], found, strings.Join(dayKeys(from, to), " | "), limit+1-len(hits)))
		if err != nil {
			return nil, err
		}
		if hits, err = pgx.AppendRows(hits, rows, pgx.RowTo[int64]); err != nil {
			return nil, err
		}
		read += int(to.Sub(from).Hours()/24+0.5) + 1
		if len(hits) > limit || (oldest && to.Equal(last)) || (!oldest && from.Equal(first)) {
			return hits, nil
		}
		if len(hits) == 0 {
			span *= 8
		} else {
			perDay := float64(len(hits)) / float64(read)
			span = max(2*span, int(float64(limit+1-len(hits))/perDay*1.5))
		}
		span = min(span, maxSpan)
		if oldest {
			from = to.AddDate(0, 0, 1)
		} else {
			to = from.AddDate(0, 0, -1)
		}
	}
}

// topicHits are searchHits within a topic of at most topicDirect items
// (ok false for a larger one): all its hits in one query. A topic gathers
// a project's items, tens or hundreds; the topics' GIN index finds them and
// their terms are checked one by one (4 ms). The windows, with the topic's
// key, would find the few hits of a small topic window after window back
// to the first day. A larger topic takes the windows.
func topicHits(run func(string, []any) (pgx.Rows, error), l listSQL, oldest bool, limit int) ([]int64, bool, error) {
	rows, err := run(`SELECT count(*) FROM (SELECT 1 FROM public_items p WHERE `+l.cond+fmt.Sprintf(` LIMIT %d) x`, topicDirect+1), l.args)
	if err != nil {
		return nil, false, err
	}
	n, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int])
	if err != nil || n > topicDirect {
		return nil, false, err
	}
	k := len(l.args)
	rows, err = run(`SELECT p.draft_id FROM public_items p WHERE `+l.cond+
		fmt.Sprintf(` AND p.terms @@ $%d::tsquery ORDER BY %s LIMIT $%d`, k+1, listOrder(oldest), k+2), append(l.args[:k:k], l.words, limit+1))
	if err != nil {
		return nil, false, err
	}
	hits, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return hits, err == nil, err
}

// publicItemsByID loads the public items ids, in that order.
func (s *Store) publicItemsByID(ctx context.Context, db querier, ids []int64) ([]PublicItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, _ := db.Query(ctx, publicSelect+` AND d.id = ANY($2)`, int64(0), ids)
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PublicItem, error) { return scanPublic(r) })
	if err != nil {
		return nil, fmt.Errorf("error loading public items: %w", err)
	}
	byID := make(map[int64]PublicItem, len(items))
	for _, it := range items {
		byID[it.ID] = it
	}
	out := make([]PublicItem, 0, len(items))
	for _, id := range ids {
		if it, ok := byID[id]; ok {
			out = append(out, it)
		}
	}
	return out, nil
}

// PublicYears are the years an agency's column (0: any agency's) has
// numbered items in, newest first.
func (s *Store) PublicYears(ctx context.Context, agencyID int64) ([]int, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT DISTINCT year FROM index_serials WHERE $1::bigint = 0 OR agency_id = $1 ORDER BY year DESC`, agencyID)
	ys, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("error listing the column's years: %w", err)
	}
	return ys, nil
}

// Site is what an agency's public column shows besides its items
// (agency_sites), as its admins set it.
type Site struct {
	CreditCode   string `json:"credit_code"`   // 统一社会信用代码: the 索引号's {code}
	IndexPattern string `json:"index_pattern"` // the 索引号's pattern: {code}, {year}, {serial}
	Emblem       string `json:"emblem"`        // the emblem's same-site path ("" for none)
	Sponsor      string `json:"sponsor"`       // 主办单位
	SiteCode     string `json:"site_code"`     // 网站标识码
	ICP          string `json:"icp"`           // 备案号
	Guide        string `json:"guide"`         // 政府信息公开指南
	Rules        string `json:"rules"`         // 政府信息公开制度
}

// DefaultIndexPattern is the 索引号's pattern of an agency that set none:
// 11500103009284580A/2024-00017.
const DefaultIndexPattern = "{code}/{year}-{serial}"

// AgencySite is agency agencyID's column settings (the defaults when its
// admins set none).
func (s *Store) AgencySite(ctx context.Context, agencyID int64) (Site, error) {
	st := Site{IndexPattern: DefaultIndexPattern}
	err := s.Pool.QueryRow(ctx, `SELECT credit_code, index_pattern, emblem, sponsor, site_code, icp, guide, rules FROM agency_sites WHERE agency_id = $1`, agencyID).
		Scan(&st.CreditCode, &st.IndexPattern, &st.Emblem, &st.Sponsor, &st.SiteCode, &st.ICP, &st.Guide, &st.Rules)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("error loading the column's settings: %w", err)
	}
	return st, nil
}

// SetAgencySite stores the column settings of the admin's agency, audited
// in its chain with the fields that changed. The caller checked them
// (api.checkSite); a new 索引号 pattern numbers the items published from
// then on, the numbers given stay. A rename ("" for none) renames the
// agency in the same transaction, audited as agency_rename.
func (s *Store) SetAgencySite(ctx context.Context, by domain.Actor, st Site, rename string) error {
	if err := domain.CanManage(by, by.AgencyID); err != nil {
		return err
	}
	if rename != "" {
		if err := domain.ValidName(rename); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if rename != "" {
			if err := renameAgency(ctx, tx, by, by.AgencyID, rename); err != nil {
				return err
			}
		}
		old := Site{IndexPattern: DefaultIndexPattern}
		err := tx.QueryRow(ctx, `SELECT credit_code, index_pattern, emblem, sponsor, site_code, icp, guide, rules FROM agency_sites WHERE agency_id = $1 FOR UPDATE`, by.AgencyID).
			Scan(&old.CreditCode, &old.IndexPattern, &old.Emblem, &old.Sponsor, &old.SiteCode, &old.ICP, &old.Guide, &old.Rules)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("error loading the column's settings: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agency_sites (agency_id, credit_code, index_pattern, emblem, sponsor, site_code, icp, guide, rules, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULLIF($10, 0))
			ON CONFLICT (agency_id) DO UPDATE SET credit_code = $2, index_pattern = $3, emblem = $4, sponsor = $5, site_code = $6, icp = $7,
				guide = $8, rules = $9, updated_by = NULLIF($10, 0), updated_at = now()`,
			by.AgencyID, st.CreditCode, st.IndexPattern, st.Emblem, st.Sponsor, st.SiteCode, st.ICP, st.Guide, st.Rules, by.ID); err != nil {
			return fmt.Errorf("error storing the column's settings: %w", err)
		}
		var changed []string
		for _, f := range []struct{ name, was, is string }{
			{"credit_code", old.CreditCode, st.CreditCode}, {"index_pattern", old.IndexPattern, st.IndexPattern}, {"emblem", old.Emblem, st.Emblem},
			{"sponsor", old.Sponsor, st.Sponsor}, {"site_code", old.SiteCode, st.SiteCode}, {"icp", old.ICP, st.ICP},
		} {
			if f.was != f.is {
				changed = append(changed, fmt.Sprintf("%s: %q → %q", f.name, f.was, f.is))
			}
		}
		if old.Guide != st.Guide {
			changed = append(changed, "guide changed")
		}
		if old.Rules != st.Rules {
			changed = append(changed, "rules changed")
		}
		if len(changed) == 0 {
			changed = []string{"no change"}
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "public_site_set", strings.Join(changed, "; ")))
	})
}

// PublicCategoryCounts counts an agency's public items by category.
func (s *Store) PublicCategoryCounts(ctx context.Context, agencyID int64) (map[string]int64, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT category, count(*) FROM public_items WHERE agency_id = $1 AND NOT withdrawn GROUP BY category`, agencyID)
	out := map[string]int64{}
	var cat string
	var n int64
	if _, err := pgx.ForEachRow(rows, []any{&cat, &n}, func() error { out[cat] = n; return nil }); err != nil {
		return nil, fmt.Errorf("error counting the column's categories: %w", err)
	}
	return out, nil
}

// PublicDepartments are an agency's departments that have public items,
// by name: the column's department filter.
func (s *Store) PublicDepartments(ctx context.Context, agencyID int64) ([]Department, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id, agency_id, name, created_at FROM departments d WHERE agency_id = $1
		AND EXISTS (SELECT 1 FROM public_items p WHERE p.department_id = d.id AND NOT p.withdrawn) ORDER BY name`, agencyID)
	ds, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Department])
	if err != nil {
		return nil, fmt.Errorf("error listing the column's departments: %w", err)
	}
	return ds, nil
}

// TopicCount is a topic and how many public items carry it.
type TopicCount struct {
	Topic string
	Count int64
}

// PublicTopics are an agency's topics with their items' counts, the
// largest first.
func (s *Store) PublicTopics(ctx context.Context, agencyID int64) ([]TopicCount, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT t, count(*) FROM public_items p, unnest(p.topics) t
		WHERE p.agency_id = $1 AND p.topics <> '{}' AND NOT p.withdrawn GROUP BY t ORDER BY count(*) DESC, t`, agencyID)
	ts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TopicCount])
	if err != nil {
		return nil, fmt.Errorf("error listing the column's topics: %w", err)
	}
	return ts, nil
}
