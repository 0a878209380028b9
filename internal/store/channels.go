package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// ErrClaimLost means a step was to be recorded on a send this publisher no
// longer holds (another took it over after the claim timed out): it stops
// rather than carry on beside the other.
var ErrClaimLost = errors.New("the send's claim was taken over by another publisher")

// PublicationSteps returns what the steps of a claimed send recorded so far
// (publications.steps): a platform adapter resumes from them.
func (s *Store) PublicationSteps(ctx context.Context, draftID int64, revision int, ch domain.Channel) (map[string]string, error) {
	steps := map[string]string{}
	err := s.Pool.QueryRow(ctx, `SELECT steps FROM publications WHERE draft_id = $1 AND revision = $2 AND channel = $3`,
		draftID, revision, ch).Scan(&steps)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("error reading the %s send's steps: %w", ch, err)
	}
	return steps, nil
}

// SavePublicationStep records one step of a claimed send before the next
// call is made. ErrClaimLost when the row is no longer being sent.
func (s *Store) SavePublicationStep(ctx context.Context, draftID int64, revision int, ch domain.Channel, key, value string) error {
	ct, err := s.Pool.Exec(ctx, `UPDATE publications SET steps = steps || jsonb_build_object($4::text, $5::text)
		WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND status = 'sending'`, draftID, revision, ch, key, value)
	if err != nil {
		return fmt.Errorf("error recording the %s send's step %s: %w", ch, key, err)
	}
	if ct.RowsAffected() == 0 {
		return ErrClaimLost
	}
	return nil
}

// ChannelStatus is a channel's health, for the admins' channels page.
type ChannelStatus struct {
	// The times are zero when not known yet.
	Channel          domain.Channel `json:"channel"`
	TokenExpiresAt   time.Time      `json:"token_expires_at,omitzero"`
	RefreshExpiresAt time.Time      `json:"refresh_expires_at,omitzero"`
	LastSuccessAt    time.Time      `json:"last_success_at,omitzero"`
	LastErrorAt      time.Time      `json:"last_error_at,omitzero"`
	LastError        string         `json:"last_error,omitempty"`
	NotAuthorised    bool           `json:"not_authorised"`
	// QuotaErrorsToday counts the platform's quota and rate refusals on
	// today's date in Beijing.
	QuotaErrorsToday int `json:"quota_errors_today"`
}

// ChannelEvent is what a channel adapter reports after talking to its
// platform.
type ChannelEvent struct {
	Success bool
	Error   string // what went wrong, Chinese first
	// Quota: the platform refused for quota or rate; NotAuthorised: for the
	// account's authorisation (whitelist, permission, expired consent).
	Quota, NotAuthorised bool
}

// RecordChannel updates a channel's health: a success clears "not
// authorised"; a quota refusal counts toward today's.
func (s *Store) RecordChannel(ctx context.Context, ch domain.Channel, ev ChannelEvent, at time.Time) error {
	today := at.In(domain.Beijing).Format(domain.DateLayout)
	var err error
	if ev.Success {
		_, err = s.Pool.Exec(ctx, `INSERT INTO channel_status (channel, last_success_at) VALUES ($1, $2)
			ON CONFLICT (channel) DO UPDATE SET last_success_at = $2, not_authorised = false`, ch, at)
	} else {
		q := 0
		if ev.Quota {
			q = 1
		}
		_, err = s.Pool.Exec(ctx, `INSERT INTO channel_status (channel, last_error_at, last_error, not_authorised, quota_day, quota_errors)
			VALUES ($1, $2, $3, $4, $5::date, $6)
			ON CONFLICT (channel) DO UPDATE SET last_error_at = $2, last_error = $3,
				not_authorised = channel_status.not_authorised OR $4,
				quota_errors = CASE WHEN channel_status.quota_day = $5::date THEN channel_status.quota_errors + $6 ELSE $6 END,
				quota_day = $5::date`, ch, at, ev.Error, ev.NotAuthorised, today, q)
	}
	if err != nil {
		return fmt.Errorf("error recording the %s channel's health: %w", ch, err)
	}
	return nil
}

// RecordChannelTokens notes until when a channel's credentials hold.
func (s *Store) RecordChannelTokens(ctx context.Context, ch domain.Channel, token, refresh *time.Time) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO channel_status (channel, token_expires_at, refresh_expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (channel) DO UPDATE SET token_expires_at = $2, refresh_expires_at = $3`, ch, token, refresh)
	if err != nil {
		return fmt.Errorf("error recording the %s channel's token expiry: %w", ch, err)
	}
	return nil
}

// ChannelStatuses returns every channel's health that has one, with today
// (in Beijing, from now) deciding which quota count is current.
func (s *Store) ChannelStatuses(ctx context.Context, now time.Time) (map[domain.Channel]ChannelStatus, error) {
	today := now.In(domain.Beijing).Format(domain.DateLayout)
	rows, _ := s.Pool.Query(ctx, `SELECT channel, token_expires_at, refresh_expires_at, last_success_at, last_error_at, last_error,
		not_authorised, CASE WHEN quota_day = $1::date THEN quota_errors ELSE 0 END FROM channel_status`, today)
	out := map[domain.Channel]ChannelStatus{}
	var c ChannelStatus
	var token, refresh, success, failure *time.Time
	_, err := pgx.ForEachRow(rows, []any{&c.Channel, &token, &refresh, &success, &failure,
		&c.LastError, &c.NotAuthorised, &c.QuotaErrorsToday}, func() error {
		at := func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		}
		c.TokenExpiresAt, c.RefreshExpiresAt, c.LastSuccessAt, c.LastErrorAt = at(token), at(refresh), at(success), at(failure)
		out[c.Channel] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error reading the channels' health: %w", err)
	}
	return out, nil
}

// ChannelToken returns a channel's sealed OAuth tokens, or ErrNotFound when
// no account is connected.
func (s *Store) ChannelToken(ctx context.Context, ch domain.Channel) ([]byte, error) {
	var sealed []byte
	err := s.Pool.QueryRow(ctx, `SELECT sealed FROM channel_tokens WHERE channel = $1`, ch).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("error reading the %s channel's tokens: %w", ch, err)
	}
	return sealed, nil
}

// SaveChannelToken stores a channel's sealed OAuth tokens.
func (s *Store) SaveChannelToken(ctx context.Context, ch domain.Channel, sealed []byte) error {
	if _, err := s.Pool.Exec(ctx, `INSERT INTO channel_tokens (channel, sealed) VALUES ($1, $2)
		ON CONFLICT (channel) DO UPDATE SET sealed = $2, updated_at = now()`, ch, sealed); err != nil {
		return fmt.Errorf("error storing the %s channel's tokens: %w", ch, err)
	}
	return nil
}

// Recheck is a delivered publication whose platform may have taken it
// down since.
type Recheck struct {
	DraftID    int64
	Revision   int
	ExternalID string
	Steps      map[string]string
}

// RecheckCandidates lists up to limit publications on ch delivered since
// since, not withdrawn and without an alert, least recently checked first.
func (s *Store) RecheckCandidates(ctx context.Context, ch domain.Channel, since time.Time, limit int) ([]Recheck, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT draft_id, revision, external_id, steps FROM publications
		WHERE channel = $1 AND status = 'delivered' AND delivered_at >= $2 AND withdraw_status IS NULL AND alert = ''
		ORDER BY checked_at NULLS FIRST, delivered_at LIMIT $3`, ch, since, limit)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Recheck, error) {
		var x Recheck
		return x, r.Scan(&x.DraftID, &x.Revision, &x.ExternalID, &x.Steps)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing the %s publications to recheck: %w", ch, err)
	}
	return out, nil
}

// RecordRecheck notes that a publication was checked; a non-empty alert
// (the platform took it down) is stored and audited once.
func (s *Store) RecordRecheck(ctx context.Context, x Recheck, ch domain.Channel, alert string) error {
	if alert == "" {
		_, err := s.Pool.Exec(ctx, `UPDATE publications SET checked_at = now() WHERE draft_id = $1 AND revision = $2 AND channel = $3`,
			x.DraftID, x.Revision, ch)
		if err != nil {
			return fmt.Errorf("error recording a recheck: %w", err)
		}
		return nil
	}
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, x.DraftID)
		if err != nil {
			return err
		}
		ct, err := tx.Exec(ctx, `UPDATE publications SET checked_at = now(), alert = $4, alert_at = now()
			WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND alert = ''`, x.DraftID, x.Revision, ch, alert)
		if err != nil {
			return fmt.Errorf("error recording a channel alert: %w", err)
		}
		if ct.RowsAffected() == 1 {
			set.event(&cur, audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem), Stage: string(cur.State),
				Action: "channel_alert", Revision: x.Revision, ContentSHA256: cur.Content, Reason: string(ch), Comment: alert})
		}
		return nil
	})
}

// ChannelAlert is a publication a platform took down after success.
type ChannelAlert struct {
	DraftID  int64     `json:"draft_id"`
	Title    string    `json:"title"`
	Revision int       `json:"revision"`
	Channel  string    `json:"channel"`
	URL      string    `json:"url"`
	Alert    string    `json:"alert"`
	At       time.Time `json:"at"`
}

// ChannelAlerts lists an agency's unacknowledged alerts, oldest first.
func (s *Store) ChannelAlerts(ctx context.Context, agencyID int64) ([]ChannelAlert, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT p.draft_id, r.title, p.revision, p.channel, p.url, p.alert, p.alert_at
		FROM publications p JOIN revisions r ON r.draft_id = p.draft_id AND r.revision = p.revision
		JOIN drafts d ON d.id = p.draft_id
		WHERE p.alert <> '' AND p.alert_acknowledged_at IS NULL AND d.agency_id = $1 ORDER BY p.alert_at`, agencyID)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ChannelAlert])
	if err != nil {
		return nil, fmt.Errorf("error listing channel alerts: %w", err)
	}
	return out, nil
}

// AcknowledgeAlert records that an admin saw a channel's alert and what
// was done, audited. ErrNotFound when there is no such open alert in the
// admin's agency.
func (s *Store) AcknowledgeAlert(ctx context.Context, by domain.Actor, draftID int64, ch domain.Channel, note string) error {
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, draftID)
		if err != nil {
			return err
		}
		if err := domain.CanManage(by, cur.AgencyID); err != nil {
			return s.refuse(ctx, tx, &cur, by, "acknowledge_channel_alert", err)
		}
		var rev int
		err = tx.QueryRow(ctx, `UPDATE publications SET alert_acknowledged_at = now()
			WHERE draft_id = $1 AND channel = $2 AND alert <> '' AND alert_acknowledged_at IS NULL RETURNING revision`, draftID, ch).Scan(&rev)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("error acknowledging a channel alert: %w", err)
		}
		set.event(&cur, audit.Event{Actor: by.Name, ActorID: by.ID, Role: primaryRole(by), Stage: string(cur.State),
			Action: "channel_alert_acknowledged", Revision: rev, ContentSHA256: cur.Content, Reason: string(ch), Comment: note})
		return nil
	})
}

// PublicationByStep finds the publication on ch whose recorded step key
// has value (the WeChat publish job an event names): its draft, revision
// and status. ErrNotFound when none has.
func (s *Store) PublicationByStep(ctx context.Context, ch domain.Channel, key, value string) (draftID int64, revision int, status string, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT draft_id, revision, status FROM publications WHERE channel = $1 AND steps ->> $2 = $3`,
		ch, key, value).Scan(&draftID, &revision, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, "", ErrNotFound
	}
	if err != nil {
		return 0, 0, "", fmt.Errorf("error finding the %s publication of %s %s: %w", ch, key, value, err)
	}
	return draftID, revision, status, nil
}

// PublicationStatus is the status of the revision's publication on ch.
func (s *Store) PublicationStatus(ctx context.Context, draftID int64, revision int, ch domain.Channel) (string, error) {
	var st string
	err := s.Pool.QueryRow(ctx, `SELECT status FROM publications WHERE draft_id = $1 AND revision = $2 AND channel = $3`,
		draftID, revision, ch).Scan(&st)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("error reading the %s publication's status: %w", ch, err)
	}
	return st, nil
}

// MassSendsOn counts the WeChat mass sends delivered on at's date in
// Beijing, for the account's daily quota.
func (s *Store) MassSendsOn(ctx context.Context, at time.Time) (int, error) {
	b := at.In(domain.Beijing)
	from := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, domain.Beijing)
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM publications WHERE channel = 'wechat' AND status = 'delivered'
		AND external_id LIKE 'mass:%' AND delivered_at >= $1 AND delivered_at < $2`, from, from.AddDate(0, 0, 1)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("error counting today's mass sends: %w", err)
	}
	return n, nil
}

// ChannelYear is what one channel carried for an agency in a year, for
// the annual report and the officers' assessment.
type ChannelYear struct {
	Channel domain.Channel `json:"channel"`
	// Delivered counts the items first delivered on the channel that year
	// (a draft once, whatever its revisions); Withdrawn those of them
	// since taken down there; Failed the sends that failed or whose
	// outcome is unknown.
	Delivered int `json:"delivered"`
	Withdrawn int `json:"withdrawn"`
	Failed    int `json:"failed"`
}

// ChannelCounts counts an agency's publications per channel for a year
// (by the Beijing date of delivery, or of creation for a failed send);
// every channel is listed, zero included, in ChannelTable's order.
func (s *Store) ChannelCounts(ctx context.Context, agencyID int64, year int) ([]ChannelYear, error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, domain.Beijing)
	to := from.AddDate(1, 0, 0)
	rows, _ := s.Pool.Query(ctx, `SELECT p.channel,
			count(DISTINCT p.draft_id) FILTER (WHERE p.status = 'delivered' AND p.delivered_at >= $2 AND p.delivered_at < $3),
			count(DISTINCT p.draft_id) FILTER (WHERE p.status = 'delivered' AND p.delivered_at >= $2 AND p.delivered_at < $3
				AND p.withdraw_status IN ('done', 'gone', 'resolved')),
			count(*) FILTER (WHERE p.status IN ('failed', 'unknown') AND p.created_at >= $2 AND p.created_at < $3)
		FROM publications p JOIN drafts d ON d.id = p.draft_id
		WHERE d.agency_id = $1 GROUP BY p.channel`, agencyID, from, to)
	got := map[domain.Channel]ChannelYear{}
	var c ChannelYear
	_, err := pgx.ForEachRow(rows, []any{&c.Channel, &c.Delivered, &c.Withdrawn, &c.Failed}, func() error {
		got[c.Channel] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error counting the channels' publications: %w", err)
	}
	out := make([]ChannelYear, 0, len(domain.ChannelTable))
	for _, info := range domain.ChannelTable {
		y := got[info.Code]
		y.Channel = info.Code
		out = append(out, y)
	}
	return out, nil
}

// PublishedLate counts an agency's drafts published in a year (by the
// Beijing date of publication) and those of them published after their
// deadline (the earlier of the Article 26 and the 双公示 clocks).
func (s *Store) PublishedLate(ctx context.Context, agencyID int64, year int) (published, late int, err error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, domain.Beijing)
	err = s.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE (published_at + interval '8 hours')::date > deadline)
		FROM drafts WHERE agency_id = $1 AND published_at >= $2 AND published_at < $3`, agencyID, from, from.AddDate(1, 0, 0)).Scan(&published, &late)
	if err != nil {
		return 0, 0, fmt.Errorf("error counting late publications: %w", err)
	}
	return published, late, nil
}

// Earlier is a channel's publication of an earlier revision of a draft
// that a correction's publication on the same channel replaces: the
// portal's item updated in place, a WeChat or Douyin post deleted first.
type Earlier struct {
	Revision   int
	URL        string
	ExternalID string
	Steps      map[string]string
	// Replaced: already marked replaced (WithdrawReplaced), by an earlier
	// attempt of this publication; the adapter goes on as if it had not.
	Replaced bool
}

// EarlierPublication finds the latest publication on ch of a revision of
// the draft before revision that is still up, or was replaced by an
// attempt of this one (an attempt cut short is made again the same way);
// ok is false when the draft was never published on ch (a correction that
// adds the channel).
func (s *Store) EarlierPublication(ctx context.Context, draftID int64, revision int, ch domain.Channel) (Earlier, bool, error) {
	var e Earlier
	var status *string
	err := s.Pool.QueryRow(ctx, `SELECT revision, url, external_id, steps, withdraw_status FROM publications
		WHERE draft_id = $1 AND revision < $2 AND channel = $3 AND status = 'delivered'
		  AND (withdraw_status IS NULL OR withdraw_status = 'replaced' AND replaced_by = $2)
		ORDER BY revision DESC LIMIT 1`, draftID, revision, ch).Scan(&e.Revision, &e.URL, &e.ExternalID, &e.Steps, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("error finding the earlier %s publication of draft %d: %w", ch, draftID, err)
	}
	e.Replaced = status != nil
	return e, true, nil
}

// MarkReplaced records that revision's publication on ch was replaced by
// the publication of revision by: down (deleted, or updated in place) and
// not to be withdrawn again. manual: the channel could not delete it, so it
// becomes a person's task on the publications page, like a withdrawal's.
// Audited once, in the draft's chain; a second call changes nothing.
func (s *Store) MarkReplaced(ctx context.Context, draftID int64, revision, by int, ch domain.Channel, manual bool, note string) error {
	status := WithdrawReplaced
	if manual {
		status = WithdrawManual
	}
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, draftID)
		if err != nil {
			return err
		}
		ct, err := tx.Exec(ctx, `UPDATE publications SET withdraw_status = $4, withdraw_code = 'superseded', replaced_by = $5,
				withdraw_reason = $6, withdrawn_at = CASE WHEN $4 = 'replaced' THEN now() END
			WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND withdraw_status IS NULL`, draftID, revision, ch, status, by, note)
		if err != nil {
			return fmt.Errorf("error recording the replaced %s publication: %w", ch, err)
		}
		if ct.RowsAffected() == 1 {
			set.event(&cur, audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem), Stage: string(cur.State),
				Action: "channel_replaced", Revision: by, ContentSHA256: cur.Content, Reason: string(ch),
				Comment: fmt.Sprintf("第%d版已被替换（%s）：%s", revision, status, note)})
		}
		return nil
	})
}
