package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// policyColumn reads the agency's policy alongside a draft: the stages at
// which it requires a person (domain.Policy.People).
const policyColumn = `(SELECT person_stages FROM policy WHERE id)`

func policyOf(people []string) domain.Policy {
	var p domain.Policy
	for _, s := range people {
		p.People = append(p.People, domain.Stage(s))
	}
	return p
}

// Policy reads the agency's policy, from the auth cache when it has it
// (every change is announced on AuthChannel, like a user's).
func (s *Store) Policy(ctx context.Context) (domain.Policy, error) {
	c := s.authCacheOf()
	v, gen, ok := c.get("policy")
	if ok {
		p := v.(domain.Policy)
		p.People = slices.Clone(p.People) // the cached one stays as read
		return p, nil
	}
	var people []string
	if err := s.Pool.QueryRow(ctx, `SELECT `+policyColumn).Scan(&people); err != nil {
		return domain.Policy{}, fmt.Errorf("error reading the policy: %w", err)
	}
	p := policyOf(people)
	c.put(gen, "policy", p)
	return p, nil
}

// SetPolicy changes the agency's policy, by an admin, audited in the system
// chain. A stage may be named only where StageTable lets an agency require
// a person (domain.OptionalPeople). Drafts already waiting for a person
// stay in that person's queue when the requirement is lifted.
func (s *Store) SetPolicy(ctx context.Context, by domain.Actor, p domain.Policy) error {
	if !by.Has(domain.RoleAdmin) {
		return &domain.Refusal{Rule: domain.RuleRole, Message: "changing the policy needs the admin role"}
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
		if _, err := tx.Exec(ctx, `UPDATE policy SET person_stages = $1, updated_at = now() WHERE id`, people); err != nil {
			return fmt.Errorf("error setting the policy: %w", err)
		}
		return appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name,
			Role: string(domain.RoleAdmin), Action: "policy_set", Comment: "person_stages=" + strings.Join(people, ",")})
	})
}
