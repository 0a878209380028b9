package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// ReadYear reads a ?year= (empty: this year in Beijing): 400 invalid_year.
func ReadYear(q string, now time.Time) (int, error) {
	if q == "" {
		return now.In(domain.Beijing).Year(), nil
	}
	y, err := strconv.Atoi(q)
	if err != nil || y < 2000 || y > 2100 {
		return 0, failZH(http.StatusBadRequest, "invalid_year", "年份须为2000至2100之间的四位数字。", "year must be a four-digit year from 2000 to 2100, not %q", q)
	}
	return y, nil
}

// feesPattern is an amount in 万元: up to nine digits and four decimals.
var feesPattern = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,4})?$`)

// ReadFees reads the fee amount of section 二 (万元) that the office
// enters: sanshen publishes fee lists but holds no record of the money
// collected. Empty: 0. 400 invalid_fees.
func ReadFees(q string) (string, error) {
	if q == "" {
		return "0", nil
	}
	if !feesPattern.MatchString(q) {
		return "", failZH(http.StatusBadRequest, "invalid_fees", "行政事业性收费金额须为以万元为单位的非负数，最多四位小数，例如 0 或 12.35。",
			"fees must be an amount in 万元 (ten thousand yuan), not negative, at most four decimals, not %q", q)
	}
	return q, nil
}

// AnnualReport builds agencyID's annual report for year from its records
// and cases (nil: ar.NoCases), with the fee amount the office gave: 409
// cases_unbalanced when the cases break table 三's 勾稽 relation.
func AnnualReport(ctx context.Context, st *store.Store, cases ar.CaseSource, agencyID int64, year int, fees string) (ar.Report, error) {
	if cases == nil {
		cases = ar.NoCases{}
	}
	agency, err := st.Agency(ctx, agencyID)
	if err != nil {
		return ar.Report{}, err
	}
	f, err := store.AnnualFacts{Store: st, Cases: cases}.Facts(ctx, agencyID, year)
	if err != nil {
		return ar.Report{}, err
	}
	f.Section2.Fees = fees
	r, err := ar.New(agency.Name, f)
	if errors.Is(err, ar.ErrUnbalanced) {
		return r, failZH(http.StatusConflict, "cases_unbalanced",
			"依申请公开案件的统计数字不满足表三的勾稽关系（本年新收＋上年结转＝办理结果总计＋结转下年度），不能生成报告；请核对案件记录。", "%s", err.Error())
	}
	return r, err
}

// annualReportJSON is GET /reports/annual: the tables, the channel counts
// and the report's text as a draft would carry it.
type annualReportJSON struct {
	Year     int            `json:"year"`
	Agency   string         `json:"agency"`
	Title    string         `json:"title"`
	Section2 ar.Section2    `json:"section2"`
	Channels map[string]int `json:"channels"`
	Cases    casesJSON      `json:"cases"`
	Text     string         `json:"text"`
}

// casesJSON is tables 三 and 四.
type casesJSON struct {
	// Recorded is false while sanshen records no cases; Note then says so.
	Recorded bool          `json:"recorded"`
	Note     string        `json:"note,omitempty"`
	Columns  []string      `json:"columns"`
	Rows     []ar.TableRow `json:"rows"`
	Appeals  []ar.TableRow `json:"appeals"`
	// Fees are part 六's 信息处理费 from the cases' fee records.
	Fees ar.Fees `json:"fees"`
}

func reportJSON(r ar.Report) annualReportJSON {
	cols := make([]string, 0, ar.NumApplicants+1)
	for _, a := range ar.ApplicantTable {
		cols = append(cols, a.Code)
	}
	return annualReportJSON{Year: r.Year, Agency: r.Agency, Title: r.Title(), Section2: r.Facts.Section2, Channels: r.Facts.Channels,
		Cases: casesJSON{Recorded: r.Facts.Cases.Recorded, Note: r.Facts.Cases.Note, Columns: append(cols, "total"),
			Rows: r.CaseRows(), Appeals: r.AppealGroups(), Fees: r.Facts.Cases.Fees},
		Text: r.Text()}
}

// ReportReaders are the roles that may read an agency's annual report.
var ReportReaders = []domain.Role{domain.RoleOfficer, domain.RoleDeptHead, domain.RoleConfidentiality, domain.RoleAdmin, domain.RoleAuditor}

// annualReport is GET /api/v1/reports/annual?year=&fees=&format=json|xlsx.
func (s *Server) annualReport(c echo.Context) error {
	if err := requireRole(c, ReportReaders...); err != nil {
		return err
	}
	year, err := ReadYear(c.QueryParam("year"), s.Now())
	if err != nil {
		return err
	}
	fees, err := ReadFees(c.QueryParam("fees"))
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "xlsx" {
		return failZH(http.StatusBadRequest, "invalid_format", "格式须为 json 或 xlsx。", "format must be json or xlsx, not %q", format)
	}
	r, err := AnnualReport(c.Request().Context(), s.Store, s.Cases, user(c).AgencyID, year, fees)
	if err != nil {
		return err
	}
	if format == "xlsx" {
		b, err := r.XLSX()
		if err != nil {
			return err
		}
		return attachment(c, fmt.Sprintf("annual-report-%d.xlsx", year), b)
	}
	return c.JSON(http.StatusOK, reportJSON(r))
}

// attachment answers with a workbook to download.
func attachment(c echo.Context, name string, b []byte) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

// AnnualDraftInput is POST /reports/annual: the year, the department the
// draft belongs to, the fee amount in 万元, and the channels (default:
// the website).
type AnnualDraftInput struct {
	Year       int      `json:"year"`
	Department string   `json:"department"`
	Fees       string   `json:"fees"`
	Channels   []string `json:"channels"`
}

// SubmitAnnualReport generates the report and submits it as a draft of
// category annual_report by the actor, through the ordinary submission:
// it goes through the three stages like any draft, the validator first.
func SubmitAnnualReport(ctx context.Context, st *store.Store, cases ar.CaseSource, cal *calendar.Calendar, by store.User, in AnnualDraftInput, now time.Time) (store.Draft, error) {
	if in.Year < 2000 || in.Year > 2100 {
		return store.Draft{}, failZH(http.StatusBadRequest, "invalid_year", "年份须为2000至2100之间的四位数字。", "year must be a four-digit year from 2000 to 2100, not %d", in.Year)
	}
	fees, err := ReadFees(in.Fees)
	if err != nil {
		return store.Draft{}, err
	}
	channels := in.Channels
	if len(channels) == 0 {
		channels = []string{string(domain.ChannelWebsite)}
	}
	dep, err := st.DepartmentByName(ctx, by.AgencyID, in.Department)
	if errors.Is(err, store.ErrNotFound) {
		return store.Draft{}, failZH(http.StatusUnprocessableEntity, "unknown_department", "没有这个部门：“"+in.Department+"”。", "unknown department %q", in.Department)
	} else if err != nil {
		return store.Draft{}, err
	}
	r, err := AnnualReport(ctx, st, cases, by.AgencyID, in.Year, fees)
	if err != nil {
		return store.Draft{}, err
	}
	title, body, category, formed := r.Title(), r.Text(), "annual_report", checks.Today(now).Format(domain.DateLayout)
	content, err := DraftInput{Title: &title, Body: &body, Department: &in.Department, Category: &category, Channels: channels, FormedOn: &formed}.Content()
	if err != nil {
		return store.Draft{}, err
	}
	return st.Submit(ctx, by.Actor(), dep.ID, content, Deadline(cal, content))
}

// submitAnnualReport is POST /api/v1/reports/annual.
func (s *Server) submitAnnualReport(c echo.Context) error {
	var in AnnualDraftInput
	if err := decode(c, &in); err != nil {
		return err
	}
	d, err := SubmitAnnualReport(c.Request().Context(), s.Store, s.Cases, s.Calendar, user(c), in, s.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toJSON(d))
}
