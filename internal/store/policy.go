package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// policyColumn reads the agency's policy alongside a draft: the stages at
// which it requires a person (domain.Policy.People).
// The query names the draft d.
const policyColumn = `(SELECT person_stages FROM agencies WHERE id = d.agency_id)`

func policyOf(people []string) domain.Policy {
	var p domain.Policy
	for _, s := range people {
		p.People = append(p.People, domain.Stage(s))
	}
	return p
}

// Policy reads an agency's policy, from the auth cache when it has it
// (every change to agencies is announced on AuthChannel, like a user's).
func (s *Store) Policy(ctx context.Context, agencyID int64) (domain.Policy, error) {
	c := s.authCacheOf()
	key := fmt.Sprintf("policy:%d", agencyID)
	v, gen, ok := c.get(key)
	if ok {
		p := v.(domain.Policy)
		p.People = slices.Clone(p.People) // the cached one stays as read
		return p, nil
	}
	var people []string
	err := s.Pool.QueryRow(ctx, `SELECT person_stages FROM agencies WHERE id = $1`, agencyID).Scan(&people)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Policy{}, fmt.Errorf("agency %d: %w", agencyID, ErrNotFound)
	}
	if err != nil {
		return domain.Policy{}, fmt.Errorf("error reading the policy: %w", err)
	}
	p := policyOf(people)
	c.put(gen, key, p)
	return p, nil
}

// SetPolicy changes the policy of the admin's own agency, audited in its
// chain. A stage may be named only where StageTable lets an agency require
// a person (domain.OptionalPeople). Drafts already waiting for a person
// stay in that person's queue when the requirement is lifted.
func (s *Store) SetPolicy(ctx context.Context, by domain.Actor, p domain.Policy) error {
	if err := domain.CanManage(by, by.AgencyID); err != nil {
		return err
	}
	people := []string{}
	for _, st := range p.People {
		if !slices.Contains(domain.OptionalPeople(), st) {
			return &domain.Refusal{Rule: domain.RuleInvalidPolicy, Message: fmt.Sprintf("stage %q cannot be given a person by policy", st)}
		}
		if !slices.Contains(people, string(st)) {
			people = append(people, string(st))
		}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE agencies SET person_stages = $2 WHERE id = $1`, by.AgencyID, people); err != nil {
			return fmt.Errorf("error setting the policy: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "policy_set", "person_stages="+strings.Join(people, ",")))
	})
}
