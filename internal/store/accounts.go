package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// SetDisabled disables or enables a person's account, by who manages them
// (domain.CanManagePerson), and audits it. Disabling ends their sessions
// and revokes their API tokens at once (ASVS 7.4.2); enabling gives none
// back: they sign in and make new tokens.
func (s *Store) SetDisabled(ctx context.Context, by domain.Actor, userID int64, disabled bool) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		target, err := lockPerson(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := domain.CanManagePerson(by, target); err != nil {
			return hideForeign(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled = $2, disabled_at = CASE WHEN $2 THEN now() END WHERE id = $1`, userID, disabled); err != nil {
			return fmt.Errorf("error disabling user: %w", err)
		}
		action := "user_enable"
		if disabled {
			action = "user_disable"
			if err := endAccess(ctx, tx, userID, "", true); err != nil {
				return err
			}
		}
		return appendEvent(ctx, tx, agencyEvent(target.AgencyID, by, action, target.Name))
	})
}

// Person is a user with what their account's page and the admins' page
// show of their second factor.
type Person struct {
	User
	TOTPEnrolledAt *time.Time
	RecoveryLeft   int
}

// PersonByID loads a user of agency agencyID (another agency's is
// ErrNotFound), disabled or not.
func (s *Store) PersonByID(ctx context.Context, agencyID, userID int64) (Person, error) {
	var p Person
	var roles []string
	err := s.Pool.QueryRow(ctx, `SELECT u.id, u.agency_id, u.name, u.roles, u.departments, u.disabled, u.totp_secret IS NOT NULL, u.totp_enrolled_at,
			(SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL)
		FROM users u WHERE u.id = $1 AND u.agency_id = $2`, userID, agencyID).
		Scan(&p.ID, &p.AgencyID, &p.Name, &roles, &p.Departments, &p.Disabled, &p.SecondFactor, &p.TOTPEnrolledAt, &p.RecoveryLeft)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("user %d: %w", userID, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("error loading user %d: %w", userID, err)
	}
	for _, r := range roles {
		p.Roles = append(p.Roles, domain.Role(r))
	}
	return p, nil
}

// TOTPSecret is the person's sealed TOTP secret (nil: none enrolled) and
// the last time step a code of theirs was used at.
func (s *Store) TOTPSecret(ctx context.Context, userID int64) ([]byte, int64, error) {
	var sealed []byte
	var last int64
	if err := s.Pool.QueryRow(ctx, `SELECT totp_secret, totp_last_step FROM users WHERE id = $1`, userID).Scan(&sealed, &last); err != nil {
		return nil, 0, fmt.Errorf("error reading the second factor: %w", err)
	}
	return sealed, last, nil
}

// UseTOTPStep spends time step step of the person's codes: it succeeds
// once per step and never for a step before the last one used, even when
// two requests race with the same code (ASVS 6.5.1).
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	ct, err := s.Pool.Exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2 AND totp_secret IS NOT NULL`, userID, step)
	if err != nil {
		return false, fmt.Errorf("error using a code: %w", err)
	}
	return ct.RowsAffected() == 1, nil
}

// UseRecoveryCode spends one of the person's recovery codes (by its hash):
// each works once. It audits the use.
func (s *Store) UseRecoveryCode(ctx context.Context, u User, hash []byte) (bool, error) {
	used := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		ct, err := tx.Exec(ctx, `UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_sha256 = $2 AND used_at IS NULL`, u.ID, hash)
		if err != nil {
			return fmt.Errorf("error using a recovery code: %w", err)
		}
		if used = ct.RowsAffected() == 1; !used {
			return nil
		}
		var left int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, u.ID).Scan(&left); err != nil {
			return fmt.Errorf("error counting recovery codes: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(u.AgencyID, u.Actor(), "recovery_code_used", fmt.Sprintf("%d left", left)))
	})
	return used, err
}

// EnrolTOTP gives the person by a second factor: the sealed secret they
// just proved with a code of step step, and new recovery codes (their
// hashes), replacing any before. Audited.
func (s *Store) EnrolTOTP(ctx context.Context, by domain.Actor, sealed []byte, step int64, recovery [][]byte) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = $2, totp_enrolled_at = now(), totp_last_step = $3 WHERE id = $1`, by.ID, sealed, step); err != nil {
			return fmt.Errorf("error enrolling the second factor: %w", err)
		}
		if err := replaceRecoveryCodes(ctx, tx, by.ID, recovery); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET totp_enrolment = NULL WHERE user_id = $1`, by.ID); err != nil {
			return fmt.Errorf("error enrolling the second factor: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "totp_enrol", by.Name))
	})
}

// NewRecoveryCodes replaces the person's recovery codes (their hashes);
// the old ones stop working. Audited.
func (s *Store) NewRecoveryCodes(ctx context.Context, by domain.Actor, recovery [][]byte) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := replaceRecoveryCodes(ctx, tx, by.ID, recovery); err != nil {
			return err
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "recovery_codes_new", by.Name))
	})
}

func replaceRecoveryCodes(ctx context.Context, tx pgx.Tx, userID int64, hashes [][]byte) error {
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("error replacing recovery codes: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_sha256) SELECT $1, unnest($2::bytea[])`, userID, hashes); err != nil {
		return fmt.Errorf("error storing recovery codes: %w", err)
	}
	return nil
}

// ResetTOTP removes a person's second factor and recovery codes and ends
// their sessions, by who manages them, after they lost their phone: at
// their next sign-in they enrol again (where their roles require one).
// Audited.
func (s *Store) ResetTOTP(ctx context.Context, by domain.Actor, userID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		target, err := lockPerson(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := domain.CanManagePerson(by, target); err != nil {
			return hideForeign(err)
		}
		if err := removeTOTP(ctx, tx, userID); err != nil {
			return err
		}
		if err := endAccess(ctx, tx, userID, "", false); err != nil {
			return err
		}
		return appendEvent(ctx, tx, agencyEvent(target.AgencyID, by, "totp_reset", target.Name))
	})
}

// RemoveOwnTOTP removes the person's own second factor, where their roles
// do not require one. Audited.
func (s *Store) RemoveOwnTOTP(ctx context.Context, by domain.Actor) error {
	if domain.SecondFactorRequired(by.Roles) {
		return &domain.Refusal{Rule: domain.RuleRole, Message: "your roles require a second factor"}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := removeTOTP(ctx, tx, by.ID); err != nil {
			return err
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "totp_remove", by.Name))
	})
}

func removeTOTP(ctx context.Context, tx pgx.Tx, userID int64) error {
	if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = NULL, totp_enrolled_at = NULL WHERE id = $1`, userID); err != nil {
		return fmt.Errorf("error removing the second factor: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("error removing recovery codes: %w", err)
	}
	return nil
}

// SignInLock is a brake in force (domain.SignInWait): the failures of a
// name from an address, of a name, or of an address, until when the next
// attempt waits.
type SignInLock struct {
	Scope       domain.SignInScope `json:"scope"`
	Name        string             `json:"name,omitempty"`
	Address     string             `json:"address,omitempty"`
	Failures    int                `json:"failures"`
	LastFailure time.Time          `json:"last_failure"`
	Until       time.Time          `json:"until"`
	agency      int64              // the person's of that name; 0: nobody's
}

// SignInLocks lists the brakes in force that by may see and clear: an
// agency's admin those on its people's names; a platform admin every one,
// addresses and unknown names included.
func (s *Store) SignInLocks(ctx context.Context, by domain.Actor) ([]SignInLock, error) {
	platform := domain.CanManagePlatform(by) == nil
	if !platform && !by.Has(domain.RoleAdmin) {
		return nil, &domain.Refusal{Rule: domain.RuleRole, Message: "sign-in locks are for admins"}
	}
	var now time.Time
	var out []SignInLock
	err := s.readTx(ctx, func(b *pgx.Batch) {
		b.Queue(`SELECT now()`)
		b.Queue(`WITH f AS (SELECT name, ip, at FROM signin_failures WHERE at > now() - make_interval(secs => $1))
			SELECT x.scope, x.name, x.ip, x.n, x.last, COALESCE(u.agency_id, 0) FROM (
				SELECT 'account' AS scope, name, ip, count(*) AS n, max(at) AS last FROM f GROUP BY name, ip HAVING count(*) >= $2
				UNION ALL SELECT 'name', name, '', count(*), max(at) FROM f GROUP BY name HAVING count(*) >= $3
				UNION ALL SELECT 'address', '', ip, count(*), max(at) FROM f GROUP BY ip HAVING count(*) >= $4) x
			LEFT JOIN users u ON u.name = x.name AND x.name <> ''`,
			domain.SignInWindow.Seconds(), domain.SignInFree(domain.SignInPair), domain.SignInFree(domain.SignInName), domain.SignInFree(domain.SignInAddress))
	}, func(br pgx.BatchResults) error {
		if err := br.QueryRow().Scan(&now); err != nil {
			return err
		}
		rows, _ := br.Query()
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SignInLock, error) {
			var l SignInLock
			err := r.Scan(&l.Scope, &l.Name, &l.Address, &l.Failures, &l.LastFailure, &l.agency)
			return l, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("error listing sign-in locks: %w", err)
	}
	var locks []SignInLock
	for _, l := range out {
		l.Until = l.LastFailure.Add(domain.SignInDelay(l.Scope, l.Failures))
		if !l.Until.After(now) {
			continue
		}
		if !platform && (l.agency != by.AgencyID || l.Scope == domain.SignInAddress) {
			continue
		}
		locks = append(locks, l)
	}
	sort.Slice(locks, func(i, j int) bool { return locks[i].Until.After(locks[j].Until) })
	return locks, nil
}

// ClearSignInLock forgets the failed sign-ins of a name (from one address,
// or from all when address is ""), or of an address (name ""), so the
// next attempt goes through at once. An agency's admin clears their
// people's names; only a platform admin clears an address or a name that is
// nobody's. Audited; it answers how many failures it forgot.
func (s *Store) ClearSignInLock(ctx context.Context, by domain.Actor, name, address string) (int64, error) {
	if name == "" && address == "" {
		return 0, &domain.Refusal{Rule: domain.RuleInvalidName, Message: "name a person or an address to clear"}
	}
	var n int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		agency := int64(0)
		if name != "" {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM users WHERE name = $1`, name).Scan(&id)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return fmt.Errorf("error clearing a sign-in lock: %w", err)
			default:
				target, err := lockPerson(ctx, tx, id)
				if err != nil {
					return err
				}
				if err := domain.CanManage(by, target.AgencyID); err != nil && domain.CanManagePlatform(by) != nil {
					return hideForeign(err)
				}
				if target.Has(domain.RolePlatformAdmin) && domain.CanManagePlatform(by) != nil {
					return &domain.Refusal{Rule: domain.RuleRole, Message: "only a platform admin manages a platform admin"}
				}
				agency = target.AgencyID
			}
		}
		if agency == 0 {
			if err := domain.CanManagePlatform(by); err != nil {
				return err
			}
		}
		ct, err := tx.Exec(ctx, `DELETE FROM signin_failures WHERE ($1 = '' OR name = $1) AND ($2 = '' OR ip = $2)`, name, address)
		if err != nil {
			return fmt.Errorf("error clearing a sign-in lock: %w", err)
		}
		n = ct.RowsAffected()
		what := fmt.Sprintf("name=%q address=%q failures=%d", name, address, n)
		if agency == 0 {
			return appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name,
				Role: string(domain.RolePlatformAdmin), Action: "signin_unlock", Comment: what})
		}
		return appendEvent(ctx, tx, agencyEvent(agency, by, "signin_unlock", what))
	})
	return n, err
}

// PersonByName finds a user by name, disabled or not (for the shell).
func (s *Store) PersonByName(ctx context.Context, name string) (Person, error) {
	var id, agency int64
	err := s.Pool.QueryRow(ctx, `SELECT id, agency_id FROM users WHERE name = $1`, name).Scan(&id, &agency)
	if errors.Is(err, pgx.ErrNoRows) {
		return Person{}, fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Person{}, fmt.Errorf("error finding user %q: %w", name, err)
	}
	return s.PersonByID(ctx, agency, id)
}
