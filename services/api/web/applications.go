package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// The applications' pages (依申请公开): the case queue with each case's
// deadline, the intake form for letters and visits, and the case page with
// its actions. Everything is recorded through the same store calls as the
// API, so both check alike.

// caseRow is a case in the queue, its clock read today.
type caseRow struct {
	A        store.Application
	Deadline calendar.ApplicationDeadline
	DaysLeft int
	Overdue  bool
	Near     bool
}

// caseRowOf reads a case's clock today; near is the queue's "nearly due".
func (w *Web) caseRowOf(a store.Application) caseRow {
	today := checks.Today(w.Now())
	dl, j := api.CaseDeadline(w.Calendar, a, today)
	r := caseRow{A: a, Deadline: dl, DaysLeft: j.DaysLeft}
	if a.State.Open() && !dl.Due.IsZero() {
		r.Overdue, r.Near = j.DaysLeft < 0, j.DaysLeft >= 0 && j.DaysLeft <= nearlyDue
	}
	return r
}

// applicationsPage is the case queue: open cases oldest first, or with
// ?all=1 the answered and closed ones too; with ?mine=1 only the viewer's.
func (w *Web) applicationsPage(c echo.Context) error {
	all, mine := c.QueryParam("all") == "1", c.QueryParam("mine") == "1"
	ctx, by := c.Request().Context(), currentUser(c).Actor()
	list, err := w.Store.Applications(ctx, by, store.CaseQuery{All: all, Mine: mine})
	if isRefusal(err) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	if err != nil {
		return err
	}
	rows := make([]caseRow, len(list))
	for i, a := range list {
		rows[i] = w.caseRowOf(a)
	}
	retention, err := w.Store.IdentityRetention(ctx, by.AgencyID)
	if err != nil {
		return err
	}
	p := w.base(c, "app.title", "applications")
	p.Data = map[string]any{"Rows": rows, "All": all, "Mine": mine, "Handler": by.Has(domain.RoleCaseHandler), "Me": by.ID,
		"Retention": retention, "Admin": by.Has(domain.RoleAdmin)}
	return w.render(c, http.StatusOK, "applications", p)
}

// intakeView is the intake form, with what was typed.
type intakeView struct {
	In    api.ApplicationInput
	Types []domain.ApplicantType
}

// newApplicationForm is the intake form for a letter or a visit.
func (w *Web) newApplicationForm(c echo.Context) error {
	if err := domain.CanHandleCases(currentUser(c).Actor()); err != nil {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	return w.renderIntake(c, http.StatusOK, intakeView{In: api.ApplicationInput{Route: string(domain.RouteLetter),
		ReceivedOn: checks.Today(w.Now()).Format(domain.DateLayout)}})
}

func (w *Web) renderIntake(c echo.Context, status int, v intakeView) error {
	v.Types = domain.ApplicantTypes
	p := w.base(c, "app.new", "applications")
	p.Data = v
	return w.render(c, status, "application_new", p)
}

// addApplication takes the intake form in.
func (w *Web) addApplication(c echo.Context) error {
	in := api.ApplicationInput{Route: c.FormValue("route"), ApplicantType: c.FormValue("applicant_type"), ApplicantName: c.FormValue("applicant_name"),
		ApplicantIDNumber: c.FormValue("applicant_id_number"), ApplicantPhone: c.FormValue("applicant_phone"),
		ApplicantContact: c.FormValue("applicant_contact"), Description: c.FormValue("description"), Purpose: c.FormValue("purpose"),
		ReceivedOn: c.FormValue("received_on")}
	n, err := in.New(checks.Today(w.Now()))
	if err == nil {
		var a store.Application
		a, err = w.Store.AddApplication(c.Request().Context(), currentUser(c).Actor(), n, w.Now())
		if err == nil {
			flash(c, "app.flash.added")
			return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/web/applications/%d", a.ID))
		}
	}
	if r := (*domain.Refusal)(nil); errors.As(err, &r) && !r.Invalid() {
		// Not what was typed but who typed it (no case handler): 403.
		msg, _ := w.problem(c, err)
		return w.showError(c, http.StatusForbidden, msg)
	}
	if msg, ok := w.problem(c, err); ok {
		return w.refuse(c, caseField(err), msg, func(c echo.Context) error {
			return w.renderIntake(c, http.StatusUnprocessableEntity, intakeView{In: in})
		})
	}
	return err
}

// caseField is the case form's field an error is about: the API's name,
// but for the fee's amount, which the form takes in yuan.
func caseField(err error) string {
	if f := fieldOf(err); f != "fee_amount_fen" {
		return f
	}
	return "fee_yuan"
}

// problem is an input error or a refusal as the page shows it; false for
// any other error. A Chinese page shows the Chinese message that names the
// problem (every case refusal has one), or else the rule's own Chinese
// words, never the English detail; an English page shows the rule and the
// detail.
func (w *Web) problem(c echo.Context, err error) (string, bool) {
	var ae *api.Error
	var r *domain.Refusal
	zh := w.lang(c) == langZH
	switch {
	case errors.As(err, &ae):
		if zh {
			if ae.MessageZH != "" {
				return ae.MessageZH, true
			}
			return w.pages.or(langZH, "rule."+ae.Code, w.t(c, "app.refused")), true
		}
		return ae.Message, true
	case errors.As(err, &r):
		if zh {
			if r.MessageZH != "" {
				return r.MessageZH, true
			}
			return w.pages.or(langZH, "rule."+string(r.Rule), w.t(c, "app.refused")), true
		}
		return w.pages.or(w.lang(c), "rule."+string(r.Rule), w.t(c, "app.refused")) + " (" + r.Message + ")", true
	}
	return "", false
}

// caseView is the case page's data.
type caseView struct {
	caseRow
	Events    []audit.Event
	Outcomes  []domain.OutcomeInfo
	Reasons   []domain.PauseReason
	Methods   []domain.DeliveryMethod
	Kinds     []domain.AppealKind
	Results   []domain.AppealOutcome
	OpenPause *store.ApplicationPause
	// May: the actions domain.NextCase allows in the case's state.
	May map[string]bool
	// Identity: the viewer may read (and add) the identity documents: they
	// are one of the case's handlers.
	Identity bool
	// Head: the viewer is the head of the 政府信息公开工作机构, who
	// approves or declines the extension; Assign: the viewer may assign
	// and remove handlers (the head, an admin).
	Head, Assign bool
	// Choices: the case handlers the head may assign (not the case's own).
	Choices []store.CaseHandler
	// Retention: the days the agency keeps them after the case is closed.
	Retention int
	Today     string
	// Reply is the reply's first text, for the form that sends it.
	Reply string
}

// Row is the case's queue row (for the deadline partial).
func (v caseView) Row() caseRow { return v.caseRow }

// applicationPage is a case with its clock, its records, its trail and
// the actions its state allows.
// A refused record shows the page again (refuse), the form as typed.
func (w *Web) applicationPage(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	ctx, by := c.Request().Context(), currentUser(c).Actor()
	a, err := w.Store.Application(ctx, by, id)
	if isRefusal(err) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	if errors.Is(err, store.ErrNotFound) {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return err
	}
	evs, err := w.Store.ChainEvents(ctx, audit.ApplicationChain(id))
	if err != nil {
		return err
	}
	retention, err := w.Store.IdentityRetention(ctx, by.AgencyID)
	if err != nil {
		return err
	}
	v := caseView{Retention: retention, caseRow: w.caseRowOf(a), Events: evs, Outcomes: domain.OutcomeTable, Reasons: domain.PauseReasons,
		Methods: domain.DeliveryMethods, Kinds: domain.AppealKinds, Results: domain.AppealOutcomes, OpenPause: a.OpenPause(),
		May: map[string]bool{}, Identity: domain.CanReadIdentity(by, a.HandlerIDs()) == nil,
		Head: domain.IsCaseHead(by), Assign: domain.CanAssignHandlers(by) == nil,
		Today: checks.Today(w.Now()).Format(domain.DateLayout), Reply: store.ReplyContent(a, checks.Today(w.Now())).Body}
	if v.Assign {
		all, err := w.Store.CaseHandlerChoices(ctx, by)
		if err != nil {
			return err
		}
		for _, h := range all {
			if !a.HandledBy(h.UserID) {
				v.Choices = append(v.Choices, h)
			}
		}
	}
	for _, act := range append(api.StaffActions(), domain.CaseStartReply) {
		_, err := domain.NextCase(a.State, act)
		v.May[string(act)] = err == nil
	}
	may := func(a domain.CaseAction, also bool) { v.May[string(a)] = v.May[string(a)] && also }
	may(domain.CasePauseStart, v.OpenPause == nil)
	may(domain.CasePauseEnd, v.OpenPause != nil)
	may(domain.CaseRequestSupplement, a.SupplementRequestedOn.IsZero())
	may(domain.CaseRequestExtension, a.ExtendedOn.IsZero() && !a.ExtensionPending())
	may(domain.CaseExtend, a.ExtendedOn.IsZero() && v.Head)
	may(domain.CaseDeclineExtension, a.ExtensionPending() && v.Head)
	may(domain.CaseRecordDelivery, a.DeliveredOn.IsZero())
	may(domain.CaseTake, len(a.Handlers) == 0 && domain.CanTakeCase(by) == nil)
	may(domain.CaseAssignHandler, v.Assign && len(v.Choices) > 0)
	may(domain.CaseRemoveHandler, v.Assign && len(a.Handlers) > 0)
	p := w.base(c, "app.case", "applications")
	p.Title = w.t(c, "app.case") + " " + strconv.FormatInt(a.ID, 10)
	p.Data = v
	return w.render(c, http.StatusOK, "application", p)
}

// actOnApplication records one of the case page's forms.
func (w *Web) actOnApplication(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue(k)), 10, 64)
		return n
	}
	in := api.CaseActInput{Action: c.FormValue("action"), On: c.FormValue("on"), Note: c.FormValue("note"), Reason: c.FormValue("reason"),
		Outcome: c.FormValue("outcome"), Method: c.FormValue("method"),
		FeePaid: c.FormValue("fee_paid") == "1", AppealID: num("appeal_id"), AppealKind: c.FormValue("appeal_kind"),
		AfterReview: c.FormValue("after_review") == "1", AppealOutcome: c.FormValue("appeal_outcome"), HandlerID: num("handler_id")}
	if yuan := strings.TrimSpace(c.FormValue("fee_yuan")); yuan != "" {
		f, perr := strconv.ParseFloat(yuan, 64)
		if perr != nil || f < 0 || f > 1e9 {
			return w.refuse(c, "fee_yuan", w.t(c, "app.bad_amount"), w.applicationPage)
		}
		in.FeeAmountFen = int64(f*100 + 0.5)
	}
	act, err := in.Act(checks.Today(w.Now()))
	if err == nil {
		_, err = w.Store.ActOnApplication(c.Request().Context(), w.Calendar, currentUser(c).Actor(), id, act, w.Now())
	}
	return w.caseWritten(c, err, "app.flash.recorded", fmt.Sprintf("/web/applications/%d", id))
}

// caseWritten answers a write on a case page: a missing case is the 404
// page, a refusal the case page again (422) with the form as typed, its
// field at fault marked and its problem said there, else the flash and
// the page to go to.
func (w *Web) caseWritten(c echo.Context, err error, flashKey, next string) error {
	if errors.Is(err, store.ErrNotFound) {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if msg, ok := w.problem(c, err); ok {
		return w.refuse(c, caseField(err), msg, w.applicationPage)
	}
	if err != nil {
		return err
	}
	flash(c, flashKey)
	return c.Redirect(http.StatusSeeOther, next)
}

// startReply drafts the case's reply and opens it: the handler completes
// it there and resubmits, as any author does.
func (w *Web) startReply(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	_, d, err := w.Store.StartReply(c.Request().Context(), w.Calendar, currentUser(c).Actor(), id, c.FormValue("body"), w.Now())
	return w.caseWritten(c, err, "app.flash.reply_started", fmt.Sprintf("/web/drafts/%d", d.ID))
}
