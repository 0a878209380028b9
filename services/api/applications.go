package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Applications for disclosure (依申请公开): the case queue, intake of
// letters and visits, the clock's records, the outcome, fees and appeals,
// for the agency's case handlers and admins. The deadline in every answer
// is computed from the case's records at the time of the request.

// DeadlineJSON is Article 33's clock read today.
type DeadlineJSON struct {
	Start string `json:"start"`
	// Due is the last day to answer; empty while a 补正 is out (Waiting).
	Due string `json:"due,omitempty"`
	// DaysLeft are the working days from today to Due (negative: overdue).
	DaysLeft     int    `json:"days_left"`
	Waiting      bool   `json:"waiting"`
	Paused       bool   `json:"paused"`
	PausedDays   int    `json:"paused_days"`
	SupplementBy string `json:"supplement_by"`
	// Uncovered: the computation ran past the calendar's data.
	Uncovered bool `json:"uncovered"`
}

// CaseDeadline reads a case's clock on today.
func CaseDeadline(cal *calendar.Calendar, a store.Application, today time.Time) (calendar.ApplicationDeadline, DeadlineJSON) {
	dl := cal.ApplicationDeadline(a.Clock(), today)
	out := DeadlineJSON{Start: date(dl.Start), Due: date(dl.Due), Waiting: dl.Waiting, Paused: dl.Paused, PausedDays: dl.PausedDays,
		SupplementBy: date(dl.SupplementBy), Uncovered: dl.Uncovered}
	if !dl.Due.IsZero() {
		out.DaysLeft = cal.WorkingDaysBetween(today, dl.Due)
	}
	return dl, out
}

// date is a civil date as the API writes it ("" for none).
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(domain.DateLayout)
}

// ApplicationJSON is a case as the API shows it.
type ApplicationJSON struct {
	ID                    int64                 `json:"id"`
	QueryCode             string                `json:"query_code"`
	Route                 domain.IntakeRoute    `json:"route"`
	ApplicantType         domain.ApplicantType  `json:"applicant_type"`
	ApplicantName         string                `json:"applicant_name"`
	ApplicantIDNumber     string                `json:"applicant_id_number,omitempty"`
	ApplicantPhone        string                `json:"applicant_phone,omitempty"`
	ApplicantContact      string                `json:"applicant_contact,omitempty"`
	Description           string                `json:"description"`
	Purpose               string                `json:"purpose,omitempty"`
	ReceivedOn            string                `json:"received_on"`
	State                 domain.CaseState      `json:"state"`
	Deadline              DeadlineJSON          `json:"deadline"`
	SupplementRequestedOn string                `json:"supplement_requested_on,omitempty"`
	SupplementNote        string                `json:"supplement_note,omitempty"`
	SupplementReceivedOn  string                `json:"supplement_received_on,omitempty"`
	ExtendedOn            string                `json:"extended_on,omitempty"`
	ExtensionApprover     string                `json:"extension_approver,omitempty"`
	ExtensionApproverID   int64                 `json:"extension_approver_id,omitempty"`
	ExtensionNote         string                `json:"extension_note,omitempty"`
	ExtensionRequest      *ExtensionRequestJSON `json:"extension_request,omitempty"`
	Outcome               domain.Outcome        `json:"outcome,omitempty"`
	ConcludedOn           string                `json:"concluded_on,omitempty"`
	ReplyDraftID          int64                 `json:"reply_draft_id,omitempty"`
	DeliveryMethod        domain.DeliveryMethod `json:"delivery_method,omitempty"`
	DeliveredOn           string                `json:"delivered_on,omitempty"`
	ClosedOn              string                `json:"closed_on,omitempty"`
	FeeNoticeOn           string                `json:"fee_notice_on,omitempty"`
	FeeAmountFen          int64                 `json:"fee_amount_fen,omitempty"`
	FeePaidOn             string                `json:"fee_paid_on,omitempty"`
	Pauses                []PauseJSON           `json:"pauses"`
	Appeals               []AppealJSON          `json:"appeals"`
	Documents             []DocumentJSON        `json:"documents"`
	Handlers              []HandlerJSON         `json:"handlers"`
}

// HandlerJSON is one of a case's handlers (承办人).
type HandlerJSON struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	AssignedAt string `json:"assigned_at"`
}

// ExtensionRequestJSON is a handler's request for the extension, waiting
// for the head.
type ExtensionRequestJSON struct {
	On     string `json:"on"`
	ByID   int64  `json:"by_id"`
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// PauseJSON is a pause of the clock.
type PauseJSON struct {
	ID        int64              `json:"id"`
	Reason    domain.PauseReason `json:"reason"`
	StartedOn string             `json:"started_on"`
	EndedOn   string             `json:"ended_on,omitempty"`
	Note      string             `json:"note,omitempty"`
}

// AppealJSON is a 行政复议 or 行政诉讼 about the case.
type AppealJSON struct {
	ID          int64                `json:"id"`
	Kind        domain.AppealKind    `json:"kind"`
	AfterReview bool                 `json:"after_review"`
	FiledOn     string               `json:"filed_on"`
	Outcome     domain.AppealOutcome `json:"outcome"`
	DecidedOn   string               `json:"decided_on,omitempty"`
	Note        string               `json:"note,omitempty"`
}

// DocumentJSON is an identity document's record (never its bytes).
type DocumentJSON struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	AddedAt   string `json:"added_at"`
	DeletedAt string `json:"deleted_at,omitempty"`
}

// ApplicationOut is a case as JSON, with its clock read on today.
func ApplicationOut(cal *calendar.Calendar, a store.Application, today time.Time) ApplicationJSON {
	_, dl := CaseDeadline(cal, a, today)
	out := ApplicationJSON{ID: a.ID, QueryCode: a.QueryCode, Route: a.Route, ApplicantType: a.ApplicantType, ApplicantName: a.ApplicantName,
		ApplicantIDNumber: a.ApplicantIDNumber, ApplicantPhone: a.ApplicantPhone, ApplicantContact: a.ApplicantContact,
		Description: a.Description, Purpose: a.Purpose, ReceivedOn: date(a.ReceivedOn), State: a.State, Deadline: dl,
		SupplementRequestedOn: date(a.SupplementRequestedOn), SupplementNote: a.SupplementNote, SupplementReceivedOn: date(a.SupplementReceivedOn),
		ExtendedOn: date(a.ExtendedOn), ExtensionApprover: a.ExtensionApprover, ExtensionApproverID: a.ExtensionApproverID, ExtensionNote: a.ExtensionNote,
		Outcome: a.Outcome, ConcludedOn: date(a.ConcludedOn),
		ReplyDraftID: a.ReplyDraftID, DeliveryMethod: a.DeliveryMethod, DeliveredOn: date(a.DeliveredOn), ClosedOn: date(a.ClosedOn),
		FeeNoticeOn: date(a.FeeNoticeOn), FeeAmountFen: a.FeeAmountFen, FeePaidOn: date(a.FeePaidOn),
		Pauses: []PauseJSON{}, Appeals: []AppealJSON{}, Documents: []DocumentJSON{}, Handlers: []HandlerJSON{}}
	if a.ExtensionPending() {
		out.ExtensionRequest = &ExtensionRequestJSON{On: date(a.ExtensionRequestedOn), ByID: a.ExtensionRequestedBy, By: a.ExtensionRequestedByName,
			Reason: a.ExtensionRequestNote}
	}
	for _, h := range a.Handlers {
		out.Handlers = append(out.Handlers, HandlerJSON{ID: h.UserID, Name: h.Name, AssignedAt: h.AssignedAt.Format(time.RFC3339)})
	}
	for _, p := range a.Pauses {
		out.Pauses = append(out.Pauses, PauseJSON{ID: p.ID, Reason: p.Reason, StartedOn: date(p.StartedOn), EndedOn: date(p.EndedOn), Note: p.Note})
	}
	for _, p := range a.Appeals {
		out.Appeals = append(out.Appeals, AppealJSON{ID: p.ID, Kind: p.Kind, AfterReview: p.AfterReview, FiledOn: date(p.FiledOn),
			Outcome: p.Outcome, DecidedOn: date(p.DecidedOn), Note: p.Note})
	}
	for _, d := range a.Documents {
		out.Documents = append(out.Documents, DocumentOut(d))
	}
	return out
}

// ApplicationInput is the body of POST /api/v1/applications: a letter or
// a visit taken in by staff (online applications come from the public form).
type ApplicationInput struct {
	Route             string `json:"route"`
	ApplicantType     string `json:"applicant_type"`
	ApplicantName     string `json:"applicant_name"`
	ApplicantIDNumber string `json:"applicant_id_number"`
	ApplicantPhone    string `json:"applicant_phone"`
	ApplicantContact  string `json:"applicant_contact"`
	Description       string `json:"description"`
	Purpose           string `json:"purpose"`
	ReceivedOn        string `json:"received_on"`
}

// New reads the input; an empty received_on is today.
func (in ApplicationInput) New(today time.Time) (store.NewApplication, error) {
	n := store.NewApplication{Route: domain.IntakeRoute(in.Route), ApplicantType: domain.ApplicantType(in.ApplicantType),
		ApplicantName: in.ApplicantName, ApplicantIDNumber: in.ApplicantIDNumber, ApplicantPhone: in.ApplicantPhone,
		ApplicantContact: in.ApplicantContact, Description: in.Description, Purpose: in.Purpose, ReceivedOn: today}
	if n.Route == domain.RouteOnline {
		return n, failZH(http.StatusBadRequest, "invalid_route", "网上申请只能通过公开专栏的申请表提交；工作人员登记信函（letter）或当面（visit）申请。",
			"online applications come from the public column's form; staff take in letters and visits")
	}
	var err error
	if n.ReceivedOn, err = parseDate("received_on", in.ReceivedOn, today); err != nil {
		return n, err
	}
	return n, nil
}

// parseDate reads a date field; empty is def.
func parseDate(field, v string, def time.Time) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return def, nil
	}
	t, err := time.Parse(domain.DateLayout, strings.TrimSpace(v))
	if err != nil {
		return t, failField(field, http.StatusBadRequest, "invalid_date", "日期须为 YYYY-MM-DD 格式。", "%s must be a date YYYY-MM-DD, not %q", field, v)
	}
	return t, nil
}

// CaseActInput is the body of POST /api/v1/applications/{id}/actions.
type CaseActInput struct {
	Action        string `json:"action"`
	On            string `json:"on"`
	Note          string `json:"note"`
	Reason        string `json:"reason"`
	Approver      string `json:"approver"` // refused (approver_not_typed): the head approves an extension as themselves
	Outcome       string `json:"outcome"`
	Method        string `json:"method"`
	FeeAmountFen  int64  `json:"fee_amount_fen"`
	FeePaid       bool   `json:"fee_paid"`
	AppealID      int64  `json:"appeal_id"`
	AppealKind    string `json:"appeal_kind"`
	AfterReview   bool   `json:"after_review"`
	AppealOutcome string `json:"appeal_outcome"`
	HandlerID     int64  `json:"handler_id"`
}

// staffActions are the actions a person records with this input; the
// reply and the documents have their own routes.
var staffActions = []domain.CaseAction{domain.CaseRequestSupplement, domain.CaseSupplementArrived, domain.CasePauseStart,
	domain.CasePauseEnd, domain.CaseRequestExtension, domain.CaseExtend, domain.CaseDeclineExtension, domain.CaseRecordOutcome,
	domain.CaseRecordDelivery, domain.CaseClose, domain.CaseRecordFee, domain.CaseRecordAppeal,
	domain.CaseAssignHandler, domain.CaseRemoveHandler, domain.CaseTake}

// StaffActions lists them, for the pages.
func StaffActions() []domain.CaseAction { return staffActions }

// Act reads the input; an empty date is today.
func (in CaseActInput) Act(today time.Time) (store.CaseAct, error) {
	a := store.CaseAct{Action: domain.CaseAction(in.Action), Note: in.Note, Reason: domain.PauseReason(in.Reason),
		Outcome: domain.Outcome(in.Outcome), Method: domain.DeliveryMethod(in.Method), FeeAmountFen: in.FeeAmountFen, FeePaid: in.FeePaid,
		AppealID: in.AppealID, AppealKind: domain.AppealKind(in.AppealKind), AfterReview: in.AfterReview, AppealResult: domain.AppealOutcome(in.AppealOutcome),
		HandlerID: in.HandlerID}
	known := false
	for _, k := range staffActions {
		known = known || k == a.Action
	}
	if !known {
		names := make([]string, len(staffActions))
		for i, k := range staffActions {
			names[i] = string(k)
		}
		return a, failZH(http.StatusBadRequest, "unknown_action", fmt.Sprintf("未知的操作“%s”。", in.Action),
			"action must be one of: %s; not %q", strings.Join(names, ", "), in.Action)
	}
	if strings.TrimSpace(in.Approver) != "" {
		return a, failZH(http.StatusBadRequest, "approver_not_typed",
			"延期不再填写批准人姓名：由政府信息公开工作机构负责人本人登录批准（action extended），承办人提出延期申请（action extension_requested）。",
			"approver is not typed any more: the head of the disclosure office approves the extension as themselves (action extended); a handler requests it (action extension_requested)")
	}
	var err error
	a.On, err = parseDate("on", in.On, today)
	return a, err
}

// listApplications is GET /api/v1/applications: the open cases, or with
// ?all=1 the last two years' too, oldest received first; with ?mine=1
// only the caller's (those they handle).
func (s *Server) listApplications(c echo.Context) error {
	list, err := s.Store.Applications(c.Request().Context(), user(c).Actor(),
		store.CaseQuery{All: c.QueryParam("all") == "1", Mine: c.QueryParam("mine") == "1"})
	if err != nil {
		return err
	}
	today := s.today()
	out := make([]ApplicationJSON, len(list))
	for i, a := range list {
		out[i] = ApplicationOut(s.Calendar, a, today)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// addApplication is POST /api/v1/applications.
func (s *Server) addApplication(c echo.Context) error {
	var in ApplicationInput
	if err := decode(c, &in); err != nil {
		return err
	}
	n, err := in.New(s.today())
	if err != nil {
		return err
	}
	a, err := s.Store.AddApplication(c.Request().Context(), user(c).Actor(), n, s.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ApplicationOut(s.Calendar, a, s.today()))
}

// getApplication is GET /api/v1/applications/{id}.
func (s *Server) getApplication(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	a, err := s.Store.Application(c.Request().Context(), user(c).Actor(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ApplicationOut(s.Calendar, a, s.today()))
}

// actOnApplication is POST /api/v1/applications/{id}/actions.
func (s *Server) actOnApplication(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in CaseActInput
	if err := decode(c, &in); err != nil {
		return err
	}
	act, err := in.Act(s.today())
	if err != nil {
		return err
	}
	a, err := s.Store.ActOnApplication(c.Request().Context(), s.Calendar, user(c).Actor(), id, act, s.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ApplicationOut(s.Calendar, a, s.today()))
}

// applicationAudit is GET /api/v1/applications/{id}/audit: the case's chain.
func (s *Server) applicationAudit(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.Store.Application(ctx, user(c).Actor(), id); err != nil {
		return err
	}
	evs, err := s.Store.ChainEvents(ctx, audit.ApplicationChain(id))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"events": evs})
}

// applicationsReport is GET /api/v1/reports/applications?year=: the annual
// report's tables 三 and 四 (store.ApplicationReportCounts).
func (s *Server) applicationsReport(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin, domain.RoleAuditor, domain.RoleCaseHandler); err != nil {
		return err
	}
	year, err := ReadYear(c.QueryParam("year"), s.Now())
	if err != nil {
		return err
	}
	r, err := s.Store.ApplicationReportCounts(c.Request().Context(), user(c).AgencyID, year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// startReply is POST /api/v1/applications/{id}/reply: the case's reply
// (答复书) drafted and sent into the three stages (store.StartReply).
func (s *Server) startReply(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(in.Body); n > maxBodyRunes {
		return fail(http.StatusBadRequest, "field_too_long", "body is %d characters; the limit is %d", n, maxBodyRunes)
	}
	a, _, err := s.Store.StartReply(c.Request().Context(), s.Calendar, user(c).Actor(), id, in.Body, s.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ApplicationOut(s.Calendar, a, s.today()))
}
