package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// The search benchmark (`sanshen bench -search N`): N published items of
// the corpus are written straight into a bench database (COPY into a
// staging table, then set-based inserts into drafts, revisions,
// publications and the public column's index, whose indexes are built
// after the load, as a restore would), and the column's queries run
// through store.PublicList as the public pages run them: search with and
// without filters, one-, two- and four-character words, and plain lists.
// It prints each query's p50/p95/p99 and the plan PostgreSQL chose.

// SearchResult is what one search run measured.
type SearchResult struct {
	Items     int                 `json:"items"`
	LoadSecs  float64             `json:"load_seconds"`
	IndexSecs float64             `json:"index_seconds"`
	BodyRunes float64             `json:"body_runes_mean"`
	TableMB   float64             `json:"public_items_mb"`
	GinMB     float64             `json:"gin_index_mb"`
	Runs      int                 `json:"runs_per_query"`
	Queries   []SearchQueryResult `json:"queries"`
	Plans     map[string]string   `json:"plans"`
}

// SearchQueryResult is one query's latency and hits.
type SearchQueryResult struct {
	Name   string      `json:"name"`
	Hits   int64       `json:"hits"`
	Capped bool        `json:"capped"`
	Lat    Percentiles `json:"latency"`
}

// searchExtras are sentences a share of the items carry besides the
// corpus's prose, so that the two-character words people look for occur
// as rarely as they do in an office's year (the corpus's own vocabulary is
// small and every word in it is common).
//
// One word is common only in old items (疫情, in half of the items of the
// first two years and in none after), the case where a search's windows
// run empty for years and then find a dense stretch (docs/public.md).
var searchExtras = []struct {
	share    float64
	until    float64 // only in the first share of the items, by time (0: all)
	sentence string
}{
	{0.01, 0, "经审核，辖区新增低保家庭%d户，发放低保金%d元。"},
	{0.002, 0, "依法办理个人所得税专项附加扣除咨询%d件，涉及税款%d元。"},
	{0.03, 0, "对%d处老旧小区改造项目开展质量巡查，整改问题%d项。"},
	{0.5, 0.4, "落实疫情防控措施，排查重点人员%d人，设置检测点%d个。"},
}

// benchTopic is an item's topic (专题) in the bench corpus: one item in
// 2,000 is of a project's topic (500 of a million, the size of a topic
// an office gathers), one in 20 of a campaign's (50,000, a topic too large
// to read at once).
func benchTopic(i int) []string {
	switch {
	case i%2000 == 7:
		return []string{"老旧小区改造"}
	case i%20 == 3:
		return []string{"安全生产"}
	}
	return []string{}
}

// benchQueries are the column's queries the search benchmark runs.
func benchQueries(depts map[string]int64) []struct {
	name string
	q    store.PublicQuery
} {
	first := depts[DefaultDepartments[0]]
	type nq = struct {
		name string
		q    store.PublicQuery
	}
	return []nq{
		{"search 消防 (2 chars)", store.PublicQuery{AgencyID: 1, Q: "消防"}},
		{"search 低保 (2 chars, rare)", store.PublicQuery{AgencyID: 1, Q: "低保"}},
		{"search 安全 (2 chars, in most items)", store.PublicQuery{AgencyID: 1, Q: "安全"}},
		{"search 税 (1 char)", store.PublicQuery{AgencyID: 1, Q: "税"}},
		{"search 垃圾分类 (4 chars)", store.PublicQuery{AgencyID: 1, Q: "垃圾分类"}},
		{"search 老旧小区改造 2024", store.PublicQuery{AgencyID: 1, Q: "老旧小区改造", Year: 2024}},
		{"search 消防 + category penalty + year", store.PublicQuery{AgencyID: 1, Q: "消防", Category: "penalty", Year: 2023}},
		{"search 低保 + department", store.PublicQuery{AgencyID: 1, Q: "低保", DepartmentID: first}},
		{"search 消防 page 50", store.PublicQuery{AgencyID: 1, Q: "消防", Page: 50}},
		{"search 疫情 (2 chars, old items only)", store.PublicQuery{AgencyID: 1, Q: "疫情"}},
		{"list: column page 1", store.PublicQuery{AgencyID: 1}},
		{"list: category penalty page 1", store.PublicQuery{AgencyID: 1, Category: "penalty"}},
		{"list: year 2022 page 10", store.PublicQuery{AgencyID: 1, Year: 2022, Page: 10}},
		{"topic 老旧小区改造 (500 items): list", store.PublicQuery{AgencyID: 1, Topic: "老旧小区改造", Oldest: true}},
		{"topic 老旧小区改造: search 消防", store.PublicQuery{AgencyID: 1, Topic: "老旧小区改造", Q: "消防", Oldest: true}},
		{"topic 安全生产 (50,000 items): search 安全", store.PublicQuery{AgencyID: 1, Topic: "安全生产", Q: "安全", Oldest: true}},
		{"topic 安全生产: search 低保 (rare)", store.PublicQuery{AgencyID: 1, Topic: "安全生产", Q: "低保", Oldest: true}},
	}
}

// RunSearch runs the search benchmark on a database of its own.
// With reuse, it measures the queries on a database an earlier run kept
// (-keep), without loading again.
func RunSearch(ctx context.Context, cfg config.Config, log *slog.Logger, o Options, n, runs int, reuse string, progress io.Writer) (SearchResult, error) {
	res := SearchResult{Items: n, Runs: runs, Plans: map[string]string{}}
	server := o.DatabaseURL
	if server == "" {
		server = cfg.DatabaseURL
	}
	name := fmt.Sprintf("sanshen_bench_search_%s_%d", time.Now().UTC().Format("20060102_150405"), os.Getpid())
	if reuse != "" {
		name = reuse
	}
	dbURL, err := withDatabase(server, name)
	if err != nil {
		return res, err
	}
	if reuse != "" {
		return measureSearch(ctx, dbURL, log, res, progress)
	}
	defer func() {
		if o.Keep {
			fmt.Fprintf(progress, "kept the database %s\n", name)
			return
		}
		if err := dropDatabase(context.WithoutCancel(ctx), server, name); err != nil {
			log.Warn("could not drop the bench database", "database", name, "err", err)
		}
	}()
	if err := createAndMigrate(ctx, dbURL, log); err != nil {
		return res, err
	}
	s, err := store.Open(ctx, dbURL, log)
	if err != nil {
		return res, err
	}
	defer s.Close()
	depts := map[string]int64{}
	for _, d := range DefaultDepartments {
		dep, err := s.AddDepartment(ctx, benchActor(1), d)
		if err != nil {
			return res, err
		}
		depts[d] = dep.ID
	}
	author, err := addPerson(ctx, s, 1, "检索基准", domain.RoleOfficer, depts[DefaultDepartments[0]])
	if err != nil {
		return res, err
	}
	start := time.Now()
	if res.BodyRunes, err = loadItems(ctx, s, depts, author.ID, n, o.Seed, progress); err != nil {
		return res, err
	}
	res.LoadSecs = time.Since(start).Seconds()
	start = time.Now()
	if err := buildIndexes(ctx, s, progress); err != nil {
		return res, err
	}
	res.IndexSecs = time.Since(start).Seconds()
	return measureSearch(ctx, dbURL, log, res, progress)
}

// measureSearch runs the queries on a loaded database.
func measureSearch(ctx context.Context, dbURL string, log *slog.Logger, res SearchResult, progress io.Writer) (SearchResult, error) {
	s, err := store.Open(ctx, dbURL, log)
	if err != nil {
		return res, err
	}
	defer s.Close()
	depts := map[string]int64{}
	rows, _ := s.Pool.Query(ctx, `SELECT name, id FROM departments`)
	var name string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&name, &id}, func() error { depts[name] = id; return nil }); err != nil {
		return res, err
	}
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM public_items`).Scan(&res.Items); err != nil {
		return res, err
	}
	runs := res.Runs
	if err := s.Pool.QueryRow(ctx, `SELECT pg_total_relation_size('public_items') / 1048576.0, pg_relation_size('public_items_terms') / 1048576.0`).
		Scan(&res.TableMB, &res.GinMB); err != nil {
		return res, err
	}
	for _, bq := range benchQueries(depts) {
		q := bq.q
		q.Size = 20
		if _, err := s.PublicList(ctx, q); err != nil { // warm
			return res, fmt.Errorf("%s: %w", bq.name, err)
		}
		ds := make([]time.Duration, 0, runs)
		var page store.PublicPage
		for range runs {
			t := time.Now()
			page, err = s.PublicList(ctx, q)
			if err != nil {
				return res, fmt.Errorf("%s: %w", bq.name, err)
			}
			ds = append(ds, time.Since(t))
		}
		res.Queries = append(res.Queries, SearchQueryResult{Name: bq.name, Hits: page.Total, Capped: page.Capped, Lat: percentiles(ds)})
		plan, err := s.ExplainPublicList(ctx, q)
		if err != nil {
			return res, err
		}
		res.Plans[bq.name] = plan
		fmt.Fprintf(progress, "%-40s done\n", bq.name)
	}
	return res, nil
}

// loadItems writes n published items of the corpus, spread over the five
// years 2021–2025, and reports their bodies' mean length in runes.
func loadItems(ctx context.Context, s *store.Store, depts map[string]int64, author int64, n int, seed uint64, progress io.Writer) (float64, error) {
	if _, err := s.Pool.Exec(ctx, `CREATE UNLOGGED TABLE bench_items (id bigint, dept bigint, category text, at timestamptz,
		title text, body text, sum bytea, terms text, topics text[])`); err != nil {
		return 0, err
	}
	c := newCorpus(seed, DefaultDepartments, 0, 0, time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC))
	from := time.Date(2021, 1, 1, 9, 0, 0, 0, domain.Beijing)
	span := time.Date(2026, 1, 1, 0, 0, 0, 0, domain.Beijing).Sub(from) - 24*time.Hour
	var runes int64
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= n {
			return nil, nil
		}
		d := c.draft(i)
		r := rand.New(rand.NewPCG(seed^0x5ea7c4, uint64(i)))
		body := d.Body
		for _, x := range searchExtras {
			if r.Float64() < x.share && (x.until == 0 || float64(i) < x.until*float64(n)) {
				body += "\n" + fmt.Sprintf(x.sentence, 1+r.IntN(50), 1000+r.IntN(90000))
			}
		}
		content := domain.Content{Title: d.Title, Body: body, Category: d.Category}
		sum := sha256.Sum256([]byte(body))
		runes += int64(len([]rune(body)))
		at := from.Add(time.Duration(float64(span) * float64(i) / float64(n)))
		i++
		if i%100000 == 0 {
			fmt.Fprintf(progress, "generated %d items\n", i)
		}
		return []any{int64(i), depts[d.Department], d.Category, at, d.Title, body, sum[:], store.SearchTerms(content), benchTopic(i - 1)}, nil
	})
	if _, err := s.Pool.CopyFrom(ctx, pgx.Identifier{"bench_items"}, []string{"id", "dept", "category", "at", "title", "body", "sum", "terms", "topics"}, src); err != nil {
		return 0, fmt.Errorf("error loading the items: %w", err)
	}
	// The index's own indexes are built after the load (buildIndexes).
	rows, _ := s.Pool.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'public_items' AND indexname LIKE 'public_items\_%' AND indexname NOT LIKE '%key' AND indexname NOT LIKE '%pkey'`)
	var names []string
	var defs []string
	var nm, def string
	if _, err := pgx.ForEachRow(rows, []any{&nm, &def}, func() error {
		names, defs = append(names, nm), append(defs, def)
		return nil
	}); err != nil {
		return 0, err
	}
	if _, err := s.Pool.Exec(ctx, `DROP INDEX `+strings.Join(names, ", ")); err != nil {
		return 0, err
	}
	indexDefs = defs
	for _, q := range []string{
		`INSERT INTO drafts (id, author_id, department_id, agency_id, state, revision, step_done, formed_on, deadline, published_at, published_revision)
			SELECT id, $1, dept, 1, 'published', 1, true, (at AT TIME ZONE 'Asia/Shanghai')::date, (at AT TIME ZONE 'Asia/Shanghai')::date, at, 1 FROM bench_items`,
		`INSERT INTO revisions (draft_id, revision, title, body, category, channels, formed_on, content_sha256, topics)
			SELECT id, 1, title, body, category, '{website}', (at AT TIME ZONE 'Asia/Shanghai')::date, sum, topics FROM bench_items`,
		`INSERT INTO publications (draft_id, revision, channel, status, delivered_at) SELECT id, 1, 'website', 'delivered', at FROM bench_items`,
		`INSERT INTO public_items (draft_id, agency_id, department_id, revision, category, published_at, year, index_serial, index_no, topics, terms)
			SELECT id, 1, dept, 1, category, at, y, serial, 'BENCH/' || y || '-' || lpad(serial::text, 5, '0'), topics,
				terms::tsvector || public_item_keys(category, dept, at) || public_item_topic_keys(topics)
			FROM (SELECT *, EXTRACT(year FROM at AT TIME ZONE 'Asia/Shanghai')::int AS y,
				row_number() OVER (PARTITION BY EXTRACT(year FROM at AT TIME ZONE 'Asia/Shanghai') ORDER BY id)::int AS serial FROM bench_items) b`,
		`SELECT setval('drafts_id_seq', (SELECT max(id) FROM drafts))`,
		`DROP TABLE bench_items`,
	} {
		if _, err := s.Pool.Exec(ctx, q, pgArgs(q, author)...); err != nil {
			return 0, fmt.Errorf("error writing the items (%.60s…): %w", strings.TrimSpace(q), err)
		}
	}
	fmt.Fprintf(progress, "wrote %d items\n", n)
	return float64(runes) / float64(max(n, 1)), nil
}

// pgArgs is the author for the one statement that takes it.
func pgArgs(q string, author int64) []any {
	if strings.Contains(q, "$1") {
		return []any{author}
	}
	return nil
}

// indexDefs are public_items' indexes as the migrations made them, which
// loadItems dropped before the load.
var indexDefs []string

// buildIndexes builds the index's indexes as the migrations defined them,
// then analyzes and vacuums (the visibility map lets counts read the
// index alone, as autovacuum would in a running installation).
func buildIndexes(ctx context.Context, s *store.Store, progress io.Writer) error {
	c, err := s.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	for _, q := range append([]string{`SET maintenance_work_mem = '1GB'`}, indexDefs...) {
		if _, err := c.Exec(ctx, q); err != nil {
			return fmt.Errorf("error building %.60s…: %w", q, err)
		}
	}
	fmt.Fprintln(progress, "built the indexes")
	if _, err := c.Exec(ctx, `VACUUM ANALYZE drafts, revisions, publications, public_items`); err != nil {
		return err
	}
	return nil
}

// WriteSearch prints a search run's figures.
func WriteSearch(w io.Writer, r SearchResult) {
	fmt.Fprintf(w, "search: %d published items (bodies %.0f runes on average), loaded in %.0fs, indexes built in %.0fs; public_items %.0f MB, its GIN index %.0f MB; %d runs per query\n",
		r.Items, r.BodyRunes, r.LoadSecs, r.IndexSecs, r.TableMB, r.GinMB, r.Runs)
	fmt.Fprintf(w, "%-40s %10s %8s %8s %8s %8s\n", "query", "hits", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, q := range r.Queries {
		hits := fmt.Sprint(q.Hits)
		if q.Capped {
			hits += "+"
		}
		fmt.Fprintf(w, "%-40s %10s %8.1f %8.1f %8.1f %8.1f\n", q.Name, hits, q.Lat.P50, q.Lat.P95, q.Lat.P99, q.Lat.Max)
	}
	fmt.Fprintln(w)
	for _, q := range r.Queries {
		fmt.Fprintf(w, "plan of %s:\n%s\n", q.Name, r.Plans[q.Name])
	}
}
