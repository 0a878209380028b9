package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Session is a browser that has signed in, or is signing in.
type Session struct {
	UserID int64
	// CSRF is the session's CSRF token, derived from its id (csrfToken):
	// the table keeps only its SHA-256.
	CSRF      string
	csrfHash  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	// SecondFactor is SecondFactorDone for a signed-in session; the others
	// have passed the password and owe their second factor.
	SecondFactor string
	// Enrolment is the sealed TOTP secret being enrolled in this session.
	Enrolment []byte
}

// What a session still owes (sessions.second_factor).
const (
	SecondFactorDone  = "done"  // signed in
	SecondFactorCode  = "code"  // a TOTP or recovery code is owed
	SecondFactorEnrol = "enrol" // must enrol a second factor first
)

// PartialSessionTTL bounds a session that has passed the password but not
// the second factor.
const PartialSessionTTL = 10 * time.Minute

// CheckCSRF reports whether token is the session's CSRF token, comparing
// its hash with the stored one in constant time.
func (s Session) CheckCSRF(token string) bool {
	if token == "" || len(s.csrfHash) == 0 {
		return false
	}
	h := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(h[:], s.csrfHash) == 1
}

// csrfToken is the CSRF token of session id: an HMAC of a label under the
// id, so it never needs storing and says nothing of the id.
func csrfToken(id string) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write([]byte("sanshen csrf token"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
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
	err := s.Pool.QueryRow(ctx, `SELECT id, agency_id, name, roles, departments, password_hash, totp_secret IS NOT NULL
		FROM users WHERE name = $1 AND NOT disabled`, name).
		Scan(&u.ID, &u.AgencyID, &u.Name, &roles, &u.Departments, &hash, &u.SecondFactor)
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

// CreateSession signs u in: a session with a fresh id (never one the
// browser sent before), audited with how they signed in (factors, e.g.
// "password", "password+totp").
func (s *Store) CreateSession(ctx context.Context, u User, absolute time.Duration, userAgent, ip string, factors ...string) (string, Session, error) {
	how := "password"
	if len(factors) > 0 {
		how = strings.Join(factors, "+")
	}
	return s.createSession(ctx, u, SecondFactorDone, absolute, userAgent, ip, agencyEvent(u.AgencyID, u.Actor(), "signin", ip+" "+how))
}

// CreatePartialSession starts a session for someone whose password was
// right and who owes their second factor (SecondFactorCode or
// SecondFactorEnrol); it lasts PartialSessionTTL and opens no page but the
// second factor's.
func (s *Store) CreatePartialSession(ctx context.Context, u User, owes, userAgent, ip string) (string, Session, error) {
	return s.createSession(ctx, u, owes, PartialSessionTTL, userAgent, ip, nil)
}

func (s *Store) createSession(ctx context.Context, u User, owes string, absolute time.Duration, userAgent, ip string, ev *audit.Event) (string, Session, error) {
	id, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf := csrfToken(id)
	h := sha256.Sum256([]byte(csrf))
	sess := Session{UserID: u.ID, CSRF: csrf, csrfHash: h[:], SecondFactor: owes}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO sessions (id_sha256, user_id, csrf_sha256, expires_at, user_agent, ip, second_factor)
			VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6, $7) RETURNING created_at, expires_at`,
			TokenHash(id), u.ID, sess.csrfHash, absolute.Seconds(), userAgent, ip, owes).Scan(&sess.CreatedAt, &sess.ExpiresAt); err != nil {
			return fmt.Errorf("error creating session: %w", err)
		}
		if ev == nil {
			return nil
		}
		return appendEvent(ctx, tx, ev)
	})
	return id, sess, err
}

// SessionUser resolves a session cookie: unknown, revoked, past its absolute
// timeout or idle longer than idle, it is ErrNotFound. It records activity
// at most once a minute, so reading pages does not write on every request.
// A session that owes its second factor comes back too, with SecondFactor
// saying so: the pages let it reach only that step.
func (s *Store) SessionUser(ctx context.Context, id string, idle time.Duration) (User, Session, error) {
	var u User
	var sess Session
	var roles []string
	var lastSeen time.Time
	err := s.Pool.QueryRow(ctx, `SELECT u.id, u.agency_id, u.name, u.roles, u.departments, u.totp_secret IS NOT NULL,
			s.csrf_sha256, s.created_at, s.expires_at, s.last_seen_at, s.second_factor, s.totp_enrolment
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
		  AND s.last_seen_at > now() - make_interval(secs => $2) AND NOT u.disabled`, TokenHash(id), idle.Seconds()).
		Scan(&u.ID, &u.AgencyID, &u.Name, &roles, &u.Departments, &u.SecondFactor,
			&sess.csrfHash, &sess.CreatedAt, &sess.ExpiresAt, &lastSeen, &sess.SecondFactor, &sess.Enrolment)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, sess, ErrNotFound
	}
	if err != nil {
		return u, sess, fmt.Errorf("error loading session: %w", err)
	}
	for _, r := range roles {
		u.Roles = append(u.Roles, domain.Role(r))
	}
	sess.UserID, sess.CSRF = u.ID, csrfToken(id)
	if time.Since(lastSeen) > time.Minute {
		if _, err := s.Pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now() WHERE id_sha256 = $1`, TokenHash(id)); err != nil {
			return u, sess, fmt.Errorf("error touching session: %w", err)
		}
	}
	return u, sess, nil
}

// SessionActive reports whether a signed-in session still holds, without
// counting as activity: a live event stream asks it now and then, so a
// revoked session or a disabled account stops hearing news.
func (s *Store) SessionActive(ctx context.Context, id string, idle time.Duration) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND s.second_factor = 'done'
		  AND s.last_seen_at > now() - make_interval(secs => $2) AND NOT u.disabled)`, TokenHash(id), idle.Seconds()).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("error checking session: %w", err)
	}
	return ok, nil
}

// SetSessionEnrolment keeps the sealed TOTP secret being enrolled in the
// session, until the person confirms it with a code.
func (s *Store) SetSessionEnrolment(ctx context.Context, id string, sealed []byte) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE sessions SET totp_enrolment = $2 WHERE id_sha256 = $1`, TokenHash(id), sealed); err != nil {
		return fmt.Errorf("error keeping the enrolment: %w", err)
	}
	return nil
}

// RevokeSession ends a session (sign-out).
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE id_sha256 = $1 AND revoked_at IS NULL`, TokenHash(id))
	if err != nil {
		return fmt.Errorf("error revoking session: %w", err)
	}
	return nil
}

// SignInFailures reads the recent failed sign-ins that bear on an attempt
// by name from ip (domain.SignInWait), and the database's clock to judge
// them by: every API replica counts the same failures on the same clock.
func (s *Store) SignInFailures(ctx context.Context, name, ip string) (domain.SignInFailures, time.Time, error) {
	var f domain.SignInFailures
	var lastPair, lastName, lastIP *time.Time
	var now time.Time
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE name = $1 AND ip = $2), max(at) FILTER (WHERE name = $1 AND ip = $2),
			count(*) FILTER (WHERE name = $1), max(at) FILTER (WHERE name = $1),
			count(*) FILTER (WHERE ip = $2), max(at) FILTER (WHERE ip = $2),
			EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = $1 AND s.ip = $2
				AND s.second_factor = 'done' AND s.created_at > now() - make_interval(secs => $4)),
			now()
		FROM signin_failures WHERE at > now() - make_interval(secs => $3) AND (name = $1 OR ip = $2)`,
		name, ip, domain.SignInWindow.Seconds(), domain.SignInFamiliarFor.Seconds()).
		Scan(&f.Pair, &lastPair, &f.Name, &lastName, &f.Address, &lastIP, &f.Familiar, &now)
	if err != nil {
		return f, now, fmt.Errorf("error counting failed sign-ins: %w", err)
	}
	for _, p := range []struct {
		dst *time.Time
		src *time.Time
	}{{&f.LastPair, lastPair}, {&f.LastName, lastName}, {&f.LastAddress, lastIP}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return f, now, nil
}

// RecordSignInFailure counts and audits a failed sign-in (why: unknown_user,
// no_password, wrong_password, wrong_code).
func (s *Store) RecordSignInFailure(ctx context.Context, name, ip, why string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO signin_failures (name, ip) VALUES ($1, $2)`, name, ip); err != nil {
			return fmt.Errorf("error recording failed sign-in: %w", err)
		}
		return appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, Actor: name, Role: "anonymous",
			Action: "signin_failed", Reason: why, Comment: ip})
	})
}

// RecordSignInHeld audits an attempt a brake held back before its password
// was checked. It is not counted as a failure: a brake that grew with the
// attempts it holds back would lock out whoever is being impersonated.
func (s *Store) RecordSignInHeld(ctx context.Context, name, ip string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		return appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, Actor: name, Role: "anonymous",
			Action: "signin_failed", Reason: "rate_limited", Comment: ip})
	})
}

// ClearSignInFailures forgets the failures of name from ip, after that
// person signed in from there.
func (s *Store) ClearSignInFailures(ctx context.Context, name, ip string) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM signin_failures WHERE name = $1 AND ip = $2`, name, ip); err != nil {
		return fmt.Errorf("error clearing failed sign-ins: %w", err)
	}
	return nil
}

// SetPassword sets a user's password hash, by an admin of their agency
// (domain.CanManagePerson), ends their sessions and revokes their API
// tokens, and audits it: whoever held the old password holds nothing.
func (s *Store) SetPassword(ctx context.Context, by domain.Actor, userID int64, hash string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		target, err := lockPerson(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := domain.CanManagePerson(by, target); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash); err != nil {
			return fmt.Errorf("error setting password: %w", err)
		}
		if err := endAccess(ctx, tx, userID, "", true); err != nil {
			return err
		}
		return appendEvent(ctx, tx, agencyEvent(target.AgencyID, by, "password_set", target.Name))
	})
}

// ChangeOwnPassword sets the person's own new password hash, once the
// caller has checked their current one, and ends their other sessions
// (keep: the id of the session asking, "" from the API). API tokens stay:
// the account page lists them to revoke.
func (s *Store) ChangeOwnPassword(ctx context.Context, by domain.Actor, hash, keep string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, by.ID, hash); err != nil {
			return fmt.Errorf("error changing password: %w", err)
		}
		if err := endAccess(ctx, tx, by.ID, keep, false); err != nil {
			return err
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "password_change", by.Name))
	})
}

// PasswordHash is the person's password hash ("" without one), to check
// their current password before a change.
func (s *Store) PasswordHash(ctx context.Context, userID int64) (string, error) {
	var hash *string
	if err := s.Pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, userID).Scan(&hash); err != nil {
		return "", fmt.Errorf("error reading password: %w", err)
	}
	if hash == nil {
		return "", nil
	}
	return *hash, nil
}

// endAccess ends a person's sessions but keep, and with tokens their API
// tokens too.
func endAccess(ctx context.Context, tx pgx.Tx, userID int64, keep string, tokens bool) error {
	if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND id_sha256 <> $2`,
		userID, TokenHash(keep)); err != nil {
		return fmt.Errorf("error ending sessions: %w", err)
	}
	if !tokens {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID); err != nil {
		return fmt.Errorf("error revoking tokens: %w", err)
	}
	return nil
}

// lockPerson locks a user's row and loads them as the rules see them.
func lockPerson(ctx context.Context, tx pgx.Tx, userID int64) (domain.Actor, error) {
	var a domain.Actor
	var roles []string
	err := tx.QueryRow(ctx, `SELECT id, name, agency_id, roles, departments FROM users WHERE id = $1 FOR UPDATE`, userID).
		Scan(&a.ID, &a.Name, &a.AgencyID, &roles, &a.Departments)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("user %d: %w", userID, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("error loading user %d: %w", userID, err)
	}
	for _, r := range roles {
		a.Roles = append(a.Roles, domain.Role(r))
	}
	return a, nil
}

// Users lists an agency's people by name.
func (s *Store) Users(ctx context.Context, agencyID int64) ([]User, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id, agency_id, name, roles, departments, disabled, totp_secret IS NOT NULL FROM users
		WHERE agency_id = $1 ORDER BY name`, agencyID)
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) {
		var u User
		var roles []string
		err := r.Scan(&u.ID, &u.AgencyID, &u.Name, &roles, &u.Departments, &u.Disabled, &u.SecondFactor)
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
