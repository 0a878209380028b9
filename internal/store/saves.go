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

// KeptFormTTL is how long a form posted after its session expired is kept
// for its person to sign in again and find it back.
const KeptFormTTL = 24 * time.Hour

// KeptForm is a staff page's form posted after its person's session had
// expired (migration 036): kept, never applied, until it is put back into
// the form on its page after signing in again.
type KeptForm struct {
	Key       string
	Action    string     // the address the form posted to
	Page      string     // the page the form was on
	Fields    url.Values // what was typed, without its secrets
	CreatedAt time.Time
}

// KeepForm keeps a form for the person userID, replacing what was kept
// under its key; copies older than KeptFormTTL, anyone's, go.
func (s *Store) KeepForm(ctx context.Context, userID int64, f KeptForm) error {
	size := len(f.Action) + len(f.Page)
	for k, vs := range f.Fields {
		for _, v := range vs {
			size += len(k) + len(v)
		}
	}
	if size > MaxSavedForm {
		return fmt.Errorf("a kept form holds at most %d bytes of text", MaxSavedForm)
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM kept_forms WHERE created_at < now() - make_interval(secs => $1)`, KeptFormTTL.Seconds())
	b.Queue(`INSERT INTO kept_forms (user_id, form_key, action, page, form) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, form_key) DO UPDATE SET action = EXCLUDED.action, page = EXCLUDED.page, form = EXCLUDED.form,
			created_at = now()`, userID, f.Key, f.Action, f.Page, f.Fields)
	if err := s.Pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("error keeping a form: %w", err)
	}
	return nil
}

// TakeKeptForm is the form kept for userID under key, deleted as it is
// read: it is put back once (ErrNotFound: none, or one older than
// KeptFormTTL).
func (s *Store) TakeKeptForm(ctx context.Context, userID int64, key string) (KeptForm, error) {
	f := KeptForm{Key: key}
	var fresh bool
	err := s.Pool.QueryRow(ctx, `DELETE FROM kept_forms WHERE user_id = $1 AND form_key = $2
		RETURNING action, page, form, created_at, created_at >= now() - make_interval(secs => $3)`,
		userID, key, KeptFormTTL.Seconds()).Scan(&f.Action, &f.Page, &f.Fields, &f.CreatedAt, &fresh)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !fresh {
		return f, ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("error reading a kept form: %w", err)
	}
	return f, nil
}
