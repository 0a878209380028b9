package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Department is an office unit of one agency; drafts and department heads
// belong to one.
type Department struct {
	ID        int64     `json:"id"`
	AgencyID  int64     `json:"-"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person who signs in. A person belongs to one agency.
type User struct {
	ID          int64         `json:"id"`
	AgencyID    int64         `json:"-"`
	Name        string        `json:"name"`
	Roles       []domain.Role `json:"roles"`
	Departments []int64       `json:"departments"`
	Disabled    bool          `json:"disabled"`
	// SecondFactor: a TOTP authenticator is enrolled.
	SecondFactor bool `json:"second_factor"`
}

// Actor is the user as the rules see them.
func (u User) Actor() domain.Actor {
	return domain.Actor{ID: u.ID, Name: u.Name, AgencyID: u.AgencyID, Roles: u.Roles, Departments: u.Departments}
}

// SystemActor is the machine: workers, relay and publisher.
var SystemActor = domain.Actor{Name: domain.SystemName, Roles: []domain.Role{domain.RoleSystem}}

// ErrExists is returned when a name is already taken.
var ErrExists = errors.New("already exists")

// AddDepartment creates a department of the admin's own agency and audits it.
func (s *Store) AddDepartment(ctx context.Context, by domain.Actor, name string) (Department, error) {
	d := Department{AgencyID: by.AgencyID}
	if err := domain.CanManage(by, d.AgencyID); err != nil {
		return d, err
	}
	if err := domain.ValidName(name); err != nil {
		return d, err
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO departments (agency_id, name) VALUES ($1, $2) RETURNING id, name, created_at`, d.AgencyID, name).
			Scan(&d.ID, &d.Name, &d.CreatedAt)
		if uniqueViolation(err) {
			return fmt.Errorf("department %q: %w", name, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("error adding department: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(d.AgencyID, by, "department_add", name))
	})
	return d, err
}

// Departments lists an agency's departments by name.
func (s *Store) Departments(ctx context.Context, agencyID int64) ([]Department, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id, agency_id, name, created_at FROM departments WHERE agency_id = $1 ORDER BY name`, agencyID)
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Department, error) {
		var d Department
		return d, r.Scan(&d.ID, &d.AgencyID, &d.Name, &d.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing departments: %w", err)
	}
	return ds, nil
}

// DepartmentByName finds a department of an agency by name, from the auth
// cache when it has it.
func (s *Store) DepartmentByName(ctx context.Context, agencyID int64, name string) (Department, error) {
	c := s.authCacheOf()
	key := fmt.Sprintf("department:%d:%s", agencyID, name)
	v, gen, ok := c.get(key)
	if ok {
		return v.(Department), nil
	}
	d, err := s.departmentByName(ctx, agencyID, name)
	if err == nil {
		c.put(gen, key, d)
	}
	return d, err
}

func (s *Store) departmentByName(ctx context.Context, agencyID int64, name string) (Department, error) {
	var d Department
	err := s.Pool.QueryRow(ctx, `SELECT id, agency_id, name, created_at FROM departments WHERE agency_id = $1 AND name = $2`, agencyID, name).
		Scan(&d.ID, &d.AgencyID, &d.Name, &d.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("department %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("error finding department: %w", err)
	}
	return d, nil
}

// NewUser is what creating a user needs.
type NewUser struct {
	Name string
	// AgencyID is the agency the person belongs to (0: the one of who adds them).
	AgencyID     int64
	Roles        []domain.Role
	Departments  []int64 // the agency's
	PasswordHash string  // empty: API token only
}

// ErrForeignDepartment means a new user was given another agency's department.
var ErrForeignDepartment = errors.New("not a department of the user's agency")

// AddUser creates a user with a fresh API token, returned once in clear.
// An agency's admin adds people to their own agency; a platform admin adds
// an agency's admins (its first, usually).
func (s *Store) AddUser(ctx context.Context, by domain.Actor, nu NewUser) (User, string, error) {
	var u User
	var token string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		u, token, err = addUser(ctx, tx, by, nu, s.tokenTTL())
		return err
	})
	return u, token, err
}

// addUser is AddUser inside tx; the user's first API token lasts ttl.
func addUser(ctx context.Context, tx pgx.Tx, by domain.Actor, nu NewUser, ttl time.Duration) (User, string, error) {
	if nu.AgencyID == 0 {
		nu.AgencyID = by.AgencyID
	}
	u := User{Name: nu.Name, AgencyID: nu.AgencyID, Roles: nu.Roles, Departments: nu.Departments}
	if u.Departments == nil {
		u.Departments = []int64{}
	}
	if err := domain.CanGrant(by, nu.AgencyID, nu.Roles); err != nil {
		return u, "", err
	}
	if err := domain.ValidName(nu.Name); err != nil {
		return u, "", err
	}
	token, hash, err := newToken()
	if err != nil {
		return u, "", err
	}
	roles := make([]string, len(nu.Roles))
	for i, r := range nu.Roles {
		roles[i] = string(r)
	}
	var own int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM departments WHERE id = ANY($1) AND agency_id = $2`, u.Departments, u.AgencyID).Scan(&own); err != nil {
		return u, "", fmt.Errorf("error checking departments: %w", err)
	}
	if own != len(u.Departments) {
		return u, "", fmt.Errorf("departments %v: %w", u.Departments, ErrForeignDepartment)
	}
	err = tx.QueryRow(ctx, `INSERT INTO users (agency_id, name, roles, departments, password_hash) VALUES ($1, $2, $3, $4, NULLIF($5, '')) RETURNING id`,
		u.AgencyID, nu.Name, roles, u.Departments, nu.PasswordHash).Scan(&u.ID)
	if uniqueViolation(err) {
		return u, "", fmt.Errorf("user %q: %w", nu.Name, ErrExists)
	}
	if err != nil {
		return u, "", fmt.Errorf("error adding user: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (token_sha256, user_id, name, expires_at) VALUES ($1, $2, '初始令牌', now() + make_interval(secs => $3))`,
		hash, u.ID, ttl.Seconds()); err != nil {
		return u, "", fmt.Errorf("error storing token: %w", err)
	}
	return u, token, appendEvent(ctx, tx, agencyEvent(u.AgencyID, by, "user_add", fmt.Sprintf("%s roles=%v departments=%v", nu.Name, nu.Roles, u.Departments)))
}

func newToken() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("error making a token: %w", err)
	}
	t := "ss_" + base64.RawURLEncoding.EncodeToString(b)
	return t, TokenHash(t), nil
}

// TokenHash is how a token is stored and looked up.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// UserByToken finds the active user an unexpired API token belongs to,
// from the auth cache when it has it, and records when the token was last
// used (at most once a minute per token and process). An unknown token is
// never cached: a new one works at once.
func (s *Store) UserByToken(ctx context.Context, token string) (User, error) {
	c := s.authCacheOf()
	hash := TokenHash(token)
	key := "token:" + string(hash)
	var t tokenUser
	v, gen, ok := c.get(key)
	if ok {
		t = v.(tokenUser)
	} else {
		var err error
		if t, err = s.userByToken(ctx, hash); err != nil {
			return User{}, err
		}
		c.put(gen, key, t)
	}
	if !time.Now().Before(t.expires) {
		return User{}, ErrNotFound
	}
	if err := s.touchToken(ctx, t.id); err != nil {
		return User{}, err
	}
	return t.user.clone(), nil
}

// tokenUser is what a token resolves to: its user, its id and its expiry.
type tokenUser struct {
	user    User
	id      int64
	expires time.Time
}

func (s *Store) userByToken(ctx context.Context, hash []byte) (tokenUser, error) {
	var t tokenUser
	u := &t.user
	var roles []string
	err := s.Pool.QueryRow(ctx, `SELECT u.id, u.agency_id, u.name, u.roles, u.departments, u.totp_secret IS NOT NULL, t.id, t.expires_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND NOT u.disabled`, hash).
		Scan(&u.ID, &u.AgencyID, &u.Name, &roles, &u.Departments, &u.SecondFactor, &t.id, &t.expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("error looking up token: %w", err)
	}
	for _, r := range roles {
		u.Roles = append(u.Roles, domain.Role(r))
	}
	return t, nil
}

// primaryRole is the role an actor's audit event records when the act
// needs no particular role (admin tasks, system steps).
func primaryRole(a domain.Actor) string {
	for _, r := range []domain.Role{domain.RoleSystem, domain.RoleAdmin} {
		if a.Has(r) {
			return string(r)
		}
	}
	if len(a.Roles) > 0 {
		return string(a.Roles[0])
	}
	return "cli"
}

// SetAccess changes a person's roles and departments, by whoever manages
// them and may grant those roles, and audits the change. Their sessions
// see it at their next request; the auth cache is cleared by the table's
// trigger.
func (s *Store) SetAccess(ctx context.Context, by domain.Actor, userID int64, roles []domain.Role, deps []int64) error {
	if deps == nil {
		deps = []int64{}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		target, err := lockPerson(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := domain.CanManagePerson(by, target); err != nil {
			return hideForeign(err)
		}
		if err := domain.CanGrant(by, target.AgencyID, roles); err != nil {
			return err
		}
		if len(roles) == 0 {
			return &domain.Refusal{Rule: domain.RuleRole, Message: "a person needs at least one role; disable the account instead"}
		}
		var own int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM departments WHERE id = ANY($1) AND agency_id = $2`, deps, target.AgencyID).Scan(&own); err != nil {
			return fmt.Errorf("error checking departments: %w", err)
		}
		if own != len(deps) {
			return fmt.Errorf("departments %v: %w", deps, ErrForeignDepartment)
		}
		rs := make([]string, len(roles))
		for i, r := range roles {
			rs[i] = string(r)
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET roles = $2, departments = $3 WHERE id = $1`, userID, rs, deps); err != nil {
			return fmt.Errorf("error changing a person's access: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(target.AgencyID, by, "user_access",
			fmt.Sprintf("%s 角色 %v→%v 科室 %v→%v", target.Name, target.Roles, roles, target.Departments, deps)))
	})
}

// RenameDepartment renames one of the admin's agency's departments and
// audits it. Drafts keep the department by its number; the text of their
// revisions keeps the name they were written with.
func (s *Store) RenameDepartment(ctx context.Context, by domain.Actor, id int64, name string) error {
	if err := domain.CanManage(by, by.AgencyID); err != nil {
		return err
	}
	if err := domain.ValidName(name); err != nil {
		return err
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		var old string
		err := tx.QueryRow(ctx, `SELECT name FROM departments WHERE id = $1 AND agency_id = $2 FOR UPDATE`, id, by.AgencyID).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("error loading department %d: %w", id, err)
		}
		_, err = tx.Exec(ctx, `UPDATE departments SET name = $2 WHERE id = $1`, id, name)
		if uniqueViolation(err) {
			return fmt.Errorf("department %q: %w", name, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("error renaming department: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "department_rename", old+" → "+name))
	})
}
