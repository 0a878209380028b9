package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/schedule"
)

// People's transitions (decisions, submissions) are group-committed
// (internal/groupcommit): a request that arrives while another commit is in
// flight waits and goes with the next one. Each request still gets its own
// answer, decided under its draft's lock, and the commit is durable
// (synchronous) before anyone is answered. What the group saves is the
// transaction and statement overhead, and a WAL flush shared by everyone
// in it.

// SetGroupLinger sets how long a busy group of decisions or submissions
// waits for company before its transaction (0: never). Set it before the
// store is used.
func (s *Store) SetGroupLinger(d time.Duration) {
	s.decisions.Linger, s.submissions.Linger = d, d
}

// peopleGroups groups of each kind may be in flight at once: while one
// commits, the next one forms. maxGroup bounds a group.
const (
	peopleGroups = 2
	maxGroup     = 64
)

// decideJob is one reviewer's decision and, once run, its answer.
type decideJob struct {
	by    domain.Actor
	idem  *idemKey // the request's Idempotency-Key, marked done with the decision
	id    int64
	req   domain.DecisionRequest
	sum   []byte
	draft Draft
	err   error
}

// Decide applies a reviewer's decision, or refuses it and audits the
// refusal, and returns the draft as the decision left it. contentSHA256,
// when given, must match the revision's content. Concurrent decisions are
// committed together (internal/groupcommit); each is checked on its own.
func (s *Store) Decide(ctx context.Context, by domain.Actor, id int64, req domain.DecisionRequest, contentSHA256 []byte) (Draft, error) {
	j := &decideJob{by: by, id: id, req: req, sum: contentSHA256, idem: idempotencyOf(ctx)}
	if err := s.decisions.Do(ctx, j); err != nil {
		return Draft{}, err
	}
	if j.err != nil {
		return Draft{}, j.err
	}
	return j.draft, nil
}

// decideGroup writes a group of decisions in one transaction. If that
// transaction fails, each decision is tried alone, so one bad request never
// fails the others.
func (s *Store) decideGroup(ctx context.Context, js []*decideJob) {
	err := s.decideTx(ctx, js)
	if err == nil || len(js) == 1 {
		for _, j := range js {
			if err != nil {
				j.err = err
			}
		}
		return
	}
	for _, j := range js {
		if err := s.decideTx(ctx, []*decideJob{j}); err != nil {
			j.err = err
		}
	}
}

// peopleDraft is a draft locked for people's decisions: the row, its
// chain head, the rules' facts and what the answer shows.
type peopleDraft struct {
	lockedDraft
	draft Draft
}

// lockForPeople locks the drafts (id order) with their chains, loading what
// the decision rules need and the draft as the answer shows it, in one
// statement.
func queueLockForPeople(b *pgx.Batch, ids []int64) {
	b.Queue(batchPlans)
	// The draft's past decisions in one pass over its index entries.
	b.Queue(`SELECT `+draftColumns+`, c.length, c.head,
			COALESCE(px.actors, '{}'), COALESCE(px.stages, '{}'), COALESCE(px.revisions, '{}'),
			`+blockingColumn+`
		`+draftFrom+` JOIN audit_chains c ON c.chain = 'draft/' || d.id
		LEFT JOIN LATERAL (SELECT array_agg(x.actor_id ORDER BY x.id) AS actors, array_agg(x.stage ORDER BY x.id) AS stages,
			array_agg(x.revision ORDER BY x.id) AS revisions FROM decisions x WHERE x.draft_id = d.id) px ON true
		WHERE d.id = ANY($1) ORDER BY d.id FOR NO KEY UPDATE OF d, c`, ids)
}

// readLockForPeople reads what queueLockForPeople asked for.
func readLockForPeople(br pgx.BatchResults) (map[int64]*peopleDraft, error) {
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("error locking drafts: %w", err)
	}
	rows, _ := br.Query()
	defer rows.Close()
	out := map[int64]*peopleDraft{}
	for rows.Next() {
		p := &peopleDraft{}
		d := &p.draft
		var x draftScan
		var stages []string
		var actors []int64
		var revs []int32
		var blocking bool
		err := rows.Scan(append(x.Targets(d), &p.ChainLen, &p.ChainHead, &actors, &stages, &revs, &blocking)...)
		if err == nil {
			err = x.Finish()
		}
		if err != nil {
			return nil, fmt.Errorf("error locking drafts: %w", err)
		}
		p.ID, p.Content, p.EnteredAt = d.ID, x.sum, d.StateEnteredAt
		p.DraftFacts = d.Facts()
		p.Blocking = blocking
		for i := range actors {
			p.Decisions = append(p.Decisions, domain.PastDecision{ActorID: actors[i], Stage: domain.Stage(stages[i]), Revision: int(revs[i])})
		}
		out[d.ID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error locking drafts: %w", err)
	}
	return out, nil
}

// scheduledRelease is a draft approved before its publication time: the
// scheduler's job (JobPublish) releases it then.
type scheduledRelease struct {
	id int64
	at time.Time
}

// decisionColumns are the decisions a group inserts.
type decisionColumns struct {
	draftID, actorID                 []int64
	revision                         []int32
	stage, decision, reason, comment []string
	content                          [][]byte
	override                         []bool
}

// decideTx runs the decisions in one transaction, each against its draft as
// the ones before it left it. A refusal is audited in the draft's chain and
// is that job's answer; it commits with the rest.
func (s *Store) decideTx(ctx context.Context, js []*decideJob) error {
	ids := make([]int64, 0, len(js))
	for _, j := range js {
		ids = append(ids, j.id)
	}
	var set moveSet
	var dec decisionColumns
	var locked map[int64]*peopleDraft
	results := make([]error, len(js)) // each job's answer, handed out only after the commit
	var release []scheduledRelease
	var decided []*decideJob // the decisions that took effect, for their idempotency keys
	now := time.Now()
	err := s.lockTx(ctx, func(b *pgx.Batch) { queueLockForPeople(b, ids) }, func(br pgx.BatchResults) error {
		var err error
		if locked, err = readLockForPeople(br); err != nil {
			return err
		}
		for i, j := range js {
			results[i] = nil
			cur := locked[j.id]
			if cur == nil {
				results[i] = ErrNotFound
				continue
			}
			next, err := domain.Authorize(j.by, cur.DraftFacts, j.req)
			if err == nil && j.sum != nil && string(j.sum) != string(cur.Content) {
				err = &domain.Refusal{Rule: domain.RuleStale, Message: "the content hash does not match the revision's content: it changed since you read it"}
			}
			var r *domain.Refusal
			if errors.As(err, &r) {
				set.event(&cur.lockedDraft, deniedEvent(&cur.lockedDraft, j.by, "decide", r))
				results[i] = r
				if domain.CanView(j.by, cur.DraftFacts) != nil {
					results[i] = ErrNotFound // as if it did not exist (Check)
				}
				continue
			}
			if err != nil {
				results[i] = err
				continue
			}
			if at := cur.draft.Content.PublishAt; next == domain.StatePublishing && at.After(now) {
				// 定时发布: approved before its time, it waits for the
				// scheduler, which releases it at that time.
				next = domain.StateScheduled
				release = append(release, scheduledRelease{j.id, at})
			}
			reason := string(j.req.Reason)
			if j.req.Decision == domain.DecisionApprove && cur.Blocking {
				reason = "override" // approved past a blocking finding; the comment is the justification
			}
			dec.draftID = append(dec.draftID, j.id)
			dec.revision = append(dec.revision, int32(j.req.Revision))
			dec.stage = append(dec.stage, string(j.req.Stage))
			dec.actorID = append(dec.actorID, j.by.ID)
			dec.decision = append(dec.decision, string(j.req.Decision))
			dec.reason = append(dec.reason, string(j.req.Reason))
			dec.comment = append(dec.comment, j.req.Comment)
			dec.content = append(dec.content, cur.Content)
			dec.override = append(dec.override, reason == "override")
			set.move(&cur.lockedDraft, move{to: next, revision: cur.Revision, stepDone: !next.MachineStep(),
				event: audit.Event{ActorID: j.by.ID, Actor: j.by.Name, Role: string(domain.ReviewerRole(j.req.Stage)),
					Stage: string(j.req.Stage), Action: string(j.req.Decision), Revision: j.req.Revision,
					ContentSHA256: cur.Content, Reason: reason, Comment: j.req.Comment}})
			cur.Decisions = append(cur.Decisions, domain.PastDecision{ActorID: j.by.ID, Stage: j.req.Stage, Revision: j.req.Revision})
			decided = append(decided, j)
			cur.Blocking = false // a new state: its findings are not written yet
		}
		return nil
	}, func(b *pgx.Batch) {
		if len(dec.draftID) > 0 {
			b.Queue(`INSERT INTO decisions (draft_id, revision, stage, actor_id, decision, reason, comment, content_sha256, override)
				SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::bool[])`,
				dec.draftID, dec.revision, dec.stage, dec.actorID, dec.decision, dec.reason, dec.comment, dec.content, dec.override)
		}
		for _, j := range decided {
			queueIdemDone(b, j.idem, j.id)
		}
		for _, r := range release {
			if err := schedule.QueueSchedule(b, JobPublish, audit.DraftChain(r.id), r.at, nil); err != nil {
				panic(err) // a nil payload always marshals
			}
		}
		set.queue(b, s.Announce)
	})
	if err != nil {
		return err
	}
	s.committed(&set)
	now = time.Now()
	for i, j := range js {
		if j.err = results[i]; j.err != nil {
			continue
		}
		cur := locked[j.id]
		d := cur.draft
		if d.State != cur.State || d.Revision != cur.Revision {
			d.StateEnteredAt = now
		}
		d.State, d.Revision, d.StepDone, d.UpdatedAt = cur.State, cur.Revision, cur.StepDone, now
		j.draft = d
	}
	return nil
}

// committed tells OnTransition of the set's committed transitions and
// hands its outbox rows and notes to the Announcer.
func (s *Store) committed(m *moveSet) {
	if s.OnTransition != nil {
		for _, mv := range m.moves {
			s.OnTransition(mv.from, mv.to, time.Since(mv.since))
		}
	}
	if s.Announce != nil {
		if len(m.sent) > 0 {
			s.Announce.Outbox(m.sent)
		}
		if len(m.notes) > 0 {
			s.Announce.Events(m.notes)
		}
	}
}

// submitJob is one officer's new draft and, once run, its answer.
type submitJob struct {
	by       domain.Actor
	idem     *idemKey // the request's Idempotency-Key, marked done with the draft
	deptID   int64
	content  domain.Content
	deadline time.Time
	// link, for a reply to an application, answers the case with the
	// draft in the same transaction (StartReply); nil for every other.
	link *replyLink
	// save keeps the new draft unsubmitted (暂存, Save): no checks, no
	// submission time, in the trail as a save.
	save  bool
	draft Draft
	err   error
}

// Submit stores a new draft at revision 1 and sends it to stage 1. It asks
// domain.CanSubmit itself, so every way in (API, pages) is checked in one
// place; a refusal is audited in the system chain. Concurrent submissions
// are committed together (internal/groupcommit).
func (s *Store) Submit(ctx context.Context, by domain.Actor, deptID int64, c domain.Content, deadline time.Time) (Draft, error) {
	return s.submit(ctx, by, deptID, c, deadline, nil, false)
}

// submit is Submit, with a reply's case to link in the same transaction
// (link): such a submission goes alone, not in a group, so that a case
// that no longer allows its reply fails it alone. With save, the new draft
// is kept unsubmitted (Save), alone too.
func (s *Store) submit(ctx context.Context, by domain.Actor, deptID int64, c domain.Content, deadline time.Time, link *replyLink, save bool) (Draft, error) {
	if rerr := domain.CanSubmit(by, deptID); rerr != nil {
		r := rerr.(*domain.Refusal)
		action := domain.ActionSubmit
		if save {
			action = domain.ActionSave
		}
		err := s.tx(ctx, func(tx pgx.Tx) error {
			e := agencyEvent(by.AgencyID, by, "denied:"+string(action), fmt.Sprintf("department %d: %s", deptID, r.Message))
			e.Reason = string(r.Rule)
			return appendEvent(ctx, tx, e)
		})
		if err != nil {
			return Draft{}, err
		}
		return Draft{}, r
	}
	j := &submitJob{by: by, deptID: deptID, content: c, deadline: deadline, idem: idempotencyOf(ctx), link: link, save: save}
	if link != nil || save {
		if err := s.submitTx(ctx, []*submitJob{j}); err != nil {
			return Draft{}, err
		}
		return j.draft, nil
	}
	if err := s.submissions.Do(ctx, j); err != nil {
		return Draft{}, err
	}
	if j.err != nil {
		return Draft{}, j.err
	}
	return j.draft, nil
}

// submitGroup stores a group of submissions in one transaction; if that
// fails, each is tried alone, so one bad request never fails the others.
func (s *Store) submitGroup(ctx context.Context, js []*submitJob) {
	err := s.submitTx(ctx, js)
	if err == nil {
		return
	}
	if len(js) == 1 {
		js[0].err = err
		return
	}
	for _, j := range js {
		j.err = s.submitTx(ctx, []*submitJob{j})
	}
}

// submitTx stores the new drafts in one transaction: ids first, then every
// row, set-based.
func (s *Store) submitTx(ctx context.Context, js []*submitJob) error {
	var set moveSet
	type draftRow struct {
		id, author, dept                        []int64
		formed, deadline                        []time.Time
		title, body, category, channels, digest []string
		options                                 []string // comma-joined
		rev                                     []int32
		content                                 []domain.Content
		sum                                     [][]byte
		chain, state                            []string
	}
	var rows draftRow
	created := make([]time.Time, len(js))
	first, err := domain.Next("", domain.ActionSubmit)
	if err != nil {
		return err
	}
	stage, _ := domain.StageOf(first)
	saved, err := domain.Next("", domain.ActionSave)
	if err != nil {
		return err
	}
	// The ids come first: each draft's audit chain is named after its id.
	ids := func(b *pgx.Batch) {
		b.Queue(batchPlans)
		b.Queue(`SELECT nextval('drafts_id_seq'), now() FROM generate_series(1, $1)`, len(js))
		for _, j := range js {
			if j.link != nil {
				j.link.lock(b)
			}
		}
	}
	err = s.lockTx(ctx, ids, func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("error storing drafts: %w", err)
		}
		r, _ := br.Query()
		var ids []int64
		var id int64
		var now time.Time
		if _, err := pgx.ForEachRow(r, []any{&id, &now}, func() error { ids = append(ids, id); return nil }); err != nil {
			return fmt.Errorf("error storing drafts: %w", err)
		}
		if len(ids) != len(js) {
			return fmt.Errorf("error storing drafts: %d ids for %d drafts", len(ids), len(js))
		}
		for _, j := range js {
			if j.link != nil {
				if err := j.link.read(br); err != nil {
					return err
				}
			}
		}
		for i, j := range js {
			id, c := ids[i], j.content
			sum := c.SHA256()
			chans := make([]string, len(c.Channels))
			for k, ch := range c.Channels {
				chans[k] = string(ch)
			}
			rows.id = append(rows.id, id)
			rows.author = append(rows.author, j.by.ID)
			rows.dept = append(rows.dept, j.deptID)
			rows.formed = append(rows.formed, c.FormedOn)
			rows.deadline = append(rows.deadline, j.deadline)
			rows.title = append(rows.title, c.Title)
			rows.body = append(rows.body, c.Body)
			rows.category = append(rows.category, c.Category)
			rows.channels = append(rows.channels, strings.Join(chans, ",")) // channel names have no commas
			rows.sum = append(rows.sum, sum)
			rows.digest = append(rows.digest, c.Digest)
			rows.options = append(rows.options, strings.Join(optionStrings(c.Options), ",")) // option codes have no commas
			rows.rev = append(rows.rev, 1)
			rows.content = append(rows.content, c)
			rows.chain = append(rows.chain, audit.DraftChain(id))
			cur := &lockedDraft{ID: id}
			cur.AgencyID = j.by.AgencyID // its department's (CanSubmit)
			state := first
			if j.save { // kept unsubmitted: in the trail, seen by its author, nothing to check yet
				state = saved
				set.event(cur, audit.Event{ActorID: j.by.ID, Actor: j.by.Name, Role: string(domain.RoleOfficer),
					Stage: string(saved), Action: string(domain.ActionSave), Revision: 1, ContentSHA256: sum})
			} else {
				set.event(cur, audit.Event{ActorID: j.by.ID, Actor: j.by.Name, Role: string(domain.RoleOfficer),
					Stage: string(stage), Action: string(domain.ActionSubmit), Revision: 1, ContentSHA256: sum})
				set.work(work.Item{DraftID: id, Revision: 1, State: first})
				set.notes = append(set.notes, News{DraftID: id, AgencyID: j.by.AgencyID, DepartmentID: j.deptID, AuthorID: j.by.ID,
					State: first, Revision: 1}.String())
			}
			rows.state = append(rows.state, string(state))
			created[i] = now
			j.draft = Draft{ID: id, AgencyID: j.by.AgencyID, AuthorID: j.by.ID, Author: j.by.Name, DepartmentID: j.deptID, State: state,
				Revision: 1, Deadline: j.deadline.Format(domain.DateLayout), Content: c, ContentSHA256: hex.EncodeToString(sum), Saved: j.save}
			if j.link != nil {
				j.link.draftID = id
				j.link.event(&set)
			}
		}
		return nil
	}, func(b *pgx.Batch) {
		// The department's agency is the draft's.
		// A saved draft (state unsubmitted) has no submission time yet, nor a
		// machine step owed.
		b.Queue(`INSERT INTO drafts (id, author_id, department_id, agency_id, state, revision, formed_on, deadline, submitted_at, step_done)
			SELECT i, a, d, (SELECT agency_id FROM departments WHERE id = d), s, 1, f, l, CASE WHEN s = $7 THEN NULL ELSE now() END, s = $7
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::date[], $5::date[], $6::text[]) AS x(i, a, d, f, l, s)`,
			rows.id, rows.author, rows.dept, rows.formed, rows.deadline, rows.state, saved)
		b.Queue(`INSERT INTO revisions (draft_id, revision, title, body, category, channels, formed_on, content_sha256, digest, options)
			SELECT i, 1, t, b, c, string_to_array(ch, ','), f, s, g, string_to_array(o, ',') FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::bytea[], $8::text[], $9::text[]) AS x(i, t, b, c, ch, f, s, g, o)`,
			rows.id, rows.title, rows.body, rows.category, rows.channels, rows.formed, rows.sum, rows.digest, rows.options)
		queueAttachments(b, rows.id, rows.rev, rows.content)
		queueTerms(b, rows.id, rows.content)
		for i, j := range js {
			queueIdemDone(b, j.idem, rows.id[i])
			if j.link != nil {
				j.link.write(b)
			}
		}
		b.Queue(`INSERT INTO audit_chains (chain) SELECT unnest($1::text[])`, rows.chain)
		set.queue(b, s.Announce)
	})
	if err != nil {
		return err
	}
	s.committed(&set)
	for i, j := range js {
		j.err = nil // committed
		j.draft.CreatedAt, j.draft.UpdatedAt, j.draft.StateEnteredAt = created[i], created[i], created[i]
		if s.OnTransition != nil {
			s.OnTransition("", j.draft.State, 0)
		}
	}
	return nil
}
