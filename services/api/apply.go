package api

import (
	"errors"
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
	return applyTemplates[wordsOf(c).lang].ExecuteTemplate(c.Response(), name, data)
}

// applyPage is the data every page of the form reads: its title, the
// agency, and the language its form and links keep (Lang, "" in Chinese).
func applyPage(w publicWords, a store.Agency, titleKey string) map[string]any {
	return map[string]any{"Title": w.T(titleKey), "Agency": a, "Lang": w.query()}
}

// applyData is the form: the applicant types (in the report's column
// order), what was typed, and the problem (a message) that sent it back.
func (s *Server) applyData(w publicWords, a store.Agency, in ApplicationInput, problem string) map[string]any {
	type choice struct{ Code, Name string }
	var types []choice
	for _, t := range domain.ApplicantTypes {
		types = append(types, choice{string(t), w.T("public.applicant." + string(t))})
	}
	data := applyPage(w, a, "public.apply.title")
	for k, v := range map[string]any{"In": in, "Types": types, "Error": problem,
		"Documents": s.Blobs != nil, "MaxDocuments": store.MaxIntakeDocuments, "MaxDocumentMB": MaxIdentityDocument / media.MiB} {
		data[k] = v
	}
	return data
}

// applyForm is GET /public/{slug}/apply.
func (s *Server) applyForm(c echo.Context) error {
	a, err := s.agency(c)
	if err != nil {
		return err
	}
	return s.renderApply(c, http.StatusOK, "apply", s.applyData(wordsOf(c), a, ApplicationInput{ApplicantType: string(domain.ApplicantNatural)}, ""))
}

// apply is POST /public/{slug}/apply: an online application, received the
// day the system confirms it (today).
func (s *Server) apply(c echo.Context) error {
	a, err := s.agency(c)
	if err != nil {
		return err
	}
	w := wordsOf(c)
	in := ApplicationInput{Route: string(domain.RouteOnline), ApplicantType: c.FormValue("applicant_type"), ApplicantName: c.FormValue("applicant_name"),
		ApplicantIDNumber: c.FormValue("applicant_id_number"), ApplicantPhone: c.FormValue("applicant_phone"),
		ApplicantContact: c.FormValue("applicant_contact"), Description: c.FormValue("description"), Purpose: c.FormValue("purpose")}
	if c.FormValue("website") != "" {
		// The honeypot: a person never sees the field. Answer as if taken.
		data := applyPage(w, a, "public.apply.done_title")
		data["Code"], data["ReceivedOn"] = "", s.today().Format(domain.DateLayout)
		return s.renderApply(c, http.StatusOK, "apply_done", data)
	}
	if ok, err := s.allowAddress(c, "apply", applyPerHour); err != nil {
		return err
	} else if !ok {
		c.Response().Header().Set("Retry-After", "3600")
		return s.renderApply(c, http.StatusTooManyRequests, "apply", s.applyData(w, a, in, w.T("public.apply.too_many")))
	}
	if strings.TrimSpace(in.ApplicantContact) == "" {
		return s.renderApply(c, http.StatusUnprocessableEntity, "apply", s.applyData(w, a, in, w.T("public.apply.no_contact")))
	}
	ctx := c.Request().Context()
	files, problem := applyFiles(c)
	if problem != "" {
		return s.renderApply(c, http.StatusUnprocessableEntity, "apply", s.applyData(w, a, in, w.T(problem)))
	}
	docs, err := s.files().IntakeDocuments(ctx, files)
	var ae *apiError
	if errors.As(err, &ae) {
		return s.renderApply(c, ae.Status, "apply", s.applyData(w, a, in, fileProblem(w, ae)+w.T("public.apply.not_received")))
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
		// The refusal names the field at fault, in either language.
		problem := r.MessageZH
		if w.lang == publicEN {
			problem = r.Message
		}
		if problem == "" {
			problem = w.T("public.apply.incomplete")
		}
		return s.renderApply(c, http.StatusUnprocessableEntity, "apply", s.applyData(w, a, in, problem))
	}
	if err != nil {
		return err
	}
	data := applyPage(w, a, "public.apply.done_title")
	data["Code"], data["ReceivedOn"], data["Documents"] = app.QueryCode, app.ReceivedOn.Format(domain.DateLayout), len(docs)
	return s.renderApply(c, http.StatusCreated, "apply_done", data)
}

// fileProblem says, in the visitor's words, why an identity document was
// refused (IntakeDocuments): by the refusal's code, the limit it names
// where it has one.
func fileProblem(w publicWords, ae *apiError) string {
	switch ae.Code {
	case media.CodeTooLarge:
		return w.T("public.apply.file.too_large", MaxIdentityDocument/media.MiB)
	case "too_many_files":
		return w.T("public.apply.file.too_many_files", store.MaxIntakeDocuments)
	case media.CodeEmpty, media.CodeUnsupportedType, media.CodeUnreadableImage, media.CodeUnreadableDocument, media.CodeInvalidName:
		return w.T("public.apply.file." + ae.Code)
	}
	return w.T("public.apply.file.refused")
}

// unreadableFile is the form's answer (a locale key) to an upload it
// cannot read whole.
const unreadableFile = "public.apply.unreadable_file"

// applyFiles reads the identity documents of the form (field identity):
// none when the form has no file; a problem, a locale key, when one cannot
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

// applyStatus is GET /public/{slug}/apply/status?code=: the state and the
// dates of the case the code names, nothing else.
func (s *Server) applyStatus(c echo.Context) error {
	a, err := s.agency(c)
	if err != nil {
		return err
	}
	w := wordsOf(c)
	code := strings.TrimSpace(c.QueryParam("code"))
	data := applyPage(w, a, "public.apply.status_title")
	data["Code"] = code
	if code == "" {
		return s.renderApply(c, http.StatusOK, "apply_status", data)
	}
	if ok, err := s.allowAddress(c, "apply_status", statusPerHour); err != nil {
		return err
	} else if !ok {
		c.Response().Header().Set("Retry-After", "3600")
		data["Error"] = w.T("public.apply.status_too_many")
		return s.renderApply(c, http.StatusTooManyRequests, "apply_status", data)
	}
	st, err := s.Store.ApplicationStatusByCode(c.Request().Context(), a.ID, code)
	if errors.Is(err, store.ErrNotFound) || len(code) > 32 {
		data["Error"] = w.T("public.apply.wrong_code")
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
	data["Status"], data["StateName"], data["Dates"] = st, w.T("public.case_state."+string(st.State)), dates
	return s.renderApply(c, http.StatusOK, "apply_status", data)
}
