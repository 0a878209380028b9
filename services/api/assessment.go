package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/assessment"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// AssessmentReaders are the roles that may read the officers' assessment:
// it ranks people, so the agency's admins and auditors only.
var AssessmentReaders = []domain.Role{domain.RoleAdmin, domain.RoleAuditor}

// ReadPeriod reads ?period= (YYYY, YYYY-Qn or YYYY-MM; empty: this month
// in Beijing): 400 invalid_period.
func ReadPeriod(q string, now func() string) (assessment.Period, error) {
	if q == "" {
		q = now()
	}
	p, err := assessment.ParsePeriod(q)
	if err != nil {
		return p, failZH(http.StatusBadRequest, "invalid_period", "考核期间须为年（2025）、季度（2025-Q1）或月份（2025-03）。", "%s", err.Error())
	}
	return p, nil
}

// Assess is the agency's assessment for the period, scored and ranked by
// its weights.
func Assess(ctx context.Context, st *store.Store, agencyID int64, p assessment.Period) (assessment.Assessment, error) {
	w, err := st.AssessmentWeights(ctx, agencyID)
	if err != nil {
		return assessment.Assessment{}, err
	}
	officers, departments, err := st.Assessment(ctx, agencyID, p.From, p.To, checks.DoublePublicityCategories())
	if err != nil {
		return assessment.Assessment{}, err
	}
	return assessment.Assessment{Period: p, Weights: w, Officers: assessment.Rank(w, officers), Departments: assessment.Rank(w, departments)}, nil
}

// assessmentJSON is GET /reports/assessment.
type assessmentJSON struct {
	Period    string `json:"period"`
	From      string `json:"from"`
	To        string `json:"to"` // exclusive
	FormulaZH string `json:"formula_zh"`
	FormulaEN string `json:"formula_en"`
	assessment.Assessment
}

// assessmentReport is GET /api/v1/reports/assessment?period=&format=json|xlsx.
func (s *Server) assessmentReport(c echo.Context) error {
	if err := requireRole(c, AssessmentReaders...); err != nil {
		return err
	}
	p, err := ReadPeriod(c.QueryParam("period"), func() string { return s.Now().In(domain.Beijing).Format("2006-01") })
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "xlsx" {
		return failZH(http.StatusBadRequest, "invalid_format", "格式须为 json 或 xlsx。", "format must be json or xlsx, not %q", format)
	}
	a, err := Assess(c.Request().Context(), s.Store, user(c).AgencyID, p)
	if err != nil {
		return err
	}
	if format == "xlsx" {
		b, err := a.XLSX()
		if err != nil {
			return err
		}
		return attachment(c, fmt.Sprintf("assessment-%s.xlsx", p.Label), b)
	}
	if a.Officers == nil {
		a.Officers = []assessment.Line{}
	}
	if a.Departments == nil {
		a.Departments = []assessment.Line{}
	}
	return c.JSON(http.StatusOK, assessmentJSON{Period: p.Label, From: p.From.Format(domain.DateLayout), To: p.To.Format(domain.DateLayout),
		FormulaZH: assessment.FormulaZH, FormulaEN: assessment.FormulaEN, Assessment: a})
}

// SetWeights stores the agency's weights: 400 invalid_weights.
func SetWeights(ctx context.Context, st *store.Store, by domain.Actor, w assessment.Weights) error {
	err := st.SetAssessmentWeights(ctx, by, w)
	if errors.Is(err, assessment.ErrInvalidWeights) {
		return failZH(http.StatusBadRequest, "invalid_weights", fmt.Sprintf("每项权重须在0至%d之间。", assessment.MaxWeight), "%s", err.Error())
	}
	return err
}

// setAssessmentWeights is PUT /api/v1/reports/assessment/weights.
func (s *Server) setAssessmentWeights(c echo.Context) error {
	var in struct {
		Published *float64 `json:"published"`
		FirstPass *float64 `json:"first_pass"`
		OnTime    *float64 `json:"on_time"`
		Returned  *float64 `json:"returned"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Published == nil || in.FirstPass == nil || in.OnTime == nil || in.Returned == nil {
		return fail(http.StatusBadRequest, "missing_field", "published, first_pass, on_time and returned are all required")
	}
	w := assessment.Weights{Published: *in.Published, FirstPass: *in.FirstPass, OnTime: *in.OnTime, Returned: *in.Returned}
	if err := SetWeights(c.Request().Context(), s.Store, user(c).Actor(), w); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}
