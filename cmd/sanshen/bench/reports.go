package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/assessment"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// `sanshen bench reports` times the annual report and the officers'
// assessment of one agency with a year of records: items published
// through the year on every channel, two decisions each and a return for
// one in ten, and applications (依申请公开) of every applicant type and
// outcome with fees and appeals, written straight into the tables (the
// pipeline is the other bench's business). The report reads the cases
// through store.Cases, as the service does.

// ReportsMain runs `sanshen bench reports [-items N] [-cases N] [-runs N]`.
func ReportsMain(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench reports", flag.ContinueOnError)
	items := fs.Int("items", 100000, "items published in the year")
	cases := fs.Int("cases", 1000, "applications (依申请公开) in the year")
	runs := fs.Int("runs", 3, "times each report is generated")
	keep := fs.Bool("keep", false, "keep the bench's database afterwards")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *items < 1 || *cases < 0 || *runs < 1 {
		return errors.New("-items and -runs must be at least 1, -cases not negative")
	}
	name := fmt.Sprintf("sanshen_bench_reports_%s_%d", time.Now().UTC().Format("20060102_150405"), os.Getpid())
	dbURL, err := withDatabase(cfg.DatabaseURL, name)
	if err != nil {
		return err
	}
	if !*keep {
		defer func() {
			if err := dropDatabase(context.WithoutCancel(ctx), cfg.DatabaseURL, name); err != nil {
				log.Warn("could not drop the bench database", "database", name, "err", err)
			}
		}()
	}
	if err := createAndMigrate(ctx, dbURL, log); err != nil {
		return err
	}
	st, err := store.Open(ctx, dbURL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	year := time.Now().In(domain.Beijing).Year() - 1
	start := time.Now()
	if err := seedYear(ctx, st, *items, year); err != nil {
		return err
	}
	if err := seedCases(ctx, st, *cases, year); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %d items and %d applications of %d in %s\n", *items, *cases, year, time.Since(start).Round(time.Millisecond))
	src := store.Cases{Store: st}
	timed := func(what string, f func() error) error {
		for i := range *runs {
			t := time.Now()
			if err := f(); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			fmt.Fprintf(out, "%-34s run %d  %8.1f ms\n", what, i+1, float64(time.Since(t).Microseconds())/1000)
		}
		return nil
	}
	if err := timed("annual report "+strconv.Itoa(year), func() error {
		r, err := api.AnnualReport(ctx, st, src, 1, year, "0")
		if err == nil {
			_, err = r.XLSX()
		}
		return err
	}); err != nil {
		return err
	}
	for _, label := range []string{strconv.Itoa(year), strconv.Itoa(year) + "-Q2", strconv.Itoa(year) + "-06"} {
		p, err := assessment.ParsePeriod(label)
		if err != nil {
			return err
		}
		if err := timed("assessment "+label, func() error {
			a, err := api.Assess(ctx, st, 1, p)
			if err == nil {
				_, err = a.XLSX()
			}
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// seedYear writes n items published through year by 20 officers of 4
// departments of agency 1, every category and channel, with their
// revisions, deliveries and decisions.
func seedYear(ctx context.Context, st *store.Store, n, year int) error {
	admin := domain.Actor{Name: "bench", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	var authors, depts []int64
	var head int64
	for d := range 4 {
		dep, err := st.AddDepartment(ctx, admin, fmt.Sprintf("科室%d", d+1))
		if err != nil {
			return err
		}
		for o := range 5 {
			u, _, err := st.AddUser(ctx, admin, store.NewUser{Name: fmt.Sprintf("信息员%d-%d", d+1, o+1), Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{dep.ID}})
			if err != nil {
				return err
			}
			authors, depts = append(authors, u.ID), append(depts, dep.ID)
		}
		if d == 0 {
			u, _, err := st.AddUser(ctx, admin, store.NewUser{Name: "科长", Roles: []domain.Role{domain.RoleDeptHead}, Departments: []int64{dep.ID}})
			if err != nil {
				return err
			}
			head = u.ID
		}
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, domain.Beijing)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO drafts (author_id, department_id, state, revision, step_done, formed_on, deadline, created_at, updated_at,
				submitted_at, published_at, published_revision, agency_id)
			SELECT ($1::bigint[])[1 + i % cardinality($1::bigint[])], ($2::bigint[])[1 + i % cardinality($1::bigint[])], 'published', 1, true,
				t::date, t::date + 28, t, t, t, t + (i % 30) * interval '1 day', 1, 1
			FROM generate_series(0, $3 - 1) g(i), LATERAL (SELECT $4::timestamptz + i * ($5 / $3::float8) * interval '1 second' AS t) x`,
			[]any{authors, depts, n, from, float64(335 * 86400)}},
		{`INSERT INTO revisions (draft_id, revision, title, body, category, channels, formed_on, content_sha256)
			SELECT d.id, 1, '第' || d.id || '号信息', '正文', ($1::text[])[1 + d.id % cardinality($1::text[])],
				(ARRAY['{website}', '{website,wechat}', '{website,portal}', '{website,douyin}', '{website,portal,wechat}'])[1 + d.id % 5]::text[],
				d.formed_on, sha256(d.id::text::bytea)
			FROM drafts d`, []any{domain.Categories}},
		{`INSERT INTO publications (draft_id, revision, channel, status, delivered_at)
			SELECT r.draft_id, 1, c, 'delivered', d.published_at FROM revisions r JOIN drafts d ON d.id = r.draft_id, unnest(r.channels) c`, nil},
		{`INSERT INTO decisions (draft_id, revision, stage, actor_id, decision, content_sha256, created_at)
			SELECT r.draft_id, 1, s.stage, $1, s.decision, r.content_sha256, d.created_at + s.after
			FROM revisions r JOIN drafts d ON d.id = r.draft_id,
				(VALUES ('compliance', 'return', interval '6 hours', 10), ('compliance', 'approve', interval '1 day', 1),
					('confidentiality', 'approve', interval '2 days', 1)) s(stage, decision, after, every)
			WHERE r.draft_id % s.every = 0`, []any{head}},
		{`ANALYZE`, nil},
	} {
		if _, err := st.Pool.Exec(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("error seeding the year: %w", err)
		}
	}
	return nil
}

// seedCases writes n applications of agency 1: one in twenty received in
// the December before year and one in ten still open at its end (结转),
// the rest concluded in year with every outcome in turn, every applicant
// type; a fee notice for one in twenty-five, a 行政复议 for one in fifty
// and a lawsuit for one in a hundred.
func seedCases(ctx context.Context, st *store.Store, n, year int) error {
	outcomes := make([]string, len(ar.Outcomes))
	for i, o := range ar.Outcomes {
		outcomes[i] = string(o.Code)
	}
	types := make([]string, len(domain.ApplicantTypes))
	for i, t := range domain.ApplicantTypes {
		types[i] = string(t)
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO applications (agency_id, query_code, route, applicant_type, applicant_name, description, received_on, state,
				outcome, concluded_on, fee_notice_on, fee_amount_fen, fee_paid_on)
			SELECT 1, 'BENCH' || lpad(i::text, 8, '0'), (ARRAY['online', 'letter', 'visit'])[1 + i % 3],
				($1::text[])[1 + i % cardinality($1::text[])], '申请人' || i, '申请公开的信息', r,
				CASE WHEN i % 10 = 9 THEN 'processing' ELSE 'closed' END,
				CASE WHEN i % 10 = 9 THEN NULL ELSE ($2::text[])[1 + i % cardinality($2::text[])] END,
				CASE WHEN i % 10 = 9 THEN NULL ELSE LEAST(r + 25, $4::date + 364) END,
				CASE WHEN i % 25 = 0 THEN r + 10 END, CASE WHEN i % 25 = 0 THEN 1000 + i END, CASE WHEN i % 50 = 0 THEN r + 15 END
			FROM generate_series(0, $3 - 1) g(i),
				LATERAL (SELECT CASE WHEN i % 20 = 0 THEN $4::date - 20 ELSE $4::date + (i * 330 / $3) END AS r) x`,
			[]any{types, outcomes, n, from}},
		{`INSERT INTO application_appeals (application_id, kind, after_review, filed_on, outcome, decided_on)
			SELECT id, 'review', false, concluded_on + 5, (ARRAY['upheld', 'corrected', 'other', 'pending'])[1 + id % 4],
				CASE WHEN id % 4 = 3 THEN NULL ELSE concluded_on + 40 END
			FROM applications WHERE concluded_on IS NOT NULL AND id % 50 = 0
			UNION ALL
			SELECT id, 'lawsuit', id % 200 = 0, concluded_on + 8, 'pending', NULL
			FROM applications WHERE concluded_on IS NOT NULL AND id % 100 = 1`, nil},
		{`ANALYZE applications, application_appeals`, nil},
	} {
		if _, err := st.Pool.Exec(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("error seeding the applications: %w", err)
		}
	}
	return nil
}
