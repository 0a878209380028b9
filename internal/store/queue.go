package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// QueueItem is one draft waiting for the caller's decision.
type QueueItem struct {
	ID             int64        `json:"id"`
	Title          string       `json:"title"`
	Department     string       `json:"department"`
	DepartmentID   int64        `json:"department_id"`
	Category       string       `json:"category"`
	Author         string       `json:"author"`
	State          domain.State `json:"state"`
	Revision       int          `json:"revision"`
	StateEnteredAt time.Time    `json:"waiting_since"`
	FormedOn       time.Time    `json:"-"`
	Deadline       time.Time    `json:"-"`
	Blocking       int          `json:"blocking_findings"`
	Warnings       int          `json:"warning_findings"`
}

// A queue shows the oldest DefaultQueueLimit drafts unless asked for more,
// up to MaxQueueLimit: a reviewer works from the top, and each row costs.
const (
	DefaultQueueLimit = 50
	MaxQueueLimit     = 500
)

// QueueFilter narrows a queue.
type QueueFilter struct {
	Department int64
	Category   string
	Text       string
	Limit      int
}

// Queue lists the drafts waiting at stage for a decision the actor may take.
// The SQL mirrors domain.MayDecideStage (the caller checks the role): the
// stage's scope (StageTable), never the actor's own drafts, never a draft
// of which they decided another stage. The end-to-end tests check that the
// queue offers nothing the decision rules would refuse.
func (s *Store) Queue(ctx context.Context, a domain.Actor, stage domain.Stage, f QueueFilter) ([]QueueItem, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultQueueLimit
	}
	f.Limit = min(f.Limit, MaxQueueLimit)
	spec, ok := domain.Spec(stage)
	if !ok || !stage.HumanDecided() {
		return nil, fmt.Errorf("stage %q has no queue", stage)
	}
	allDepts := spec.Scope == domain.ScopeAgency // every department of the actor's agency
	// The state is written into the SQL, not passed as a parameter: a cached
	// generic plan for "state = $1" scans drafts_queue (the drafts that
	// await a person, migration 009) for every stage's rows, where the
	// literal reads only this stage's. (stage is a StageTable name.)
	//
	// Every update of a draft leaves a dead entry in drafts_queue until
	// VACUUM. A bitmap scan (the planner's choice for a short queue) steps
	// over all of them on every load; a plain index scan marks each one
	// dead the first time it meets it, so later loads skip it. Hence
	// enable_bitmapscan is off for this query, in its own read-only
	// transaction (one round trip).
	var items []QueueItem
	err := s.readTx(ctx, func(b *pgx.Batch) {
		b.Queue(`SELECT set_config('enable_bitmapscan', 'off', true)`)
		b.Queue(`SELECT d.id, r.title, dep.name, d.department_id, r.category, u.name, d.state, d.revision,
			d.state_entered_at, d.formed_on, d.deadline, f.blocks, f.warns
		FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = d.revision
		CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE x.severity = 'block') AS blocks,
			count(*) FILTER (WHERE x.severity = 'warn') AS warns
			FROM findings x WHERE x.draft_id = d.id AND x.revision = d.revision) f
		JOIN departments dep ON dep.id = d.department_id JOIN users u ON u.id = d.author_id
		WHERE d.agency_id = $9 AND d.state = '`+string(stage)+`' AND d.awaits_person AND d.author_id <> $2
		  AND ($3 OR d.department_id = ANY($4))
		  AND ($5 = 0 OR d.department_id = $5)
		  AND ($6 = '' OR r.category = $6)
		  AND ($7 = '' OR strpos(r.title, $7) > 0 OR strpos(r.body, $7) > 0)
		  AND NOT EXISTS (SELECT 1 FROM decisions x WHERE x.draft_id = d.id AND x.actor_id = $2 AND x.stage <> $1)
		ORDER BY d.state_entered_at, d.id LIMIT $8`,
			stage, a.ID, allDepts, a.Departments, f.Department, f.Category, f.Text, f.Limit, a.AgencyID)
	}, func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		rows, _ := br.Query()
		var err error
		items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (QueueItem, error) {
			var q QueueItem
			return q, r.Scan(&q.ID, &q.Title, &q.Department, &q.DepartmentID, &q.Category, &q.Author, &q.State, &q.Revision,
				&q.StateEnteredAt, &q.FormedOn, &q.Deadline, &q.Blocking, &q.Warnings)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("error reading queue: %w", err)
	}
	return items, nil
}

// MyDrafts lists the drafts an author wrote, most recently changed first.
func (s *Store) MyDrafts(ctx context.Context, authorID int64, limit int) ([]Draft, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT `+draftColumns+draftFrom+` WHERE d.author_id = $1 ORDER BY d.updated_at DESC LIMIT $2`, authorID, limit)
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Draft, error) { return scanDraft(r) })
	if err != nil {
		return nil, fmt.Errorf("error listing drafts: %w", err)
	}
	return ds, nil
}

// PublicItem is a published draft as the public pages show it.
type PublicItem struct {
	ID          int64     `json:"id"`
	AgencyID    int64     `json:"-"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Department  string    `json:"department"`
	Category    string    `json:"category"`
	PublishedAt time.Time `json:"published_at"`
	Revision    int       `json:"revision"`
	Digest      string    `json:"digest,omitempty"`
	// A corrected item: when its current revision replaced the first
	// one, and that revision's correction note.
	CorrectedAt *time.Time `json:"corrected_at,omitempty"`
	Correction  string     `json:"correction,omitempty"`
	// Corrections are every correction published, oldest first (PublicItem
	// only): the dated notes a visitor reads above the text.
	Corrections []PublicCorrection `json:"corrections,omitempty"`
	// Attachments are the published revision's files.
	Attachments []domain.Attachment `json:"-"`
	// FormedOn is the 成文日期; IndexNo the 索引号 (migration 027); Topics
	// the 专题 of the published revision.
	FormedOn time.Time `json:"-"`
	IndexNo  string    `json:"-"`
	Topics   []string  `json:"-"`
}

// publicSelect reads the revision the public sees: the published one
// (published_revision), or while a draft is first being published, its
// revision once the website has it. A correction under review leaves the
// published revision up; a withdrawn draft is not public.
var publicSelect = `SELECT d.id, d.agency_id, r.title, r.body, dep.name, r.category,
		COALESCE((SELECT min(f.delivered_at) FROM publications f WHERE f.draft_id = d.id AND f.channel = 'website' AND f.status = 'delivered'), p.delivered_at),
		p.delivered_at, r.revision, r.digest, r.correction, ` + attachmentsColumn(false) + `, r.formed_on, COALESCE(pi.index_no, ''), r.topics
	FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = COALESCE(d.published_revision, d.revision)
	JOIN departments dep ON dep.id = d.department_id LEFT JOIN public_items pi ON pi.draft_id = d.id
	JOIN publications p ON p.draft_id = d.id AND p.revision = r.revision AND p.channel = 'website' AND p.status = 'delivered'
	WHERE d.state <> 'withdrawn' AND ($1::bigint = 0 OR d.agency_id = $1)`

func scanPublic(r pgx.Row) (PublicItem, error) {
	var p PublicItem
	var attached []byte
	var revisedAt time.Time
	if err := r.Scan(&p.ID, &p.AgencyID, &p.Title, &p.Body, &p.Department, &p.Category, &p.PublishedAt, &revisedAt, &p.Revision, &p.Digest,
		&p.Correction, &attached, &p.FormedOn, &p.IndexNo, &p.Topics); err != nil {
		return p, err
	}
	if revisedAt.After(p.PublishedAt) {
		p.CorrectedAt = &revisedAt
	}
	var err error
	p.Attachments, err = decodeAttachments(attached)
	return p, err
}

// PublicItems lists what the website channel published for an agency's
// column (agencyID 0: every agency's), newest first; a withdrawn draft
// leaves the list at once.
func (s *Store) PublicItems(ctx context.Context, agencyID int64, limit int) ([]PublicItem, error) {
	rows, _ := s.Pool.Query(ctx, publicSelect+` ORDER BY p.delivered_at DESC, d.id DESC LIMIT $2`, agencyID, limit)
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PublicItem, error) { return scanPublic(r) })
	if err != nil {
		return nil, fmt.Errorf("error listing published items: %w", err)
	}
	return items, nil
}

// PublicCorrection is one published correction of an item.
type PublicCorrection struct {
	Revision int       `json:"revision"`
	At       time.Time `json:"at"`
	Note     string    `json:"note"`
}

// PublicItem loads one published item of an agency's column (agencyID 0:
// of any agency).
func (s *Store) PublicItem(ctx context.Context, agencyID, id int64) (PublicItem, error) {
	p, err := scanPublic(s.Pool.QueryRow(ctx, publicSelect+` AND d.id = $2`, agencyID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("error loading published item: %w", err)
	}
	if p.Correction == "" {
		return p, nil
	}
	rows, _ := s.Pool.Query(ctx, `SELECT r.revision, p.delivered_at, r.correction FROM revisions r
		JOIN publications p ON p.draft_id = r.draft_id AND p.revision = r.revision AND p.channel = 'website' AND p.status = 'delivered'
		WHERE r.draft_id = $1 AND r.revision <= $2 AND r.correction <> '' ORDER BY r.revision`, id, p.Revision)
	p.Corrections, err = pgx.CollectRows(rows, pgx.RowToStructByPos[PublicCorrection])
	if err != nil {
		return p, fmt.Errorf("error loading the item's corrections: %w", err)
	}
	return p, nil
}

// StageDepth is how many drafts wait in a state and for how long the oldest has.
type StageDepth struct {
	State  domain.State
	Count  int64
	Oldest time.Duration
}

// QueueDepths reads, per state that waits (each stage's, machine step and
// queue, and publishing), its depth and its oldest draft's age, for the
// metrics.
func (s *Store) QueueDepths(ctx context.Context) ([]StageDepth, error) {
	states := make([]string, 0, len(domain.MachineStates()))
	for _, st := range domain.MachineStates() {
		states = append(states, string(st))
	}
	rows, _ := s.Pool.Query(ctx, `SELECT state, count(*), COALESCE(extract(epoch FROM now() - min(state_entered_at)), 0)::float8
		FROM drafts WHERE state = ANY($1) GROUP BY state`, states)
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StageDepth, error) {
		var d StageDepth
		var secs float64
		err := r.Scan(&d.State, &d.Count, &secs)
		d.Oldest = time.Duration(secs * float64(time.Second))
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("error reading queue depths: %w", err)
	}
	return ds, nil
}

// OpenProblems counts what needs a person: dead letters not replayed, and
// publications whose outcome is failed or unknown, by channel and status.
func (s *Store) OpenProblems(ctx context.Context) (deadLetters int64, pubs map[[2]string]int64, err error) {
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL`).Scan(&deadLetters); err != nil {
		return 0, nil, fmt.Errorf("error counting dead letters: %w", err)
	}
	rows, _ := s.Pool.Query(ctx, `SELECT channel, status, count(*) FROM publications WHERE status IN ('failed', 'unknown') GROUP BY channel, status`)
	pubs = map[[2]string]int64{}
	var ch, st string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&ch, &st, &n}, func() error {
		pubs[[2]string{ch, st}] = n
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("error counting publications: %w", err)
	}
	return deadLetters, pubs, nil
}
