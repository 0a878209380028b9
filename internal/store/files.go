package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// File is an uploaded file as the database knows it: its bytes live in the
// blob store under SHA256, and the row keeps what was learned at upload.
type File struct {
	SHA256       string    `json:"sha256"`
	MediaType    string    `json:"media_type"`
	Kind         string    `json:"kind"`
	Size         int64     `json:"size"`
	Width        int       `json:"width,omitempty"`
	Height       int       `json:"height,omitempty"`
	DurationMS   int64     `json:"duration_ms,omitempty"`
	Stripped     []string  `json:"stripped"`
	TextReadable bool      `json:"text_readable"`
	Text         string    `json:"-"`
	AgencyID     int64     `json:"-"`
	UploadedBy   int64     `json:"-"`
	UploadedAt   time.Time `json:"uploaded_at"`
}

const fileColumns = `sha256, media_type, kind, size, width, height, duration_ms, stripped, text_readable, text, agency_id, uploaded_by, uploaded_at`

func scanFile(row pgx.Row) (File, error) {
	var f File
	err := row.Scan(&f.SHA256, &f.MediaType, &f.Kind, &f.Size, &f.Width, &f.Height, &f.DurationMS, &f.Stripped, &f.TextReadable,
		&f.Text, &f.AgencyID, &f.UploadedBy, &f.UploadedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, ErrNotFound
	}
	return f, err
}

// AddFile records an uploaded file, whose bytes the blob store already
// holds. A file uploaded before (the same SHA-256) keeps its first row:
// the bytes are the same, and so is everything learned from them.
func (s *Store) AddFile(ctx context.Context, f File) (File, error) {
	if f.Stripped == nil {
		f.Stripped = []string{}
	}
	got, err := scanFile(s.Pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO files (sha256, media_type, kind, size, width, height, duration_ms, stripped, text_readable, text, agency_id, uploaded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (sha256) DO NOTHING
			RETURNING `+fileColumns+`)
		SELECT `+fileColumns+` FROM ins UNION ALL SELECT `+fileColumns+` FROM files WHERE sha256 = $1 LIMIT 1`,
		f.SHA256, f.MediaType, f.Kind, f.Size, f.Width, f.Height, f.DurationMS, f.Stripped, f.TextReadable, f.Text, f.AgencyID, f.UploadedBy))
	if err != nil {
		return f, fmt.Errorf("error recording file %s: %w", f.SHA256, err)
	}
	if got.AgencyID != f.AgencyID {
		if _, err := s.Pool.Exec(ctx, `INSERT INTO file_uploads (sha256, agency_id, uploaded_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			f.SHA256, f.AgencyID, f.UploadedBy); err != nil {
			return f, fmt.Errorf("error recording file %s: %w", f.SHA256, err)
		}
	}
	return got, nil
}

// File loads an uploaded file's row.
func (s *Store) File(ctx context.Context, sum string) (File, error) {
	f, err := scanFile(s.Pool.QueryRow(ctx, `SELECT `+fileColumns+` FROM files WHERE sha256 = $1`, sum))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return f, fmt.Errorf("error loading file %s: %w", sum, err)
	}
	return f, err
}

// AgencyFile loads a file an agency's people may read: uploaded in the
// agency, or attached to one of its drafts. (A file is stored once for
// every agency: another agency that uploads the same bytes reads it too.)
func (s *Store) AgencyFile(ctx context.Context, sum string, agencyID int64) (File, error) {
	f, err := scanFile(s.Pool.QueryRow(ctx, `SELECT `+fileColumns+` FROM files f WHERE sha256 = $1 AND (agency_id = $2
		OR EXISTS (SELECT 1 FROM revision_attachments ra JOIN drafts d ON d.id = ra.draft_id WHERE ra.sha256 = f.sha256 AND d.agency_id = $2)
		OR EXISTS (SELECT 1 FROM file_uploads u WHERE u.sha256 = f.sha256 AND u.agency_id = $2))`, sum, agencyID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return f, fmt.Errorf("error loading file %s: %w", sum, err)
	}
	return f, err
}

// Files loads the rows of the given files, by SHA-256; missing ones are
// absent from the map.
func (s *Store) Files(ctx context.Context, sums []string) (map[string]File, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT `+fileColumns+` FROM files WHERE sha256 = ANY($1)`, sums)
	out := map[string]File{}
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("error loading files: %w", err)
		}
		out[f.SHA256] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error loading files: %w", err)
	}
	return out, nil
}

// Attach fills each attachment's facts from its file's row: what the
// officer sends is a name, a SHA-256 and a role; the rest was learned at
// upload. A file never uploaded is ErrNotFound, naming it.
func (s *Store) Attach(ctx context.Context, as []domain.Attachment) ([]domain.Attachment, error) {
	if len(as) == 0 {
		return nil, nil
	}
	sums := make([]string, len(as))
	for i, a := range as {
		sums[i] = a.SHA256
	}
	files, err := s.Files(ctx, sums)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Attachment, len(as))
	for i, a := range as {
		f, ok := files[a.SHA256]
		if !ok {
			return nil, fmt.Errorf("attachment %q: no file %s was uploaded: %w", a.Name, a.SHA256, ErrNotFound)
		}
		out[i] = withFile(a, f)
	}
	return out, nil
}

func withFile(a domain.Attachment, f File) domain.Attachment {
	a.Kind, a.MediaType, a.Size, a.Width, a.Height, a.DurationMS = f.Kind, f.MediaType, f.Size, f.Width, f.Height, f.DurationMS
	a.Stripped, a.TextReadable, a.Text = f.Stripped, f.TextReadable, f.Text
	return a
}

// attachmentsColumn is the current revision's attachments of the draft d
// (revision r) as JSON, with their files' facts (and, withText, the
// documents' text for the checks); NULL when it has none.
func attachmentsColumn(withText bool) string {
	if !withText {
		return `r.manifest`
	}
	return manifestQuery(`f.text`)
}

// manifestQuery aggregates a revision's (r's) attachments with their
// files' facts as JSON, text being the documents' text (or empty). Reads take
// it from revisions.manifest, where queueAttachments stores it (without
// the text) when the revision is written: a revision and its files never
// change, so the join and the aggregation happen once, not at every lock.
func manifestQuery(text string) string {
	return `(SELECT json_agg(json_build_object('name', ra.name, 'sha256', ra.sha256, 'role', ra.role, 'kind', f.kind, 'media_type', f.media_type,
			'size', f.size, 'width', f.width, 'height', f.height, 'duration_ms', f.duration_ms, 'stripped', f.stripped,
			'text_readable', f.text_readable, 'text', ` + text + `) ORDER BY ra.position)
		FROM revision_attachments ra JOIN files f ON f.sha256 = ra.sha256 WHERE ra.draft_id = r.draft_id AND ra.revision = r.revision)`
}

// attachmentRow is one element of attachmentsColumn.
type attachmentRow struct {
	domain.Attachment
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// decodeAttachments reads attachmentsColumn.
func decodeAttachments(raw []byte) ([]domain.Attachment, error) {
	if raw == nil {
		return nil, nil
	}
	var rows []attachmentRow
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("error reading attachments: %w", err)
	}
	out := make([]domain.Attachment, len(rows))
	for i, r := range rows {
		out[i] = r.Attachment
		out[i].Kind, out[i].Text = r.Kind, r.Text
		if out[i].Stripped == nil {
			out[i].Stripped = []string{}
		}
	}
	return out, nil
}

// queueAttachments adds the statement that stores revisions' attachment
// manifests, when there are any: one row per file.
func queueAttachments(b *pgx.Batch, ids []int64, revs []int32, cs []domain.Content) {
	var d []int64
	var r, pos []int32
	var name, sum, role []string
	for i, c := range cs {
		for k, a := range c.Attachments {
			d, r, pos = append(d, ids[i]), append(r, revs[i]), append(pos, int32(k))
			name, sum, role = append(name, a.Name), append(sum, a.SHA256), append(role, string(a.Role))
		}
	}
	if len(d) == 0 {
		return
	}
	b.Queue(`INSERT INTO revision_attachments (draft_id, revision, position, name, sha256, role)
		SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[])`, d, r, pos, name, sum, role)
	b.Queue(`UPDATE revisions r SET manifest = `+manifestQuery(`''`)+`
		FROM (SELECT DISTINCT * FROM unnest($1::bigint[], $2::int[])) AS x(d, v) WHERE r.draft_id = x.d AND r.revision = x.v`, d, r)
}

// PublicFile is a file as the public may fetch it: attached under name to
// the revision a published item shows, or one being published (approved by
// all three stages: the portal fetches its files while sanshen pushes it).
// Anything else is ErrNotFound.
func (s *Store) PublicFile(ctx context.Context, sum, name string) (File, error) {
	f, err := scanFile(s.Pool.QueryRow(ctx, `SELECT `+fileColumns+` FROM files WHERE sha256 = $1 AND EXISTS (
			SELECT 1 FROM revision_attachments ra JOIN drafts d ON d.id = ra.draft_id AND d.revision = ra.revision
			WHERE ra.sha256 = $1 AND ra.name = $2 AND d.state IN ('publishing', 'published'))`, sum, name))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return f, fmt.Errorf("error loading file %s: %w", sum, err)
	}
	return f, err
}
