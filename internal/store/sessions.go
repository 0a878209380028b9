package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Session is a signed-in browser.
type Session struct {
	UserID    int64
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("error making a random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// UserForSignIn loads an active user and their password hash by name.
func (s *Store) UserForSignIn(ctx context.Context, name string) (User, string, error) {
	var u User
	var roles []string
	var hash *string
	err := s.Pool.QueryRow(ctx, `SELECT id, agency_id, name, roles, departments, password_hash FROM users WHERE name = $1 AND NOT disabled`, name).
		Scan(&u.ID, &u.AgencyID, &u.Name, &roles, &u.Departments, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, "", ErrNotFound
	}
	if err != nil {
		return u, "", fmt.Errorf("error loading user: %w", err)
	}
	for _, r := range roles {
		u.Roles = append(u.Roles, domain.Role(r))
	}
	if hash == nil {
		return u, "", nil
	}
	return u, *hash, nil
}

// CreateSession starts a session with a fresh id (never one the browser
// sent before) and audits the sign-in.
func (s *Store) CreateSession(ctx context.Context, u User, absolute time.Duration, userAgent, ip string) (string, Session, error) {
	id, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	sess := Session{UserID: u.ID, CSRF: csrf}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO sessions (id_sha256, user_id, csrf_token, expires_at, user_agent, ip)
			VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6) RETURNING created_at, expires_at`,
			TokenHash(id), u.ID, csrf, absolute.Seconds(), userAgent, ip).Scan(&sess.CreatedAt, &sess.ExpiresAt); err != nil {
			return fmt.Errorf("error creating session: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(u.AgencyID, u.Actor(), "signin", ip))
	})
	return id, sess, err
}

// SessionUser resolves a session cookie: unknown, revoked, past its absolute
// timeout or idle longer than idle, it is ErrNotFound. It records activity
// at most once a minute, so reading pages does not write on every request.
func (s *Store) SessionUser(ctx context.Context, id string, idle time.Duration) (User, Session, error) {
	var u User
	var sess Session
	var roles []string
	var lastSeen time.Time
	err := s.Pool.QueryRow(ctx, `SELECT u.id, u.agency_id, u.name, u.roles, u.departments, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
		  AND s.last_seen_at > now() - make_interval(secs => $2) AND NOT u.disabled`, TokenHash(id), idle.Seconds()).
		Scan(&u.ID, &u.AgencyID, &u.Name, &roles, &u.Departments, &sess.CSRF, &sess.CreatedAt, &sess.ExpiresAt, &lastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, sess, ErrNotFound
	}
	if err != nil {
		return u, sess, fmt.Errorf("error loading session: %w", err)
	}
	for _, r := range roles {
		u.Roles = append(u.Roles, domain.Role(r))
	}
	sess.UserID = u.ID
	if time.Since(lastSeen) > time.Minute {
		if _, err := s.Pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now() WHERE id_sha256 = $1`, TokenHash(id)); err != nil {
			return u, sess, fmt.Errorf("error touching session: %w", err)
		}
	}
	return u, sess, nil
}

// RevokeSession ends a session (sign-out).
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE id_sha256 = $1 AND revoked_at IS NULL`, TokenHash(id))
	if err != nil {
		return fmt.Errorf("error revoking session: %w", err)
	}
	return nil
}

// SignInFailures counts recent failed sign-ins for a name and for an address.
func (s *Store) SignInFailures(ctx context.Context, name, ip string, window time.Duration) (byName, byIP int, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE name = $1), count(*) FILTER (WHERE ip = $2)
		FROM signin_failures WHERE at > now() - make_interval(secs => $3) AND (name = $1 OR ip = $2)`, name, ip, window.Seconds()).
		Scan(&byName, &byIP)
	if err != nil {
		return 0, 0, fmt.Errorf("error counting failed sign-ins: %w", err)
	}
	return byName, byIP, nil
}

// RecordSignInFailure counts and audits a failed sign-in.
func (s *Store) RecordSignInFailure(ctx context.Context, name, ip, why string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO signin_failures (name, ip) VALUES ($1, $2)`, name, ip); err != nil {
			return fmt.Errorf("error recording failed sign-in: %w", err)
		}
		return appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, Actor: name, Role: "anonymous",
			Action: "signin_failed", Reason: why, Comment: ip})
	})
}

// SetPassword sets a user's password hash, by an admin of their agency,
// revokes their sessions and audits it.
func (s *Store) SetPassword(ctx context.Context, by domain.Actor, userID int64, hash string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var name string
		var agency int64
		err := tx.QueryRow(ctx, `SELECT name, agency_id FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&name, &agency)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("user %d: %w", userID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("error setting password: %w", err)
		}
		if err := domain.CanManage(by, agency); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
		if err != nil {
			return fmt.Errorf("error setting password: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID); err != nil {
			return fmt.Errorf("error revoking sessions: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(agency, by, "password_set", name))
	})
}

// Users lists an agency's people by name.
func (s *Store) Users(ctx context.Context, agencyID int64) ([]User, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id, agency_id, name, roles, departments, disabled FROM users WHERE agency_id = $1 ORDER BY name`, agencyID)
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) {
		var u User
		var roles []string
		err := r.Scan(&u.ID, &u.AgencyID, &u.Name, &roles, &u.Departments, &u.Disabled)
		for _, x := range roles {
			u.Roles = append(u.Roles, domain.Role(x))
		}
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("error listing users: %w", err)
	}
	return us, nil
}

// Claim is a reviewer's advisory hold on a draft they have open.
type Claim struct {
	DraftID int64
	UserID  int64
	User    string
	Since   time.Time
}

// ClaimDraft claims the draft, at the stage and revision the reviewer has
// open, for u for ttl unless someone else holds an unexpired claim on that
// same stage and revision; it returns the claim in force either way. A
// claim made at another stage or revision no longer holds: the one who
// made it has decided, or the draft has moved on.
func (s *Store) ClaimDraft(ctx context.Context, draftID, userID int64, state domain.State, revision int, ttl time.Duration) (Claim, error) {
	var c Claim
	// A claim is advisory and short-lived: it need not wait for the WAL flush.
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `WITH up AS (
			INSERT INTO claims (draft_id, user_id, since, expires_at, state, revision)
				VALUES ($1, $2, now(), now() + make_interval(secs => $3), $4, $5)
			ON CONFLICT (draft_id) DO UPDATE SET
				user_id = EXCLUDED.user_id,
				since = CASE WHEN claims.user_id = EXCLUDED.user_id AND claims.expires_at > now()
					AND claims.state = EXCLUDED.state AND claims.revision = EXCLUDED.revision THEN claims.since ELSE now() END,
				expires_at = EXCLUDED.expires_at, state = EXCLUDED.state, revision = EXCLUDED.revision
			WHERE claims.user_id = EXCLUDED.user_id OR claims.expires_at <= now()
				OR claims.state <> EXCLUDED.state OR claims.revision <> EXCLUDED.revision
			RETURNING draft_id, user_id, since)
		SELECT x.draft_id, x.user_id, u.name, x.since FROM (
			SELECT draft_id, user_id, since FROM up
			UNION ALL SELECT draft_id, user_id, since FROM claims WHERE draft_id = $1 AND NOT EXISTS (SELECT 1 FROM up)
		) x JOIN users u ON u.id = x.user_id`, draftID, userID, ttl.Seconds(), state, revision).Scan(&c.DraftID, &c.UserID, &c.User, &c.Since)
	})
	if err != nil {
		return c, fmt.Errorf("error claiming draft: %w", err)
	}
	return c, nil
}

// Claims returns the claims in force on the given drafts, for the queue:
// unexpired, and made at the stage and revision each draft is at now.
func (s *Store) Claims(ctx context.Context, ids []int64) (map[int64]Claim, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT c.draft_id, c.user_id, u.name, c.since FROM claims c JOIN users u ON u.id = c.user_id
		JOIN drafts d ON d.id = c.draft_id AND d.state = c.state AND d.revision = c.revision
		WHERE c.draft_id = ANY($1) AND c.expires_at > now()`, ids)
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Claim, error) {
		var c Claim
		return c, r.Scan(&c.DraftID, &c.UserID, &c.User, &c.Since)
	})
	if err != nil {
		return nil, fmt.Errorf("error reading claims: %w", err)
	}
	out := make(map[int64]Claim, len(cs))
	for _, c := range cs {
		out[c.DraftID] = c
	}
	return out, nil
}
