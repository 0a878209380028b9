package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// The internal archive (issue 20 point 5): everything an agency ever
// published, on any channel, as its staff browse it by year, month,
// department, category and topic. Unlike the public column (public_items,
// the website's items still up) it keeps the items published only on
// WeChat, Douyin or the portal, and those withdrawn since. The replies to
// applicants (their own channel) are not in it: they hold the applicants'
// personal data and belong to their cases.

// ArchiveQuery is a page of the archive: each filter applies when set.
type ArchiveQuery struct {
	AgencyID     int64
	Year, Month  int // of the first publication, in Beijing
	DepartmentID int64
	Category     string
	Topic        string
	Page, Size   int
}

// ArchiveItem is a published draft as the archive lists it: its
// published revision.
type ArchiveItem struct {
	ID          int64
	Title       string
	Department  string
	Category    string
	Channels    []domain.Channel
	Topics      []string
	PublishedAt time.Time
	State       domain.State // published, or withdrawn since
	IndexNo     string       // its 索引号 where it went to the website
}

// archiveCap bounds an archive page's count, as listCountCap bounds the
// column's.
const archiveCap = 10000

// Archive lists a page of the agency's published drafts, newest first,
// with how many match (capped at archiveCap: capped is then true).
func (s *Store) Archive(ctx context.Context, q ArchiveQuery) (items []ArchiveItem, total int64, capped bool, err error) {
	where := []string{"d.agency_id = $1", "d.published_at IS NOT NULL", "r.category <> '" + domain.CategoryApplicationReply + "'"}
	args := []any{q.AgencyID}
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.Year > 0 {
		from := time.Date(q.Year, 1, 1, 0, 0, 0, 0, domain.Beijing)
		to := from.AddDate(1, 0, 0)
		if q.Month >= 1 && q.Month <= 12 {
			from = time.Date(q.Year, time.Month(q.Month), 1, 0, 0, 0, 0, domain.Beijing)
			to = from.AddDate(0, 1, 0)
		}
		arg("d.published_at >= $%d", from)
		arg("d.published_at < $%d", to)
	}
	if q.DepartmentID != 0 {
		arg("d.department_id = $%d", q.DepartmentID)
	}
	if q.Category != "" {
		arg("r.category = $%d", q.Category)
	}
	if q.Topic != "" {
		arg("$%d = ANY(r.topics)", q.Topic)
	}
	from := `FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = d.published_revision WHERE ` + strings.Join(where, " AND ")
	size := max(q.Size, 1)
	err = pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 `+from+` LIMIT `+fmt.Sprint(archiveCap+1)+`) x`, args...).Scan(&total); err != nil {
			return err
		}
		if total > archiveCap {
			total, capped = archiveCap, true
		}
		rows, _ := tx.Query(ctx, `SELECT d.id, r.title, dep.name, r.category, r.channels, r.topics, d.published_at, d.state, COALESCE(p.index_no, '')
			`+strings.Replace(from, "WHERE", "JOIN departments dep ON dep.id = d.department_id LEFT JOIN public_items p ON p.draft_id = d.id WHERE", 1)+`
			ORDER BY d.published_at DESC, d.id DESC LIMIT `+fmt.Sprint(size)+` OFFSET `+fmt.Sprint((max(q.Page, 1)-1)*size), args...)
		items, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ArchiveItem])
		return err
	})
	if err != nil {
		return nil, 0, false, fmt.Errorf("error listing the archive: %w", err)
	}
	return items, total, capped, nil
}

// ArchiveYears are the years (Beijing) in which the agency published,
// newest first.
func (s *Store) ArchiveYears(ctx context.Context, agencyID int64) ([]int, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT DISTINCT extract(year FROM published_at AT TIME ZONE 'Asia/Shanghai')::int AS y
		FROM drafts WHERE agency_id = $1 AND published_at IS NOT NULL ORDER BY y DESC`, agencyID)
	ys, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("error listing the archive's years: %w", err)
	}
	return ys, nil
}

// ArchiveTopics are the topics of the agency's published drafts, with how
// many carry each, the most used first.
func (s *Store) ArchiveTopics(ctx context.Context, agencyID int64) ([]TopicCount, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT t, count(*) FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = d.published_revision,
			unnest(r.topics) t
		WHERE d.agency_id = $1 AND d.published_at IS NOT NULL AND r.topics <> '{}' GROUP BY t ORDER BY count(*) DESC, t`, agencyID)
	ts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TopicCount])
	if err != nil {
		return nil, fmt.Errorf("error listing the archive's topics: %w", err)
	}
	return ts, nil
}
