package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/checks/words"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// WordList is one version of a sensitive-word list: the platform's, which
// every agency's drafts are checked against, or an agency's additions.
type WordList struct {
	Version   int       `json:"version"`
	Words     []string  `json:"words"`
	CreatedAt time.Time `json:"created_at"`
}

// PlatformList names the platform-wide list where an agency id is asked for.
const PlatformList int64 = 0

// CurrentWordList returns the newest version of a list (agencyID, or
// PlatformList), or version 0 and no words.
func (s *Store) CurrentWordList(ctx context.Context, agencyID int64) (WordList, error) {
	var l WordList
	err := s.Pool.QueryRow(ctx, `SELECT number, words, created_at FROM word_lists
		WHERE COALESCE(agency_id, 0) = $1 ORDER BY number DESC LIMIT 1`, agencyID).Scan(&l.Version, &l.Words, &l.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return WordList{Words: []string{}}, nil
	}
	if err != nil {
		return l, fmt.Errorf("error loading word list: %w", err)
	}
	return l, nil
}

// SetWordList stores a new version of a list and audits the change: the
// platform's by a platform admin, an agency's additions by its admin.
func (s *Store) SetWordList(ctx context.Context, by domain.Actor, agencyID int64, ws []string) (WordList, error) {
	l := WordList{Words: ws}
	check := domain.CanManage(by, agencyID)
	ev := agencyEvent(agencyID, by, "wordlist_set", "")
	if agencyID == PlatformList {
		check = domain.CanManagePlatform(by)
		ev = &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name, Role: primaryRole(by), Action: "wordlist_set"}
	}
	if check != nil {
		return l, check
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// One writer per list at a time: its versions are numbered 1, 2, ...
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7260014, $1::int)`, agencyID); err != nil {
			return fmt.Errorf("error locking the word list: %w", err)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO word_lists (agency_id, number, words, created_by)
			SELECT NULLIF($1, 0::bigint), COALESCE(max(number), 0) + 1, $2, NULLIF($3, 0::bigint)
			FROM word_lists WHERE COALESCE(agency_id, 0) = $1
			RETURNING number, created_at`, agencyID, ws, by.ID).Scan(&l.Version, &l.CreatedAt); err != nil {
			return fmt.Errorf("error storing word list: %w", err)
		}
		ev.Comment = fmt.Sprintf("第%d版，%d个词", l.Version, len(ws))
		return appendEvent(ctx, tx, ev)
	})
	return l, err
}

// WordMatchers builds the confidentiality stage's matchers: the platform's
// list and each agency's additions, rebuilding a list only when a new
// version of it appears (checked at most every Refresh), so a stage-3 step
// costs one cheap query at most.
type WordMatchers struct {
	Store   *Store
	Refresh time.Duration

	mu       sync.Mutex
	checked  time.Time
	newest   map[int64]int // list -> newest version, as last checked
	matchers map[int64]*words.Matcher
}

// Matchers returns the matchers of the platform's list and agencyID's
// additions, leaving out a list with no version yet.
func (w *WordMatchers) Matchers(ctx context.Context, agencyID int64) ([]*words.Matcher, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.newest == nil || time.Since(w.checked) >= w.Refresh {
		rows, _ := w.Store.Pool.Query(ctx, `SELECT COALESCE(agency_id, 0), max(number) FROM word_lists GROUP BY 1`)
		newest := map[int64]int{}
		var list int64
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&list, &n}, func() error { newest[list] = n; return nil }); err != nil {
			return nil, fmt.Errorf("error checking word list versions: %w", err)
		}
		w.newest, w.checked = newest, time.Now()
	}
	if w.matchers == nil {
		w.matchers = map[int64]*words.Matcher{}
	}
	var out []*words.Matcher
	for _, list := range []int64{PlatformList, agencyID} {
		v := w.newest[list]
		if v == 0 {
			continue
		}
		m := w.matchers[list]
		if m == nil || m.Version() != v {
			l, err := w.Store.CurrentWordList(ctx, list)
			if err != nil {
				return nil, err
			}
			scope := words.ScopeAgency
			if list == PlatformList {
				scope = words.ScopePlatform
			}
			m = words.NewMatcher(l.Words, l.Version).InScope(scope)
			w.matchers[list] = m
		}
		out = append(out, m)
	}
	return out, nil
}

// WordListChange is one version of a list with what it changed from the
// version before it.
type WordListChange struct {
	WordList
	By      string   `json:"by"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// WordListHistory lists a list's last versions, the newest first, each with
// the words it added and removed.
func (s *Store) WordListHistory(ctx context.Context, agencyID int64, limit int) ([]WordListChange, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT l.number, l.words, l.created_at, COALESCE(u.name, '') FROM word_lists l
		LEFT JOIN users u ON u.id = l.created_by
		WHERE COALESCE(l.agency_id, 0) = $1 ORDER BY l.number DESC LIMIT $2`, agencyID, limit+1)
	vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WordListChange, error) {
		var c WordListChange
		return c, r.Scan(&c.Version, &c.Words, &c.CreatedAt, &c.By)
	})
	if err != nil {
		return nil, fmt.Errorf("error loading the word list's versions: %w", err)
	}
	for i := range vs {
		var before []string
		if i+1 < len(vs) {
			before = vs[i+1].Words
		}
		vs[i].Added, vs[i].Removed = setDiff(vs[i].Words, before), setDiff(before, vs[i].Words)
	}
	if len(vs) > limit {
		vs = vs[:limit] // the extra one was only the oldest shown's predecessor
	}
	return vs, nil
}

// setDiff is the words of a that b lacks, in a's order.
func setDiff(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, w := range b {
		in[w] = true
	}
	var out []string
	for _, w := range a {
		if !in[w] {
			out = append(out, w)
		}
	}
	return out
}
