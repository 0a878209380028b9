package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// draftJSON is a draft as the API returns it.
type draftJSON struct {
	ID            int64            `json:"id"`
	State         domain.State     `json:"state"`
	Revision      int              `json:"revision"`
	ChecksDone    bool             `json:"checks_done"`
	Title         string           `json:"title"`
	Body          string           `json:"body"`
	Department    string           `json:"department"`
	Category      string           `json:"category"`
	Channels      []domain.Channel `json:"channels"`
	FormedOn      string           `json:"formed_on"`
	Deadline      string           `json:"deadline"`
	ContentSHA256 string           `json:"content_sha256"`
	Author        string           `json:"author"`
	AuthorID      int64            `json:"author_id"`
	WaitingSince  time.Time        `json:"waiting_since"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
	PublishedAt   *time.Time       `json:"published_at,omitempty"`
	Explanation   string           `json:"explanation,omitempty"`
	Digest        string           `json:"digest,omitempty"`
	// Attachments are always a list (empty without files).
	Attachments []domain.Attachment    `json:"attachments"`
	Options     []domain.ChannelOption `json:"options,omitempty"`
	// After publication: the revision the public sees (a correction under
	// review is a later one), its correction note, the publication time
	// asked for and the last day it stays public.
	PublishedRevision int        `json:"published_revision,omitempty"`
	Correction        string     `json:"correction,omitempty"`
	PublishAt         *time.Time `json:"publish_at,omitempty"`
	ExpiresOn         string     `json:"expires_on,omitempty"`
	Topics            []string   `json:"topics,omitempty"` // 专题
	// Saved: kept unsubmitted (暂存) and never submitted yet.
	Saved bool `json:"saved,omitempty"`
}

// draftDetailJSON is GET /drafts/{id}: the draft with its findings,
// decisions and publications, each a list even when empty.
type draftDetailJSON struct {
	draftJSON
	Findings     []store.Finding     `json:"findings"`
	Decisions    []store.Decision    `json:"decisions"`
	Publications []store.Publication `json:"publications"`
}

func toJSON(d store.Draft) draftJSON {
	out := draftJSON{ID: d.ID, State: d.State, Revision: d.Revision, ChecksDone: d.StepDone,
		Title: d.Content.Title, Body: d.Content.Body, Department: d.Content.Department, Category: d.Content.Category,
		Channels: d.Content.Channels, FormedOn: d.Content.FormedOn.Format(domain.DateLayout), Deadline: d.Deadline,
		ContentSHA256: d.ContentSHA256, Author: d.Author, AuthorID: d.AuthorID, WaitingSince: d.StateEnteredAt,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, PublishedAt: d.PublishedAt, Explanation: d.Explanation,
		Digest: d.Content.Digest, Attachments: d.Content.Attachments, Options: d.Content.Options,
		PublishedRevision: d.PublishedRevision, Correction: d.Content.Correction, Topics: d.Content.Topics, Saved: d.Saved}
	if !d.Content.PublishAt.IsZero() {
		at := d.Content.PublishAt.In(domain.Beijing)
		out.PublishAt = &at
	}
	if e := d.ExpiresOn; e != nil {
		out.ExpiresOn = e.Format(domain.DateLayout)
	} else if !d.Content.ExpiresOn.IsZero() {
		out.ExpiresOn = d.Content.ExpiresOn.Format(domain.DateLayout)
	}
	if out.Attachments == nil {
		out.Attachments = []domain.Attachment{}
	}
	return out
}

func detailJSON(d store.DraftDetail) draftDetailJSON {
	// store.Detail gives empty lists, never nil ones.
	return draftDetailJSON{draftJSON: toJSON(d.Draft), Findings: d.Findings, Decisions: d.Decisions, Publications: d.Publications}
}

// ResolveAttachments fills the attachments' facts from their files' rows
// and holds them to their roles and the body's image markers: 422
// `unknown_file`, `role_not_allowed` or `unknown_image`.
func ResolveAttachments(ctx context.Context, st *store.Store, content domain.Content) (domain.Content, error) {
	var err error
	if content.Attachments, err = st.Attach(ctx, content.Attachments); errors.Is(err, store.ErrNotFound) {
		return content, failZH(http.StatusUnprocessableEntity, "unknown_file", "附件所引用的文件尚未上传：请先上传该文件。",
			"%s", strings.TrimSuffix(err.Error(), ": "+store.ErrNotFound.Error()))
	} else if err != nil {
		return content, err
	}
	return content, checkAttachments(content)
}

// readContent decodes and validates a draft body, resolving its department.
// readContent reads a draft's body, and whether it is to be kept
// unsubmitted (DraftInput.Unsubmitted, 暂存).
func (s *Server) readContent(c echo.Context) (domain.Content, int64, bool, error) {
	var in DraftInput
	if err := decode(c, &in); err != nil {
		return domain.Content{}, 0, false, err
	}
	content, err := in.Content()
	if err != nil {
		return content, 0, false, err
	}
	if err := CheckPublishAt(content, s.Now()); err != nil {
		return content, 0, false, err
	}
	if content, err = ResolveAttachments(c.Request().Context(), s.Store, content); err != nil {
		return content, 0, false, err
	}
	dep, err := s.Store.DepartmentByName(c.Request().Context(), user(c).AgencyID, content.Department)
	if errors.Is(err, store.ErrNotFound) {
		return content, 0, false, fail(http.StatusUnprocessableEntity, "unknown_department", "unknown department %q", content.Department)
	}
	return content, dep.ID, in.Unsubmitted, err
}

func (s *Server) submitDraft(c echo.Context) error {
	u := user(c)
	content, deptID, save, err := s.readContent(c)
	if err != nil {
		return err
	}
	submit := s.Store.Submit
	if save {
		submit = func(ctx context.Context, by domain.Actor, deptID int64, c domain.Content, deadline time.Time) (store.Draft, error) {
			return s.Store.Save(ctx, by, 0, deptID, c, deadline)
		}
	}
	d, err := submit(c.Request().Context(), u.Actor(), deptID, content, Deadline(s.Calendar, content))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toJSON(d))
}

func (s *Server) reviseDraft(c echo.Context) error {
	u := user(c)
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.visible(c, id); err != nil {
		return err
	}
	content, deptID, save, err := s.readContent(c)
	if err != nil {
		return err
	}
	revise := s.Store.Revise
	if save {
		revise = s.Store.Save
	}
	d, err := revise(c.Request().Context(), u.Actor(), id, deptID, content, Deadline(s.Calendar, content))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJSON(d))
}

// visible asks the one policy whether the caller may see the draft; a
// refusal is audited and answered 403 with the rule.
func (s *Server) visible(c echo.Context, id int64) error {
	_, err := s.Store.Check(c.Request().Context(), user(c).Actor(), id, "view", domain.CanView)
	return err
}

func (s *Server) getDraft(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.visible(c, id); err != nil {
		return err
	}
	d, err := s.Store.Detail(c.Request().Context(), id)
	if err != nil {
		return err
	}
	review, err := s.draftReview(c, d.Draft)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		draftDetailJSON
		Review *ReviewJSON `json:"review,omitempty"` // a published item's periodic review and validity
	}{detailJSON(d), review})
}

func (s *Server) myDrafts(c echo.Context) error {
	ds, err := s.Store.MyDrafts(c.Request().Context(), user(c).ID, 200)
	if err != nil {
		return err
	}
	out := make([]draftJSON, len(ds))
	for i, d := range ds {
		out[i] = toJSON(d)
	}
	return c.JSON(http.StatusOK, map[string]any{"drafts": out})
}

// decisionInput is the body of POST /api/v1/drafts/{id}/decisions.
type decisionInput struct {
	Stage         *string `json:"stage"`
	Revision      *int    `json:"revision"`
	Decision      *string `json:"decision"`
	Reason        string  `json:"reason"`
	Comment       string  `json:"comment"`
	ContentSHA256 string  `json:"content_sha256"`
}

func (s *Server) decide(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in decisionInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Stage == nil || in.Revision == nil || in.Decision == nil {
		return fail(http.StatusBadRequest, "missing_field", "a decision needs stage, revision and decision")
	}
	var sum []byte
	if in.ContentSHA256 != "" {
		if sum, err = hex.DecodeString(in.ContentSHA256); err != nil || len(sum) != 32 {
			return fail(http.StatusBadRequest, "invalid_hash", "content_sha256 must be 64 hex digits")
		}
	}
	if len([]rune(in.Comment)) > domain.MaxComment {
		return fail(http.StatusBadRequest, "field_too_long", "comment is over %d characters", domain.MaxComment)
	}
	req := domain.DecisionRequest{Stage: domain.Stage(*in.Stage), Revision: *in.Revision, Decision: domain.Decision(*in.Decision),
		Reason: domain.Reason(in.Reason), Comment: in.Comment}
	// No separate visibility check: the decision rules include department
	// scope, and a refusal is audited by Decide itself.
	// The answer is the draft as the decision left it; GET /drafts/{id} has
	// the findings and history.
	d, err := s.Store.Decide(c.Request().Context(), user(c).Actor(), id, req, sum)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJSON(d))
}

// explain sends a revision that stage 1's machine checks returned on,
// unchanged, with its author's explanation (store.Explain).
func (s *Server) explain(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		Revision    *int   `json:"revision"`
		Explanation string `json:"explanation"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Revision == nil {
		return fail(http.StatusBadRequest, "missing_field", "an explanation names the revision it explains")
	}
	if len([]rune(in.Explanation)) > domain.MaxComment {
		return fail(http.StatusBadRequest, "field_too_long", "explanation is over %d characters", domain.MaxComment)
	}
	if err := s.visible(c, id); err != nil {
		return err
	}
	d, err := s.Store.Explain(c.Request().Context(), user(c).Actor(), id, *in.Revision, in.Explanation)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJSON(d))
}

// ExpiryInput is the body of POST /api/v1/drafts/{id}/expiry and its form.
type ExpiryInput struct {
	ExpiresOn *string `json:"expires_on"` // YYYY-MM-DD, or "" for no limit
	Comment   string  `json:"comment"`
}

// LastDay validates the input: the day, nil for no limit.
func (in ExpiryInput) LastDay() (*time.Time, error) {
	if in.ExpiresOn == nil {
		return nil, failZH(http.StatusBadRequest, "missing_field", "请填写有效期至（日期），或留空表示不设期限。", "expires_on is required (a date, or \"\" for no limit)")
	}
	if strings.TrimSpace(*in.ExpiresOn) == "" {
		return nil, nil
	}
	d, err := time.Parse(domain.DateLayout, strings.TrimSpace(*in.ExpiresOn))
	if err != nil {
		return nil, failZH(http.StatusBadRequest, "invalid_date", fmt.Sprintf("有效期至 %q 不是日期，应为 YYYY-MM-DD。", *in.ExpiresOn),
			"expires_on must be a date YYYY-MM-DD, not %q", *in.ExpiresOn)
	}
	return &d, nil
}

// setExpiry sets how long a draft stays public, in place of what stage 2
// settled: its reviewers' and the admins' (store.ChangeExpiry).
func (s *Server) setExpiry(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in ExpiryInput
	if err := decode(c, &in); err != nil {
		return err
	}
	day, err := in.LastDay()
	if err != nil {
		return err
	}
	if err := s.visible(c, id); err != nil {
		return err
	}
	if err := s.Store.ChangeExpiry(c.Request().Context(), user(c).Actor(), id, day, in.Comment); err != nil {
		return err
	}
	d, err := s.Store.Draft(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJSON(d))
}

// recall takes a submitted draft back to its author before anyone decided
// on it (store.Recall). It has no body.
func (s *Server) recall(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.visible(c, id); err != nil {
		return err
	}
	d, err := s.Store.Recall(c.Request().Context(), user(c).Actor(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJSON(d))
}

func (s *Server) withdraw(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
		Code   string `json:"code"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	code := domain.WithdrawalCode(in.Code)
	if in.Code == "" {
		code = domain.WithdrawOther
	}
	if !code.Valid() {
		return fail(http.StatusBadRequest, "unknown_code", "unknown withdrawal code %q; use one of: expired, revoked, superseded, error, other", in.Code)
	}
	if err := s.visible(c, id); err != nil {
		return err
	}
	if err := s.Store.Withdraw(c.Request().Context(), user(c).Actor(), id, code, in.Reason); err != nil {
		return err
	}
	d, err := s.Store.Draft(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJSON(d))
}

// queueItemJSON is a queue row with its age and legal deadline.
type queueItemJSON struct {
	store.QueueItem
	AgeSeconds      int64  `json:"age_seconds"`
	FormedOn        string `json:"formed_on"`
	Deadline        string `json:"deadline"`
	WorkingDaysLeft int    `json:"working_days_left"`
	Overdue         bool   `json:"overdue"`
	NearlyDue       bool   `json:"nearly_due"`
}

func (s *Server) queue(c echo.Context) error {
	u := user(c)
	a := u.Actor()
	stage := domain.Stage(c.QueryParam("stage"))
	if stage == "" {
		policy, err := s.Store.Policy(c.Request().Context(), user(c).AgencyID)
		if err != nil {
			return err
		}
		if qs := domain.QueueStages(a, policy); len(qs) > 0 {
			stage = qs[0]
		} else {
			return &domain.Refusal{Rule: domain.RuleRole, Message: "you decide no stage here, so you have no queue"}
		}
	}
	if !stage.HumanDecided() {
		return fail(http.StatusBadRequest, "invalid_stage", "stage must be one a person decides: %s", humanStages())
	}
	if !a.Has(domain.ReviewerRole(stage)) {
		return &domain.Refusal{Rule: domain.RuleRole, Message: "the " + string(stage) + " queue needs the " + string(domain.ReviewerRole(stage)) + " role"}
	}
	f := store.QueueFilter{Category: c.QueryParam("category"), Text: c.QueryParam("q")}
	if d := c.QueryParam("department"); d != "" {
		dep, err := s.Store.DepartmentByName(c.Request().Context(), user(c).AgencyID, d)
		if err != nil {
			return fail(http.StatusBadRequest, "unknown_department", "unknown department %q", d)
		}
		f.Department = dep.ID
	}
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return fail(http.StatusBadRequest, "invalid_limit", "limit must be a positive number")
		}
		f.Limit = n
	}
	items, err := s.Store.Queue(c.Request().Context(), a, stage, f)
	if err != nil {
		return err
	}
	now := s.Now()
	today := checks.Today(now)
	out := make([]queueItemJSON, len(items))
	for i, it := range items {
		left := s.Calendar.WorkingDaysBetween(today, it.Deadline)
		out[i] = queueItemJSON{QueueItem: it, AgeSeconds: int64(now.Sub(it.StateEnteredAt).Seconds()),
			FormedOn: it.FormedOn.Format(domain.DateLayout), Deadline: it.Deadline.Format(domain.DateLayout),
			WorkingDaysLeft: left, Overdue: left < 0, NearlyDue: left >= 0 && left <= 5}
	}
	return c.JSON(http.StatusOK, map[string]any{"stage": stage, "items": out})
}

// humanStages names the stages a person may decide, for error messages.
func humanStages() string {
	var out []string
	for _, st := range domain.Stages() {
		if st.HumanDecided() {
			out = append(out, string(st))
		}
	}
	return strings.Join(out, ", ")
}

// Deadline is the day the content must be public by: the earlier of the
// Article 26 and the 双公示 clocks (checks.Deadline).
func Deadline(cal *calendar.Calendar, c domain.Content) time.Time {
	d, _ := checks.Deadline(cal, c)
	return d
}
