package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// A case's handlers (承办人, migration 035): the case handlers who handle
// it, and the only people who add and read its applicant's identity
// documents (domain.CanReadIdentity). The case handler who takes an
// application in is its first handler; the head of the
// 政府信息公开工作机构 (domain.IsCaseHead) or an admin assigns and removes
// handlers (CaseAssignHandler, CaseRemoveHandler); a case handler takes a
// case that has none (CaseTake: an online application, one an admin took
// in, one whose handlers were all removed). Each is an event in the case's
// chain, written with the change; the table holds the present.

// insertHandler records user as a handler of case id (locked by the
// caller's transaction).
func insertHandler(ctx context.Context, tx pgx.Tx, by domain.Actor, id, user int64, now time.Time) error {
	var assignedBy *int64
	if by.ID != 0 {
		assignedBy = &by.ID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO application_handlers (application_id, user_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4)`,
		id, user, assignedBy, now); err != nil {
		return fmt.Errorf("error recording a handler of application %d: %w", id, err)
	}
	return nil
}

// addHandler records the intake's case handler as the case's first handler
// and audits it (application_handler_assigned, "intake").
func addHandler(ctx context.Context, tx pgx.Tx, by domain.Actor, id int64, now time.Time) error {
	if err := insertHandler(ctx, tx, by, id, by.ID, now); err != nil {
		return err
	}
	return appendEvent(ctx, tx, caseEvent(by.AgencyID, id, by, domain.CaseAssignHandler, fmt.Sprintf("handler=%d %s intake", by.ID, by.Name)))
}

// assignHandler makes user a handler of case a: a person of the case's
// agency, not disabled, who holds the case_handler role, and not one of
// its handlers already.
func assignHandler(ctx context.Context, tx pgx.Tx, by domain.Actor, a Application, user int64, now time.Time) (string, error) {
	if user == 0 {
		return "", invalidField("handler_id", "请选择要指定的承办人。", "handler_id: whom to assign is required")
	}
	var name string
	var roles []string
	var disabled bool
	err := tx.QueryRow(ctx, `SELECT name, roles, disabled FROM users WHERE id = $1 AND agency_id = $2`, user, a.AgencyID).Scan(&name, &roles, &disabled)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && (disabled || !slices.Contains(roles, string(domain.RoleCaseHandler))) {
		return "", invalidField("handler_id", "所选人员（编号%d）不是本机关在用的“依申请公开承办人”：承办人须具有该角色，且账号未停用。",
			"user %d is not an enabled case handler of the agency", user)
	}
	if err != nil {
		return "", fmt.Errorf("error reading user %d: %w", user, err)
	}
	if a.HandledBy(user) {
		return "", invalidCase("%s已是本案的承办人。", "%s handles the case already", name)
	}
	if err := insertHandler(ctx, tx, by, a.ID, user, now); err != nil {
		return "", err
	}
	return fmt.Sprintf("handler=%d %s", user, name), nil
}

// removeHandler takes user off case a's handlers.
func removeHandler(ctx context.Context, tx pgx.Tx, a Application, user int64) (string, error) {
	for _, h := range a.Handlers {
		if h.UserID == user {
			if _, err := tx.Exec(ctx, `DELETE FROM application_handlers WHERE application_id = $1 AND user_id = $2`, a.ID, user); err != nil {
				return "", fmt.Errorf("error removing a handler of application %d: %w", a.ID, err)
			}
			return fmt.Sprintf("handler=%d %s", user, h.Name), nil
		}
	}
	return "", invalidCase("所选人员（编号%d）不是本案的承办人。", "user %d does not handle the case", user)
}

// handlerNames lists handlers' names for a message.
func handlerNames(hs []CaseHandler) string {
	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = h.Name
	}
	return strings.Join(names, "、")
}

// caseHandlers reads the handlers of cases ids, each case's first
// assigned first.
func caseHandlers(ctx context.Context, q querier, ids []int64) (map[int64][]CaseHandler, error) {
	rows, _ := q.Query(ctx, `SELECT h.application_id, h.user_id, u.name, h.assigned_at FROM application_handlers h JOIN users u ON u.id = h.user_id
		WHERE h.application_id = ANY($1) ORDER BY h.assigned_at, h.user_id`, ids)
	out := map[int64][]CaseHandler{}
	var app int64
	var h CaseHandler
	_, err := pgx.ForEachRow(rows, []any{&app, &h.UserID, &h.Name, &h.AssignedAt}, func() error {
		out[app] = append(out[app], h)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error reading the cases' handlers: %w", err)
	}
	return out, nil
}

// caseHandlerIDs reads the handlers of case id of agency, locking their
// rows against a removal while the caller's transaction reads a document
// (lock: FOR SHARE); ErrNotFound for no such case of the agency.
func caseHandlerIDs(ctx context.Context, q caseReader, agency, id int64, lock bool) ([]int64, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM applications WHERE id = $1 AND agency_id = $2)`, id, agency).Scan(&exists); err != nil {
		return nil, fmt.Errorf("error finding application %d: %w", id, err)
	}
	if !exists {
		return nil, fmt.Errorf("application %d: %w", id, ErrNotFound)
	}
	sql := `SELECT user_id FROM application_handlers WHERE application_id = $1`
	if lock {
		sql += ` FOR SHARE`
	}
	rows, _ := q.Query(ctx, sql, id)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("error reading the handlers of application %d: %w", id, err)
	}
	return ids, nil
}

// CaseHandlerChoices lists the people by's agency may make a case's
// handlers: its enabled case handlers, by name.
func (s *Store) CaseHandlerChoices(ctx context.Context, by domain.Actor) ([]CaseHandler, error) {
	if err := domain.CanHandleCases(by); err != nil {
		return nil, err
	}
	rows, _ := s.Pool.Query(ctx, `SELECT id, name FROM users WHERE agency_id = $1 AND NOT disabled AND $2 = ANY (roles) ORDER BY name`,
		by.AgencyID, string(domain.RoleCaseHandler))
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseHandler, error) {
		var h CaseHandler
		return h, r.Scan(&h.UserID, &h.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing the case handlers: %w", err)
	}
	return list, nil
}
