package api

import (
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// The public column's application form (依申请公开, Article 29): anyone
// applies online and gets a query code; with it, the status page shows the
// case's state and dates, nothing else of it. The form is rate-limited per
// client address and carries a honeypot field that people never see.

var applyTemplates = template.Must(template.ParseFS(templateFS, "templates/apply.html"))

// The form's limits per client address: applications taken, and status
// look-ups (a query code is 12 characters of 31, too many to guess at this rate).
const (
	applyPerHour  = 5
	statusPerHour = 60
)

// allowAddress records a request of scope from the client's address and
// reports whether it is within max in the last hour (store.AllowAddress,
// shared by every replica).
func (s *Server) allowAddress(c echo.Context, scope string, max int) (bool, error) {
	return s.Store.AllowAddress(c.Request().Context(), scope, LimitAddress(c.RealIP()), max, time.Hour)
}

// LimitAddress is the address a rate limit counts: an IPv6 client by its
// /64, the block one subscriber holds, so that it cannot take a new
// address for every request; any other as it is.
func LimitAddress(addr string) string {
	if ip, err := netip.ParseAddr(addr); err == nil && ip.Is6() && !ip.Is4In6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return addr
}

func (s *Server) renderApply(c echo.Context, status int, name string, data map[string]any) error {
	h := c.Response().Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", publicCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	return applyTemplates.ExecuteTemplate(c.Response(), name, data)
}

// applicantTypeNames are the form's choices, in the report's column order.
var applicantTypeNames = map[domain.ApplicantType]string{domain.ApplicantNatural: "自然人", domain.ApplicantBusiness: "商业企业",
	domain.ApplicantResearch: "科研机构", domain.ApplicantCharity: "社会公益组织", domain.ApplicantLegal: "法律服务机构", domain.ApplicantOtherOrg: "其他组织"}

func (s *Server) applyData(a store.Agency, in ApplicationInput, problem string) map[string]any {
	type choice struct{ Code, Name string }
	var types []choice
	for _, t := range domain.ApplicantTypes {
		types = append(types, choice{string(t), applicantTypeNames[t]})
	}
	return map[string]any{"Title": "政府信息公开申请", "Agency": a, "In": in, "Types": types, "Error": problem,
		"Documents": s.Blobs != nil, "MaxDocuments": store.MaxIntakeDocuments, "MaxDocumentMB": MaxIdentityDocument / media.MiB}
}

// applyForm is GET /public/{slug}/apply.
func (s *Server) applyForm(c echo.Context) error {
	a, err := s.agency(c)
	if err != nil {
		return err
	}
	return s.renderApply(c, http.StatusOK, "apply", s.applyData(a, ApplicationInput{ApplicantType: string(domain.ApplicantNatural)}, ""))
}

// apply is POST /public/{slug}/apply: an online application, received the
// day the system confirms it (today).
func (s *Server) apply(c echo.Context) error {
	a, err := s.agency(c)
	if err != nil {
		return err
	}
	in := ApplicationInput{Route: string(domain.RouteOnline), ApplicantType: c.FormValue("applicant_type"), ApplicantName: c.FormValue("applicant_name"),
		ApplicantIDNumber: c.FormValue("applicant_id_number"), ApplicantPhone: c.FormValue("applicant_phone"),
		ApplicantContact: c.FormValue("applicant_contact"), Description: c.FormValue("description"), Purpose: c.FormValue("purpose")}
	if c.FormValue("website") != "" {
		// The honeypot: a person never sees the field. Answer as if taken.
		return s.renderApply(c, http.StatusOK, "apply_done", map[string]any{"Title": "申请已收到", "Agency": a,
			"Code": "", "ReceivedOn": s.today().Format(domain.DateLayout)})
	}
	if ok, err := s.allowAddress(c, "apply", applyPerHour); err != nil {
		return err
	} else if !ok {
		c.Response().Header().Set("Retry-After", "3600")
		return s.renderApply(c, http.StatusTooManyRequests, "apply", s.applyData(a, in, "同一地址提交的申请过多，请一小时后再试，或以信函、当面方式提出申请。"))
	}
	if strings.TrimSpace(in.ApplicantContact) == "" {
		return s.renderApply(c, http.StatusUnprocessableEntity, "apply", s.applyData(a, in, "请填写通信地址或电子邮箱，以便送达答复。"))
	}
	ctx := c.Request().Context()
	files, problem := applyFiles(c)
	if problem != "" {
		return s.renderApply(c, http.StatusUnprocessableEntity, "apply", s.applyData(a, in, problem))
	}
	docs, err := s.files().IntakeDocuments(ctx, files)
	var ae *apiError
	if errors.As(err, &ae) {
		return s.renderApply(c, ae.Status, "apply", s.applyData(a, in, ae.MessageZH+"未收到申请，请重新选择文件后提交。"))
	}
	if err != nil {
		return err
	}
	n := store.NewApplication{Route: domain.RouteOnline, ApplicantType: domain.ApplicantType(in.ApplicantType), ApplicantName: in.ApplicantName,
		ApplicantIDNumber: in.ApplicantIDNumber, ApplicantPhone: in.ApplicantPhone, ApplicantContact: in.ApplicantContact,
		Description: in.Description, Purpose: in.Purpose, Documents: docs}
	app, err := s.Store.AddApplication(ctx, store.PublicApplicant(a.ID), n, s.Now())
	var r *domain.Refusal
	if errors.As(err, &r) {
		problem := r.MessageZH // names the field at fault
		if problem == "" {
			problem = "申请内容不完整或过长：请填写申请人类型、姓名或名称，以及所需政府信息的描述。"
		}
		return s.renderApply(c, http.StatusUnprocessableEntity, "apply", s.applyData(a, in, problem))
	}
	if err != nil {
		return err
	}
	return s.renderApply(c, http.StatusCreated, "apply_done", map[string]any{"Title": "申请已收到", "Agency": a,
		"Code": app.QueryCode, "ReceivedOn": app.ReceivedOn.Format(domain.DateLayout), "Documents": len(docs)})
}

// unreadableFile is the form's answer to an upload it cannot read whole.
const unreadableFile = "上传的文件无法读取，请重新选择文件后提交。"

// applyFiles reads the identity documents of the form (field identity):
// none when the form has no file; a problem, in Chinese, when one cannot
// be read whole.
func applyFiles(c echo.Context) ([]NamedFile, string) {
	if !strings.HasPrefix(c.Request().Header.Get("Content-Type"), "multipart/form-data") {
		return nil, ""
	}
	form, err := c.MultipartForm()
	if err != nil {
		return nil, unreadableFile
	}
	var out []NamedFile
	for _, fh := range form.File["identity"] {
		if fh.Filename == "" && fh.Size == 0 { // the field left empty
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, unreadableFile
		}
		data, err := io.ReadAll(io.LimitReader(f, MaxIdentityDocument+1))
		f.Close()
		if err != nil {
			return nil, unreadableFile
		}
		out = append(out, NamedFile{Name: fh.Filename, Data: data})
	}
	return out, ""
}

// caseStateNames are the states as the applicant reads them.
var caseStateNames = map[domain.CaseState]string{domain.CaseReceived: "已收到", domain.CaseSupplementRequested: "待补正（请按告知补正申请）",
	domain.CaseProcessing: "办理中", domain.CaseExtended: "已延长答复期限", domain.CaseReplyInReview: "答复审核中",
	domain.CaseAnswered: "已答复", domain.CaseClosed: "已办结"}

// applyStatus is GET /public/{slug}/apply/status?code=: the state and the
// dates of the case the code names, nothing else.
func (s *Server) applyStatus(c echo.Context) error {
	a, err := s.agency(c)
	if err != nil {
		return err
	}
	code := strings.TrimSpace(c.QueryParam("code"))
	data := map[string]any{"Title": "查询办理进度", "Agency": a, "Code": code}
	if code == "" {
		return s.renderApply(c, http.StatusOK, "apply_status", data)
	}
	if ok, err := s.allowAddress(c, "apply_status", statusPerHour); err != nil {
		return err
	} else if !ok {
		c.Response().Header().Set("Retry-After", "3600")
		data["Error"] = "查询过于频繁，请一小时后再试。"
		return s.renderApply(c, http.StatusTooManyRequests, "apply_status", data)
	}
	st, err := s.Store.ApplicationStatusByCode(c.Request().Context(), a.ID, code)
	if errors.Is(err, store.ErrNotFound) || len(code) > 32 {
		data["Error"] = "查询码不正确。"
		return s.renderApply(c, http.StatusNotFound, "apply_status", data)
	}
	if err != nil {
		return err
	}
	dates := map[string]string{"received": date(st.ReceivedOn), "supplement_requested": date(st.SupplementRequestedOn),
		"supplement_received": date(st.SupplementReceivedOn), "extended": date(st.ExtendedOn), "delivered": date(st.DeliveredOn),
		"closed": date(st.ClosedOn)}
	if st.State.Open() {
		dates["due"] = date(s.Calendar.ApplicationDeadline(st.Clock, s.today()).Due)
	}
	data["Status"], data["StateName"], data["Dates"] = st, caseStateNames[st.State], dates
	return s.renderApply(c, http.StatusOK, "apply_status", data)
}
