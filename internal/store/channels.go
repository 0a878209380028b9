package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	Channel          domain.Channel `json:"channel"`
	TokenExpiresAt   *time.Time     `json:"token_expires_at,omitempty"`
	RefreshExpiresAt *time.Time     `json:"refresh_expires_at,omitempty"`
	LastSuccessAt    *time.Time     `json:"last_success_at,omitempty"`
	LastErrorAt      *time.Time     `json:"last_error_at,omitempty"`
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
	_, err := pgx.ForEachRow(rows, []any{&c.Channel, &c.TokenExpiresAt, &c.RefreshExpiresAt, &c.LastSuccessAt, &c.LastErrorAt,
		&c.LastError, &c.NotAuthorised, &c.QuotaErrorsToday}, func() error {
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
