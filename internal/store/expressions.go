package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/checks/expressions"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// The kinds of authoritative-expression lists.
const (
	KindOrgan  = "organ"
	KindLeader = "leader"
)

// ExpressionList is one version of an organ or leader list: the platform's
// (PlatformList) or an agency's additions.
type ExpressionList struct {
	Kind      string               `json:"kind"`
	Version   int                  `json:"version"`
	Organs    []expressions.Organ  `json:"organs,omitempty"`
	Leaders   []expressions.Leader `json:"leaders,omitempty"`
	CreatedAt time.Time            `json:"created_at"`
}

// CurrentExpressions returns the newest version of a list (agencyID, or
// PlatformList), or version 0 and no entries.
func (s *Store) CurrentExpressions(ctx context.Context, kind string, agencyID int64) (ExpressionList, error) {
	l := ExpressionList{Kind: kind}
	var raw []byte
	err := s.Pool.QueryRow(ctx, `SELECT number, entries, created_at FROM expression_lists
		WHERE kind = $1 AND COALESCE(agency_id, 0) = $2 ORDER BY number DESC LIMIT 1`, kind, agencyID).Scan(&l.Version, &raw, &l.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("error loading the %s list: %w", kind, err)
	}
	target := any(&l.Organs)
	if kind == KindLeader {
		target = &l.Leaders
	}
	if err := json.Unmarshal(raw, target); err != nil {
		return l, fmt.Errorf("error reading the %s list: %w", kind, err)
	}
	return l, nil
}

// ErrInvalidEntry means an entry of an expression list lacks a field or has
// a malformed date; errors.Is finds it in an InvalidEntry.
var ErrInvalidEntry = errors.New("invalid entry")

// InvalidEntry says what is wrong with an entry, in the admins' words.
type InvalidEntry struct{ Problem error }

func (e InvalidEntry) Error() string        { return e.Problem.Error() }
func (e InvalidEntry) Is(target error) bool { return target == ErrInvalidEntry }

// SetOrgans stores a new version of an organ list: the platform's by a
// platform admin, an agency's additions by its admin. Each entry keeps who
// added it; a new one is the saver's.
func (s *Store) SetOrgans(ctx context.Context, by domain.Actor, agencyID int64, organs []expressions.Organ) (ExpressionList, error) {
	for _, o := range organs {
		if err := o.Validate(); err != nil {
			return ExpressionList{}, InvalidEntry{err}
		}
	}
	return s.setExpressions(ctx, by, KindOrgan, agencyID, func(prev ExpressionList) any {
		known := map[[3]string]string{}
		for _, o := range prev.Organs {
			known[[3]string{o.Old, o.Place, o.From}] = o.AddedBy
		}
		for i := range organs {
			if who, ok := known[[3]string{organs[i].Old, organs[i].Place, organs[i].From}]; ok && who != "" {
				organs[i].AddedBy = who
			} else {
				organs[i].AddedBy = by.Name
			}
		}
		return organs
	})
}

// SetLeaders stores a new version of a leader list, as SetOrgans does.
func (s *Store) SetLeaders(ctx context.Context, by domain.Actor, agencyID int64, leaders []expressions.Leader) (ExpressionList, error) {
	for _, l := range leaders {
		if err := l.Validate(); err != nil {
			return ExpressionList{}, InvalidEntry{err}
		}
	}
	return s.setExpressions(ctx, by, KindLeader, agencyID, func(prev ExpressionList) any {
		known := map[[2]string]string{}
		for _, l := range prev.Leaders {
			known[[2]string{l.Name, l.Title}] = l.AddedBy
		}
		for i := range leaders {
			if who, ok := known[[2]string{leaders[i].Name, leaders[i].Title}]; ok && who != "" {
				leaders[i].AddedBy = who
			} else {
				leaders[i].AddedBy = by.Name
			}
		}
		return leaders
	})
}

// setExpressions writes a list's next version, with entries made from the
// previous one, and audits it, as SetWordList does.
func (s *Store) setExpressions(ctx context.Context, by domain.Actor, kind string, agencyID int64, entries func(prev ExpressionList) any) (ExpressionList, error) {
	check := domain.CanManage(by, agencyID)
	ev := agencyEvent(agencyID, by, kind+"_list_set", "")
	if agencyID == PlatformList {
		check = domain.CanManagePlatform(by)
		ev = &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name, Role: primaryRole(by), Action: kind + "_list_set"}
	}
	if check != nil {
		return ExpressionList{}, check
	}
	var l ExpressionList
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7260015, $1::int)`, agencyID); err != nil {
			return fmt.Errorf("error locking the %s list: %w", kind, err)
		}
		prev, err := s.CurrentExpressions(ctx, kind, agencyID)
		if err != nil {
			return err
		}
		list := entries(prev)
		raw, err := json.Marshal(list)
		if err != nil {
			return err
		}
		l = ExpressionList{Kind: kind}
		switch es := list.(type) {
		case []expressions.Organ:
			l.Organs = es
		case []expressions.Leader:
			l.Leaders = es
		}
		if err := tx.QueryRow(ctx, `INSERT INTO expression_lists (kind, agency_id, number, entries, created_by)
			SELECT $1, NULLIF($2, 0::bigint), COALESCE(max(number), 0) + 1, $3, NULLIF($4, 0::bigint)
			FROM expression_lists WHERE kind = $1 AND COALESCE(agency_id, 0) = $2
			RETURNING number, created_at`, kind, agencyID, raw, by.ID).Scan(&l.Version, &l.CreatedAt); err != nil {
			return fmt.Errorf("error storing the %s list: %w", kind, err)
		}
		ev.Comment = fmt.Sprintf("第%d版，%d条", l.Version, len(l.Organs)+len(l.Leaders))
		return appendEvent(ctx, tx, ev)
	})
	return l, err
}

// SetLocality records where an agency is (北京市东城区), by a platform admin
// or the agency's admin: it picks the dates of the organ names.
func (s *Store) SetLocality(ctx context.Context, by domain.Actor, agencyID int64, locality string) error {
	if domain.CanManagePlatform(by) != nil {
		if err := domain.CanManage(by, agencyID); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		ct, err := tx.Exec(ctx, `UPDATE agencies SET locality = $2 WHERE id = $1`, agencyID, locality)
		if err != nil {
			return fmt.Errorf("error setting the locality: %w", err)
		}
		if ct.RowsAffected() == 0 {
			return fmt.Errorf("agency %d: %w", agencyID, ErrNotFound)
		}
		return appendEvent(ctx, tx, agencyEvent(agencyID, by, "agency_locality", locality))
	})
}

// Expressions gives the checks each agency's expression tables: the shipped
// organ names, the platform's lists and the agency's additions, with its
// locality, reread at most every Refresh.
type Expressions struct {
	Store   *Store
	Refresh time.Duration

	mu     sync.Mutex
	tables map[int64]cachedTables
}

type cachedTables struct {
	at     time.Time
	tables expressions.Tables
}

// Tables returns agencyID's tables.
func (e *Expressions) Tables(ctx context.Context, agencyID int64) (expressions.Tables, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.tables[agencyID]; ok && time.Since(c.at) < e.Refresh {
		return c.tables, nil
	}
	t := expressions.Tables{Organs: expressions.ShippedOrgans()}
	for _, list := range []int64{PlatformList, agencyID} {
		o, err := e.Store.CurrentExpressions(ctx, KindOrgan, list)
		if err != nil {
			return t, err
		}
		l, err := e.Store.CurrentExpressions(ctx, KindLeader, list)
		if err != nil {
			return t, err
		}
		t.Organs, t.Leaders = append(t.Organs, o.Organs...), append(t.Leaders, l.Leaders...)
	}
	if err := e.Store.Pool.QueryRow(ctx, `SELECT locality FROM agencies WHERE id = $1`, agencyID).Scan(&t.Locality); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("error reading the agency's locality: %w", err)
	}
	if e.tables == nil {
		e.tables = map[int64]cachedTables{}
	}
	e.tables[agencyID] = cachedTables{at: time.Now(), tables: t}
	return t, nil
}
