package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Application is a case of 依申请公开 as the store holds it. Its deadline is
// not here: Clock gives what calendar.ApplicationDeadline computes it from.
type Application struct {
	ID                int64
	AgencyID          int64
	QueryCode         string
	Route             domain.IntakeRoute
	ApplicantType     domain.ApplicantType
	ApplicantName     string
	ApplicantIDNumber string
	ApplicantPhone    string
	ApplicantContact  string
	Description       string
	Purpose           string
	ReceivedOn        time.Time
	State             domain.CaseState

	SupplementRequestedOn time.Time
	SupplementNote        string
	SupplementReceivedOn  time.Time
	ExtendedOn            time.Time
	ExtensionApprover     string // the approving head's name, as recorded
	ExtensionApproverID   int64  // the approving head (0: recorded before migration 035, a name typed)
	ExtensionNote         string

	// The extension's request, pending until the head approves or
	// declines it (zero: none pending).
	ExtensionRequestedOn     time.Time
	ExtensionRequestedBy     int64
	ExtensionRequestedByName string
	ExtensionRequestNote     string

	Outcome        domain.Outcome
	ConcludedOn    time.Time
	OutcomeNote    string
	ReplyDraftID   int64
	DeliveryMethod domain.DeliveryMethod
	DeliveredOn    time.Time
	ClosedOn       time.Time

	FeeNoticeOn  time.Time
	FeeAmountFen int64
	FeePaidOn    time.Time

	CreatedAt time.Time

	Pauses    []ApplicationPause
	Appeals   []ApplicationAppeal
	Documents []ApplicationDocument
	// Handlers: the case's handlers (承办人), first assigned first.
	Handlers []CaseHandler
}

// CaseHandler is one of a case's handlers.
type CaseHandler struct {
	UserID     int64
	Name       string
	AssignedAt time.Time
}

// HandlerIDs are the ids of the case's handlers.
func (a Application) HandlerIDs() []int64 {
	ids := make([]int64, len(a.Handlers))
	for i, h := range a.Handlers {
		ids[i] = h.UserID
	}
	return ids
}

// HandledBy reports whether user id is one of the case's handlers.
func (a Application) HandledBy(id int64) bool {
	for _, h := range a.Handlers {
		if h.UserID == id && id != 0 {
			return true
		}
	}
	return false
}

// ExtensionPending reports whether a handler's request for the extension
// waits for the head: asked for, not decided, and the case still where an
// extension may be approved (a request left when the reply was started
// waits for nothing).
func (a Application) ExtensionPending() bool {
	return !a.ExtensionRequestedOn.IsZero() && a.ExtendedOn.IsZero() &&
		(a.State == domain.CaseReceived || a.State == domain.CaseProcessing)
}

// ApplicationPause is an interval the clock does not count.
type ApplicationPause struct {
	ID        int64
	Reason    domain.PauseReason
	StartedOn time.Time
	EndedOn   time.Time
	Note      string
}

// ApplicationAppeal is a 行政复议 or 行政诉讼 about the case.
type ApplicationAppeal struct {
	ID          int64
	Kind        domain.AppealKind
	AfterReview bool
	FiledOn     time.Time
	Outcome     domain.AppealOutcome
	DecidedOn   time.Time
	Note        string
}

// ApplicationDocument is an identity document's record; its bytes are in
// the blob store under SHA256 until it is deleted.
type ApplicationDocument struct {
	ID          int64
	SHA256      string
	Name        string
	ContentType string
	Size        int64
	AddedAt     time.Time
	DeletedAt   time.Time
}

// Clock is what the case's deadline is computed from.
func (a Application) Clock() calendar.ApplicationClock {
	k := calendar.ApplicationClock{ReceivedOn: a.ReceivedOn, SupplementRequestedOn: a.SupplementRequestedOn,
		SupplementReceivedOn: a.SupplementReceivedOn, Extended: !a.ExtendedOn.IsZero()}
	for _, p := range a.Pauses {
		k.Pauses = append(k.Pauses, calendar.Pause{From: p.StartedOn, To: p.EndedOn})
	}
	return k
}

// OpenPause is the pause still running, if any.
func (a Application) OpenPause() *ApplicationPause {
	for i := range a.Pauses {
		if a.Pauses[i].EndedOn.IsZero() {
			return &a.Pauses[i]
		}
	}
	return nil
}

// NewApplication is an application taken in: by staff (a letter, a visit)
// or by the public column's form (online).
type NewApplication struct {
	Route             domain.IntakeRoute
	ApplicantType     domain.ApplicantType
	ApplicantName     string
	ApplicantIDNumber string
	ApplicantPhone    string
	ApplicantContact  string
	Description       string
	Purpose           string
	// ReceivedOn: for a letter the day it was signed for, for a visit that
	// day; ignored online, where it is the day the system confirms it.
	ReceivedOn time.Time
	// Documents: the applicant's identity documents (Article 29), at most
	// MaxIntakeDocuments, stored and audited with the intake: the
	// application is taken with all of them or not at all.
	Documents []IntakeDocument
}

// PublicApplicant is the actor of an application taken in by the public
// column's form: nobody signed in.
func PublicApplicant(agencyID int64) domain.Actor {
	return domain.Actor{Name: "申请人（网上）", AgencyID: agencyID, Roles: []domain.Role{"anonymous"}}
}

// invalidCase is a refusal of a case's input, in Chinese (zh) and in
// English (en), both formats taking args: a person reads it on the case
// page in their language, the API sends both (message_zh, message).
func invalidCase(zh, en string, args ...any) error {
	return &domain.Refusal{Rule: domain.RuleCaseInput, MessageZH: fmt.Sprintf(zh, args...), Message: fmt.Sprintf(en, args...)}
}

// invalidField is invalidCase about one input field (the API's name of
// it: note, on, fee_amount_fen…), which the case page marks.
func invalidField(field, zh, en string, args ...any) error {
	return &domain.Refusal{Rule: domain.RuleCaseInput, MessageZH: fmt.Sprintf(zh, args...), Message: fmt.Sprintf(en, args...), Field: field}
}

// check validates the intake; today is the civil date now.
func (n *NewApplication) check(today time.Time) error {
	n.ApplicantName, n.Description = strings.TrimSpace(n.ApplicantName), strings.TrimSpace(n.Description)
	n.ApplicantIDNumber, n.ApplicantPhone = strings.TrimSpace(n.ApplicantIDNumber), strings.TrimSpace(n.ApplicantPhone)
	n.ApplicantContact, n.Purpose = strings.TrimSpace(n.ApplicantContact), strings.TrimSpace(n.Purpose)
	switch {
	case !n.Route.Valid():
		return invalidField("route", "申请方式应为网上申请、信函或当面提交，不能是“%s”。", "route must be online, letter or visit, not %q", n.Route)
	case !n.ApplicantType.Valid():
		return invalidField("applicant_type", "申请人类型应为自然人、商业企业、科研机构、社会公益组织、法律服务机构或其他组织，不能是“%s”。",
			"applicant_type must be one of natural, business, research, charity, legal, other_org, not %q", n.ApplicantType)
	case n.ApplicantName == "" || utf8.RuneCountInString(n.ApplicantName) > 200:
		return invalidField("applicant_name", "请填写申请人姓名或名称（最多200个字）。", "the applicant's name is required (at most 200 characters)")
	case n.Description == "" || utf8.RuneCountInString(n.Description) > 5000:
		return invalidField("description", "请填写所需政府信息的名称、文号或者便于查询的其他特征性描述（最多5000个字）。",
			"the description of the information asked for is required (at most 5000 characters)")
	case utf8.RuneCountInString(n.Purpose) > 2000:
		return invalidField("purpose", "用途最多2000个字。", "the purpose is at most 2000 characters")
	case utf8.RuneCountInString(n.ApplicantContact) > 500:
		return invalidField("applicant_contact", "通信地址或电子邮箱最多500个字。", "the applicant's contact is at most 500 characters")
	case len(n.ApplicantIDNumber) > 64:
		return invalidField("applicant_id_number", "身份证件号码或统一社会信用代码最多64个字符。", "the applicant's ID number is at most 64 characters")
	case len(n.ApplicantPhone) > 64:
		return invalidField("applicant_phone", "联系电话最多64个字符。", "the applicant's phone is at most 64 characters")
	}
	if len(n.Documents) > MaxIntakeDocuments {
		return invalidCase("一份申请最多附%d个身份证明材料。", "an application brings at most %d identity documents", MaxIntakeDocuments)
	}
	for i := range n.Documents {
		if err := checkDocumentName(&n.Documents[i].NewApplicationDocument); err != nil {
			return err
		}
	}
	if n.Route == domain.RouteOnline {
		n.ReceivedOn = today
	}
	if n.ReceivedOn.IsZero() || n.ReceivedOn.After(today) || n.ReceivedOn.Before(today.AddDate(-1, 0, 0)) {
		return invalidField("received_on", "收到日期应在最近一年之内，且不能晚于今天。", "received_on must be a date within the last year, not after today")
	}
	return nil
}

// queryCodeAlphabet leaves out the characters read one for another (0/O, 1/I/L).
const queryCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newQueryCode is 12 random characters: about 59 bits, too many to guess
// at the form's rate limit.
func newQueryCode() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		b[i] = queryCodeAlphabet[int(b[i])%len(queryCodeAlphabet)]
	}
	return string(b)
}

// caseEvent is an audit event of application id in its own chain.
func caseEvent(agency, id int64, by domain.Actor, a domain.CaseAction, comment string) *audit.Event {
	role := primaryRole(by)
	if by.Has(domain.RoleCaseHandler) && !by.Has(domain.RoleAdmin) {
		role = string(domain.RoleCaseHandler)
	}
	return &audit.Event{Chain: audit.ApplicationChain(id), AgencyID: agency, ActorID: by.ID, Actor: by.Name,
		Role: role, Action: a.AuditAction(), Comment: comment}
}

// refuseCase audits a refused write on a case — an actor without the
// case handlers' role — in the agency's chain as denied:<action>, as a
// refused submission is, and returns the refusal. id is the case (0 for an
// intake). Reads refused are not audited, as for drafts.
func (s *Store) refuseCase(ctx context.Context, by domain.Actor, id int64, a domain.CaseAction, err error) error {
	var r *domain.Refusal
	if !errors.As(err, &r) {
		return err
	}
	aerr := s.tx(ctx, func(tx pgx.Tx) error {
		e := agencyEvent(by.AgencyID, by, "denied:"+a.AuditAction(), fmt.Sprintf("application %d: %s", id, r.Message))
		e.Reason = string(r.Rule)
		return appendEvent(ctx, tx, e)
	})
	if aerr != nil {
		return aerr
	}
	return err
}

// AddApplication takes an application in and audits it, in one
// transaction. Staff (case handlers, admins) take in letters and visits;
// the public form (by = PublicApplicant) takes in online ones. A case
// handler who takes one in is its first handler (application_handler_assigned
// in the same transaction); an online case, or one an admin took in, has
// none until the head assigns one or a case handler takes it.
func (s *Store) AddApplication(ctx context.Context, by domain.Actor, n NewApplication, now time.Time) (Application, error) {
	if n.Route == domain.RouteOnline {
		if by.ID != 0 {
			return Application{}, invalidCase("网上申请只能通过公开专栏的申请表提交。", "online applications come from the public column's form")
		}
	} else if err := domain.CanHandleCases(by); err != nil {
		return Application{}, s.refuseCase(ctx, by, 0, domain.CaseIntake, err)
	}
	if err := n.check(DigestDay(now)); err != nil {
		return Application{}, err
	}
	var id int64
	code := newQueryCode()
	var createdBy *int64
	if by.ID != 0 {
		createdBy = &by.ID
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO applications (agency_id, query_code, route, applicant_type, applicant_name,
			applicant_id_number, applicant_phone, applicant_contact, description, purpose, received_on, state, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'received', $12, $13) RETURNING id`,
			by.AgencyID, code, n.Route, n.ApplicantType, n.ApplicantName, n.ApplicantIDNumber, n.ApplicantPhone, n.ApplicantContact,
			n.Description, n.Purpose, n.ReceivedOn, createdBy, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("error adding the application: %w", err)
		}
		if err := appendEvent(ctx, tx, caseEvent(by.AgencyID, id, by, domain.CaseIntake,
			fmt.Sprintf("route=%s applicant_type=%s received_on=%s", n.Route, n.ApplicantType, n.ReceivedOn.Format(domain.DateLayout)))); err != nil {
			return err
		}
		if by.ID != 0 && by.Has(domain.RoleCaseHandler) {
			if err := addHandler(ctx, tx, by, id, now); err != nil {
				return err
			}
		}
		for _, d := range n.Documents {
			if _, err := addDocument(ctx, tx, by, id, d.NewApplicationDocument, d.Put, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Application{}, err
	}
	return s.application(ctx, s.Pool, by.AgencyID, id)
}

const applicationColumns = `id, agency_id, query_code, route, applicant_type, applicant_name, applicant_id_number, applicant_phone,
	applicant_contact, description, purpose, received_on, state, supplement_requested_on, supplement_note, supplement_received_on,
	extended_on, extension_approver, extension_note, COALESCE(outcome, ''), concluded_on, outcome_note, COALESCE(reply_draft_id, 0),
	COALESCE(delivery_method, ''), delivered_on, closed_on, fee_notice_on, COALESCE(fee_amount_fen, 0), fee_paid_on, created_at,
	COALESCE(extension_approver_id, 0), extension_requested_on, COALESCE(extension_requested_by, 0),
	COALESCE((SELECT name FROM users WHERE id = extension_requested_by), ''), extension_request_note`

// dates scans nullable dates into zero times.
type nullDates []*time.Time

func (d nullDates) set(to ...*time.Time) {
	for i, p := range d {
		if p != nil {
			*to[i] = *p
		}
	}
}

func scanApplication(r pgx.Row) (Application, error) {
	var a Application
	nd := make(nullDates, 9)
	err := r.Scan(&a.ID, &a.AgencyID, &a.QueryCode, &a.Route, &a.ApplicantType, &a.ApplicantName, &a.ApplicantIDNumber, &a.ApplicantPhone,
		&a.ApplicantContact, &a.Description, &a.Purpose, &a.ReceivedOn, &a.State, &nd[0], &a.SupplementNote, &nd[1],
		&nd[2], &a.ExtensionApprover, &a.ExtensionNote, &a.Outcome, &nd[3], &a.OutcomeNote, &a.ReplyDraftID,
		&a.DeliveryMethod, &nd[4], &nd[5], &nd[6], &a.FeeAmountFen, &nd[7], &a.CreatedAt,
		&a.ExtensionApproverID, &nd[8], &a.ExtensionRequestedBy, &a.ExtensionRequestedByName, &a.ExtensionRequestNote)
	nd.set(&a.SupplementRequestedOn, &a.SupplementReceivedOn, &a.ExtendedOn, &a.ConcludedOn, &a.DeliveredOn, &a.ClosedOn,
		&a.FeeNoticeOn, &a.FeePaidOn, &a.ExtensionRequestedOn)
	return a, err
}

// caseReader is a pool or a transaction.
type caseReader interface {
	querier
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// application reads one of agency's applications whole.
func (s *Store) application(ctx context.Context, q caseReader, agency, id int64) (Application, error) {
	a, err := scanApplication(q.QueryRow(ctx, `SELECT `+applicationColumns+` FROM applications WHERE id = $1 AND agency_id = $2`, id, agency))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("application %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("error reading application %d: %w", id, err)
	}
	rows, _ := q.Query(ctx, `SELECT id, reason, started_on, ended_on, note FROM application_pauses WHERE application_id = $1 ORDER BY started_on, id`, id)
	a.Pauses, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ApplicationPause, error) {
		var p ApplicationPause
		var end *time.Time
		err := r.Scan(&p.ID, &p.Reason, &p.StartedOn, &end, &p.Note)
		if end != nil {
			p.EndedOn = *end
		}
		return p, err
	})
	if err != nil {
		return a, fmt.Errorf("error reading the pauses of application %d: %w", id, err)
	}
	rows, _ = q.Query(ctx, `SELECT id, kind, after_review, filed_on, outcome, decided_on, note FROM application_appeals WHERE application_id = $1 ORDER BY filed_on, id`, id)
	a.Appeals, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ApplicationAppeal, error) {
		var p ApplicationAppeal
		var dec *time.Time
		err := r.Scan(&p.ID, &p.Kind, &p.AfterReview, &p.FiledOn, &p.Outcome, &dec, &p.Note)
		if dec != nil {
			p.DecidedOn = *dec
		}
		return p, err
	})
	if err != nil {
		return a, fmt.Errorf("error reading the appeals of application %d: %w", id, err)
	}
	rows, _ = q.Query(ctx, `SELECT id, sha256, name, content_type, size, added_at, deleted_at FROM application_documents WHERE application_id = $1 ORDER BY id`, id)
	a.Documents, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ApplicationDocument, error) {
		var d ApplicationDocument
		var del *time.Time
		err := r.Scan(&d.ID, &d.SHA256, &d.Name, &d.ContentType, &d.Size, &d.AddedAt, &del)
		if del != nil {
			d.DeletedAt = *del
		}
		return d, err
	})
	if err != nil {
		return a, fmt.Errorf("error reading the documents of application %d: %w", id, err)
	}
	hs, err := caseHandlers(ctx, q, []int64{id})
	if err != nil {
		return a, err
	}
	a.Handlers = hs[id]
	return a, nil
}

// Application reads one application of the actor's agency, for its
// handlers and admins.
func (s *Store) Application(ctx context.Context, by domain.Actor, id int64) (Application, error) {
	if err := domain.CanHandleCases(by); err != nil {
		return Application{}, err
	}
	return s.application(ctx, s.Pool, by.AgencyID, id)
}

// CaseQuery selects the queue's cases.
type CaseQuery struct {
	// All: the answered and closed cases of the last two years too, not
	// the open ones only.
	All bool
	// Mine: only the cases the actor handles.
	Mine bool
}

// Applications lists the actor's agency's applications, oldest received
// first: the open ones, or (q.All) every one of the last two years too;
// with q.Mine only those the actor handles. The list carries the pauses
// (for the clock) and the handlers, not the appeals or documents.
func (s *Store) Applications(ctx context.Context, by domain.Actor, q CaseQuery) ([]Application, error) {
	if err := domain.CanHandleCases(by); err != nil {
		return nil, err
	}
	return s.listApplications(ctx, `agency_id = $1 AND (state NOT IN ('answered', 'closed') OR ($2 AND received_on > now() - interval '2 years'))
		AND (NOT $3 OR EXISTS (SELECT 1 FROM application_handlers h WHERE h.application_id = applications.id AND h.user_id = $4))
		ORDER BY received_on, id LIMIT 1000`, by.AgencyID, q.All, q.Mine, by.ID)
}

// OpenApplications lists every agency's open cases with their pauses, for
// the notifications' scan of their deadlines.
func (s *Store) OpenApplications(ctx context.Context) ([]Application, error) {
	return s.listApplications(ctx, `state NOT IN ('answered', 'closed') ORDER BY id`)
}

// listApplications reads the cases where says, with their pauses.
func (s *Store) listApplications(ctx context.Context, where string, args ...any) ([]Application, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT `+applicationColumns+` FROM applications WHERE `+where, args...)
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Application, error) { return scanApplication(r) })
	if err != nil {
		return nil, fmt.Errorf("error listing applications: %w", err)
	}
	if len(list) == 0 {
		return list, nil
	}
	ids := make([]int64, len(list))
	at := map[int64]int{}
	for i, a := range list {
		ids[i], at[a.ID] = a.ID, i
	}
	rows, _ = s.Pool.Query(ctx, `SELECT application_id, id, reason, started_on, ended_on, note FROM application_pauses
		WHERE application_id = ANY($1) ORDER BY started_on, id`, ids)
	var app int64
	var p ApplicationPause
	var end *time.Time
	_, err = pgx.ForEachRow(rows, []any{&app, &p.ID, &p.Reason, &p.StartedOn, &end, &p.Note}, func() error {
		q := p
		if end != nil {
			q.EndedOn = *end
		}
		list[at[app]].Pauses = append(list[at[app]].Pauses, q)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error reading the pauses: %w", err)
	}
	hs, err := caseHandlers(ctx, s.Pool, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Handlers = hs[list[i].ID]
	}
	return list, nil
}

// ApplicationStatus is what the applicant may see with their query code:
// the state and the dates, nothing else of the case.
type ApplicationStatus struct {
	State                 domain.CaseState
	ReceivedOn            time.Time
	SupplementRequestedOn time.Time
	SupplementReceivedOn  time.Time
	ExtendedOn            time.Time
	ConcludedOn           time.Time
	DeliveredOn           time.Time
	ClosedOn              time.Time
	Clock                 calendar.ApplicationClock
}

// ApplicationStatusByCode finds an application of the agency by its query
// code (ErrNotFound for a wrong code).
func (s *Store) ApplicationStatusByCode(ctx context.Context, agency int64, code string) (ApplicationStatus, error) {
	var id int64
	err := s.Pool.QueryRow(ctx, `SELECT id FROM applications WHERE agency_id = $1 AND query_code = $2`, agency, strings.ToUpper(strings.TrimSpace(code))).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return ApplicationStatus{}, ErrNotFound
	}
	if err != nil {
		return ApplicationStatus{}, fmt.Errorf("error finding the application: %w", err)
	}
	a, err := s.application(ctx, s.Pool, agency, id)
	if err != nil {
		return ApplicationStatus{}, err
	}
	return ApplicationStatus{State: a.State, ReceivedOn: a.ReceivedOn, SupplementRequestedOn: a.SupplementRequestedOn,
		SupplementReceivedOn: a.SupplementReceivedOn, ExtendedOn: a.ExtendedOn, ConcludedOn: a.ConcludedOn,
		DeliveredOn: a.DeliveredOn, ClosedOn: a.ClosedOn, Clock: a.Clock()}, nil
}

// CaseAct is one action on a case, with what it records. On is the civil
// date it happened (zero: today).
type CaseAct struct {
	Action domain.CaseAction
	On     time.Time
	Note   string
	// Pause.
	Reason domain.PauseReason
	// Outcome.
	Outcome domain.Outcome
	// Delivery.
	Method domain.DeliveryMethod
	// Fee: a notice (FeeAmountFen set) or the payment (FeePaid).
	FeeAmountFen int64
	FeePaid      bool
	// Appeal: a new one (AppealID 0) or the outcome of one recorded.
	AppealID     int64
	AppealKind   domain.AppealKind
	AfterReview  bool
	AppealResult domain.AppealOutcome
	// Handler: the person assigned (handler_assigned) or removed
	// (handler_removed).
	HandlerID int64
}

// maxCaseNote bounds a note on a case's record.
const maxCaseNote = 2000

// mayAct is the role an action needs beyond the case handlers' (or
// admins'): the head approves or declines the extension, the head or an
// admin assigns and removes handlers, a case handler takes a case.
func mayAct(by domain.Actor, a domain.CaseAction) error {
	if err := domain.CanHandleCases(by); err != nil {
		return err
	}
	switch a {
	case domain.CaseExtend, domain.CaseDeclineExtension:
		return domain.CanApproveExtension(by)
	case domain.CaseAssignHandler, domain.CaseRemoveHandler:
		return domain.CanAssignHandlers(by)
	case domain.CaseTake:
		return domain.CanTakeCase(by)
	}
	return nil
}

// ActOnApplication records one action on a case: it asks domain.NextCase,
// holds the action to the clock's rules (cal: the working-day calendar),
// and writes the change and its audit event in one transaction. A refusal
// for want of the role (a handler approving an extension, say) is audited
// in the agency's chain.
func (s *Store) ActOnApplication(ctx context.Context, cal *calendar.Calendar, by domain.Actor, id int64, act CaseAct, now time.Time) (Application, error) {
	if err := mayAct(by, act.Action); err != nil {
		return Application{}, s.refuseCase(ctx, by, id, act.Action, err)
	}
	today := DigestDay(now)
	if act.On.IsZero() {
		act.On = today
	}
	act.Note = strings.TrimSpace(act.Note)
	if utf8.RuneCountInString(act.Note) > maxCaseNote {
		return Application{}, invalidField("note", "说明最多%d个字。", "a note is at most %d characters", maxCaseNote)
	}
	if act.On.After(today) {
		return Application{}, invalidField("on", "日期%s晚于今天：只能记录已经发生的事。", "the date %s is after today", act.On.Format(domain.DateLayout))
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// Lock first: another handler may be acting on it.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM applications WHERE id = $1 AND agency_id = $2 FOR UPDATE`, id, by.AgencyID); err != nil {
			return fmt.Errorf("error locking application %d: %w", id, err)
		}
		a, err := s.application(ctx, tx, by.AgencyID, id)
		if err != nil {
			return err
		}
		next, err := domain.NextCase(a.State, act.Action)
		if err != nil {
			return err
		}
		if act.On.Before(a.ReceivedOn) {
			return invalidField("on", "日期%s早于收到申请之日（%s）：请填写收到申请当天或之后的日期。",
				"the date %s is before the application was received (%s)", act.On.Format(domain.DateLayout), a.ReceivedOn.Format(domain.DateLayout))
		}
		comment, err := applyCaseAct(ctx, tx, cal, by, a, act, today, now)
		if err != nil {
			return err
		}
		if next != a.State {
			if _, err := tx.Exec(ctx, `UPDATE applications SET state = $2 WHERE id = $1`, id, next); err != nil {
				return fmt.Errorf("error moving application %d: %w", id, err)
			}
			comment = fmt.Sprintf("%s→%s %s", a.State, next, comment)
		}
		return appendEvent(ctx, tx, caseEvent(a.AgencyID, id, by, act.Action, strings.TrimSpace(comment)))
	})
	if err != nil {
		return Application{}, err
	}
	return s.application(ctx, s.Pool, by.AgencyID, id)
}

// applyCaseAct writes what act records and says it for the trail.
func applyCaseAct(ctx context.Context, tx pgx.Tx, cal *calendar.Calendar, by domain.Actor, a Application, act CaseAct, today, now time.Time) (string, error) {
	on := act.On.Format(domain.DateLayout)
	dl := cal.ApplicationDeadline(a.Clock(), today)
	exec := func(sql string, args ...any) error {
		if _, err := tx.Exec(ctx, sql, append([]any{a.ID}, args...)...); err != nil {
			return fmt.Errorf("error recording %s on application %d: %w", act.Action, a.ID, err)
		}
		return nil
	}
	switch act.Action {
	case domain.CaseRequestSupplement:
		if act.On.After(dl.SupplementBy) {
			return "", invalidCase("补正告知应在收到申请之日起%d个工作日内一次性发出（《条例》第三十条），本案截止%s，已经逾期。",
				"a 补正 request must go out within %d working days of receipt, by %s (Article 30)",
				calendar.SupplementWorkingDays, dl.SupplementBy.Format(domain.DateLayout))
		}
		if act.Note == "" {
			return "", invalidField("note", "请写明需要申请人补正的事项。", "say what the applicant must correct or add")
		}
		return "on=" + on + " " + act.Note, exec(`UPDATE applications SET supplement_requested_on = $2, supplement_note = $3 WHERE id = $1`, act.On, act.Note)
	case domain.CaseSupplementArrived:
		if act.On.Before(a.SupplementRequestedOn) {
			return "", invalidField("on", "收到补正的日期不能早于告知补正的日期（%s）。", "the corrected application cannot arrive before the 补正 request (%s)",
				a.SupplementRequestedOn.Format(domain.DateLayout))
		}
		return "on=" + on, exec(`UPDATE applications SET supplement_received_on = $2 WHERE id = $1`, act.On)
	case domain.CasePauseStart:
		if !act.Reason.Valid() {
			return "", invalidField("reason", "暂停期限的原因应为征求第三方意见或征求其他机关意见，不能是“%s”。",
				"a pause's reason must be third_party or agencies, not %q", act.Reason)
		}
		if a.OpenPause() != nil {
			return "", invalidCase("已有一次征求意见的暂停尚未结束：请先记录它结束。", "a pause is already running; end it first")
		}
		for _, p := range a.Pauses {
			if act.On.Before(p.EndedOn) {
				return "", invalidField("on", "新的暂停不能早于上一次暂停结束的日期（%s）。", "a pause cannot start before the last one ended (%s)",
					p.EndedOn.Format(domain.DateLayout))
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO application_pauses (application_id, reason, started_on, note) VALUES ($1, $2, $3, $4)`,
			a.ID, act.Reason, act.On, act.Note); err != nil {
			return "", fmt.Errorf("error starting a pause on application %d: %w", a.ID, err)
		}
		return fmt.Sprintf("reason=%s on=%s %s", act.Reason, on, act.Note), nil
	case domain.CasePauseEnd:
		p := a.OpenPause()
		if p == nil {
			return "", invalidCase("没有正在进行的暂停。", "no pause is running")
		}
		if act.On.Before(p.StartedOn) {
			return "", invalidField("on", "暂停结束的日期不能早于它开始的日期（%s）。", "a pause cannot end before it started (%s)",
				p.StartedOn.Format(domain.DateLayout))
		}
		if _, err := tx.Exec(ctx, `UPDATE application_pauses SET ended_on = $2, note = CASE WHEN $3 = '' THEN note ELSE note || ' ' || $3 END WHERE id = $1`,
			p.ID, act.On, act.Note); err != nil {
			return "", fmt.Errorf("error ending a pause on application %d: %w", a.ID, err)
		}
		return fmt.Sprintf("reason=%s from=%s on=%s %s", p.Reason, p.StartedOn.Format(domain.DateLayout), on, act.Note), nil
	case domain.CaseRequestExtension:
		switch {
		case !a.ExtendedOn.IsZero():
			return "", invalidCase("本案已经延期一次，不能再次延期（《条例》第三十三条）。", "the case was extended already; there is one extension (Article 33)")
		case a.ExtensionPending():
			return "", invalidCase("已有一份延期申请（%s）等待负责人批准。", "an extension request (%s) waits for the head already",
				a.ExtensionRequestedOn.Format(domain.DateLayout))
		case act.Note == "":
			return "", invalidField("note", "请写明需要延长答复期限的理由。", "say why the case needs the extension")
		case act.On.After(dl.Due):
			return "", invalidCase("延期申请应在答复期限（%s）届满前提出。", "an extension is asked for before the deadline (%s) passes", dl.Due.Format(domain.DateLayout))
		}
		return fmt.Sprintf("on=%s %s", on, act.Note),
			exec(`UPDATE applications SET extension_requested_on = $2, extension_requested_by = $3, extension_request_note = $4 WHERE id = $1`,
				act.On, by.ID, act.Note)
	case domain.CaseDeclineExtension:
		if !a.ExtensionPending() {
			return "", invalidCase("没有等待批准的延期申请。", "no extension request is pending")
		}
		if act.Note == "" {
			return "", invalidField("note", "请写明不批准延期的理由。", "say why the extension is declined")
		}
		return fmt.Sprintf("requested_by=%d requested_on=%s on=%s %s", a.ExtensionRequestedBy, a.ExtensionRequestedOn.Format(domain.DateLayout), on, act.Note),
			exec(`UPDATE applications SET extension_requested_on = NULL, extension_requested_by = NULL, extension_request_note = '' WHERE id = $1`)
	case domain.CaseExtend:
		// The head approves as themselves: the approver is the person
		// signed in, never a name typed in.
		note := act.Note
		if note == "" && a.ExtensionPending() {
			note = a.ExtensionRequestNote
		}
		if note == "" {
			return "", invalidField("note", "请写明延长答复期限的理由。", "say why the case needs the extension")
		}
		if act.On.After(dl.Due) {
			return "", invalidCase("延期应在答复期限（%s）届满前批准。", "an extension is approved before the deadline (%s) passes", dl.Due.Format(domain.DateLayout))
		}
		comment := fmt.Sprintf("approved_by=%d %s on=%s", by.ID, by.Name, on)
		if a.ExtensionPending() {
			comment += fmt.Sprintf(" requested_by=%d requested_on=%s", a.ExtensionRequestedBy, a.ExtensionRequestedOn.Format(domain.DateLayout))
		}
		return comment + " " + note,
			exec(`UPDATE applications SET extended_on = $2, extension_approver = $3, extension_approver_id = $4, extension_note = $5 WHERE id = $1`,
				act.On, by.Name, by.ID, note)
	case domain.CaseRecordOutcome:
		if !act.Outcome.Valid() {
			return "", invalidField("outcome", "未知的办理结果“%s”：请从年度报告表三的分类中选择。", "unknown outcome %q", act.Outcome)
		}
		if a.State == domain.CaseSupplementRequested && act.Outcome != "other_no_supplement" && act.Outcome != "other" {
			return "", invalidField("outcome", "补正期间只能记录“申请人无正当理由逾期不补正”或“其他”两种办理结果。",
				"while a 补正 is out, the only outcomes are other_no_supplement and other")
		}
		return fmt.Sprintf("outcome=%s on=%s %s", act.Outcome, on, act.Note),
			exec(`UPDATE applications SET outcome = $2, concluded_on = $3, outcome_note = $4 WHERE id = $1`, act.Outcome, act.On, act.Note)
	case domain.CaseRecordDelivery:
		if !act.Method.Valid() {
			return "", invalidField("method", "送达方式应为电子邮件、邮寄或当面领取，不能是“%s”。", "the delivery method must be email, post or collection, not %q", act.Method)
		}
		return fmt.Sprintf("method=%s on=%s %s", act.Method, on, act.Note),
			exec(`UPDATE applications SET delivery_method = $2, delivered_on = $3 WHERE id = $1`, act.Method, act.On)
	case domain.CaseClose:
		switch {
		case a.State == domain.CaseAnswered && a.DeliveredOn.IsZero():
			return "", invalidCase("请先记录答复书已送达申请人，再办结。", "record the reply's delivery to the applicant before closing")
		case a.State != domain.CaseAnswered && (a.Outcome == "" || !a.Outcome.Info().NeedsNo && a.Outcome != "other"):
			return "", invalidCase("只有办理结果为“逾期不补正”“逾期未缴费”或“其他”的案件可以不经答复办结；其他案件请先起草答复书，经审核后送达。",
				"a case closes without a reply only with the outcome other_no_supplement, other_no_fee or other; otherwise send the reply")
		}
		return "on=" + on + " " + act.Note, exec(`UPDATE applications SET closed_on = $2 WHERE id = $1`, act.On)
	case domain.CaseRecordFee:
		if act.FeePaid {
			if a.FeeNoticeOn.IsZero() {
				return "", invalidCase("请先记录收费通知，再记录缴费。", "record the fee notice before the payment")
			}
			return "paid_on=" + on, exec(`UPDATE applications SET fee_paid_on = $2 WHERE id = $1`, act.On)
		}
		if act.FeeAmountFen <= 0 {
			return "", invalidField("fee_amount_fen", "收费通知的金额应大于0。", "a fee notice needs an amount above zero")
		}
		return fmt.Sprintf("notice_on=%s amount_fen=%d %s", on, act.FeeAmountFen, act.Note),
			exec(`UPDATE applications SET fee_notice_on = $2, fee_amount_fen = $3, fee_paid_on = NULL WHERE id = $1`, act.On, act.FeeAmountFen)
	case domain.CaseRecordAppeal:
		return recordAppeal(ctx, tx, a, act)
	case domain.CaseAssignHandler:
		return assignHandler(ctx, tx, by, a, act.HandlerID, now)
	case domain.CaseRemoveHandler:
		return removeHandler(ctx, tx, a, act.HandlerID)
	case domain.CaseTake:
		if a.HandledBy(by.ID) {
			return "", invalidCase("您已是本案的承办人。", "you handle the case already")
		}
		if len(a.Handlers) > 0 {
			return "", invalidCase("本案已有承办人（%s）：如需参与办理，请由负责人指定。", "the case has its handlers (%s); the head assigns more",
				handlerNames(a.Handlers))
		}
		if err := insertHandler(ctx, tx, by, a.ID, by.ID, now); err != nil {
			return "", err
		}
		return fmt.Sprintf("handler=%d %s", by.ID, by.Name), nil
	}
	return "", invalidCase("操作“%s”不能这样记录。", "action %q is not recorded this way", act.Action)
}

// recordAppeal adds an appeal, or records the outcome of one.
func recordAppeal(ctx context.Context, tx pgx.Tx, a Application, act CaseAct) (string, error) {
	on := act.On.Format(domain.DateLayout)
	if !act.AppealResult.Valid() {
		return "", invalidField("appeal_outcome", "行政复议或行政诉讼的结果应为维持、纠正、其他或尚未审结，不能是“%s”。",
			"an appeal's outcome must be upheld, corrected, other or pending, not %q", act.AppealResult)
	}
	var decided *time.Time
	if act.AppealResult != domain.AppealPending {
		decided = &act.On
	}
	if act.AppealID == 0 {
		if !act.AppealKind.Valid() {
			return "", invalidField("appeal_kind", "类别应为行政复议或行政诉讼，不能是“%s”。", "an appeal is a review or a lawsuit, not %q", act.AppealKind)
		}
		if act.AfterReview && act.AppealKind != domain.AppealLawsuit {
			return "", invalidField("after_review", "只有行政诉讼才有“复议后起诉”。", "only a lawsuit follows a review")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO application_appeals (application_id, kind, after_review, filed_on, outcome, decided_on, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.ID, act.AppealKind, act.AfterReview, act.On, act.AppealResult, decided, act.Note); err != nil {
			return "", fmt.Errorf("error recording an appeal on application %d: %w", a.ID, err)
		}
		return fmt.Sprintf("kind=%s after_review=%v filed_on=%s outcome=%s %s", act.AppealKind, act.AfterReview, on, act.AppealResult, act.Note), nil
	}
	var filed time.Time
	err := tx.QueryRow(ctx, `UPDATE application_appeals SET outcome = $3, decided_on = $4,
		note = CASE WHEN $5 = '' THEN note ELSE note || ' ' || $5 END
		WHERE id = $1 AND application_id = $2 RETURNING filed_on`, act.AppealID, a.ID, act.AppealResult, decided, act.Note).Scan(&filed)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("appeal %d: %w", act.AppealID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("error recording an appeal's outcome: %w", err)
	}
	if decided != nil && act.On.Before(filed) {
		return "", invalidField("on", "行政复议或行政诉讼的结果日期不能早于提起日期（%s）。", "an appeal is decided after it was filed (%s)", filed.Format(domain.DateLayout))
	}
	return fmt.Sprintf("appeal=%d outcome=%s on=%s %s", act.AppealID, act.AppealResult, on, act.Note), nil
}

// ApplicationColumn is one applicant-type column of the annual report's
// table 三 (收到和处理政府信息公开申请情况).
type ApplicationColumn struct {
	// New: received in the year (一、本年新收政府信息公开申请数量).
	New int `json:"new"`
	// CarriedIn: received before the year and not concluded before it
	// (二、上年结转政府信息公开申请数量).
	CarriedIn int `json:"carried_in"`
	// Outcomes: the cases concluded in the year (concluded_on in it), per
	// outcome code (三、本年度办理结果); codes without a case are absent.
	Outcomes map[domain.Outcome]int `json:"outcomes"`
	// CarriedOut: received by 31 December and not concluded by then
	// (四、结转下年度继续办理). New + CarriedIn = Σ Outcomes + CarriedOut.
	CarriedOut int `json:"carried_out"`
}

// AppealColumn is a column group of table 四 (行政复议、行政诉讼情况).
type AppealColumn string

// The appeal column groups.
const (
	AppealColumnReview      AppealColumn = "review"               // 行政复议
	AppealColumnDirect      AppealColumn = "lawsuit_direct"       // 行政诉讼：未经复议直接起诉
	AppealColumnAfterReview AppealColumn = "lawsuit_after_review" // 行政诉讼：复议后起诉
)

// ApplicationReport is what the annual report's tables 三 and 四 are made
// of, for one agency and year.
type ApplicationReport struct {
	Year int `json:"year"`
	// Columns per applicant type: every domain.ApplicantTypes code is present.
	Columns map[domain.ApplicantType]ApplicationColumn `json:"columns"`
	// Appeals filed in the year, per column group and outcome as it stood
	// on 31 December (decided later: pending). Every group and outcome is
	// present, zero included; the report's 总计 is their sum.
	Appeals map[AppealColumn]map[domain.AppealOutcome]int `json:"appeals"`
	// Fees: the fee notices sent in the year and their total, and the
	// amounts paid in the year, in fen (the report's part 六).
	Fees FeeTotals `json:"fees"`
}

// FeeTotals are a year's 信息处理费.
type FeeTotals struct {
	Notices      int   `json:"notices"`
	NoticedFen   int64 `json:"noticed_fen"`
	CollectedFen int64 `json:"collected_fen"`
}

// ApplicationReportCounts counts an agency's applications and appeals for
// the annual report of year. A case is concluded on the day its outcome
// was recorded; one without an outcome by 31 December is carried over (结转):
// computed here, never stored.
func (s *Store) ApplicationReportCounts(ctx context.Context, agencyID int64, year int) (ApplicationReport, error) {
	first := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(year, time.December, 31, 0, 0, 0, 0, time.UTC)
	r := ApplicationReport{Year: year, Columns: map[domain.ApplicantType]ApplicationColumn{},
		Appeals: map[AppealColumn]map[domain.AppealOutcome]int{}}
	for _, t := range domain.ApplicantTypes {
		r.Columns[t] = ApplicationColumn{Outcomes: map[domain.Outcome]int{}}
	}
	for _, g := range []AppealColumn{AppealColumnReview, AppealColumnDirect, AppealColumnAfterReview} {
		r.Appeals[g] = map[domain.AppealOutcome]int{}
		for _, o := range domain.AppealOutcomes {
			r.Appeals[g][o] = 0
		}
	}
	rows, _ := s.Pool.Query(ctx, `SELECT applicant_type,
			count(*) FILTER (WHERE received_on >= $2),
			count(*) FILTER (WHERE received_on < $2),
			count(*) FILTER (WHERE concluded_on IS NULL OR concluded_on > $3),
			COALESCE(outcome, '') AS outcome_code,
			count(*) FILTER (WHERE concluded_on BETWEEN $2 AND $3)
		FROM applications
		WHERE agency_id = $1 AND received_on <= $3 AND (concluded_on IS NULL OR concluded_on >= $2)
		GROUP BY applicant_type, outcome_code`, agencyID, first, last)
	var typ domain.ApplicantType
	var outcome domain.Outcome
	var nw, in, out, concluded int
	_, err := pgx.ForEachRow(rows, []any{&typ, &nw, &in, &out, &outcome, &concluded}, func() error {
		c := r.Columns[typ]
		c.New += nw
		c.CarriedIn += in
		c.CarriedOut += out
		if concluded > 0 {
			c.Outcomes[outcome] += concluded
		}
		r.Columns[typ] = c
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("error counting the applications of %d: %w", year, err)
	}
	rows, _ = s.Pool.Query(ctx, `SELECT p.kind, p.after_review,
			CASE WHEN p.decided_on > $3 THEN 'pending' ELSE p.outcome END AS result, count(*)
		FROM application_appeals p JOIN applications a ON a.id = p.application_id
		WHERE a.agency_id = $1 AND p.filed_on BETWEEN $2 AND $3
		GROUP BY p.kind, p.after_review, result`, agencyID, first, last)
	var kind domain.AppealKind
	var after bool
	var result domain.AppealOutcome
	var n int
	_, err = pgx.ForEachRow(rows, []any{&kind, &after, &result, &n}, func() error {
		g := AppealColumnReview
		if kind == domain.AppealLawsuit {
			g = AppealColumnDirect
			if after {
				g = AppealColumnAfterReview
			}
		}
		r.Appeals[g][result] += n
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("error counting the appeals of %d: %w", year, err)
	}
	err = s.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE fee_notice_on BETWEEN $2 AND $3),
			COALESCE(sum(fee_amount_fen) FILTER (WHERE fee_notice_on BETWEEN $2 AND $3), 0),
			COALESCE(sum(fee_amount_fen) FILTER (WHERE fee_paid_on BETWEEN $2 AND $3), 0)
		FROM applications WHERE agency_id = $1 AND fee_notice_on IS NOT NULL`, agencyID, first, last).
		Scan(&r.Fees.Notices, &r.Fees.NoticedFen, &r.Fees.CollectedFen)
	if err != nil {
		return r, fmt.Errorf("error counting the fees of %d: %w", year, err)
	}
	return r, nil
}

// ApplicantIdentity is the recorded identity of the applicant whose reply
// draftID is (checks.ApplicantSource); ok is false for any other draft.
func (s *Store) ApplicantIdentity(ctx context.Context, draftID int64) (domain.ApplicantIdentity, bool, error) {
	var id domain.ApplicantIdentity
	err := s.Pool.QueryRow(ctx, `SELECT applicant_name, applicant_id_number, applicant_phone, applicant_contact
		FROM applications WHERE reply_draft_id = $1`, draftID).Scan(&id.Name, &id.IDNumber, &id.Phone, &id.Contact)
	if errors.Is(err, pgx.ErrNoRows) {
		return id, false, nil
	}
	if err != nil {
		return id, false, fmt.Errorf("error reading the applicant of draft %d: %w", draftID, err)
	}
	return id, true, nil
}

// answerApplication moves the case whose reply draftID is to answered, in
// the transaction that publishes the reply (delivery to the applicant is
// then the staff's, recorded on the case); nothing for any other draft.
func answerApplication(ctx context.Context, tx pgx.Tx, draftID int64) error {
	to, err := domain.NextCase(domain.CaseReplyInReview, domain.CaseReplyPublished)
	if err != nil {
		return err
	}
	var id, agency int64
	err = tx.QueryRow(ctx, `UPDATE applications SET state = $2 WHERE reply_draft_id = $1 AND state = $3 RETURNING id, agency_id`,
		draftID, to, domain.CaseReplyInReview).Scan(&id, &agency)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("error answering the application of draft %d: %w", draftID, err)
	}
	sys := SystemActor
	return appendEvent(ctx, tx, caseEvent(agency, id, sys, domain.CaseReplyPublished, fmt.Sprintf("%s→%s draft=%d", domain.CaseReplyInReview, to, draftID)))
}

// ReplyDraft is the reply a case starts: its content, the department it is
// written in and its deadline (the case's).
type ReplyDraft struct {
	DepartmentID int64
	Content      domain.Content
	Deadline     time.Time
}

// StartReply sends the case's reply (答复书), body (empty: ReplyContent's),
// into the three stages: a draft of category application_reply whose only channel is the
// applicant, by the handler, in their first department (they need the
// officer role there, as any author does), due on the case's deadline. The
// case moves to reply_in_review, audited in its chain. A case whose
// earlier reply was rejected may start another.
//
// The draft and the case's link to it are two transactions (the draft goes
// through the submissions' group commit): the case is checked before the
// draft is made and again, locked, when it is linked; a second handler
// starting a reply at the same moment is refused at the link and their
// draft stays unlinked (a reviewer rejects it).
func (s *Store) StartReply(ctx context.Context, cal *calendar.Calendar, by domain.Actor, id int64, body string, now time.Time) (Application, Draft, error) {
	if err := domain.CanHandleCases(by); err != nil {
		return Application{}, Draft{}, s.refuseCase(ctx, by, id, domain.CaseStartReply, err)
	}
	a, err := s.application(ctx, s.Pool, by.AgencyID, id)
	if err != nil {
		return a, Draft{}, err
	}
	if err := s.replyAllowed(ctx, s.Pool, a); err != nil {
		return a, Draft{}, err
	}
	if len(by.Departments) == 0 {
		return a, Draft{}, invalidCase("答复书作为稿件在科室中起草：承办人还需要在一个科室具有“信息员”角色，请管理员在用户页面设置。",
			"the reply is written in a department: the handler needs the officer role in one")
	}
	today := DigestDay(now)
	dl := cal.ApplicationDeadline(a.Clock(), today)
	due := dl.Due
	if due.IsZero() {
		due = today
	}
	c := ReplyContent(a, today)
	if strings.TrimSpace(body) != "" {
		c.Body = body
	}
	if err := s.Pool.QueryRow(ctx, `SELECT name FROM departments WHERE id = $1`, by.Departments[0]).Scan(&c.Department); err != nil {
		return a, Draft{}, fmt.Errorf("error reading the handler's department: %w", err)
	}
	link := &replyLink{by: by, agencyID: by.AgencyID, caseID: id}
	d, err := s.submit(ctx, by, by.Departments[0], c, due, link, false)
	if err != nil {
		return a, d, unwrapRefused(err)
	}
	a, err = s.application(ctx, s.Pool, by.AgencyID, id)
	return a, d, err
}

// replyLink answers a case with its reply's draft in the submission's own
// transaction (submitTx): it locks the case and its chain with the
// submission's locking reads, checks again that the case allows a reply,
// and writes the link, the case's state and its audit event with the
// draft. A crash or a refusal leaves neither the draft nor the link.
type replyLink struct {
	by               domain.Actor
	agencyID, caseID int64
	draftID          int64 // set by submitTx

	from, to  domain.CaseState // the case's state as locked, and the reply's
	chainLen  int64
	chainHead []byte
}

func (l *replyLink) lock(b *pgx.Batch) {
	b.Queue(`SELECT a.state, a.outcome, COALESCE(d.state, '') FROM applications a LEFT JOIN drafts d ON d.id = a.reply_draft_id
		WHERE a.id = $1 AND a.agency_id = $2 FOR UPDATE OF a`, l.caseID, l.agencyID)
	b.Queue(`INSERT INTO audit_chains (chain) VALUES ($1) ON CONFLICT (chain) DO UPDATE SET chain = EXCLUDED.chain RETURNING length, head`,
		audit.ApplicationChain(l.caseID))
}

func (l *replyLink) read(br pgx.BatchResults) error {
	var outcome string
	var reply domain.State
	err := br.QueryRow().Scan(&l.from, &outcome, &reply)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("error locking application %d: %w", l.caseID, err)
	}
	if err := br.QueryRow().Scan(&l.chainLen, &l.chainHead); err != nil {
		return fmt.Errorf("error locking the audit chain of application %d: %w", l.caseID, err)
	}
	l.to, err = replyTo(l.from, domain.Outcome(outcome), reply)
	return err
}

func (l *replyLink) event(set *moveSet) {
	set.append(caseEvent(l.agencyID, l.caseID, l.by, domain.CaseStartReply, fmt.Sprintf("%s→%s draft=%d", l.from, l.to, l.draftID)),
		l.chainLen, l.chainHead)
}

func (l *replyLink) write(b *pgx.Batch) {
	b.Queue(`UPDATE applications SET state = $2, reply_draft_id = $3 WHERE id = $1`, l.caseID, l.to, l.draftID)
}

// replyAllowed: the case's state lets a reply start (or its last reply was
// rejected), and its outcome is recorded.
func (s *Store) replyAllowed(ctx context.Context, q caseReader, a Application) error {
	var reply domain.State
	if a.State == domain.CaseReplyInReview && a.ReplyDraftID != 0 {
		if err := q.QueryRow(ctx, `SELECT state FROM drafts WHERE id = $1`, a.ReplyDraftID).Scan(&reply); err != nil {
			return fmt.Errorf("error reading the reply of application %d: %w", a.ID, err)
		}
	}
	_, err := replyTo(a.State, a.Outcome, reply)
	return err
}

// replyTo is the state starting a reply moves a case to — from its own
// state, or from processing again when its last reply (in state reply)
// was rejected — or why no reply may start: the state allows none, or no
// outcome is recorded.
func replyTo(state domain.CaseState, outcome domain.Outcome, reply domain.State) (domain.CaseState, error) {
	from := state
	if state == domain.CaseReplyInReview && reply == domain.StateRejected {
		from = domain.CaseProcessing
	}
	to, err := domain.NextCase(from, domain.CaseStartReply)
	if err != nil {
		return to, err
	}
	if outcome == "" {
		return to, invalidCase("请先记录办理结果，再起草答复书：答复书要写明办理结果。", "record the outcome before drafting the reply: the reply states it")
	}
	return to, nil
}

// ReplyContent is the reply's first text: the form of a 答复书 with the
// case's facts filled in, for the handler to complete before it goes.
func ReplyContent(a Application, today time.Time) domain.Content {
	oi := a.Outcome.Info()
	body := fmt.Sprintf(`%s：

本机关于%s收到您提出的政府信息公开申请，申请获取“%s”。

经审查，现答复如下：%s。

（请写明理由和依据。）

如对本答复不服，可以自收到本答复之日起六十日内依法申请行政复议，或者自收到本答复之日起六个月内依法提起行政诉讼。

%s`, a.ApplicantName, a.ReceivedOn.Format("2006年1月2日"), a.Description, oi.NameZH, today.Format("2006年1月2日"))
	return domain.Content{Title: fmt.Sprintf("政府信息公开申请答复书（%s）", a.ApplicantName), Body: body,
		Category: domain.CategoryApplicationReply, Channels: []domain.Channel{domain.ChannelApplicant}, FormedOn: today}
}
