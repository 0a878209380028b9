package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// ErrNothingToDo means the work a message asked for is already done or no
// longer owed (a newer revision, another state): the message is acked and
// changes nothing. This is what makes redelivery and duplicates safe.
var ErrNothingToDo = errors.New("no step owed: already done or superseded")

// PublicationOutcome is what delivering one channel came to.
type PublicationOutcome struct {
	Channel    domain.Channel
	Status     string // delivered, not_configured, failed, unknown
	URL        string
	ExternalID string
	Error      string
}

// Publication statuses.
const (
	PubPending       = "pending"
	PubSending       = "sending"
	PubDelivered     = "delivered"
	PubNotConfigured = "not_configured"
	PubFailed        = "failed"
	PubUnknown       = "unknown" // a send was started and its outcome never recorded: never retried blindly
)

// StartPublishing makes sure a publication row exists for each channel of
// the revision (the unique key is the exactly-once guard) and returns the
// revision's content and the rows.
func (s *Store) StartPublishing(ctx context.Context, w work.Item) (domain.Content, []Publication, error) {
	var c domain.Content
	var pubs []Publication
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// The draft's lock orders this with PublishLocalBatch, which
		// writes a draft's rows only when it finds none.
		b := &pgx.Batch{}
		queueLockDrafts(b, []int64{w.DraftID}, batchPlans, false) // publishing reads no document text
		br := tx.SendBatch(ctx, b)
		locked, err := readLockDrafts(br)
		br.Close()
		if err != nil {
			return err
		}
		cur := locked[w.DraftID]
		var d *lockedDraft
		if cur != nil {
			d = cur.lockedDraft
		}
		if err := owed(d, w); err != nil {
			return err
		}
		c = cur.content
		b = &pgx.Batch{}
		for _, ch := range c.Channels {
			b.Queue(`INSERT INTO publications (draft_id, revision, channel, status) VALUES ($1, $2, $3, 'pending') ON CONFLICT DO NOTHING`,
				w.DraftID, w.Revision, ch)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("error creating publications: %w", err)
		}
		rows, _ := tx.Query(ctx, `SELECT revision, channel, status, url, external_id, error, delivered_at, claimed_at
			FROM publications WHERE draft_id = $1 AND revision = $2 ORDER BY channel`, w.DraftID, w.Revision)
		pubs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Publication, error) {
			var p Publication
			return p, r.Scan(&p.Revision, &p.Channel, &p.Status, &p.URL, &p.ExternalID, &p.Error, &p.DeliveredAt, &p.ClaimedAt)
		})
		return err
	})
	if err != nil {
		return c, nil, fmt.Errorf("error starting publication of draft %d: %w", w.DraftID, err)
	}
	return c, pubs, nil
}

// ClaimPublication moves a pending publication to sending, committed before
// an external send, so a crash mid-send leaves a visible "sending" row that
// is never sent again blindly. It reports whether this caller won the claim.
func (s *Store) ClaimPublication(ctx context.Context, w work.Item, ch domain.Channel) (bool, error) {
	ct, err := s.Pool.Exec(ctx, `UPDATE publications SET status = 'sending', attempts = attempts + 1, claimed_at = now()
		WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND status = 'pending'`, w.DraftID, w.Revision, ch)
	if err != nil {
		return false, fmt.Errorf("error claiming publication: %w", err)
	}
	return ct.RowsAffected() == 1, nil
}

// ReclaimPublication takes over a send claimed at claimedAt whose outcome
// was never recorded, for a channel whose sends are idempotent (the same
// key again changes nothing): the send is simply made again. false when
// another publisher took it first.
func (s *Store) ReclaimPublication(ctx context.Context, w work.Item, ch domain.Channel, claimedAt time.Time) (bool, error) {
	ct, err := s.Pool.Exec(ctx, `UPDATE publications SET attempts = attempts + 1, claimed_at = now()
		WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND status = 'sending' AND claimed_at = $4`, w.DraftID, w.Revision, ch, claimedAt)
	if err != nil {
		return false, fmt.Errorf("error claiming publication: %w", err)
	}
	return ct.RowsAffected() == 1, nil
}

// ReleasePublication gives up a claimed send that failed in a way that may
// pass later (the channel was down), for an idempotent channel: the row is
// pending again and the next delivery of the message sends it.
func (s *Store) ReleasePublication(ctx context.Context, w work.Item, ch domain.Channel) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE publications SET status = 'pending', claimed_at = NULL
		WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND status = 'sending'`, w.DraftID, w.Revision, ch); err != nil {
		return fmt.Errorf("error releasing publication: %w", err)
	}
	return nil
}

// RecordPublication stores a channel's outcome and audits it. Only a row
// still pending or sending changes, so a duplicate outcome changes nothing.
func (s *Store) RecordPublication(ctx context.Context, w work.Item, o PublicationOutcome) error {
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, w.DraftID)
		if err != nil {
			return err
		}
		n, err := recordOutcomes(ctx, tx, set, &cur, w, []PublicationOutcome{o})
		if err == nil && n == 0 {
			return ErrNothingToDo
		}
		return err
	})
}

// recordOutcomes writes each outcome whose row is still open, in one round
// trip, adds its audit event to set, and reports how many it wrote.
func recordOutcomes(ctx context.Context, tx pgx.Tx, set *moveSet, cur *lockedDraft, w work.Item, os []PublicationOutcome) (int, error) {
	if len(os) == 0 {
		return 0, nil
	}
	b := &pgx.Batch{}
	for _, o := range os {
		b.Queue(`UPDATE publications SET status = $4, url = $5, external_id = $6, error = $7,
			delivered_at = CASE WHEN $4 = 'delivered' THEN now() END
			WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND status IN ('pending', 'sending')`,
			w.DraftID, w.Revision, o.Channel, o.Status, o.URL, o.ExternalID, o.Error)
	}
	br := tx.SendBatch(ctx, b)
	var written []PublicationOutcome
	for _, o := range os {
		ct, err := br.Exec()
		if err != nil {
			br.Close()
			return 0, fmt.Errorf("error recording publication: %w", err)
		}
		if ct.RowsAffected() == 1 {
			written = append(written, o)
		}
	}
	if err := br.Close(); err != nil {
		return 0, fmt.Errorf("error recording publication: %w", err)
	}
	for _, o := range written {
		set.event(cur, channelEvent(w, cur, o))
		if o.Channel == domain.ChannelWebsite && o.Status == "delivered" {
			if err := indexRevision(ctx, tx, set, w.DraftID, w.Revision); err != nil {
				return 0, err
			}
		}
	}
	return len(written), nil
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}

// FinishPublishing moves the draft to published once every channel has a
// final outcome; while another publisher still holds a send it only writes
// the given outcomes, and that publisher finishes the draft.
//
// The outcomes of channels that need no claim (the website, an
// unconfigured channel, an unknown send) are written in the same
// transaction, so a website-only draft is published in one commit.
func (s *Store) FinishPublishing(ctx context.Context, w work.Item, outcomes ...PublicationOutcome) error {
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, w.DraftID)
		if err != nil {
			return err
		}
		if err := owed(&cur, w); err != nil {
			return err
		}
		if _, err := recordOutcomes(ctx, tx, set, &cur, w, outcomes); err != nil {
			return err
		}
		var open int
		var summary string
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status IN ('pending', 'sending')),
			COALESCE(string_agg(channel || '=' || status, ' ' ORDER BY channel), '')
			FROM publications WHERE draft_id = $1 AND revision = $2`, w.DraftID, w.Revision).Scan(&open, &summary); err != nil {
			return fmt.Errorf("error reading publications: %w", err)
		}
		if open > 0 {
			// Another publisher holds a send; it finishes the draft. Keep
			// the outcomes written here.
			return nil
		}
		to, err := domain.Next(cur.State, domain.ActionPublished)
		if err != nil {
			return err
		}
		set.move(&cur, move{to: to, revision: cur.Revision, stepDone: true,
			event: audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem), Action: string(domain.ActionPublished),
				Revision: cur.Revision, ContentSHA256: cur.Content, Comment: summary}})
		queueMachineCommit(b)
		return answerApplication(ctx, tx, w.DraftID)
	})
}

// Sweep re-sends, through the outbox, the work of drafts in states whose
// machine step has not finished within after: a message lost by NATS delays
// a draft but never strands it. Replicas sweep disjoint rows (SKIP LOCKED).
func (s *Store) Sweep(ctx context.Context, after time.Duration, limit int, states []domain.State) (int, error) {
	n := 0
	if len(states) == 0 {
		return 0, nil
	}
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = string(st)
	}
	var set moveSet
	err := s.tx(ctx, func(tx pgx.Tx) error {
		n, set = 0, moveSet{}
		rows, _ := tx.Query(ctx, `SELECT id, state, revision FROM drafts
			WHERE NOT step_done AND step_sent_at < now() - make_interval(secs => $1) AND state = ANY($3)
			ORDER BY step_sent_at LIMIT $2 FOR UPDATE SKIP LOCKED`, after.Seconds(), limit, names)
		ws, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (work.Item, error) {
			var w work.Item
			return w, r.Scan(&w.DraftID, &w.State, &w.Revision)
		})
		if err != nil {
			return fmt.Errorf("error finding stalled drafts: %w", err)
		}
		b := &pgx.Batch{}
		for _, w := range ws {
			if !w.State.MachineStep() {
				continue
			}
			b.Queue(`UPDATE drafts SET step_sent_at = now() WHERE id = $1`, w.DraftID)
			set.work(w)
			n++
		}
		if n == 0 {
			return nil
		}
		set.queue(b, s.Announce)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return 0, fmt.Errorf("error sweeping: %w", err)
	}
	s.committed(&set)
	return n, nil
}

// OpenPublication is a publication waiting for a person: failed, or sent
// with its outcome unknown.
type OpenPublication struct {
	DraftID  int64  `json:"draft_id"`
	Title    string `json:"title"`
	Revision int    `json:"revision"`
	Channel  string `json:"channel"`
	Status   string `json:"status"`
	Error    string `json:"error"`
	Attempts int    `json:"attempts"`
}

// OpenPublications lists an agency's failed and unknown publications,
// oldest first.
func (s *Store) OpenPublications(ctx context.Context, agencyID int64) ([]OpenPublication, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT p.draft_id, r.title, p.revision, p.channel, p.status, p.error, p.attempts
		FROM publications p JOIN revisions r ON r.draft_id = p.draft_id AND r.revision = p.revision
		JOIN drafts d ON d.id = p.draft_id
		WHERE p.status IN ('failed', 'unknown') AND d.agency_id = $1 ORDER BY p.created_at`, agencyID)
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OpenPublication, error) {
		var p OpenPublication
		return p, r.Scan(&p.DraftID, &p.Title, &p.Revision, &p.Channel, &p.Status, &p.Error, &p.Attempts)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing open publications: %w", err)
	}
	return ps, nil
}

// ResolvePublication records what a person found out about a failed or
// unknown publication of the draft's current revision: it did go out
// (delivered, with where) or it did not (failed). Audited with the note.
func (s *Store) ResolvePublication(ctx context.Context, by domain.Actor, draftID int64, ch domain.Channel, delivered bool, url, note string) error {
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, draftID)
		if err != nil {
			return err
		}
		if err := domain.CanManage(by, cur.AgencyID); err != nil {
			return s.refuse(ctx, tx, &cur, by, "resolve_publication", err)
		}
		if url != "" {
			if err := domain.ValidPublicationURL(url); err != nil {
				return err
			}
		}
		status := PubFailed
		if delivered {
			status = PubDelivered
		}
		ct, err := tx.Exec(ctx, `UPDATE publications SET status = $4, url = CASE WHEN $5 = '' THEN url ELSE $5 END,
			error = $6, delivered_at = CASE WHEN $4 = 'delivered' THEN now() END
			WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND status IN ('failed', 'unknown')`,
			draftID, cur.Revision, ch, status, url, "resolved by "+by.Name+": "+note)
		if err != nil {
			return fmt.Errorf("error resolving publication: %w", err)
		}
		if ct.RowsAffected() == 0 {
			return fmt.Errorf("draft %d has no failed or unknown %s publication at revision %d: %w", draftID, ch, cur.Revision, ErrNotFound)
		}
		set.event(&cur, audit.Event{ActorID: by.ID, Actor: by.Name,
			Role: primaryRole(by), Stage: string(domain.StatePublishing), Action: "channel_resolved_" + status,
			Revision: cur.Revision, ContentSHA256: cur.Content, Reason: string(ch), Comment: joinNonEmpty(" ", url, note)})
		return nil
	})
}

// queueMachineCommit lets a machine step's transaction commit without
// waiting for the WAL flush. It is safe only where the sweeper covers the
// loss: if PostgreSQL crashes and loses such a commit, the step (its state,
// findings and audit event, atomically) is simply not done, step_done stays
// false, and the sweeper sends the work again. People's decisions,
// submissions and the claim before an external send always commit durably.
// Measured: the flush is about a quarter of the pipeline's throughput
// (docs/performance.md).
func queueMachineCommit(b *pgx.Batch) {
	b.Queue(`SET LOCAL synchronous_commit = off`)
}
