package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// MaxSavedForm bounds the text of one saved form (its fields' values).
const MaxSavedForm = 1 << 20

// SavedForm is a draft form's content kept before submission (暂存,
// autosave; migration 029): its author's alone.
type SavedForm struct {
	Key       string     `json:"form_key"`
	DraftID   int64      `json:"draft_id,omitempty"` // the draft its form revises (0: a new draft)
	Title     string     `json:"title"`
	Fields    url.Values `json:"fields"`
	Expired   bool       `json:"expired"` // saved when the session had expired
	UpdatedAt time.Time  `json:"updated_at"`
}

// SaveForm keeps the author's form under its key, replacing what was kept.
func (s *Store) SaveForm(ctx context.Context, authorID int64, f SavedForm) error {
	size := 0
	for k, vs := range f.Fields {
		for _, v := range vs {
			size += len(k) + len(v)
		}
	}
	if size > MaxSavedForm {
		return fmt.Errorf("a saved form holds at most %d bytes of text", MaxSavedForm)
	}
	var draft *int64
	if f.DraftID > 0 {
		draft = &f.DraftID
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO draft_saves (author_id, form_key, draft_id, title, form, expired)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (author_id, form_key) DO UPDATE SET draft_id = EXCLUDED.draft_id, title = EXCLUDED.title,
			form = EXCLUDED.form, expired = EXCLUDED.expired, updated_at = now()`,
		authorID, f.Key, draft, f.Title, f.Fields, f.Expired)
	if err != nil {
		return fmt.Errorf("error saving the form: %w", err)
	}
	return nil
}

// SavedForm is the author's form kept under key (ErrNotFound: none).
func (s *Store) SavedForm(ctx context.Context, authorID int64, key string) (SavedForm, error) {
	f := SavedForm{Key: key}
	var draft *int64
	err := s.Pool.QueryRow(ctx, `SELECT draft_id, title, form, expired, updated_at FROM draft_saves WHERE author_id = $1 AND form_key = $2`,
		authorID, key).Scan(&draft, &f.Title, &f.Fields, &f.Expired, &f.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("error reading a saved form: %w", err)
	}
	if draft != nil {
		f.DraftID = *draft
	}
	return f, nil
}

// SavedForms lists the author's kept forms, the latest first.
func (s *Store) SavedForms(ctx context.Context, authorID int64) ([]SavedForm, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT form_key, COALESCE(draft_id, 0), title, expired, updated_at FROM draft_saves
		WHERE author_id = $1 ORDER BY updated_at DESC LIMIT 100`, authorID)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SavedForm, error) {
		var f SavedForm
		return f, r.Scan(&f.Key, &f.DraftID, &f.Title, &f.Expired, &f.UpdatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing saved forms: %w", err)
	}
	return out, nil
}

// DiscardForm forgets the author's form kept under key: it was submitted,
// or its author threw it away.
func (s *Store) DiscardForm(ctx context.Context, authorID int64, key string) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM draft_saves WHERE author_id = $1 AND form_key = $2`, authorID, key); err != nil {
		return fmt.Errorf("error discarding a saved form: %w", err)
	}
	return nil
}
