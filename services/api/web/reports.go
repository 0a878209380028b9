package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/assessment"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// annualView is the annual report's page: the report of a year as the
// records give it, printable, with the form that submits it as a draft.
type annualView struct {
	Year        int
	YearText    string // the year as asked for (typed, when it is not one)
	Fees        string // as typed, when it is not an amount
	Field       string // the year form's field at fault: year or fees
	R           ar.Report
	Organs      []string // the 法人或其他组织 columns' names
	Outcomes    []string // table 四's outcome names
	Departments []store.Department
	Channels    []domain.ChannelInfo
}

// annualPage is GET /web/reports/annual?year=&fees=.
func (w *Web) annualPage(c echo.Context) error {
	return w.showAnnual(c, http.StatusOK, nil)
}

// showAnnual shows the page for the query's year, with the problem of a
// submission when there is one. A year or an amount that is not one is
// shown as typed, its field marked (a GET: the page itself does it).
func (w *Web) showAnnual(c echo.Context, status int, problem error) error {
	u := currentUser(c)
	if !w.requireRoles(c, api.ReportReaders...) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	p := w.base(c, "report.annual_title", "reports")
	v := annualView{Channels: domain.ChannelTable}
	for _, a := range ar.ApplicantTable[ar.Business:] {
		v.Organs = append(v.Organs, a.NameZH)
	}
	v.Outcomes = ar.AppealOutcomeNames[:]
	v.YearText, v.Fees = strings.TrimSpace(c.FormValue("year")), strings.TrimSpace(c.FormValue("fees"))
	year, err := api.ReadYear(v.YearText, w.Now())
	v.Field = "year"
	if err == nil {
		v.Year, v.YearText, v.Field = year, strconv.Itoa(year), "fees"
		var fees string
		if fees, err = api.ReadFees(v.Fees); err == nil {
			v.Fees = fees
		}
	}
	if err == nil {
		v.Field = ""
		v.R, err = api.AnnualReport(c.Request().Context(), w.Store, w.Cases, u.AgencyID, v.Year, v.Fees)
	}
	if err == nil {
		err = problem
	}
	if err != nil {
		msg, ok := w.apiMessage(c, err)
		if !ok {
			return err
		}
		p.Error, status = msg, http.StatusBadRequest
		var ref *domain.Refusal
		switch {
		case errors.As(err, &ref):
			status = http.StatusForbidden
		case problem != nil:
			status = http.StatusUnprocessableEntity
		}
	}
	if u.Actor().Has(domain.RoleOfficer) {
		if v.Departments, err = w.departmentsOf(c, u); err != nil {
			return err
		}
	}
	p.Data = v
	return w.render(c, status, "annual_report", p)
}

// apiMessage is the reader's words for an API error or a refusal.
func (w *Web) apiMessage(c echo.Context, err error) (string, bool) {
	var ae *api.Error
	var ref *domain.Refusal
	switch {
	case errors.As(err, &ae) && ae.MessageZH != "" && w.lang(c) == "zh":
		return ae.MessageZH, true
	case errors.As(err, &ae):
		return w.t(c, "input."+ae.Code) + " — " + ae.Message, true
	case errors.As(err, &ref):
		return w.t(c, "rule."+string(ref.Rule)), true
	}
	return "", false
}

// annualXLSX is GET /web/reports/annual.xlsx?year=&fees=.
func (w *Web) annualXLSX(c echo.Context) error {
	if !w.requireRoles(c, api.ReportReaders...) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	year, err := api.ReadYear(c.QueryParam("year"), w.Now())
	if err != nil {
		return w.showAnnual(c, http.StatusBadRequest, nil)
	}
	fees, err := api.ReadFees(c.QueryParam("fees"))
	if err != nil {
		return w.showAnnual(c, http.StatusBadRequest, nil)
	}
	r, err := api.AnnualReport(c.Request().Context(), w.Store, w.Cases, currentUser(c).AgencyID, year, fees)
	if err != nil {
		return w.showAnnual(c, http.StatusBadRequest, nil)
	}
	b, err := r.XLSX()
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="annual-report-%d.xlsx"`, year))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

// submitAnnual is POST /web/reports/annual: the report of the year
// submitted as a draft by the officer, who then finds it among their drafts.
func (w *Web) submitAnnual(c echo.Context) error {
	u := currentUser(c)
	year, err := api.ReadYear(c.FormValue("year"), w.Now())
	if err != nil {
		return w.showAnnual(c, http.StatusBadRequest, nil)
	}
	in := api.AnnualDraftInput{Year: year, Department: c.FormValue("department"), Fees: strings.TrimSpace(c.FormValue("fees"))}
	d, err := api.SubmitAnnualReport(c.Request().Context(), w.Store, w.Cases, w.Calendar, *u, in, w.Now())
	if err != nil {
		// The page again: a refusal of what the form says comes back in
		// it as posted (posted.go), the department marked when it is the
		// one at fault; one of who may submit stays a refusal (403).
		msg, ok := w.apiMessage(c, err)
		if !ok {
			return err
		}
		var ae *api.Error
		field := ""
		if errors.As(err, &ae) && ae.Code == "unknown_department" {
			field = "department"
		}
		return w.refuse(c, field, msg, func(c echo.Context) error { return w.showAnnual(c, http.StatusUnprocessableEntity, err) })
	}
	flash(c, "flash.submitted")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/web/drafts/%d", d.ID))
}

// assessmentView is the assessment's page: the period's rankings,
// printable for the 工委会议, and the weights (an admin may change them).
type assessmentView struct {
	Period    string
	A         assessment.Assessment
	Columns   []string
	Channels  []domain.ChannelInfo
	FormulaZH string
	FormulaEN string
	CanSet    bool
	Rows      [][]any // the officers' cells
	DeptRows  [][]any
}

// assessmentPage is GET /web/reports/assessment?period=.
func (w *Web) assessmentPage(c echo.Context) error { return w.showAssessment(c, http.StatusOK, "") }

func (w *Web) showAssessment(c echo.Context, status int, problem string) error {
	if !w.requireRoles(c, api.AssessmentReaders...) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	p := w.base(c, "report.assessment_title", "assessment")
	v := assessmentView{Columns: assessment.Columns, Channels: domain.ChannelTable, FormulaZH: assessment.FormulaZH, FormulaEN: assessment.FormulaEN,
		CanSet: currentUser(c).Actor().Has(domain.RoleAdmin)}
	period, err := api.ReadPeriod(c.FormValue("period"), func() string { return w.Now().In(domain.Beijing).Format("2006-01") })
	if err == nil {
		v.Period = period.Label
		v.A, err = api.Assess(c.Request().Context(), w.Store, currentUser(c).AgencyID, period)
	}
	if err != nil {
		msg, ok := w.apiMessage(c, err)
		if !ok {
			return err
		}
		problem, status = msg, http.StatusBadRequest
	}
	for _, l := range v.A.Officers {
		v.Rows = append(v.Rows, assessment.Row(l))
	}
	for _, l := range v.A.Departments {
		v.DeptRows = append(v.DeptRows, assessment.Row(l))
	}
	p.Error = problem
	p.Data = v
	return w.render(c, status, "assessment", p)
}

// assessmentXLSX is GET /web/reports/assessment.xlsx?period=.
func (w *Web) assessmentXLSX(c echo.Context) error {
	if !w.requireRoles(c, api.AssessmentReaders...) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	period, err := api.ReadPeriod(c.QueryParam("period"), func() string { return w.Now().In(domain.Beijing).Format("2006-01") })
	if err != nil {
		return w.showAssessment(c, http.StatusBadRequest, "")
	}
	a, err := api.Assess(c.Request().Context(), w.Store, currentUser(c).AgencyID, period)
	if err != nil {
		return err
	}
	b, err := a.XLSX()
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="assessment-%s.xlsx"`, period.Label))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

// setWeights is POST /web/reports/assessment/weights, an admin's.
func (w *Web) setWeights(c echo.Context) error {
	num := func(k string) float64 {
		v, err := strconv.ParseFloat(strings.TrimSpace(c.FormValue(k)), 64)
		if err != nil {
			return -1
		}
		return v
	}
	wt := assessment.Weights{Published: num("published"), FirstPass: num("first_pass"), OnTime: num("on_time"), Returned: num("returned")}
	if err := api.SetWeights(c.Request().Context(), w.Store, currentUser(c).Actor(), wt); err != nil {
		msg, ok := w.apiMessage(c, err)
		if !ok {
			return err
		}
		if isRefusal(err) {
			return w.showAssessment(c, http.StatusForbidden, msg)
		}
		// A weight that is not one: the form again as typed, that field
		// marked (posted.go).
		return w.refuse(c, wt.Invalid(), msg, func(c echo.Context) error { return w.showAssessment(c, http.StatusUnprocessableEntity, msg) })
	}
	flash(c, "report.weights_saved")
	return c.Redirect(http.StatusSeeOther, "/web/reports/assessment?period="+url.QueryEscape(c.FormValue("period")))
}
