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

// Agency is one 机关 of the installation: it owns its departments, people,
// drafts, review settings, word-list additions and public column.
type Agency struct {
	ID        int64     `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Locality  string    `json:"-"` // where it is (北京市东城区): it picks the dates of organ names
	CreatedAt time.Time `json:"created_at"`
}

// DefaultAgency is the agency every installation starts with (migration
// 010): what existed before agencies is its, and the old public URLs lead
// to its column.
const DefaultAgency int64 = 1

const agencyColumns = `id, slug, name, locality, created_at`

func scanAgency(r pgx.Row) (Agency, error) {
	var a Agency
	err := r.Scan(&a.ID, &a.Slug, &a.Name, &a.Locality, &a.CreatedAt)
	return a, err
}

// Agencies lists every agency, the default first, then by name.
func (s *Store) Agencies(ctx context.Context) ([]Agency, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT `+agencyColumns+` FROM agencies ORDER BY id <> 1, name`)
	as, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Agency, error) { return scanAgency(r) })
	if err != nil {
		return nil, fmt.Errorf("error listing agencies: %w", err)
	}
	return as, nil
}

// AgencyBySlug finds an agency by its public slug, from the auth cache
// when it has it (every change to agencies is announced).
func (s *Store) AgencyBySlug(ctx context.Context, slug string) (Agency, error) {
	return s.agencyBy(ctx, "agency:"+slug, `slug = $1`, slug)
}

// Agency finds an agency by id, from the auth cache when it has it.
func (s *Store) Agency(ctx context.Context, id int64) (Agency, error) {
	return s.agencyBy(ctx, fmt.Sprintf("agency#%d", id), `id = $1`, id)
}

func (s *Store) agencyBy(ctx context.Context, key, where string, arg any) (Agency, error) {
	c := s.authCacheOf()
	v, gen, ok := c.get(key)
	if ok {
		return v.(Agency), nil
	}
	a, err := scanAgency(s.Pool.QueryRow(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("agency %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("error finding agency: %w", err)
	}
	c.put(gen, key, a)
	return a, nil
}

// AddAgency creates an agency and its first admin, by a platform admin,
// in one transaction audited in the platform's chain and the new agency's.
// The slug must be domain.ValidSlug. It returns the admin's API token once.
func (s *Store) AddAgency(ctx context.Context, by domain.Actor, slug, name string, admin NewUser) (Agency, User, string, error) {
	var a Agency
	var u User
	var token string
	if err := domain.CanManagePlatform(by); err != nil {
		return a, u, "", err
	}
	if err := domain.ValidSlug(slug); err != nil {
		return a, u, "", err
	}
	if err := domain.ValidName(name); err != nil {
		return a, u, "", err
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = scanAgency(tx.QueryRow(ctx, `INSERT INTO agencies (slug, name) VALUES ($1, $2) RETURNING `+agencyColumns, slug, name))
		if uniqueViolation(err) {
			return fmt.Errorf("agency %q: %w", slug, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("error adding agency: %w", err)
		}
		if err := appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name,
			Role: string(domain.RolePlatformAdmin), Action: "agency_add", Comment: slug + " " + name}); err != nil {
			return err
		}
		admin.AgencyID, admin.Roles, admin.Departments = a.ID, []domain.Role{domain.RoleAdmin}, nil
		u, token, err = addUser(ctx, tx, by, admin, s.tokenTTL())
		return err
	})
	return a, u, token, err
}

// RenameAgency changes an agency's name (its slug, in every public link,
// stays), by a platform admin or the agency's admin.
func (s *Store) RenameAgency(ctx context.Context, by domain.Actor, id int64, name string) error {
	if domain.CanManagePlatform(by) != nil {
		if err := domain.CanManage(by, id); err != nil {
			return err
		}
	}
	if err := domain.ValidName(name); err != nil {
		return err
	}
	return s.tx(ctx, func(tx pgx.Tx) error { return renameAgency(ctx, tx, by, id, name) })
}

// renameAgency renames agency id in tx, audited; the caller checked who
// may and the name.
func renameAgency(ctx context.Context, tx pgx.Tx, by domain.Actor, id int64, name string) error {
	ct, err := tx.Exec(ctx, `UPDATE agencies SET name = $2 WHERE id = $1`, id, name)
	if err != nil {
		return fmt.Errorf("error renaming agency: %w", err)
	}
	if ct.RowsAffected() == 0 {
		return fmt.Errorf("agency %d: %w", id, ErrNotFound)
	}
	return appendEvent(ctx, tx, agencyEvent(id, by, "agency_rename", name))
}

// agencyEvent is an event of an agency's own chain: its people,
// departments, settings and word-list additions.
func agencyEvent(agency int64, by domain.Actor, action, comment string) *audit.Event {
	return &audit.Event{Chain: audit.AgencyChain(agency), AgencyID: agency, ActorID: by.ID, Actor: by.Name,
		Role: primaryRole(by), Action: action, Comment: comment}
}
