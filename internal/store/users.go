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

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Department is an office unit; drafts and department heads belong to one.
type Department struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person who signs in.
type User struct {
	ID          int64         `json:"id"`
	Name        string        `json:"name"`
	Roles       []domain.Role `json:"roles"`
	Departments []int64       `json:"departments"`
	Disabled    bool          `json:"disabled"`
}

// Actor is the user as the rules see them.
func (u User) Actor() domain.Actor {
	return domain.Actor{ID: u.ID, Name: u.Name, Roles: u.Roles, Departments: u.Departments}
}

// SystemActor is the machine: workers, relay and publisher.
var SystemActor = domain.Actor{Name: "sanshen", Roles: []domain.Role{domain.RoleSystem}}

// ErrExists is returned when a name is already taken.
var ErrExists = errors.New("already exists")

// AddDepartment creates a department and audits it.
func (s *Store) AddDepartment(ctx context.Context, by domain.Actor, name string) (Department, error) {
	var d Department
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO departments (name) VALUES ($1) RETURNING id, name, created_at`, name).
			Scan(&d.ID, &d.Name, &d.CreatedAt)
		if uniqueViolation(err) {
			return fmt.Errorf("department %q: %w", name, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("error adding department: %w", err)
		}
		return appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name,
			Role: primaryRole(by), Action: "department_add", Comment: name})
	})
	return d, err
}

// Departments lists every department by name.
func (s *Store) Departments(ctx context.Context) ([]Department, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id, name, created_at FROM departments ORDER BY name`)
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Department, error) {
		var d Department
		return d, r.Scan(&d.ID, &d.Name, &d.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing departments: %w", err)
	}
	return ds, nil
}

// DepartmentByName finds a department, from the auth cache when it has it.
func (s *Store) DepartmentByName(ctx context.Context, name string) (Department, error) {
	c := s.authCacheOf()
	key := "department:" + name
	v, gen, ok := c.get(key)
	if ok {
		return v.(Department), nil
	}
	d, err := s.departmentByName(ctx, name)
	if err == nil {
		c.put(gen, key, d)
	}
	return d, err
}

func (s *Store) departmentByName(ctx context.Context, name string) (Department, error) {
	var d Department
	err := s.Pool.QueryRow(ctx, `SELECT id, name, created_at FROM departments WHERE name = $1`, name).Scan(&d.ID, &d.Name, &d.CreatedAt)
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
	Name         string
	Roles        []domain.Role
	Departments  []int64
	PasswordHash string // empty: API token only
}

// AddUser creates a user with a fresh API token, returned once in clear.
func (s *Store) AddUser(ctx context.Context, by domain.Actor, nu NewUser) (User, string, error) {
	u := User{Name: nu.Name, Roles: nu.Roles, Departments: nu.Departments}
	if u.Departments == nil {
		u.Departments = []int64{}
	}
	token, hash, err := newToken()
	if err != nil {
		return u, "", err
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		roles := make([]string, len(nu.Roles))
		for i, r := range nu.Roles {
			roles[i] = string(r)
		}
		err := tx.QueryRow(ctx, `INSERT INTO users (name, roles, departments, password_hash) VALUES ($1, $2, $3, NULLIF($4, '')) RETURNING id`,
			nu.Name, roles, u.Departments, nu.PasswordHash).Scan(&u.ID)
		if uniqueViolation(err) {
			return fmt.Errorf("user %q: %w", nu.Name, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("error adding user: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (token_sha256, user_id) VALUES ($1, $2)`, hash, u.ID); err != nil {
			return fmt.Errorf("error storing token: %w", err)
		}
		return appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name,
			Role: primaryRole(by), Action: "user_add", Comment: fmt.Sprintf("%s roles=%v departments=%v", nu.Name, nu.Roles, u.Departments)})
	})
	return u, token, err
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

// UserByToken finds the active user an API token belongs to, from the auth
// cache when it has it. An unknown token is never cached: a new one works at once.
func (s *Store) UserByToken(ctx context.Context, token string) (User, error) {
	c := s.authCacheOf()
	hash := TokenHash(token)
	key := "token:" + string(hash)
	v, gen, ok := c.get(key)
	if ok {
		return v.(User).clone(), nil
	}
	u, err := s.userByToken(ctx, hash)
	if err == nil {
		c.put(gen, key, u.clone())
	}
	return u, err
}

func (s *Store) userByToken(ctx context.Context, hash []byte) (User, error) {
	var u User
	var roles []string
	err := s.Pool.QueryRow(ctx, `SELECT u.id, u.name, u.roles, u.departments FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND NOT u.disabled`, hash).
		Scan(&u.ID, &u.Name, &roles, &u.Departments)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("error looking up token: %w", err)
	}
	for _, r := range roles {
		u.Roles = append(u.Roles, domain.Role(r))
	}
	return u, nil
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
