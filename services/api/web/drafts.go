package web

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// myDraftsView is the officer's list: the forms they saved before
// submitting (暂存), and their drafts with the Article 26 deadline marked
// where it is near or past and the draft not yet public.
type myDraftsView struct {
	Saved  []store.SavedForm
	Drafts []myDraftRow
}

type myDraftRow struct {
	store.Draft
	Due *due // nil: published, or it will not be
}

func (w *Web) myDrafts(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	ds, err := w.Store.MyDrafts(ctx, u.ID, 200)
	if err != nil {
		return err
	}
	var v myDraftsView
	if v.Saved, err = w.Store.SavedForms(ctx, u.ID); err != nil {
		return err
	}
	today := checks.Today(w.Now())
	for _, d := range ds {
		row := myDraftRow{Draft: d}
		if dl, err := time.Parse(domain.DateLayout, d.Deadline); err == nil && d.PublishedRevision == 0 && pending(d.State) {
			x := w.dueOn(today, dl)
			row.Due = &x
		}
		v.Drafts = append(v.Drafts, row)
	}
	p := w.base(c, "drafts.title", "drafts")
	p.Data = v
	return w.render(c, http.StatusOK, "drafts", p)
}

// pending reports whether a draft in state s is still on its way to the
// public: its Article 26 deadline still runs.
func pending(s domain.State) bool {
	_, atStage := domain.StageOf(s)
	return atStage || s == domain.StateReturned || s == domain.StateUnsubmitted
}

// formData fills the new-draft and revise forms.
type formData struct {
	Action      string
	DraftID     int64
	Revision    int
	Title       string
	Body        string
	Department  string
	Category    string
	Channels    []domain.Channel
	FormedOn    string
	Deadline    formDeadline
	Departments []store.Department
	Categories  []string
	Comment     string // the reviewer's comment, when revising a returned draft
	Findings    []store.Finding
	Digest      string
	Options     []domain.ChannelOption
	Attachments []domain.Attachment // kept from the revision (checkboxes)
	Notices     []string            // what was removed from uploaded photos
	// After publication: a correction's note (Correcting: the draft has a
	// published revision, so the note is required), the publication time
	// (a datetime-local value, Beijing) and the last day it stays public.
	Correcting bool
	Correction string
	PublishAt  string
	ExpiresOn  string
	// The form's key (its token, which lets it be saved when the session
	// has expired, is added with every form's: withFormOwner); Restored
	// says why saved content is shown.
	FormKey  string
	Restored string
	// ErrorField is the field a refused submission is about: the form
	// marks it and puts the focus there.
	ErrorField string
	Topics     string // 专题, separated by 、 or commas
}

// ruleFields is the field of the form a refusal of the rules is about.
var ruleFields = map[domain.Rule]string{domain.RuleDepartmentChange: "department", domain.RuleDepartment: "department",
	domain.RuleCorrectionNote: "correction", domain.RuleCorrectionChannel: "channels", domain.RuleScheduleTime: "publish_at",
	domain.RuleInvalidDate: "formed_on"}

func (w *Web) departmentsOf(c echo.Context, u *store.User) ([]store.Department, error) {
	all, err := w.Store.Departments(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return nil, err
	}
	var mine []store.Department
	for _, d := range all {
		if u.Actor().InDepartment(d.ID) {
			mine = append(mine, d)
		}
	}
	return mine, nil
}

func (w *Web) newDraftForm(c echo.Context) error {
	u := currentUser(c)
	if !u.Actor().Has(domain.RoleOfficer) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	deps, err := w.departmentsOf(c, u)
	if err != nil {
		return err
	}
	today := w.Now().In(domain.Beijing).Format(domain.DateLayout)
	fd := formData{Action: "/web/drafts", FormedOn: today, Departments: deps, Categories: domain.Categories,
		Channels: []domain.Channel{domain.ChannelWebsite}, Category: "news"}
	fd.Deadline = w.deadlineOf(today)
	if err := w.prepareForm(c, &fd); err != nil {
		return err
	}
	p := w.base(c, "form.new_title", "new")
	p.Data = fd
	return w.render(c, http.StatusOK, "form", p)
}

// formDeadline is what the form says beside the date of forming: the
// Article 26 deadline and how it stands today, or that the date is in the
// future (stage 1 would return the draft for it).
type formDeadline struct {
	Day    string // the deadline ("": no valid date)
	Future bool   // the date of forming is after today
	Today  string
	due
}

func (w *Web) deadlineOf(formed string) formDeadline {
	today := checks.Today(w.Now())
	h := formDeadline{Today: today.Format(domain.DateLayout)}
	t, err := time.Parse(domain.DateLayout, formed)
	if err != nil {
		return h
	}
	if t.After(today) {
		h.Future = true
		return h
	}
	dl := w.Calendar.Deadline(t)
	h.Day, h.due = dl.Format(domain.DateLayout), w.dueOn(today, dl)
	return h
}

// deadlineHint is the htmx fragment beside the date field.
func (w *Web) deadlineHint(c echo.Context) error {
	return w.fragment(c, "deadline_hint", w.deadlineOf(c.QueryParam("formed_on")))
}

// readForm turns the form into the API's input, so both check it alike.
func readForm(c echo.Context) (api.DraftInput, formData) {
	f, _ := c.FormParams()
	in, fd := readValues(f)
	fd.FormKey = formKeyOf(f)
	return in, fd
}

// readValues is readForm of a form's values, as posted or as saved.
func readValues(f url.Values) (api.DraftInput, formData) {
	title, body, dept, cat, formed, digest := f.Get("title"), f.Get("body"), f.Get("department"), f.Get("category"), f.Get("formed_on"), f.Get("digest")
	correction, publishAt, expiresOn, topics := f.Get("correction"), f.Get("publish_at"), f.Get("expires_on"), f.Get("topics")
	chans := f["channels"]
	if chans == nil {
		chans = []string{}
	}
	fd := formData{Title: title, Body: body, Department: dept, Category: cat, FormedOn: formed, Digest: digest,
		Correction: correction, PublishAt: publishAt, ExpiresOn: expiresOn, Correcting: f.Get("correcting") == "1", Topics: topics}
	for _, ch := range chans {
		fd.Channels = append(fd.Channels, domain.Channel(ch))
	}
	in := api.DraftInput{Title: &title, Body: &body, Department: &dept, Category: &cat, Channels: chans, FormedOn: &formed, Digest: &digest,
		Options: f["options"], Correction: &correction, PublishAt: &publishAt, ExpiresOn: &expiresOn, Topics: splitTopics(topics)}
	for _, o := range f["options"] {
		fd.Options = append(fd.Options, domain.ChannelOption(o))
	}
	// A kept attachment is "sha256:role:name" (the name last: it may hold a colon).
	for _, v := range f["attachment"] {
		parts := strings.SplitN(v, ":", 3)
		if len(parts) == 3 {
			in.Attachments = append(in.Attachments, api.AttachmentInput{SHA256: parts[0], Role: parts[1], Name: parts[2]})
			fd.Attachments = append(fd.Attachments, domain.Attachment{SHA256: parts[0], Role: domain.AttachmentRole(parts[1]), Name: parts[2]})
		}
	}
	return in, fd
}

// localTime is t as a datetime-local field's value in Beijing ("" for zero).
func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.Beijing).Format("2006-01-02T15:04")
}

// civilDate is a civil date as YYYY-MM-DD ("" for zero).
func civilDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(domain.DateLayout)
}

// maxFormFiles bounds the files one form post adds.
const maxFormFiles = 20

// addFiles stores the files chosen in the form (field "files", all with
// the role chosen in "files_role") and adds them to the input, so that a
// form whose other fields are refused keeps them (as kept attachments).
func (w *Web) addFiles(c echo.Context, in *api.DraftInput, fd *formData) error {
	form := c.Request().MultipartForm
	if form == nil || len(form.File["files"]) == 0 {
		return nil
	}
	if len(form.File["files"]) > maxFormFiles {
		return &api.Error{Status: http.StatusBadRequest, Code: "too_many_attachments", Message: fmt.Sprintf("at most %d files at once", maxFormFiles),
			MessageZH: fmt.Sprintf("一次最多添加 %d 个文件。", maxFormFiles), Field: "files"}
	}
	role := c.FormValue("files_role")
	u := currentUser(c)
	for _, fh := range form.File["files"] {
		data, err := readUpload(fh)
		if err != nil {
			return err
		}
		file, err := w.Files.Upload(c.Request().Context(), *u, fh.Filename, data)
		if err != nil {
			return err
		}
		in.Attachments = append(in.Attachments, api.AttachmentInput{Name: fh.Filename, SHA256: file.SHA256, Role: role})
		fd.Attachments = append(fd.Attachments, domain.Attachment{Name: fh.Filename, SHA256: file.SHA256, Role: domain.AttachmentRole(role),
			MediaType: file.MediaType, Size: file.Size})
		if n := api.StrippedNotice(file.Stripped); n != "" {
			fd.Notices = append(fd.Notices, fh.Filename+"："+n)
		}
	}
	return nil
}

// content validates the form's draft: its fields, then its files.
func (w *Web) content(c echo.Context, in *api.DraftInput, fd *formData) (domain.Content, error) {
	if err := w.addFiles(c, in, fd); err != nil {
		return domain.Content{}, err
	}
	return w.validContent(c, *in)
}

// validContent validates a form's draft, its files stored: its fields,
// then its files.
func (w *Web) validContent(c echo.Context, in api.DraftInput) (domain.Content, error) {
	content, err := in.Content()
	if err != nil {
		return content, err
	}
	if err := api.CheckPublishAt(content, w.Now()); err != nil {
		return content, err
	}
	return api.ResolveAttachments(c.Request().Context(), w.Store, content)
}

// formError shows the form again with the problem, keeping what was typed.
func (w *Web) formError(c echo.Context, fd formData, err error) error {
	var ae *api.Error
	var ref *domain.Refusal
	p := w.base(c, "form.new_title", "new")
	switch {
	case errors.As(err, &ae) && ae.MessageZH != "" && w.lang(c) == "zh":
		p.Error, fd.ErrorField = ae.MessageZH, ae.Field
	case errors.As(err, &ae) && w.lang(c) == "zh":
		p.Error, fd.ErrorField = w.t(c, "input."+ae.Code), ae.Field // the code's Chinese name, never the English detail
	case errors.As(err, &ae):
		p.Error, fd.ErrorField = w.t(c, "input."+ae.Code)+" — "+ae.Message, ae.Field
	case errors.As(err, &ref):
		p.Error = w.t(c, "rule."+string(ref.Rule))
		fd.ErrorField = ruleFields[ref.Rule]
	default:
		return err
	}
	u := currentUser(c)
	deps, derr := w.departmentsOf(c, u)
	if derr != nil {
		return derr
	}
	fd.Departments, fd.Categories, fd.Deadline = deps, domain.Categories, w.deadlineOf(fd.FormedOn)
	if fd.FormKey == "" {
		fd.FormKey = newFormKey()
	}
	p.Data = fd
	return w.render(c, http.StatusUnprocessableEntity, "form", p)
}

func (w *Web) createDraft(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	in, fd := readForm(c)
	fd.Action = "/web/drafts"
	if c.FormValue("save") != "" {
		return w.saveNow(c, in, fd)
	}
	content, err := w.content(c, &in, &fd)
	if err != nil {
		return w.formError(c, fd, err)
	}
	dep, err := w.Store.DepartmentByName(ctx, currentUser(c).AgencyID, content.Department)
	if errors.Is(err, store.ErrNotFound) {
		return w.formError(c, fd, &api.Error{Status: 422, Code: "unknown_department", Message: content.Department,
			MessageZH: fmt.Sprintf("科室“%s”不存在，请从列表中选择。", content.Department), Field: "department"})
	}
	if err != nil {
		return err
	}
	return w.submitOnce(c, fd, func(ctx context.Context) (int64, error) {
		d, err := w.Store.Submit(ctx, u.Actor(), dep.ID, content, api.Deadline(w.Calendar, content))
		return d.ID, err
	}, "flash.submitted")
}

// formInFlight answers a form sent again while the first is still being
// stored.
var formInFlight = &api.Error{Status: http.StatusConflict, Code: "form_in_flight", Message: "this form is being submitted",
	MessageZH: "该表单正在提交，请稍候查看“我的稿件”。"}

// submitOnce runs a form's submission once per form key: a second post of
// the same form (a double click, the browser's resend) goes to the draft
// the first made, and the form's saved copy is dropped once it is a draft.
// A refused submission frees the key, so the corrected form can be sent.
func (w *Web) submitOnce(c echo.Context, fd formData, run func(context.Context) (int64, error), done string) error {
	return w.formOnce(c, fd, "form:", func(ctx context.Context, made int64) (int64, string, error) {
		if made > 0 {
			return made, "flash.already_submitted", nil
		}
		id, err := run(ctx)
		return id, done, err
	}, func(id int64) string { return fmt.Sprintf("/web/drafts/%d", id) })
}

// formOnce runs a draft form's post once per form key and purpose (prefix):
// run is given the draft a first post of the same form made (made, 0 for
// none: then ctx carries the claimed key, which the store marks done with
// the draft), and says which draft it is and the message to flash. A
// refusal frees the key and shows the form again as typed; on success the
// form's saved copy goes and the person is sent to page(id).
func (w *Web) formOnce(c echo.Context, fd formData, prefix string, run func(ctx context.Context, made int64) (int64, string, error),
	page func(int64) string) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	key, made := "", int64(0)
	var claimed time.Time
	if fd.FormKey != "" {
		key = prefix + fd.FormKey
		claim, err := w.Store.ClaimIdempotency(ctx, u.ID, key, []byte(key))
		if err != nil {
			return err
		}
		switch claim.Outcome {
		case store.IdemDone, store.IdemMismatch:
			made, key = claim.DraftID, "" // nothing claimed, nothing to free
		case store.IdemInFlight:
			return w.formError(c, fd, formInFlight)
		default:
			ctx, claimed = store.WithIdempotency(ctx, u.ID, key, claim.Claimed), claim.Claimed
		}
	}
	id, done, err := run(ctx, made)
	if err != nil && key != "" {
		if rerr := w.Store.ReleaseIdempotency(context.WithoutCancel(ctx), u.ID, key, claimed); rerr != nil {
			return rerr
		}
	}
	if isRefusal(err) {
		return w.formError(c, fd, err)
	}
	if errors.Is(err, store.ErrIdempotencyLost) { // the form sent again took over: its answer is the one
		return w.formError(c, fd, formInFlight)
	}
	if errors.Is(err, store.ErrNotFound) {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return err
	}
	if fd.FormKey != "" {
		if err := w.Store.DiscardForm(ctx, u.ID, fd.FormKey); err != nil {
			w.Log.Warn("a form's saved copy stays", "err", err)
		}
	}
	flash(c, done)
	return c.Redirect(http.StatusSeeOther, page(id))
}

func draftID(c echo.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}

// loadVisible loads a draft the user may see. One they may not see is
// 404, exactly like one that does not exist (the refusal is audited by
// store.Check), for a URL typed by hand too.
func (w *Web) loadVisible(c echo.Context) (store.DraftDetail, error) {
	id, ok := draftID(c)
	if !ok {
		return store.DraftDetail{}, w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	ctx := c.Request().Context()
	_, err := w.Store.Check(ctx, currentUser(c).Actor(), id, "view", domain.CanView)
	switch {
	case errors.Is(err, store.ErrNotFound): // or not theirs to see: the same page
		return store.DraftDetail{}, w.errorPage(c, http.StatusNotFound, "error.not_found")
	case err != nil:
		return store.DraftDetail{}, err
	}
	return w.Store.Detail(ctx, id)
}

func isRefusal(err error) bool {
	var r *domain.Refusal
	return errors.As(err, &r)
}

// draftView is the draft page's data.
type draftView struct {
	D            store.DraftDetail
	TitleSegs    []segment
	BodySegs     []segment
	Findings     []store.Finding // current revision's
	Older        []store.Finding // earlier revisions'
	Diff         []diffPart
	HasDiff      bool
	CanDecide    bool
	Stage        domain.Stage
	DecideReason string // why the user may not decide, when they are a reviewer of the stage
	Blocking     bool
	Reasons      []domain.Reason
	ReturnCodes  []domain.Reason // domain.ReturnReasons
	// Decision is the decision form as it was posted when it was refused
	// for what it said: the page shows it again, the field marked.
	Decision     decisionForm
	Claim        *store.Claim
	ClaimedByMe  bool
	CanRevise    bool
	CanCorrect   bool // its author may start a correction (更正) of the published item
	CanExplain   bool // a stage-1 machine return its author may send on with an explanation
	CanAudit     bool
	MaxComment   int
	Returned     *store.Decision // the decision that returned it, for the author
	Previews     []preview
	CanWithdraw  bool
	CanSetExpiry bool // a reviewer or admin may set how long it stays public
	CanRecall    bool // its author may still take it back (收回)
	// History is what happened to the draft, for everyone who reads it:
	// submissions, the machine's returns, recalls, decisions, publication.
	History         []historyItem
	MachineReturned bool         // stage 1's machine checks returned the current revision
	Suggestions     []suggestion // the findings' suggestions its author can apply (suggest.go)
	Withdrawal      *withdrawal
	Codes           []domain.WithdrawalCode
	Review          *reviewRow // a published item's periodic review and validity (review.go)
}

// decisionForm is what a reviewer typed into the decision form, and what
// was wrong with it.
type decisionForm struct {
	Comment, Reason, ReturnReason string
	Error                         string // the message, in the page's language
	Field                         string // the field at fault: comment, reason or return_reason
}

func (w *Web) draftPage(c echo.Context) error {
	return w.showDraft(c, http.StatusOK, decisionForm{})
}

// showDraft renders the draft page, with the decision form as posted.
func (w *Web) showDraft(c echo.Context, status int, form decisionForm) error {
	d, err := w.loadVisible(c)
	if err != nil || d.ID == 0 {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	a := u.Actor()
	lang := w.lang(c)
	v := draftView{D: d, Reasons: domain.Reasons, ReturnCodes: domain.ReturnReasons, Decision: form, MaxComment: domain.MaxComment}
	for _, f := range d.Findings {
		if f.Revision == d.Revision {
			v.Findings = append(v.Findings, f)
		} else {
			v.Older = append(v.Older, f)
		}
	}
	sortFindings(v.Findings)
	v.TitleSegs = highlight(d.Content.Title, v.Findings, "title", lang)
	v.BodySegs = highlight(d.Content.Body, v.Findings, "body", lang)
	if d.Revision > 1 {
		prev, err := w.Store.Revision(ctx, d.ID, d.Revision-1)
		if err != nil {
			return err
		}
		v.HasDiff = true
		v.Diff = diff(prev.Title+"\n\n"+prev.Body, d.Content.Title+"\n\n"+d.Content.Body)
	}
	facts, err := w.Store.DraftFacts(ctx, d.ID)
	if err != nil {
		return err
	}
	if st, ok := domain.StageOf(d.State); ok {
		if spec, _ := domain.Spec(st); facts.PersonDecides(spec) {
			v.Stage = st // a person decides this stage of this draft
		}
	}
	v.Blocking = facts.Blocking
	if st := v.Stage; st != "" {
		if err := domain.MayDecideStage(a, facts, st); err == nil {
			v.CanDecide = d.StepDone
			claim, err := w.Store.ClaimDraft(ctx, d.ID, u.ID, d.State, d.Revision, w.ClaimTTL)
			if err != nil {
				return err
			}
			v.Claim, v.ClaimedByMe = &claim, claim.UserID == u.ID
		} else if a.Has(domain.ReviewerRole(st)) {
			var r *domain.Refusal
			if errors.As(err, &r) {
				v.DecideReason = w.t(c, "rule."+string(r.Rule))
			}
		}
	}
	v.CanRevise = (d.State == domain.StateReturned || d.State == domain.StateUnsubmitted) && d.AuthorID == u.ID
	v.CanRecall = domain.CanRecall(a, facts) == nil
	if v.CanRevise {
		v.Suggestions = applicable(d.Content, d.Findings, d.Revision)
	}
	v.CanCorrect = d.State == domain.StatePublished && d.AuthorID == u.ID
	v.CanExplain = domain.CanExplain(a, facts, "-") == nil // the text is asked for on the form
	v.CanAudit = domain.CanViewAudit(a, d.Facts()) == nil
	if d.State == domain.StateReturned {
		for i := len(d.Decisions) - 1; i >= 0; i-- {
			if d.Decisions[i].Decision == string(domain.DecisionReturn) && d.Decisions[i].Revision == d.Revision {
				v.Returned = &d.Decisions[i]
				break
			}
		}
	}
	evs, err := w.Store.DraftEvents(ctx, d.ID)
	if err != nil {
		return err
	}
	v.History = historyOf(evs, d.Decisions)
	v.MachineReturned = d.State == domain.StateReturned && !facts.ReturnedByPerson
	v.Previews = w.previews(c, d.ID, d.Content)
	v.CanWithdraw = domain.CanWithdraw(a, d.Facts(), "-") == nil // the reason is asked for on the form
	v.CanSetExpiry = domain.CanSetExpiry(a, facts) == nil
	v.Codes = domain.WithdrawalCodes
	if v.Review, err = w.draftReview(c, d.Draft); err != nil {
		return err
	}
	if d.State == domain.StateWithdrawn {
		ev, err := w.Store.LastEvent(ctx, d.ID, string(domain.ActionWithdraw))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil {
			v.Withdrawal = &withdrawal{Actor: ev.Actor, At: ev.At, Code: ev.Reason, Reason: ev.Comment}
		}
	}
	p := w.base(c, "draft.title", "")
	p.Title = d.Content.Title
	p.Data = v
	return w.render(c, status, "draft", p)
}

func (w *Web) editDraftForm(c echo.Context) error {
	d, err := w.loadVisible(c)
	if err != nil || d.ID == 0 {
		return err
	}
	u := currentUser(c)
	if err := domain.CanRevise(u.Actor(), d.Facts()); err != nil {
		var r *domain.Refusal
		errors.As(err, &r)
		return w.errorPage(c, http.StatusForbidden, "rule."+string(r.Rule))
	}
	deps, err := w.departmentsOf(c, u)
	if err != nil {
		return err
	}
	if d.State == domain.StatePublished && d.PublishedRevision != d.Revision {
		// A correction starts from what the public reads, not from a
		// correction that was rejected since.
		if d.Content, err = w.Store.Revision(c.Request().Context(), d.ID, d.PublishedRevision); err != nil {
			return err
		}
	}
	fd := formData{Action: fmt.Sprintf("/web/drafts/%d", d.ID), DraftID: d.ID, Revision: d.Revision,
		Title: d.Content.Title, Body: d.Content.Body, Department: d.Content.Department, Category: d.Content.Category,
		Channels: d.Content.Channels, FormedOn: d.Content.FormedOn.Format(domain.DateLayout), Deadline: w.deadlineOf(d.Content.FormedOn.Format(domain.DateLayout)),
		Departments: deps, Categories: domain.Categories, Digest: d.Content.Digest, Attachments: d.Content.Attachments, Options: d.Content.Options,
		Correcting: d.PublishedRevision > 0, PublishAt: localTime(d.Content.PublishAt), ExpiresOn: civilDate(d.Content.ExpiresOn),
		Topics: strings.Join(d.Content.Topics, "、")}
	if d.State != domain.StatePublished {
		fd.Correction = d.Content.Correction // a returned correction keeps its note; a new one starts empty
	} else {
		fd.PublishAt = "" // a correction of a published item is published when approved, unless it names a time anew
	}
	for _, x := range d.Decisions {
		if x.Revision == d.Revision && x.Decision == string(domain.DecisionReturn) {
			fd.Comment = x.Comment
		}
	}
	for _, f := range d.Findings {
		if f.Revision == d.Revision {
			fd.Findings = append(fd.Findings, f)
		}
	}
	if err := w.prepareForm(c, &fd); err != nil {
		return err
	}
	p := w.base(c, "form.revise_title", "drafts")
	p.Data = fd
	return w.render(c, http.StatusOK, "form", p)
}

func (w *Web) reviseDraft(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	in, fd := readForm(c)
	fd.Action, fd.DraftID = fmt.Sprintf("/web/drafts/%d", id), id
	if c.FormValue("save") != "" {
		return w.saveNow(c, in, fd)
	}
	content, err := w.content(c, &in, &fd)
	if err != nil {
		return w.formError(c, fd, err)
	}
	dep, err := w.Store.DepartmentByName(ctx, currentUser(c).AgencyID, content.Department)
	if errors.Is(err, store.ErrNotFound) {
		return w.formError(c, fd, &api.Error{Status: 422, Code: "unknown_department", Message: content.Department,
			MessageZH: fmt.Sprintf("科室“%s”不存在，请从列表中选择。", content.Department), Field: "department"})
	}
	if err != nil {
		return err
	}
	done := "flash.revised"
	if d, err := w.Store.Draft(ctx, id); err == nil && d.Saved {
		done = "flash.submitted" // a saved draft's first submission
	}
	return w.submitOnce(c, fd, func(ctx context.Context) (int64, error) {
		_, err := w.Store.Revise(ctx, u.Actor(), id, dep.ID, content, api.Deadline(w.Calendar, content))
		return id, err
	}, done)
}

// decide applies the decision form. A refusal — including the 409 of a
// second reviewer deciding a draft already decided — comes back as a flash
// naming the rule; nothing changes.
func (w *Web) decide(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	rev, err := strconv.Atoi(c.FormValue("revision"))
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "input.missing_field")
	}
	form := decisionForm{Comment: c.FormValue("comment"), Reason: c.FormValue("reason"), ReturnReason: c.FormValue("return_reason")}
	req := domain.DecisionRequest{Stage: domain.Stage(c.FormValue("stage")), Revision: rev,
		Decision: domain.Decision(c.FormValue("decision")), Comment: strings.TrimSpace(form.Comment)}
	// The form has a list of reasons for each: the law's for a reject, the
	// return reasons for a return, which the page asks for (the API does
	// not, for its older clients).
	switch req.Decision {
	case domain.DecisionReject:
		req.Reason = domain.Reason(form.Reason)
	case domain.DecisionReturn:
		req.Reason = domain.Reason(form.ReturnReason)
		if req.Reason == "" && domain.Visible(req.Comment) { // (without a comment, that is said first)
			form.Error, form.Field = w.t(c, "draft.return_reason_required"), "return_reason"
			return w.showDraft(c, http.StatusUnprocessableEntity, form)
		}
	}
	var sum []byte
	if h := c.FormValue("content_sha256"); h != "" {
		sum, _ = hex.DecodeString(h) // a malformed hash simply fails to match the content
	}
	_, err = w.Store.Decide(c.Request().Context(), currentUser(c).Actor(), id, req, sum)
	var r *domain.Refusal
	switch {
	case err == nil:
		flash(c, "flash.decided."+string(req.Decision))
		return c.Redirect(http.StatusSeeOther, "/web/queue?stage="+string(req.Stage))
	case errors.As(err, &r) && decisionFields[r.Rule] != "":
		// What the reviewer wrote is wrong: the page again, as typed.
		form.Error, form.Field = w.t(c, "rule."+string(r.Rule)), decisionFields[r.Rule]
		return w.showDraft(c, http.StatusUnprocessableEntity, form)
	case errors.As(err, &r):
		flash(c, "rule."+string(r.Rule))
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/web/drafts/%d", id))
	case errors.Is(err, store.ErrConflict):
		flash(c, "rule.stale_decision")
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/web/drafts/%d", id))
	case errors.Is(err, store.ErrNotFound):
		return w.errorPage(c, http.StatusNotFound, "error.not_found") // or not theirs to see: the same
	}
	return err
}

// decisionFields are the refusals about what the decision form says, and
// the field each is about.
var decisionFields = map[domain.Rule]string{domain.RuleCommentRequired: "comment", domain.RuleOverrideRequired: "comment",
	domain.RuleTooLong: "comment", domain.RuleReasonRequired: "reason", domain.RuleReasonOnlyReject: "reason",
	domain.RuleReturnReason: "return_reason"}

// explain sends a revision that stage 1's machine checks returned on,
// unchanged, with its author's explanation (store.Explain).
func (w *Web) explain(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	rev, err := strconv.Atoi(c.FormValue("revision"))
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "input.missing_field")
	}
	_, err = w.Store.Explain(c.Request().Context(), currentUser(c).Actor(), id, rev, c.FormValue("explanation"))
	var r *domain.Refusal
	if errors.As(err, &r) && (r.Rule == domain.RuleExplanationNeeded || r.Rule == domain.RuleTooLong) {
		// What the author wrote is wrong: the page again, the explanation as
		// typed and marked (posted.go).
		msg := w.t(c, "rule."+string(r.Rule))
		if r.Rule == domain.RuleTooLong {
			msg = w.t(c, "draft.note_too_long", domain.MaxComment)
		}
		return w.refuse(c, "explanation", msg, w.draftPage)
	}
	return w.backToDraft(c, id, err, "flash.explained")
}

// backToDraft ends a form on the draft page: back to the page, with the
// done flash, or the refused rule's; a draft not theirs to see is not found.
func (w *Web) backToDraft(c echo.Context, id int64, err error, done string) error {
	return w.backTo(c, fmt.Sprintf("/web/drafts/%d", id), err, done)
}

// backTo answers a form's post with a redirect to page, the outcome as a
// flash: done, or the refusal's rule; 404 for a draft not found.
func (w *Web) backTo(c echo.Context, page string, err error, done string) error {
	var r *domain.Refusal
	switch {
	case err == nil:
		flash(c, done)
	case errors.As(err, &r):
		flash(c, "rule."+string(r.Rule))
	case errors.Is(err, store.ErrNotFound):
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	default:
		return err
	}
	return c.Redirect(http.StatusSeeOther, page)
}

// withdraw takes a published draft off every channel, with a reason code
// and the reason in words, from the draft page.
func (w *Web) withdraw(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	code := domain.WithdrawalCode(c.FormValue("code"))
	if !code.Valid() {
		code = domain.WithdrawOther
	}
	err := w.Store.Withdraw(c.Request().Context(), currentUser(c).Actor(), id, code, strings.TrimSpace(c.FormValue("reason")))
	var r *domain.Refusal
	if errors.As(err, &r) && (r.Rule == domain.RuleWithdrawNeedsText || r.Rule == domain.RuleTooLong) {
		return w.refuse(c, "reason", w.t(c, "rule."+string(r.Rule)), w.draftPage) // the reason as typed, marked
	}
	return w.backToDraft(c, id, err, "flash.withdrawn")
}

// recall takes a submitted draft back before anyone decided on it, from
// its page; its author then revises and resubmits it.
func (w *Web) recall(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	_, err := w.Store.Recall(c.Request().Context(), currentUser(c).Actor(), id)
	return w.backToDraft(c, id, err, "flash.recalled")
}

// setExpiry sets how long a draft stays public, from its page.
func (w *Web) setExpiry(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	v := c.FormValue("expires_on")
	day, err := api.ExpiryInput{ExpiresOn: &v}.LastDay()
	if err != nil {
		return w.refuse(c, "expires_on", w.t(c, "flash.bad_date"), w.draftPage) // the comment kept, the date marked
	}
	err = w.Store.ChangeExpiry(c.Request().Context(), currentUser(c).Actor(), id, day, strings.TrimSpace(c.FormValue("comment")))
	return w.backToDraft(c, id, err, "flash.expiry_set")
}

// withdrawal is who withdrew a draft, when and why, for its page.
type withdrawal struct {
	Actor  string
	At     time.Time
	Code   string
	Reason string
}

// historyItem is one line of a draft's history on its page.
type historyItem struct {
	Action   string
	Stage    string
	Revision int
	Actor    string
	At       time.Time
	Reason   string
	Comment  string
	Override bool
	Machine  bool
}

// historyActions are the trail's actions a draft's page lists: what moved
// it, not the machine's routine steps nor the refused attempts.
var historyActions = map[string]bool{"submit": true, "save": true, "revise": true, "correct": true, "recall": true, "explain": true,
	"checks_block": true, "approve": true, "return": true, "reject": true, "release": true, "published": true,
	"withdraw": true, "expiry_set": true, "review_kept": true, "validity_set": true}

// historyOf is the draft's history from its trail, each decision marked
// where it overrode a blocking finding.
func historyOf(evs []audit.Event, ds []store.Decision) []historyItem {
	override := map[string]bool{}
	for _, x := range ds {
		if x.Override {
			override[fmt.Sprintf("%s/%d/%s", x.Stage, x.Revision, x.Decision)] = true
		}
	}
	var out []historyItem
	for _, e := range evs {
		if !historyActions[e.Action] {
			continue
		}
		stage := e.Stage
		if _, ok := domain.StageOf(domain.State(stage)); !ok && stage != string(domain.StatePublishing) {
			stage = "" // a state, not a stage: the action says enough
		}
		out = append(out, historyItem{Action: e.Action, Stage: stage, Revision: e.Revision, Actor: e.Actor, At: e.At,
			Reason: e.Reason, Comment: e.Comment, Machine: e.Role == string(domain.RoleSystem),
			Override: override[fmt.Sprintf("%s/%d/%s", e.Stage, e.Revision, e.Action)]})
	}
	return out
}

// printView is the 审批单's data.
type printView struct {
	D                  store.DraftDetail
	Agency             string
	History            []historyItem
	Blocking, Warnings int
	Now                time.Time
}

// printSheet is a draft's printable approval sheet (审批单): its facts, every
// step and opinion, and its text, laid out for paper; print-to-PDF in the
// browser makes the PDF. Whoever may read the draft may print it.
func (w *Web) printSheet(c echo.Context) error {
	d, err := w.loadVisible(c)
	if err != nil || d.ID == 0 {
		return err
	}
	ctx := c.Request().Context()
	ag, err := w.Store.Agency(ctx, d.AgencyID)
	if err != nil {
		return err
	}
	evs, err := w.Store.DraftEvents(ctx, d.ID)
	if err != nil {
		return err
	}
	v := printView{D: d, Agency: ag.Name, History: historyOf(evs, d.Decisions), Now: w.Now()}
	for _, f := range d.Findings {
		if f.Revision != d.Revision {
			continue
		}
		if f.Severity == domain.SeverityBlock {
			v.Blocking++
		} else {
			v.Warnings++
		}
	}
	p := w.base(c, "print.title", "")
	p.Data = v
	return w.render(c, http.StatusOK, "print", p)
}

// splitTopics reads the form's 专题 field: topics separated by 、, commas
// or semicolons (full or half width).
func splitTopics(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、，,；;\n", r) })
}

// readUpload reads a file of a multipart form.
func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	rd, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("error opening the uploaded file: %w", err)
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("error reading the uploaded file: %w", err)
	}
	return data, nil
}
