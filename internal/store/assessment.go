package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/assessment"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// AssessmentWeights are an agency's weights of the assessment's score
// (assessment.DefaultWeights where it set none).
func (s *Store) AssessmentWeights(ctx context.Context, agencyID int64) (assessment.Weights, error) {
	w := assessment.DefaultWeights
	err := s.Pool.QueryRow(ctx, `SELECT published::float8, first_pass::float8, on_time::float8, returned::float8
		FROM assessment_weights WHERE agency_id = $1`, agencyID).Scan(&w.Published, &w.FirstPass, &w.OnTime, &w.Returned)
	if errors.Is(err, pgx.ErrNoRows) {
		return assessment.DefaultWeights, nil
	}
	if err != nil {
		return w, fmt.Errorf("error reading the assessment's weights: %w", err)
	}
	return w, nil
}

// SetAssessmentWeights stores the agency's weights, an admin's, with its
// event in the agency's trail.
func (s *Store) SetAssessmentWeights(ctx context.Context, by domain.Actor, w assessment.Weights) error {
	if err := domain.CanManage(by, by.AgencyID); err != nil {
		return err
	}
	if err := w.Check(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO assessment_weights (agency_id, published, first_pass, on_time, returned, set_by)
			VALUES ($1, $2, $3, $4, $5, NULLIF($6, 0))
			ON CONFLICT (agency_id) DO UPDATE SET published = EXCLUDED.published, first_pass = EXCLUDED.first_pass,
				on_time = EXCLUDED.on_time, returned = EXCLUDED.returned, set_by = EXCLUDED.set_by, set_at = now()`,
			by.AgencyID, w.Published, w.FirstPass, w.OnTime, w.Returned, by.ID); err != nil {
			return fmt.Errorf("error setting the assessment's weights: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "assessment_weights_set",
			fmt.Sprintf("published=%g first_pass=%g on_time=%g returned=%g", w.Published, w.FirstPass, w.OnTime, w.Returned)))
	})
}

// Assessment counts an agency's officers and departments over [from, to)
// (assessment.Line, unscored): two queries, one over the drafts created
// or published in the period, one over the decisions made in it.
// doublePublicity are the categories on the 双公示 clock; every other
// publication is on Article 26's, but the replies to applicants (on the
// case's clock, not counted here). A draft is on time when published by
// its stored deadline (the earlier clock's, computed at submission).
func (s *Store) Assessment(ctx context.Context, agencyID int64, from, to time.Time, doublePublicity []string) (officers, departments []assessment.Line, err error) {
	type key struct{ author, dept int64 }
	lines := map[key]*assessment.Line{}
	names := map[int64]string{}
	deptNames := map[int64]string{}
	line := func(k key) *assessment.Line {
		l := lines[k]
		if l == nil {
			l = &assessment.Line{Returned: map[string]int{}, ReturnReasons: map[string]int{}, Rejected: map[string]int{}, Channels: map[string]int{},
				StageHours: map[string]assessment.Avg{}}
			lines[k] = l
		}
		return l
	}
	// One count per channel, from the one list of channels.
	var perChannel strings.Builder
	for _, c := range domain.Channels {
		fmt.Fprintf(&perChannel, ", count(*) FILTER (WHERE i.pub AND '%s' = ANY(i.channels))", c)
	}
	rows, _ := s.Pool.Query(ctx, `SELECT g.*, u.name, dep.name FROM (SELECT i.author_id, i.department_id,
			count(*) FILTER (WHERE i.submitted_at >= $2), -- a saved draft never submitted: NULL, not counted
			count(*) FILTER (WHERE i.pub),
			count(*) FILTER (WHERE i.pub AND NOT i.returned),
			count(*) FILTER (WHERE i.pub AND NOT i.dp AND NOT i.reply), count(*) FILTER (WHERE i.pub AND NOT i.dp AND NOT i.reply AND i.on_time),
			count(*) FILTER (WHERE i.pub AND i.dp), count(*) FILTER (WHERE i.pub AND i.dp AND i.on_time)`+perChannel.String()+`
		FROM (SELECT d.author_id, d.department_id, d.submitted_at,
				COALESCE(d.published_at >= $2 AND d.published_at < $3, false) AS pub,
				COALESCE(r.category = ANY($4), false) AS dp,
				-- a reply to an applicant is on Article 33's clock, the case's
				COALESCE(r.category = '`+domain.CategoryApplicationReply+`', false) AS reply,
				COALESCE((d.published_at AT TIME ZONE INTERVAL '+08:00')::date <= d.deadline, false) AS on_time,
				r.channels, rt.draft_id IS NOT NULL AS returned
			FROM drafts d LEFT JOIN revisions r ON r.draft_id = d.id AND r.revision = d.published_revision
			LEFT JOIN (SELECT draft_id FROM decisions WHERE decision = 'return'
				UNION SELECT draft_id FROM findings WHERE stage = 'completeness' AND severity = 'block') rt ON rt.draft_id = d.id
			WHERE d.agency_id = $1 AND (d.submitted_at >= $2 AND d.submitted_at < $3 OR d.published_at >= $2 AND d.published_at < $3)) i
		GROUP BY i.author_id, i.department_id) g
		JOIN users u ON u.id = g.author_id JOIN departments dep ON dep.id = g.department_id`, agencyID, from, to, doublePublicity)
	var k key
	var author, dept string
	var r assessment.Line
	channels := make([]int, len(domain.Channels))
	targets := []any{&k.author, &k.dept, &r.Submitted, &r.Published, &r.FirstPass,
		&r.Article26.Published, &r.Article26.OnTime, &r.DoublePub.Published, &r.DoublePub.OnTime}
	for i := range channels {
		targets = append(targets, &channels[i])
	}
	_, err = pgx.ForEachRow(rows, append(targets, &author, &dept), func() error {
		names[k.author], deptNames[k.dept] = author, dept
		l := line(k)
		l.Submitted, l.Published, l.FirstPass, l.Article26, l.DoublePub = r.Submitted, r.Published, r.FirstPass, r.Article26, r.DoublePub
		for i, c := range domain.Channels {
			if channels[i] > 0 {
				l.Channels[string(c)] = channels[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("error counting the drafts of the assessment: %w", err)
	}

	// The decisions: returns by stage, rejections by reason, and the time
	// from a revision's arrival (its creation, or the decision before at
	// the stage before) to each decision.
	rows, _ = s.Pool.Query(ctx, `SELECT d.author_id, u.name, d.department_id, dep.name, x.stage, x.decision, x.reason, count(*),
			COALESCE(sum(extract(epoch FROM x.created_at - COALESCE(x.prev, r.created_at))), 0)
		FROM (SELECT x.draft_id, x.revision, x.stage, x.decision, x.reason, x.created_at,
				lag(x.created_at) OVER (PARTITION BY x.draft_id, x.revision ORDER BY x.id) AS prev
			FROM decisions x WHERE (x.draft_id, x.revision) IN (
				SELECT draft_id, revision FROM decisions WHERE created_at >= $2 AND created_at < $3)) x
		JOIN drafts d ON d.id = x.draft_id JOIN revisions r ON r.draft_id = x.draft_id AND r.revision = x.revision
		JOIN users u ON u.id = d.author_id JOIN departments dep ON dep.id = d.department_id
		-- the time before a decision counts from the decision before it,
		-- even one made before the period
		WHERE d.agency_id = $1 AND x.created_at >= $2 AND x.created_at < $3
		GROUP BY d.author_id, u.name, d.department_id, dep.name, x.stage, x.decision, x.reason`, agencyID, from, to)
	var stage, decision, reason string
	var n int
	var seconds float64
	_, err = pgx.ForEachRow(rows, []any{&k.author, &author, &k.dept, &dept, &stage, &decision, &reason, &n, &seconds}, func() error {
		names[k.author], deptNames[k.dept] = author, dept
		l := line(k)
		switch domain.Decision(decision) {
		case domain.DecisionReturn:
			l.Returned[stage] += n
			if reason == "" {
				reason = assessment.ReasonUnstated
			}
			l.ReturnReasons[reason] += n
		case domain.DecisionReject:
			l.Rejected[reason] += n
		}
		l.StageHours[stage] = assessment.NewAvg(l.StageHours[stage].Sum+seconds/3600, l.StageHours[stage].Count+n)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("error counting the decisions of the assessment: %w", err)
	}

	// Stage 1's machine returns: a revision with a blocking finding of
	// stage 1 went back to its author (counted when the revision was made).
	rows, _ = s.Pool.Query(ctx, `SELECT d.author_id, u.name, d.department_id, dep.name, count(*)
		FROM revisions r JOIN drafts d ON d.id = r.draft_id
		JOIN users u ON u.id = d.author_id JOIN departments dep ON dep.id = d.department_id
		WHERE d.agency_id = $1 AND r.created_at >= $2 AND r.created_at < $3 AND EXISTS (
			SELECT 1 FROM findings f WHERE f.draft_id = r.draft_id AND f.revision = r.revision AND f.stage = 'completeness' AND f.severity = 'block')
		GROUP BY d.author_id, u.name, d.department_id, dep.name`, agencyID, from, to)
	_, err = pgx.ForEachRow(rows, []any{&k.author, &author, &k.dept, &dept, &n}, func() error {
		names[k.author], deptNames[k.dept] = author, dept
		l := line(k)
		l.Returned[string(domain.StageCompleteness)] += n
		l.ReturnReasons[assessment.ReasonMachine] += n
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("error counting the machine returns of the assessment: %w", err)
	}

	byAuthor, byDept := map[int64]*assessment.Line{}, map[int64]*assessment.Line{}
	for k, l := range lines {
		a := byAuthor[k.author]
		if a == nil {
			a = &assessment.Line{ID: k.author, Name: names[k.author]}
			byAuthor[k.author] = a
		}
		a.Add(*l)
		if !strings.Contains("、"+a.Department+"、", "、"+deptNames[k.dept]+"、") {
			a.Department = strings.TrimPrefix(a.Department+"、"+deptNames[k.dept], "、")
		}
		d := byDept[k.dept]
		if d == nil {
			d = &assessment.Line{ID: k.dept, Name: deptNames[k.dept]}
			byDept[k.dept] = d
		}
		d.Add(*l)
	}
	// The officers and departments that did nothing in the period are
	// ranked too, with nothing.
	rows, _ = s.Pool.Query(ctx, `SELECT u.id, u.name, COALESCE((SELECT string_agg(dep.name, '、' ORDER BY dep.id)
			FROM departments dep WHERE dep.id = ANY(u.departments)), '')
		FROM users u WHERE u.agency_id = $1 AND 'officer' = ANY(u.roles) AND NOT u.disabled`, agencyID)
	var id int64
	var name, deps string
	_, err = pgx.ForEachRow(rows, []any{&id, &name, &deps}, func() error {
		if byAuthor[id] == nil {
			byAuthor[id] = &assessment.Line{ID: id, Name: name, Department: deps, Returned: map[string]int{}, ReturnReasons: map[string]int{}, Rejected: map[string]int{},
				Channels: map[string]int{}, StageHours: map[string]assessment.Avg{}}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("error listing the officers of the assessment: %w", err)
	}
	rows, _ = s.Pool.Query(ctx, `SELECT id, name FROM departments WHERE agency_id = $1`, agencyID)
	_, err = pgx.ForEachRow(rows, []any{&id, &name}, func() error {
		if byDept[id] == nil {
			byDept[id] = &assessment.Line{ID: id, Name: name, Returned: map[string]int{}, ReturnReasons: map[string]int{}, Rejected: map[string]int{},
				Channels: map[string]int{}, StageHours: map[string]assessment.Avg{}}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("error listing the departments of the assessment: %w", err)
	}
	for _, a := range byAuthor {
		officers = append(officers, *a)
	}
	for _, d := range byDept {
		departments = append(departments, *d)
	}
	return officers, departments, nil
}
