package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// DefaultTokenTTL is how long an API token lasts unless TokenTTL says
// otherwise (SANSHEN_TOKEN_TTL).
const DefaultTokenTTL = 90 * 24 * time.Hour

// tokenTouchEvery bounds how often a process writes a token's last use.
const tokenTouchEvery = time.Minute

func (s *Store) tokenTTL() time.Duration {
	if s.TokenTTL > 0 {
		return s.TokenTTL
	}
	return DefaultTokenTTL
}

// Token is an API token as its owner and admins see it: never the token
// itself, which is shown once, when made.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	User       string     `json:"user"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// Active reports whether the token still works (at now).
func (t Token) Active(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

const tokenColumns = `t.id, t.user_id, u.name, t.name, t.created_at, t.last_used_at, t.expires_at, t.revoked_at`

func scanToken(r pgx.Row) (Token, error) {
	var t Token
	err := r.Scan(&t.ID, &t.UserID, &t.User, &t.Name, &t.CreatedAt, &t.LastUsedAt, &t.ExpiresAt, &t.RevokedAt)
	return t, err
}

// mayHandleTokens reports whether by may list, make or revoke the tokens of
// the person userID: the person themself, or who manages them.
func (s *Store) mayHandleTokens(ctx context.Context, q pgx.Tx, by domain.Actor, userID int64) (domain.Actor, error) {
	var target domain.Actor
	var err error
	if q != nil {
		target, err = lockPerson(ctx, q, userID)
	} else {
		target, err = s.person(ctx, userID)
	}
	if err != nil {
		return target, err
	}
	if by.ID != 0 && by.ID == userID {
		return target, nil
	}
	return target, domain.CanManagePerson(by, target)
}

// person loads a user as the rules see them.
func (s *Store) person(ctx context.Context, userID int64) (domain.Actor, error) {
	var a domain.Actor
	var roles []string
	err := s.Pool.QueryRow(ctx, `SELECT id, name, agency_id, roles, departments FROM users WHERE id = $1`, userID).
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

// Tokens lists the API tokens of userID, newest first, to its owner or who
// manages them (domain.CanManagePerson); another agency's person is
// ErrNotFound, as if not there.
func (s *Store) Tokens(ctx context.Context, by domain.Actor, userID int64) ([]Token, error) {
	if _, err := s.mayHandleTokens(ctx, nil, by, userID); err != nil {
		return nil, hideForeign(err)
	}
	rows, _ := s.Pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.user_id = $1 ORDER BY t.created_at DESC, t.id DESC`, userID)
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("error listing tokens: %w", err)
	}
	return ts, nil
}

// AddToken makes a new API token for userID (by the person themself or who
// manages them), lasting TokenTTL, and returns it in clear this once.
func (s *Store) AddToken(ctx context.Context, by domain.Actor, userID int64, name string) (Token, string, error) {
	var t Token
	token, hash, err := newToken()
	if err != nil {
		return t, "", err
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		target, err := s.mayHandleTokens(ctx, tx, by, userID)
		if err != nil {
			return hideForeign(err)
		}
		t, err = scanToken(tx.QueryRow(ctx, `WITH t AS (INSERT INTO api_tokens (token_sha256, user_id, name, expires_at)
				VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING *)
			SELECT `+tokenColumns+` FROM t JOIN users u ON u.id = t.user_id`, hash, userID, name, s.tokenTTL().Seconds()))
		if err != nil {
			return fmt.Errorf("error adding token: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(target.AgencyID, by, "token_add", fmt.Sprintf("%s token %d %q", target.Name, t.ID, name)))
	})
	return t, token, err
}

// RevokeToken revokes an API token, by its owner or who manages them, and
// audits it. Revoking a revoked token changes nothing and answers it.
func (s *Store) RevokeToken(ctx context.Context, by domain.Actor, id int64) (Token, error) {
	var t Token
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var owner int64
		err := tx.QueryRow(ctx, `SELECT user_id FROM api_tokens WHERE id = $1`, id).Scan(&owner)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("token %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("error revoking token: %w", err)
		}
		target, err := s.mayHandleTokens(ctx, tx, by, owner)
		if err != nil {
			return hideForeign(err)
		}
		t, err = scanToken(tx.QueryRow(ctx, `WITH t AS (UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *)
			SELECT `+tokenColumns+` FROM t JOIN users u ON u.id = t.user_id`, id))
		if err != nil {
			return fmt.Errorf("error revoking token: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(target.AgencyID, by, "token_revoke", fmt.Sprintf("%s token %d %q", target.Name, t.ID, t.Name)))
	})
	return t, err
}

// touchToken records that a token was used, at most once a minute per
// process: the column is for people reading the token list, not a log.
func (s *Store) touchToken(ctx context.Context, id int64) error {
	now := time.Now()
	if last, ok := s.tokenUse.Load(id); ok && now.Sub(last.(time.Time)) < tokenTouchEvery {
		return nil
	}
	s.tokenUse.Store(id, now)
	if _, err := s.Pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, id); err != nil {
		return fmt.Errorf("error recording token use: %w", err)
	}
	return nil
}

// hideForeign turns a refusal for another agency's person into
// ErrNotFound: nobody learns who exists in another agency.
func hideForeign(err error) error {
	var r *domain.Refusal
	if errors.As(err, &r) && r.Rule == domain.RuleAgency {
		return ErrNotFound
	}
	return err
}
