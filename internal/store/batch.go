package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Machine steps are written in batches: a worker hands over every message
// waiting for it, and one transaction carries all their transitions (a
// group commit). Each draft's transition is still its compare-and-set
// state change, its audit event and its outbox row, committed together;
// what the batch saves is the per-transaction and per-statement cost, which
// is most of what a transition costs (docs/performance.md). The writes are
// set-based (unnest of arrays), so a batch of 64 is as many statements as
// a batch of one.

// moveSet gathers the writes of many transitions for set-based statements.
type moveSet struct {
	// the compare-and-set of each draft
	ids                 []int64
	fromState, toState  []string
	fromRev, toRev      []int32
	stepDone, awaits    []bool
	ev                  eventColumnsSet
	chainIdx            map[string]int // chain -> position in heads
	headChain           []string
	headLen             []int64
	headHash            [][]byte
	outSubject, outBody []string
	notes               []string
	fnd                 findingColumns
	pubs                publicationColumns
	idx                 indexColumns // the public column's rows of website deliveries
	expiryID            []int64      // drafts whose expires_on stage 2 settled
	expiry              []*time.Time // and to what (nil: none)
	moves               []moved
	sent                []OutboxRow // the outbox rows written, read back for the Announcer
}

type eventColumnsSet struct {
	chain                                       []string
	idx, draftID, actorID, agencyID             []int64
	actor, role, stage, action, reason, comment []string
	revision                                    []int32
	content, prev, hash                         [][]byte
	at                                          []time.Time
}

type findingColumns struct {
	draftID                                                     []int64
	revision, start, end                                        []int32
	stage, code, severity, field, messageZH, messageEN, suggest []string
}

type publicationColumns struct {
	draftID                                 []int64
	revision                                []int32
	channel, status, url, externalID, error []string
}

// expire sets a draft's expires_on (the zero time: none).
func (m *moveSet) expire(id int64, on time.Time) {
	m.expiryID = append(m.expiryID, id)
	m.expiry = append(m.expiry, nonZero(on))
}

// event seals e onto cur's chain and adds it.
func (m *moveSet) event(cur *lockedDraft, e audit.Event) {
	e.Chain = audit.DraftChain(cur.ID)
	e.DraftID, e.AgencyID = cur.ID, cur.AgencyID
	m.append(&e, cur.ChainLen, cur.ChainHead)
	cur.ChainLen, cur.ChainHead = e.Index, e.Hash
}

// append seals e after its chain's head (prevIndex, prevHash) and adds it,
// with the chain's new head. Every audit event is written through here.
func (m *moveSet) append(e *audit.Event, prevIndex int64, prevHash []byte) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	audit.Seal(e, prevIndex, prevHash)
	v := &m.ev
	v.chain = append(v.chain, e.Chain)
	v.idx = append(v.idx, e.Index)
	v.draftID = append(v.draftID, e.DraftID)
	v.agencyID = append(v.agencyID, e.AgencyID)
	v.actorID = append(v.actorID, e.ActorID)
	v.actor = append(v.actor, e.Actor)
	v.role = append(v.role, e.Role)
	v.stage = append(v.stage, e.Stage)
	v.action = append(v.action, e.Action)
	v.revision = append(v.revision, int32(e.Revision))
	v.content = append(v.content, e.ContentSHA256)
	v.reason = append(v.reason, e.Reason)
	v.comment = append(v.comment, e.Comment)
	v.at = append(v.at, e.At)
	v.prev = append(v.prev, e.PrevHash)
	v.hash = append(v.hash, e.Hash)
	if m.chainIdx == nil {
		m.chainIdx = map[string]int{}
	}
	if i, ok := m.chainIdx[e.Chain]; ok {
		m.headLen[i], m.headHash[i] = e.Index, e.Hash
		return
	}
	m.chainIdx[e.Chain] = len(m.headChain)
	m.headChain = append(m.headChain, e.Chain)
	m.headLen = append(m.headLen, e.Index)
	m.headHash = append(m.headHash, e.Hash)
}

// move adds one transition of a locked draft: the compare-and-set of its
// row, its audit event, an outbox row when the new state owes a machine
// step, and the live pages' notification. Every transition, alone or in a
// batch, is written through here.
func (m *moveSet) move(cur *lockedDraft, mv move) {
	if mv.to != cur.State || mv.revision != cur.Revision {
		m.moves = append(m.moves, moved{from: cur.State, to: mv.to, since: cur.EnteredAt})
	}
	m.ids = append(m.ids, cur.ID)
	m.fromState = append(m.fromState, string(cur.State))
	m.fromRev = append(m.fromRev, int32(cur.Revision))
	m.toState = append(m.toState, string(mv.to))
	m.toRev = append(m.toRev, int32(mv.revision))
	m.stepDone = append(m.stepDone, mv.stepDone)
	_, atStage := domain.StageOf(mv.to)
	m.awaits = append(m.awaits, mv.stepDone && atStage) // done with the checks, at a stage: a person's turn
	m.event(cur, mv.event)
	if !mv.stepDone && mv.to.MachineStep() {
		m.work(work.Item{DraftID: cur.ID, Revision: mv.revision, State: mv.to})
	}
	m.notes = append(m.notes, News{DraftID: cur.ID, AgencyID: cur.AgencyID, DepartmentID: cur.DepartmentID, AuthorID: cur.AuthorID,
		State: mv.to, StepDone: mv.stepDone, Revision: mv.revision, From: cur.State, FromStepDone: cur.StepDone}.String())
	cur.State, cur.Revision, cur.StepDone = mv.to, mv.revision, mv.stepDone
}

// News is the live pages' news of one transition, as the store announces
// it (Announcer.Events, EventsChannel). It carries what domain.CanView
// needs of the draft before and after the move — its agency, department,
// author, state and whether its step is done — so the pages' hub sends each
// open page only what its person may see without asking the database, per
// event or per page. The pages themselves get only DraftID, State and
// Revision.
type News struct {
	DraftID      int64        `json:"draft_id"`
	AgencyID     int64        `json:"agency_id"`
	DepartmentID int64        `json:"department_id"`
	AuthorID     int64        `json:"author_id"`
	State        domain.State `json:"state"`
	StepDone     bool         `json:"step_done"`
	Revision     int          `json:"revision"`
	From         domain.State `json:"from,omitempty"` // the state left ("" for a new draft)
	FromStepDone bool         `json:"from_step_done,omitempty"`
}

// String is the news as JSON.
func (n News) String() string {
	b, err := json.Marshal(n)
	if err != nil {
		panic(err) // numbers, strings and booleans always marshal
	}
	return string(b)
}

// work adds an outbox row for w.
func (m *moveSet) work(w work.Item) {
	subject, err := work.Subject(w.State)
	if err != nil {
		panic(err) // callers only send work for states that owe a step
	}
	payload, _ := json.Marshal(w)
	m.outSubject = append(m.outSubject, subject)
	m.outBody = append(m.outBody, string(payload))
}

func (m *moveSet) finding(draftID int64, revision int, stage domain.Stage, f domain.Finding) {
	c := &m.fnd
	c.draftID = append(c.draftID, draftID)
	c.revision = append(c.revision, int32(revision))
	c.stage = append(c.stage, string(stage))
	c.code = append(c.code, f.Code)
	c.severity = append(c.severity, string(f.Severity))
	c.field = append(c.field, f.Field)
	c.start = append(c.start, int32(f.Start))
	c.end = append(c.end, int32(f.End))
	c.messageZH = append(c.messageZH, f.MessageZH)
	c.messageEN = append(c.messageEN, f.MessageEN)
	c.suggest = append(c.suggest, f.Suggestion)
}

func (m *moveSet) publication(draftID int64, revision int, o PublicationOutcome) {
	c := &m.pubs
	c.draftID = append(c.draftID, draftID)
	c.revision = append(c.revision, int32(revision))
	c.channel = append(c.channel, string(o.Channel))
	c.status = append(c.status, o.Status)
	c.url = append(c.url, o.URL)
	c.externalID = append(c.externalID, o.ExternalID)
	c.error = append(c.error, o.Error)
}

func (m *moveSet) empty() bool { return len(m.ids) == 0 && len(m.ev.chain) == 0 }

// queue adds the set's statements to b, children before the rows that
// point at them, and the notifications last. The outbox rows are read back
// into sent; with an Announcer nothing is notified: committed hands it the
// rows and notes after the commit instead.
func (m *moveSet) queue(b *pgx.Batch, a Announcer) {
	if n := len(m.fnd.draftID); n > 0 {
		c := &m.fnd
		b.Queue(`INSERT INTO findings (draft_id, revision, stage, code, severity, field, start_rune, end_rune, message_zh, message_en, suggestion)
			SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::text[], $10::text[], $11::text[])`,
			c.draftID, c.revision, c.stage, c.code, c.severity, c.field, c.start, c.end, c.messageZH, c.messageEN, c.suggest)
	}
	if n := len(m.pubs.draftID); n > 0 {
		c := &m.pubs
		b.Queue(`INSERT INTO publications (draft_id, revision, channel, status, url, external_id, error, delivered_at)
			SELECT d, r, c, s, u, x, e, CASE WHEN s = 'delivered' THEN now() END
			FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS p(d, r, c, s, u, x, e)`,
			c.draftID, c.revision, c.channel, c.status, c.url, c.externalID, c.error)
	}
	queueIndex(b, &m.idx)
	if len(m.expiryID) > 0 {
		b.Queue(`UPDATE drafts d SET expires_on = x.e FROM unnest($1::bigint[], $2::date[]) AS x(i, e) WHERE d.id = x.i`, m.expiryID, m.expiry)
	}
	if n := len(m.ids); n > 0 {
		b.Queue(`UPDATE drafts d SET state = u.to_state, revision = u.to_rev, step_done = u.step_done, awaits_person = u.awaits,
			state_entered_at = CASE WHEN d.state <> u.to_state OR d.revision <> u.to_rev THEN now() ELSE d.state_entered_at END,
			step_sent_at = now(), updated_at = now(),
			published_at = CASE WHEN u.to_state = 'published' AND u.from_state = 'publishing' THEN COALESCE(d.published_at, now()) ELSE d.published_at END,
			published_revision = CASE WHEN u.to_state = 'published' AND u.from_state = 'publishing' THEN u.to_rev ELSE d.published_revision END
			FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::int[], $6::bool[], $7::bool[]) AS u(id, from_state, from_rev, to_state, to_rev, step_done, awaits)
			WHERE d.id = u.id AND d.state = u.from_state AND d.revision = u.from_rev`,
			m.ids, m.fromState, m.fromRev, m.toState, m.toRev, m.stepDone, m.awaits).Exec(func(ct pgconn.CommandTag) error {
			if ct.RowsAffected() != int64(n) {
				return ErrConflict
			}
			return nil
		})
	}
	if len(m.ev.chain) > 0 {
		v := &m.ev
		// ORDER BY the array position: seq must follow each chain's order.
		b.Queue(`WITH ev AS (
			INSERT INTO audit_events (chain, idx, draft_id, actor_id, actor, role, stage, action, revision,
				content_sha256, reason, comment, at, prev_hash, hash, agency_id)
			SELECT chain, idx, NULLIF(draft_id, 0), NULLIF(actor_id, 0), actor, role, stage, action, revision,
				content_sha256, reason, comment, at, prev_hash, hash, NULLIF(agency_id, 0)
			FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
				$9::int[], $10::bytea[], $11::text[], $12::text[], $13::timestamptz[], $14::bytea[], $15::bytea[], $19::bigint[])
				WITH ORDINALITY AS e(chain, idx, draft_id, actor_id, actor, role, stage, action, revision,
				content_sha256, reason, comment, at, prev_hash, hash, agency_id, n)
			ORDER BY n
			RETURNING seq),
		q AS (INSERT INTO audit_unsequenced (seq) SELECT seq FROM ev)
		UPDATE audit_chains c SET length = h.length, head = h.head
			FROM unnest($16::text[], $17::bigint[], $18::bytea[]) AS h(chain, length, head)
			WHERE c.chain = h.chain`,
			v.chain, v.idx, v.draftID, v.actorID, v.actor, v.role, v.stage, v.action, v.revision, v.content, v.reason,
			v.comment, v.at, v.prev, v.hash, m.headChain, m.headLen, m.headHash, v.agencyID)
	}
	if len(m.outSubject) > 0 {
		m.sent = m.sent[:0]
		b.Queue(`INSERT INTO outbox (subject, payload) SELECT s, p::jsonb FROM unnest($1::text[], $2::text[]) AS o(s, p)
			RETURNING id, subject, payload, created_at`,
			m.outSubject, m.outBody).Query(func(rows pgx.Rows) error {
			var err error
			m.sent, err = pgx.AppendRows(m.sent, rows, scanOutboxRow)
			return err
		})
	}
	if a == nil && (len(m.notes) > 0 || len(m.outSubject) > 0) {
		// One statement: the relay's wake-up (when there is work) and the
		// live pages' news of each transition.
		b.Queue(`SELECT pg_notify(c, n) FROM (SELECT $1::text, ''::text WHERE $2
			UNION ALL SELECT $3::text, n FROM unnest($4::text[]) AS n) AS x(c, n)`,
			OutboxChannel, len(m.outSubject) > 0, EventsChannel, m.notes)
	}
}

// lockedWork is a draft locked for a batch, with its current revision's
// content and whether that revision has publication rows already.
type lockedWork struct {
	*lockedDraft
	content   domain.Content
	published bool
}

// lockDrafts locks the drafts and their chains, in id order so two batches
// never wait on each other in a cycle, and loads their current content, in
// one round trip. A missing id is simply absent from the map.
//
// The batch's statements take arrays. Left alone, PostgreSQL plans them
// anew on every call (a custom plan looks cheaper for a short array), and
// planning costs more than running them; and a generic plan made while the
// tables were still small keeps its sequential scans as they grow. So the
// batch's transaction fixes the plan shape: generic plans, driven by the
// array, through the primary keys (batchPlans).
//
// withText also loads the documents' text, which only stage 3's checks
// read (attachments.Texts): up to 2 M characters a document.
func queueLockDrafts(b *pgx.Batch, ids []int64, plans string, withText bool) {
	b.Queue(plans)
	b.Queue(`SELECT d.id, d.author_id, d.agency_id, d.department_id, d.state, d.revision, d.step_done, d.state_entered_at,
			c.length, c.head, r.content_sha256, r.title, r.body, dep.name, r.category, r.channels, r.formed_on,
			EXISTS (SELECT 1 FROM publications p WHERE p.draft_id = d.id AND p.revision = d.revision), `+policyColumn+`,
			r.digest, r.options, `+revisionTerms+`, COALESCE(d.published_revision, 0), `+attachmentsColumn(withText)+`
		FROM drafts d JOIN audit_chains c ON c.chain = 'draft/' || d.id
		JOIN revisions r ON r.draft_id = d.id AND r.revision = d.revision
		JOIN departments dep ON dep.id = d.department_id
		WHERE d.id = ANY($1) ORDER BY d.id FOR NO KEY UPDATE OF d, c`, ids)
}

// readLockDrafts reads what queueLockDrafts asked for.
func readLockDrafts(br pgx.BatchResults) (map[int64]*lockedWork, error) {
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("error locking drafts: %w", err)
	}
	rows, _ := br.Query()
	out := map[int64]*lockedWork{}
	defer rows.Close()
	for rows.Next() {
		d := &lockedWork{lockedDraft: &lockedDraft{}}
		c := &d.content
		var chans, people []string
		var attached []byte
		var terms termScan
		if err := rows.Scan(append(append([]any{&d.ID, &d.AuthorID, &d.AgencyID, &d.DepartmentID, &d.State, &d.Revision, &d.StepDone, &d.EnteredAt,
			&d.ChainLen, &d.ChainHead, &d.Content, &c.Title, &c.Body, &c.Department, &c.Category, &chans, &c.FormedOn,
			&d.published, &people, &c.Digest, &c.Options}, terms.targets(c)...), &d.PublishedRevision, &attached)...); err != nil {
			return nil, fmt.Errorf("error locking drafts: %w", err)
		}
		terms.apply(c)
		var err error
		if c.Attachments, err = decodeAttachments(attached); err != nil {
			return nil, err
		}
		d.Policy = policyOf(people)
		for _, ch := range chans {
			c.Channels = append(c.Channels, domain.Channel(ch))
		}
		out[d.ID] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error locking drafts: %w", err)
	}
	return out, nil
}

// batchPlans is set at the start of every batch transaction, before its
// first statement, so each connection's cached generic plan of a batch
// statement is the index-driven nested loop, whatever the tables' sizes
// were when it was made.
const batchPlans = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true),
	set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true),
	set_config('enable_mergejoin', 'off', true), set_config('enable_bitmapscan', 'off', true)`

// machinePlans is batchPlans for machine steps, which also commit without
// waiting for the WAL flush (see queueMachineCommit for why that is safe).
const machinePlans = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true),
	set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true),
	set_config('enable_mergejoin', 'off', true), set_config('enable_bitmapscan', 'off', true),
	set_config('synchronous_commit', 'off', true)`

// owed reports whether w's step is still owed by the locked draft.
func owed(cur *lockedDraft, w work.Item) error {
	if cur == nil {
		return fmt.Errorf("draft %d: %w", w.DraftID, ErrNotFound)
	}
	if cur.State != w.State || cur.Revision != w.Revision || cur.StepDone {
		return ErrNothingToDo
	}
	return nil
}

// batchTx runs a batch's transaction for ws: it locks and loads the
// drafts, hands each one whose step is still owed to step, and writes what
// step added to the set. Items not owed get ErrNothingToDo, or ErrNotFound
// when the draft does not exist. If the transaction fails, every item not
// already settled gets its error. Transitions are reported to OnTransition
// after commit.
func (s *Store) batchTx(ctx context.Context, ws []work.Item, step func(i int, cur *lockedWork, set *moveSet) error) []error {
	errs := make([]error, len(ws))
	if len(ws) == 0 {
		return errs
	}
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.DraftID
	}
	var set moveSet
	withText := slices.ContainsFunc(ws, func(w work.Item) bool { return w.State == domain.StateConfidentiality })
	err := s.lockTx(ctx, func(b *pgx.Batch) { queueLockDrafts(b, ids, machinePlans, withText) }, func(br pgx.BatchResults) error {
		locked, err := readLockDrafts(br)
		if err != nil {
			return err
		}
		for i, w := range ws {
			cur := locked[w.DraftID]
			var d *lockedDraft
			if cur != nil {
				d = cur.lockedDraft
			}
			if errs[i] = owed(d, w); errs[i] == nil {
				errs[i] = step(i, cur, &set)
			}
		}
		return nil
	}, func(b *pgx.Batch) { set.queue(b, s.Announce) })
	if err != nil {
		// Retried as a whole: not ErrConflict (a no-op to the workers),
		// which under the batch's locks cannot be about one item.
		err = fmt.Errorf("error writing a batch of %d: %s", len(ws), err.Error())
		for i := range errs {
			if errs[i] == nil || errors.Is(errs[i], ErrNothingToDo) {
				errs[i] = err
			}
		}
		return errs
	}
	s.committed(&set)
	return errs
}

// Check is a stage's machine checks of one revision's content, of a draft
// of agency agencyID.
type Check func(w work.Item, agencyID int64, c domain.Content) ([]domain.Finding, error)

// Expiry is stage 2's settling of how long a revision's content stays
// public once published: its last day, zero for no limit.
type Expiry func(agencyID int64, c domain.Content) (time.Time, error)

// CompleteChecksBatch runs check on each item whose step is still owed and
// stores its findings and the draft's move, all in one transaction that
// holds the drafts' locks throughout. Where the draft goes is
// domain.ChecksAction's: back to its author (a blocking finding at stage 1),
// on to the next stage, or nowhere, to wait for a person. It returns one result per item: nil
// when written, ErrNothingToDo when the step was no longer owed, or the
// check's error for that item alone.
func (s *Store) CompleteChecksBatch(ctx context.Context, ws []work.Item, check Check) []error {
	return s.CompleteChecksExpiring(ctx, ws, check, nil)
}

// CompleteChecksExpiring is CompleteChecksBatch that also stores each
// draft's expires_on as expiry settles it (stage 2), in the same
// transaction.
func (s *Store) CompleteChecksExpiring(ctx context.Context, ws []work.Item, check Check, expiry Expiry) []error {
	return s.batchTx(ctx, ws, func(i int, cur *lockedWork, set *moveSet) error {
		w := ws[i]
		stage, ok := domain.StageOf(cur.State)
		if !ok {
			return fmt.Errorf("draft %d is %q, not at a review stage", w.DraftID, cur.State)
		}
		findings, err := check(w, cur.AgencyID, cur.content)
		if err != nil {
			return err
		}
		if expiry != nil {
			until, err := expiry(cur.AgencyID, cur.content)
			if err != nil {
				return err
			}
			// A first revision without an expiry has none stored: only a
			// date, or a later revision that may have dropped one, is
			// written.
			if !until.IsZero() || cur.Revision > 1 {
				set.expire(w.DraftID, until)
			}
		}
		action := domain.ChecksAction(stage, cur.Policy, domain.Blocking(findings))
		to, err := domain.Next(cur.State, action)
		if err != nil {
			return err
		}
		blocks := 0
		for _, f := range findings {
			set.finding(w.DraftID, w.Revision, stage, f)
			if f.Severity == domain.SeverityBlock {
				blocks++
			}
		}
		set.move(cur.lockedDraft, move{to: to, revision: cur.Revision, stepDone: to == cur.State || !to.MachineStep(),
			event: audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem), Stage: string(stage),
				Action: string(action), Revision: cur.Revision, ContentSHA256: cur.Content,
				Comment: fmt.Sprintf("阻断性问题%d项，提示%d项 (%d blocking, %d warning findings)", blocks, len(findings)-blocks, blocks, len(findings)-blocks)}})
		return nil
	})
}

// ErrPublishedBefore means an earlier attempt already wrote some of the
// revision's publication rows (a crash, a redelivery): the publisher then
// takes the careful one-draft path, which looks at each row's status.
var ErrPublishedBefore = errors.New("publication rows exist from an earlier attempt")

// ErrNeedsSend means a revision has a channel that needs an external send:
// the publisher takes the one-draft path, which claims each send first.
var ErrNeedsSend = errors.New("a channel needs an external send")

// Plan gives the final outcome of every channel of a revision when none
// needs an external send (the website, a channel that is not configured),
// or false when one does.
type Plan func(w work.Item, c domain.Content) ([]PublicationOutcome, bool)

// PublishLocalBatch publishes the items whose channels all end without an
// external send (and which are no application's reply): their publication rows with the final outcomes, the audit
// events and the move to published, all in one transaction. An item that
// needs a send gets ErrNeedsSend; one with publication rows from an earlier
// attempt gets ErrPublishedBefore; nothing is written for either.
func (s *Store) PublishLocalBatch(ctx context.Context, ws []work.Item, plan Plan) []error {
	return s.batchTx(ctx, ws, func(i int, cur *lockedWork, set *moveSet) error {
		w := ws[i]
		if cur.published {
			return ErrPublishedBefore
		}
		outs, ok := plan(w, cur.content)
		if !ok || cur.content.Category == domain.CategoryApplicationReply {
			// A reply also answers its case (FinishPublishing, the one-draft path).
			return ErrNeedsSend
		}
		outs = append([]PublicationOutcome(nil), outs...)
		sort.Slice(outs, func(a, b int) bool { return outs[a].Channel < outs[b].Channel })
		summary := make([]string, len(outs))
		for j, o := range outs {
			set.publication(w.DraftID, w.Revision, o)
			set.event(cur.lockedDraft, channelEvent(w, cur.lockedDraft, o))
			summary[j] = string(o.Channel) + "=" + o.Status
		}
		set.indexDelivered(w.DraftID, w.Revision, cur.content, outs)
		to, err := domain.Next(cur.State, domain.ActionPublished)
		if err != nil {
			return err
		}
		set.move(cur.lockedDraft, move{to: to, revision: cur.Revision, stepDone: true,
			event: audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem), Action: string(domain.ActionPublished),
				Revision: cur.Revision, ContentSHA256: cur.Content, Comment: strings.Join(summary, " ")}})
		return nil
	})
}

// channelEvent is the audit event of one channel's outcome.
func channelEvent(w work.Item, cur *lockedDraft, o PublicationOutcome) audit.Event {
	return audit.Event{Chain: audit.DraftChain(cur.ID), DraftID: cur.ID, Actor: SystemActor.Name,
		Role: string(domain.RoleSystem), Stage: string(domain.StatePublishing), Action: "channel_" + o.Status,
		Revision: w.Revision, ContentSHA256: cur.Content, Reason: string(o.Channel),
		Comment: joinNonEmpty(" ", o.URL, o.ExternalID, o.Error)}
}
