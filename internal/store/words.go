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

// WordList is one version of the sensitive-word list.
type WordList struct {
	Version   int       `json:"version"`
	Words     []string  `json:"words"`
	CreatedAt time.Time `json:"created_at"`
}

// CurrentWordList returns the newest list, or version 0 and no words.
func (s *Store) CurrentWordList(ctx context.Context) (WordList, error) {
	var l WordList
	err := s.Pool.QueryRow(ctx, `SELECT version, words, created_at FROM word_lists ORDER BY version DESC LIMIT 1`).
		Scan(&l.Version, &l.Words, &l.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return WordList{Words: []string{}}, nil
	}
	if err != nil {
		return l, fmt.Errorf("error loading word list: %w", err)
	}
	return l, nil
}

// SetWordList stores a new version of the list and audits the change.
func (s *Store) SetWordList(ctx context.Context, by domain.Actor, ws []string) (WordList, error) {
	l := WordList{Words: ws}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO word_lists (words, created_by) VALUES ($1, NULLIF($2, 0::bigint)) RETURNING version, created_at`,
			ws, by.ID).Scan(&l.Version, &l.CreatedAt); err != nil {
			return fmt.Errorf("error storing word list: %w", err)
		}
		return appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name,
			Role: primaryRole(by), Action: "wordlist_set", Comment: fmt.Sprintf("version %d, %d words", l.Version, len(ws))})
	})
	return l, err
}

// WordMatchers builds the confidentiality stage's matcher from the newest
// list, rebuilding only when a new version appears (checked at most every
// refresh), so a stage-3 step costs one cheap query at most.
type WordMatchers struct {
	Store   *Store
	Refresh time.Duration

	mu      sync.Mutex
	checked time.Time
	matcher *words.Matcher
}

// Matcher returns the matcher of the newest list.
func (w *WordMatchers) Matcher(ctx context.Context) (*words.Matcher, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.matcher != nil && time.Since(w.checked) < w.Refresh {
		return w.matcher, nil
	}
	var version int
	if err := w.Store.Pool.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM word_lists`).Scan(&version); err != nil {
		return nil, fmt.Errorf("error checking word list version: %w", err)
	}
	if w.matcher == nil || w.matcher.Version() != version {
		l, err := w.Store.CurrentWordList(ctx)
		if err != nil {
			return nil, err
		}
		w.matcher = words.NewMatcher(l.Words, l.Version)
	}
	w.checked = time.Now()
	return w.matcher, nil
}
