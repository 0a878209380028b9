package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/schedule"
)

// ErrConflict is returned when a compare-and-set found the draft moved on.
var ErrConflict = errors.New("the draft changed meanwhile")

// Draft is a draft with its current revision's content.
type Draft struct {
	ID             int64        `json:"id"`
	AgencyID       int64        `json:"agency_id"`
	AuthorID       int64        `json:"author_id"`
	Author         string       `json:"author"`
	DepartmentID   int64        `json:"department_id"`
	State          domain.State `json:"state"`
	Revision       int          `json:"revision"`
	StepDone       bool         `json:"checks_done"`
	StateEnteredAt time.Time    `json:"state_entered_at"`
	Deadline       string       `json:"deadline"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	PublishedAt    *time.Time   `json:"published_at,omitempty"`
	// PublishedRevision is the revision the public pages and channels show
	// (0: never published); a correction under review is a later one.
	PublishedRevision int `json:"published_revision,omitempty"`
	// Saved: kept unsubmitted (暂存, Save) and never submitted.
	Saved bool `json:"saved,omitempty"`
	// ExpiresOn is the last day the item stays public, as stage 2 settled
	// it or a reviewer set it (nil: no limit).
	ExpiresOn     *time.Time     `json:"-"`
	Content       domain.Content `json:"-"`
	ContentSHA256 string         `json:"content_sha256"`
	Policy        domain.Policy  `json:"-"` // the agency's, as the rules need it
	// Explanation is the author's, when they sent a revision stage 1's
	// machine checks had returned on unchanged (Explain).
	Explanation string `json:"explanation,omitempty"`
}

// Facts is the draft as the rules see it.
func (d Draft) Facts() domain.DraftFacts {
	return domain.DraftFacts{AuthorID: d.AuthorID, AgencyID: d.AgencyID, DepartmentID: d.DepartmentID, State: d.State, Revision: d.Revision, StepDone: d.StepDone, Policy: d.Policy,
		PublishedRevision: d.PublishedRevision, Saved: d.Saved}
}

// Decision is a recorded reviewer decision.
type Decision struct {
	Revision      int       `json:"revision"`
	Stage         string    `json:"stage"`
	ActorID       int64     `json:"actor_id"`
	Actor         string    `json:"actor"`
	Decision      string    `json:"decision"`
	Reason        string    `json:"reason,omitempty"`
	Comment       string    `json:"comment,omitempty"`
	Override      bool      `json:"override"` // an approval past a blocking finding
	ContentSHA256 string    `json:"content_sha256"`
	At            time.Time `json:"at"`
}

// Finding is a stored machine finding.
type Finding struct {
	Revision int `json:"revision"`
	domain.Finding
}

// Publication is one channel's outcome for a revision.
type Publication struct {
	Revision    int        `json:"revision"`
	Channel     string     `json:"channel"`
	Status      string     `json:"status"`
	URL         string     `json:"url,omitempty"`
	ExternalID  string     `json:"external_id,omitempty"`
	Error       string     `json:"error,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	ClaimedAt   *time.Time `json:"-"` // when an external send was claimed
	// After a withdrawal: this channel's removal and when it was done.
	WithdrawStatus string     `json:"withdraw_status,omitempty"`
	WithdrawnAt    *time.Time `json:"withdrawn_at,omitempty"`
}

// lockedDraft is a draft row locked for a transition, with its audit chain head.
type lockedDraft struct {
	domain.DraftFacts
	ID        int64
	EnteredAt time.Time // when the draft entered its current state
	ChainLen  int64
	ChainHead []byte
	Content   []byte // SHA-256 of the current revision
}

// blockingColumn is DraftFacts.Blocking of the draft d: a blocking finding
// of its current revision at its current stage, or at an earlier stage the
// author explained (Explain) that no override of this revision has covered.
const blockingColumn = `EXISTS (SELECT 1 FROM findings f WHERE f.draft_id = d.id AND f.revision = d.revision AND f.severity = 'block'
	AND (f.stage = d.state OR NOT EXISTS (SELECT 1 FROM decisions x WHERE x.draft_id = d.id AND x.revision = d.revision AND x.override)))`

// returnedByPersonColumn is DraftFacts.ReturnedByPerson of the draft d.
const returnedByPersonColumn = `EXISTS (SELECT 1 FROM decisions x WHERE x.draft_id = d.id AND x.revision = d.revision AND x.decision = 'return')`

// lockDraft takes the draft's row lock (and its chain's) for the rest of
// the transaction. It also fixes the transaction's plans (batchPlans), as
// every transaction that writes a transition does: the transition's
// set-based statements are shared with the batches.
func lockDraft(ctx context.Context, tx pgx.Tx, id int64) (lockedDraft, error) {
	d := lockedDraft{ID: id}
	b := &pgx.Batch{}
	b.Queue(batchPlans)
	b.Queue(`SELECT d.author_id, d.agency_id, d.department_id, d.state, d.revision, d.step_done, d.state_entered_at, c.length, c.head, r.content_sha256,
			`+policyColumn+`, `+returnedByPersonColumn+`, COALESCE(d.published_revision, 0), d.submitted_at IS NULL
		FROM drafts d JOIN audit_chains c ON c.chain = 'draft/' || d.id
		JOIN revisions r ON r.draft_id = d.id AND r.revision = d.revision
		WHERE d.id = $1 FOR NO KEY UPDATE OF d, c`, id)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return d, fmt.Errorf("error locking draft %d: %w", id, err)
	}
	var people []string
	err := br.QueryRow().Scan(&d.AuthorID, &d.AgencyID, &d.DepartmentID, &d.State, &d.Revision, &d.StepDone, &d.EnteredAt, &d.ChainLen, &d.ChainHead, &d.Content, &people,
		&d.ReturnedByPerson, &d.PublishedRevision, &d.Saved)
	d.Policy = policyOf(people)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("error locking draft %d: %w", id, err)
	}
	return d, br.Close()
}

// move is one transition of a locked draft (moveSet.move writes it).
type move struct {
	to       domain.State
	revision int
	stepDone bool
	event    audit.Event
}

func queueRevision(b *pgx.Batch, id int64, rev int, c domain.Content, sum []byte) {
	chans := make([]string, len(c.Channels))
	for i, ch := range c.Channels {
		chans[i] = string(ch)
	}
	b.Queue(`INSERT INTO revisions (draft_id, revision, title, body, category, channels, formed_on, content_sha256, digest, options,
			correction, publish_at, expires_on, topics)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, id, rev, c.Title, c.Body, c.Category, chans, c.FormedOn, sum, c.Digest, optionStrings(c.Options),
		c.Correction, nonZero(c.PublishAt), nonZero(c.ExpiresOn), topicsOf(c))
	queueAttachments(b, []int64{id}, []int32{int32(rev)}, []domain.Content{c})
}

// Revise stores a new revision of a returned or unsubmitted draft by its
// author and sends it to stage 1 (a saved draft's first submission, in the
// trail as a submit); of a published draft, it starts a correction (更正):
// the revision goes through the stages while the published one stays
// public (domain.CheckCorrection says what a correction must keep).
func (s *Store) Revise(ctx context.Context, by domain.Actor, id, deptID int64, c domain.Content, deadline time.Time) (Draft, error) {
	sum := c.SHA256()
	err := s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		action := domain.ReviseAction(cur.DraftFacts)
		if err := domain.CanReviseInto(by, cur.DraftFacts, deptID); err != nil {
			return s.refuseOrHide(ctx, tx, &cur, by, string(action), err)
		}
		var published domain.Content
		if cur.PublishedRevision > 0 {
			var chans []string
			if err := tx.QueryRow(ctx, `SELECT channels FROM revisions WHERE draft_id = $1 AND revision = $2`, id, cur.PublishedRevision).Scan(&chans); err != nil {
				return fmt.Errorf("error reading the published revision of draft %d: %w", id, err)
			}
			for _, ch := range chans {
				published.Channels = append(published.Channels, domain.Channel(ch))
			}
		}
		if err := domain.CheckCorrection(cur.DraftFacts, published, c); err != nil {
			return s.refuse(ctx, tx, &cur, by, string(action), err)
		}
		next, err := domain.Next(cur.State, action)
		if err != nil {
			return err
		}
		rev := cur.Revision + 1
		queueRevision(b, id, rev, c, sum)
		queueIdemDone(b, idempotencyOf(ctx), id)
		// A saved draft's first submission (ActionSubmit) is its submission.
		b.Queue(`UPDATE drafts SET formed_on = $2, deadline = $3, submitted_at = COALESCE(submitted_at, now()) WHERE id = $1`, id, c.FormedOn, deadline)
		set.move(&cur, move{to: next, revision: rev, event: audit.Event{ActorID: by.ID, Actor: by.Name,
			Role: string(domain.RoleOfficer), Stage: string(domain.FirstStage()), Action: string(action),
			Revision: rev, ContentSHA256: sum, Comment: c.Correction}})
		return nil
	})
	if err != nil {
		return Draft{}, unwrapRefused(err)
	}
	return s.Draft(ctx, id)
}

// Explain sends a revision that stage 1's machine checks returned on to the
// next person, unchanged, with its author's explanation: the checks do not
// run again, and that person must override the blocking findings with a
// comment (domain.DraftFacts.Blocking). revision is the one the author read.
func (s *Store) Explain(ctx context.Context, by domain.Actor, id int64, revision int, explanation string) (Draft, error) {
	err := s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := domain.CanExplain(by, cur.DraftFacts, explanation); err != nil {
			return s.refuseOrHide(ctx, tx, &cur, by, string(domain.ActionExplain), err)
		}
		if revision != cur.Revision {
			return s.refuseOrHide(ctx, tx, &cur, by, string(domain.ActionExplain), &domain.Refusal{Rule: domain.RuleStale,
				Message: fmt.Sprintf("the draft is at revision %d; the explanation is for revision %d", cur.Revision, revision)})
		}
		first, err := domain.Next(cur.State, domain.ActionExplain)
		if err != nil {
			return err
		}
		stage, _ := domain.StageOf(first)
		action := domain.ChecksAction(stage, cur.Policy, false) // explained: as if nothing blocked
		to, err := domain.Next(first, action)
		if err != nil {
			return err
		}
		b.Queue(`UPDATE revisions SET explanation = $3 WHERE draft_id = $1 AND revision = $2`, id, cur.Revision, explanation)
		set.event(&cur, audit.Event{ActorID: by.ID, Actor: by.Name, Role: string(domain.RoleOfficer), Stage: string(stage),
			Action: string(domain.ActionExplain), Revision: cur.Revision, ContentSHA256: cur.Content, Comment: explanation})
		set.move(&cur, move{to: to, revision: cur.Revision, stepDone: to == first || !to.MachineStep(),
			event: audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem), Stage: string(stage), Action: string(action),
				Revision: cur.Revision, ContentSHA256: cur.Content, Comment: "起草人已提交说明：阻断性问题交下一位审核人核实，须写明理由方可通过"}})
		return nil
	})
	if err != nil {
		return Draft{}, unwrapRefused(err)
	}
	return s.Draft(ctx, id)
}

// Save keeps a draft unsubmitted (暂存): with id 0 a new draft, stored at
// revision 1 in state unsubmitted; otherwise a new revision of the
// author's unsubmitted draft id (saved, or recalled), which stays
// unsubmitted. Either is in the draft's trail as a save, seen only by its
// author, and neither checked nor sent anywhere: Revise submits it. The
// content is held to what a submission's is (the caller validates it).
func (s *Store) Save(ctx context.Context, by domain.Actor, id, deptID int64, c domain.Content, deadline time.Time) (Draft, error) {
	if id == 0 {
		return s.submit(ctx, by, deptID, c, deadline, nil, true)
	}
	sum := c.SHA256()
	err := s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := domain.CanSave(by, cur.DraftFacts, deptID); err != nil {
			return s.refuseOrHide(ctx, tx, &cur, by, string(domain.ActionSave), err)
		}
		if err := domain.CheckCorrection(cur.DraftFacts, domain.Content{}, c); err != nil {
			return s.refuse(ctx, tx, &cur, by, string(domain.ActionSave), err)
		}
		next, err := domain.Next(cur.State, domain.ActionSave)
		if err != nil {
			return err
		}
		rev := cur.Revision + 1
		queueRevision(b, id, rev, c, sum)
		queueIdemDone(b, idempotencyOf(ctx), id)
		b.Queue(`UPDATE drafts SET formed_on = $2, deadline = $3 WHERE id = $1`, id, c.FormedOn, deadline)
		set.move(&cur, move{to: next, revision: rev, stepDone: true, event: audit.Event{ActorID: by.ID, Actor: by.Name,
			Role: string(domain.RoleOfficer), Stage: string(next), Action: string(domain.ActionSave),
			Revision: rev, ContentSHA256: sum}})
		return nil
	})
	if err != nil {
		return Draft{}, unwrapRefused(err)
	}
	return s.Draft(ctx, id)
}

// Recall takes a submitted draft back to its author (撤回) before any
// person decided on its current revision: it waits, unsubmitted and seen
// only by its author, for their revision (Revise). Machine checks still in
// flight find it moved and are dropped (owed).
func (s *Store) Recall(ctx context.Context, by domain.Actor, id int64) (Draft, error) {
	err := s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		// The decisions under the draft's lock: a decision takes it too.
		rows, _ := tx.Query(ctx, `SELECT actor_id, stage, revision FROM decisions WHERE draft_id = $1 AND revision = $2`, id, cur.Revision)
		cur.Decisions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.PastDecision, error) {
			var p domain.PastDecision
			return p, r.Scan(&p.ActorID, &p.Stage, &p.Revision)
		})
		if err != nil {
			return fmt.Errorf("error reading the decisions of draft %d: %w", id, err)
		}
		if err := domain.CanRecall(by, cur.DraftFacts); err != nil {
			return s.refuseOrHide(ctx, tx, &cur, by, string(domain.ActionRecall), err)
		}
		to, err := domain.Next(cur.State, domain.ActionRecall)
		if err != nil {
			return err
		}
		set.move(&cur, move{to: to, revision: cur.Revision, stepDone: true, event: audit.Event{ActorID: by.ID, Actor: by.Name,
			Role: string(domain.RoleOfficer), Stage: string(cur.State), Action: string(domain.ActionRecall),
			Revision: cur.Revision, ContentSHA256: cur.Content}})
		return nil
	})
	if err != nil {
		return Draft{}, unwrapRefused(err)
	}
	return s.Draft(ctx, id)
}

// refuse audits a refused attempt on a draft and returns the refusal. It
// commits tx itself, so the audit event stays while the caller's
// transaction function returns the refusal as its error.
func (s *Store) refuse(ctx context.Context, tx pgx.Tx, cur *lockedDraft, by domain.Actor, action string, err error) error {
	var r *domain.Refusal
	if !errors.As(err, &r) {
		return err
	}
	var set moveSet
	set.event(cur, deniedEvent(cur, by, action, r))
	b := &pgx.Batch{}
	set.queue(b, nil) // an event alone: nothing to announce
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("error auditing refusal: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("error auditing refusal: %w", err)
	}
	return r
}

// deniedEvent is the audit event of a refused attempt on a draft.
func deniedEvent(cur *lockedDraft, by domain.Actor, action string, r *domain.Refusal) audit.Event {
	return audit.Event{ActorID: by.ID, Actor: by.Name, Role: primaryRole(by), Stage: string(cur.State),
		Action: "denied:" + action, Revision: cur.Revision, Reason: string(r.Rule), Comment: r.Message}
}

// Check asks rule whether a may act on draft id without changing it (read
// the draft, read its trail); every read of a draft goes through here.
// A draft a may not see at all (domain.CanView) is ErrNotFound, exactly as
// if it did not exist; a draft a may see but rule refuses is the
// *domain.Refusal. Either refusal is audited — in the draft's agency's
// chain, not the draft's own: a refused read takes no lock on the draft or
// its chain, so nobody can stall a draft's transitions by asking for it.
func (s *Store) Check(ctx context.Context, a domain.Actor, id int64, action string,
	rule func(domain.Actor, domain.DraftFacts) error) (domain.DraftFacts, error) {
	facts, err := s.DraftFacts(ctx, id)
	if err != nil {
		return facts, err
	}
	rerr := domain.CanView(a, facts)
	hidden := rerr != nil
	if !hidden {
		rerr = rule(a, facts)
	}
	var r *domain.Refusal
	if !errors.As(rerr, &r) {
		return facts, rerr
	}
	e := agencyEvent(facts.AgencyID, a, "denied:"+action, fmt.Sprintf("draft %d: %s", id, r.Message))
	e.Reason, e.Stage, e.Revision = string(r.Rule), string(facts.State), facts.Revision
	if err := s.tx(ctx, func(tx pgx.Tx) error { return appendEvent(ctx, tx, e) }); err != nil {
		return facts, fmt.Errorf("error auditing refusal: %w", err)
	}
	if hidden {
		return facts, ErrNotFound
	}
	return facts, r
}

// refuseOrHide is refuse for an attempt to change a draft: the refusal is
// audited in the draft's chain (the attempt holds its lock already), and a
// draft the actor may not even see answers ErrNotFound.
func (s *Store) refuseOrHide(ctx context.Context, tx pgx.Tx, cur *lockedDraft, by domain.Actor, action string, err error) error {
	err = s.refuse(ctx, tx, cur, by, action, err)
	var r *domain.Refusal
	if errors.As(err, &r) && domain.CanView(by, cur.DraftFacts) != nil {
		return errHidden
	}
	return err
}

// errHidden carries a refusal of a draft its actor may not see out of a
// transaction whose refusal event has committed; the callers answer
// ErrNotFound.
var errHidden = fmt.Errorf("hidden refusal: %w", ErrNotFound)

// Withdraw takes a published draft off every channel it reached, with a
// reason: the website at once (in this transaction); each other channel
// by the publisher, which the withdrawal's work message sends there (a
// channel that cannot delete is left to a person, Withdrawals).
func (s *Store) Withdraw(ctx context.Context, by domain.Actor, id int64, code domain.WithdrawalCode, reason string) error {
	err := s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := domain.CanWithdraw(by, cur.DraftFacts, reason); err != nil {
			return s.refuseOrHide(ctx, tx, &cur, by, string(domain.ActionWithdraw), err)
		}
		if !code.Valid() {
			code = domain.WithdrawOther
		}
		return withdraw(set, b, &cur, audit.Event{ActorID: by.ID, Actor: by.Name, Role: primaryRole(by)}, code, reason)
	})
	return unwrapRefused(err)
}

// withdraw moves a locked, published draft (or a scheduled one, or one
// under correction: domain.NextFor) to withdrawn, marks each channel it
// reached for removal and audits it as actor (its ID, name and role),
// with the code and the reason: the one withdrawal, a person's or the
// lifecycle's.
func withdraw(set *moveSet, b *pgx.Batch, cur *lockedDraft, actor audit.Event, code domain.WithdrawalCode, reason string) error {
	to, err := domain.NextFor(cur.DraftFacts, domain.ActionWithdraw)
	if err != nil {
		return err
	}
	if cur.State == domain.StateScheduled {
		schedule.QueueCancel(b, JobPublish, audit.DraftChain(cur.ID))
	}
	queueWithdrawals(b, cur.ID, code, reason)
	actor.Action, actor.Revision, actor.ContentSHA256, actor.Reason, actor.Comment = string(domain.ActionWithdraw), cur.Revision, cur.Content, string(code), reason
	set.move(cur, move{to: to, revision: cur.Revision, stepDone: false, event: actor})
	return nil
}

func unwrapRefused(err error) error {
	var r *domain.Refusal
	switch {
	case errors.Is(err, errHidden):
		return ErrNotFound
	case errors.As(err, &r):
		return r
	}
	return err
}

var draftColumns = `d.id, d.agency_id, d.author_id, u.name, d.department_id, dep.name, d.state, d.revision, d.step_done, d.state_entered_at,
	d.deadline, d.created_at, d.updated_at, d.published_at, COALESCE(d.published_revision, 0), d.submitted_at IS NULL, d.expires_on,
	r.title, r.body, r.category, r.channels, r.formed_on, r.content_sha256, ` + policyColumn + `, r.explanation, r.digest, r.options, ` + revisionTerms + `, ` + attachmentsColumn(false)

// revisionTerms are a revision's after-publication fields: its correction
// note, publication time and the author's expiry, and its topics
// (termScan reads them).
const revisionTerms = `r.correction, r.publish_at, r.expires_on, r.topics`

// termScan reads revisionTerms into a Content.
type termScan struct{ publishAt, expiresOn *time.Time }

func (t *termScan) targets(c *domain.Content) []any {
	return []any{&c.Correction, &t.publishAt, &t.expiresOn, &c.Topics}
}

func (t *termScan) apply(c *domain.Content) {
	if t.publishAt != nil {
		c.PublishAt = *t.publishAt
	}
	if t.expiresOn != nil {
		c.ExpiresOn = *t.expiresOn
	}
	if len(c.Topics) == 0 {
		c.Topics = nil // as a new draft's, so a read content hashes as written
	}
}

// draftScan reads draftColumns into a Draft: Targets, then Finish.
type draftScan struct {
	d                *Draft
	deadline, formed time.Time
	chans, people    []string
	sum, attached    []byte
	terms            termScan
}

func (x *draftScan) Targets(d *Draft) []any {
	x.d = d
	return append([]any{&d.ID, &d.AgencyID, &d.AuthorID, &d.Author, &d.DepartmentID, &d.Content.Department, &d.State, &d.Revision, &d.StepDone,
		&d.StateEnteredAt, &x.deadline, &d.CreatedAt, &d.UpdatedAt, &d.PublishedAt, &d.PublishedRevision, &d.Saved, &d.ExpiresOn,
		&d.Content.Title, &d.Content.Body, &d.Content.Category, &x.chans, &x.formed, &x.sum, &x.people, &d.Explanation, &d.Content.Digest,
		&d.Content.Options}, append(x.terms.targets(&d.Content), &x.attached)...)
}

func (x *draftScan) Finish() error {
	d := x.d
	var err error
	if d.Content.Attachments, err = decodeAttachments(x.attached); err != nil {
		return err
	}
	x.terms.apply(&d.Content)
	d.Policy = policyOf(x.people)
	d.Deadline = x.deadline.Format(domain.DateLayout)
	d.Content.FormedOn = x.formed
	for _, c := range x.chans {
		d.Content.Channels = append(d.Content.Channels, domain.Channel(c))
	}
	d.ContentSHA256 = hex.EncodeToString(x.sum)
	return nil
}

const draftFrom = ` FROM drafts d JOIN users u ON u.id = d.author_id JOIN departments dep ON dep.id = d.department_id
	JOIN revisions r ON r.draft_id = d.id AND r.revision = d.revision`

func scanDraft(row pgx.Row) (Draft, error) {
	var d Draft
	var x draftScan
	if err := row.Scan(x.Targets(&d)...); err != nil {
		return d, err
	}
	return d, x.Finish()
}

// Draft loads a draft with its current revision.
func (s *Store) Draft(ctx context.Context, id int64) (Draft, error) {
	d, err := scanDraft(s.Pool.QueryRow(ctx, `SELECT `+draftColumns+draftFrom+` WHERE d.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("error loading draft %d: %w", id, err)
	}
	return d, nil
}

// DraftAgency is the agency a draft belongs to.
func (s *Store) DraftAgency(ctx context.Context, id int64) (int64, error) {
	var agencyID int64
	err := s.Pool.QueryRow(ctx, `SELECT agency_id FROM drafts WHERE id = $1`, id).Scan(&agencyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("error loading draft %d: %w", id, err)
	}
	return agencyID, nil
}

// DraftFacts loads what the rules need about a draft, without locking it.
func (s *Store) DraftFacts(ctx context.Context, id int64) (domain.DraftFacts, error) {
	var f domain.DraftFacts
	var people []string
	err := s.Pool.QueryRow(ctx, `SELECT d.author_id, d.agency_id, d.department_id, d.state, d.revision, d.step_done, `+policyColumn+`,
			`+blockingColumn+`, `+returnedByPersonColumn+`
		FROM drafts d WHERE d.id = $1`, id).
		Scan(&f.AuthorID, &f.AgencyID, &f.DepartmentID, &f.State, &f.Revision, &f.StepDone, &people, &f.Blocking, &f.ReturnedByPerson)
	f.Policy = policyOf(people)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("error loading draft %d: %w", id, err)
	}
	rows, _ := s.Pool.Query(ctx, `SELECT actor_id, stage, revision FROM decisions WHERE draft_id = $1`, id)
	f.Decisions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.PastDecision, error) {
		var p domain.PastDecision
		return p, r.Scan(&p.ActorID, &p.Stage, &p.Revision)
	})
	if err != nil {
		return f, fmt.Errorf("error loading decisions: %w", err)
	}
	return f, nil
}

// DraftDetail is everything the draft page and GET /drafts/{id} show.
type DraftDetail struct {
	Draft
	Findings     []Finding     `json:"findings"`
	Decisions    []Decision    `json:"decisions"`
	Publications []Publication `json:"publications"`
}

// Detail loads a draft with its findings (every revision), decisions and publications.
func (s *Store) Detail(ctx context.Context, id int64) (DraftDetail, error) {
	d, err := s.Draft(ctx, id)
	if err != nil {
		return DraftDetail{}, err
	}
	out := DraftDetail{Draft: d, Findings: []Finding{}, Decisions: []Decision{}, Publications: []Publication{}}
	b := &pgx.Batch{}
	b.Queue(`SELECT revision, stage, code, severity, field, start_rune, end_rune, message_zh, message_en, suggestion
		FROM findings WHERE draft_id = $1 ORDER BY revision, id`, id)
	b.Queue(`SELECT x.revision, x.stage, x.actor_id, u.name, x.decision, x.reason, x.comment, x.override, x.content_sha256, x.created_at
		FROM decisions x JOIN users u ON u.id = x.actor_id WHERE x.draft_id = $1 ORDER BY x.id`, id)
	b.Queue(`SELECT revision, channel, status, url, external_id, error, delivered_at, COALESCE(withdraw_status, ''), withdrawn_at
		FROM publications WHERE draft_id = $1 ORDER BY revision, channel`, id)
	br := s.Pool.SendBatch(ctx, b)
	defer br.Close()
	rows, _ := br.Query()
	out.Findings, err = pgx.AppendRows(out.Findings, rows, func(r pgx.CollectableRow) (Finding, error) {
		var f Finding
		return f, r.Scan(&f.Revision, &f.Stage, &f.Code, &f.Severity, &f.Field, &f.Start, &f.End, &f.MessageZH, &f.MessageEN, &f.Suggestion)
	})
	if err != nil {
		return out, fmt.Errorf("error loading findings: %w", err)
	}
	rows, _ = br.Query()
	out.Decisions, err = pgx.AppendRows(out.Decisions, rows, func(r pgx.CollectableRow) (Decision, error) {
		var x Decision
		var sum []byte
		err := r.Scan(&x.Revision, &x.Stage, &x.ActorID, &x.Actor, &x.Decision, &x.Reason, &x.Comment, &x.Override, &sum, &x.At)
		x.ContentSHA256 = hex.EncodeToString(sum)
		return x, err
	})
	if err != nil {
		return out, fmt.Errorf("error loading decisions: %w", err)
	}
	rows, _ = br.Query()
	out.Publications, err = pgx.AppendRows(out.Publications, rows, func(r pgx.CollectableRow) (Publication, error) {
		var p Publication
		return p, r.Scan(&p.Revision, &p.Channel, &p.Status, &p.URL, &p.ExternalID, &p.Error, &p.DeliveredAt, &p.WithdrawStatus, &p.WithdrawnAt)
	})
	if err != nil {
		return out, fmt.Errorf("error loading publications: %w", err)
	}
	return out, br.Close()
}

// Revision loads one revision's content.
func (s *Store) Revision(ctx context.Context, id int64, rev int) (domain.Content, error) {
	var c domain.Content
	var chans []string
	var attached []byte
	var terms termScan
	err := s.Pool.QueryRow(ctx, `SELECT r.title, r.body, dep.name, r.category, r.channels, r.formed_on, r.digest, r.options, `+revisionTerms+`, `+attachmentsColumn(false)+`
		FROM revisions r JOIN drafts d ON d.id = r.draft_id JOIN departments dep ON dep.id = d.department_id
		WHERE r.draft_id = $1 AND r.revision = $2`, id, rev).Scan(append(append([]any{&c.Title, &c.Body, &c.Department, &c.Category, &chans, &c.FormedOn, &c.Digest, &c.Options},
		terms.targets(&c)...), &attached)...)
	terms.apply(&c)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("error loading revision: %w", err)
	}
	for _, ch := range chans {
		c.Channels = append(c.Channels, domain.Channel(ch))
	}
	c.Attachments, err = decodeAttachments(attached)
	return c, err
}

// queueTerms stores the publication time, expiry and topics of new
// drafts' first revisions that name one, apart from the submissions' bulk
// insert: few drafts have them, and the many without cost nothing.
func queueTerms(b *pgx.Batch, ids []int64, cs []domain.Content) {
	for i, c := range cs {
		if !c.PublishAt.IsZero() || !c.ExpiresOn.IsZero() || len(c.Topics) > 0 {
			b.Queue(`UPDATE revisions SET publish_at = $2, expires_on = $3, topics = $4 WHERE draft_id = $1 AND revision = 1`,
				ids[i], nonZero(c.PublishAt), nonZero(c.ExpiresOn), topicsOf(c))
		}
	}
}

// topicsOf is c's topics as the text[] column holds them (never NULL).
func topicsOf(c domain.Content) []string {
	if c.Topics == nil {
		return []string{}
	}
	return c.Topics
}

// nonZero is t, or nil (SQL NULL) for the zero time.
func nonZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// optionStrings is a revision's options as the text[] column holds them.
func optionStrings(os []domain.ChannelOption) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = string(o)
	}
	return out
}
