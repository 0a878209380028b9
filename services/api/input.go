package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media"
)

// decode reads a JSON body strictly: valid UTF-8, no unknown fields, right
// types, one value. The error names the problem.
func decode(c echo.Context, v any) error {
	raw, err := io.ReadAll(c.Request().Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fail(http.StatusRequestEntityTooLarge, "body_too_large", "request body is over the limit of %d bytes", tooBig.Limit)
	}
	if err != nil {
		return fail(http.StatusBadRequest, "unreadable_body", "could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return fail(http.StatusBadRequest, "empty_body", "the request needs a JSON body")
	}
	if !utf8.Valid(raw) {
		return fail(http.StatusBadRequest, "invalid_utf8", "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return fail(http.StatusBadRequest, "wrong_type", "field %q must be %s, not %s", typeErr.Field, typeErr.Type, typeErr.Value)
		case errors.As(err, &syntaxErr):
			return fail(http.StatusBadRequest, "invalid_json", "the body is not valid JSON at byte %d: %v", syntaxErr.Offset, err)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return fail(http.StatusBadRequest, "unknown_field", "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return fail(http.StatusBadRequest, "invalid_json", "the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return fail(http.StatusBadRequest, "invalid_json", "the body holds more than one JSON value")
	}
	return nil
}

// Field limits, documented in the README.
const (
	maxTitleRunes  = 200
	maxBodyRunes   = 50000
	maxDigestRunes = 500
	maxAttachments = 50
)

// DraftInput is the body of POST and PUT /api/v1/drafts, and the web form.
type DraftInput struct {
	Title      *string  `json:"title"`
	Body       *string  `json:"body"`
	Department *string  `json:"department"`
	Category   *string  `json:"category"`
	Channels   []string `json:"channels"`
	FormedOn   *string  `json:"formed_on"`
	// Digest (摘要), Attachments and Options are optional.
	Digest      *string           `json:"digest"`
	Attachments []AttachmentInput `json:"attachments"`
	Options     []string          `json:"options"`
	// Correction is a correction's note (更正说明): required when the draft
	// is published (PUT starts a correction), refused otherwise.
	Correction *string `json:"correction"`
	// PublishAt is the publication time (定时发布): RFC 3339, or a local
	// time in Beijing as YYYY-MM-DDTHH:MM (what a datetime-local field
	// sends). ExpiresOn is the last day a time-limited item stays public
	// (有效期至, YYYY-MM-DD).
	PublishAt *string `json:"publish_at"`
	ExpiresOn *string `json:"expires_on"`
	// Unsubmitted keeps the draft unsubmitted (暂存): POST stores a new
	// draft in state unsubmitted, PUT a new revision of one; it is in the
	// trail (a save), seen only by its author, and neither checked nor
	// sent anywhere until a PUT without it submits it.
	Unsubmitted bool `json:"unsubmitted"`
	// Topics are the item's 专题 (such as 老旧小区改造), shown on its public
	// page and gathering it on the topic's page: at most
	// domain.MaxTopics, each at most domain.MaxTopicRunes characters.
	Topics []string `json:"topics"`
}

// AttachmentInput names an uploaded file (POST /api/v1/files) in a draft.
type AttachmentInput struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Role   string `json:"role"`
}

// Content validates the input's shape. Department existence is checked by
// the caller; whether the content is good enough is the machine checks' job.
// Text may contain HTML: it is stored as text and escaped wherever shown.
func (in DraftInput) Content() (domain.Content, error) {
	var c domain.Content
	var missing []string
	for name, p := range map[string]*string{"title": in.Title, "body": in.Body, "department": in.Department, "category": in.Category, "formed_on": in.FormedOn} {
		if p == nil {
			missing = append(missing, name)
		}
	}
	if in.Channels == nil {
		missing = append(missing, "channels")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return c, failField(missing[0], http.StatusBadRequest, "missing_field", "缺少必填项："+strings.Join(fieldNamesZH(missing), "、")+"。",
			"missing required field(s): %s", strings.Join(missing, ", "))
	}
	// NUL characters and invalid UTF-8 never get here (cleanInput).
	c.Title, c.Body, c.Department, c.Category = strings.TrimSpace(*in.Title), *in.Body, strings.TrimSpace(*in.Department), *in.Category
	if c.Title == "" {
		return c, failField("title", http.StatusBadRequest, "empty_field", "请填写标题。", "title must not be empty")
	}
	if n := utf8.RuneCountInString(c.Title); n > maxTitleRunes {
		return c, failField("title", http.StatusBadRequest, "field_too_long", fmt.Sprintf("标题有 %d 个字，上限为 %d 个字。", n, maxTitleRunes),
			"title is %d characters; the limit is %d", n, maxTitleRunes)
	}
	if strings.TrimSpace(c.Body) == "" {
		return c, failField("body", http.StatusBadRequest, "empty_field", "请填写正文。", "body must not be empty")
	}
	if n := utf8.RuneCountInString(c.Body); n > maxBodyRunes {
		return c, failField("body", http.StatusBadRequest, "field_too_long", fmt.Sprintf("正文有 %d 个字，上限为 %d 个字。", n, maxBodyRunes),
			"body is %d characters; the limit is %d", n, maxBodyRunes)
	}
	if !domain.ValidCategory(c.Category) {
		return c, failField("category", http.StatusBadRequest, "unknown_category", fmt.Sprintf("信息类别“%s”不存在，请从列表中选择。", c.Category),
			"unknown category %q; use one of: %s", c.Category, strings.Join(domain.Categories, ", "))
	}
	if len(in.Channels) == 0 {
		return c, failField("channels", http.StatusBadRequest, "no_channels", "请至少选择一个发布渠道。", "channels must name at least one of: %s", channelList())
	}
	seen := map[domain.Channel]bool{}
	for _, ch := range in.Channels {
		cc := domain.Channel(ch)
		if !cc.Valid() {
			return c, failField("channels", http.StatusBadRequest, "unknown_channel", fmt.Sprintf("发布渠道“%s”不存在。", ch),
				"unknown channel %q; use one of: %s", ch, channelList())
		}
		if !seen[cc] {
			seen[cc] = true
			c.Channels = append(c.Channels, cc)
		}
	}
	if err := domain.CheckReplyChannels(c); err != nil {
		return c, failZH(http.StatusBadRequest, "reply_channel", "依申请公开答复书只能送达申请人（渠道 applicant），其他稿件不能使用该渠道。", "%s", err.(*domain.Refusal).Message)
	}
	formed, err := time.Parse(domain.DateLayout, *in.FormedOn)
	if err != nil {
		return c, failField("formed_on", http.StatusBadRequest, "invalid_date", fmt.Sprintf("信息形成日期“%s”不是日期，应为 YYYY-MM-DD。", *in.FormedOn),
			"formed_on must be a date YYYY-MM-DD, not %q", *in.FormedOn)
	}
	if err := domain.ValidFormedOn(formed); err != nil {
		return c, failField("formed_on", http.StatusBadRequest, "invalid_date", fmt.Sprintf("信息形成日期 %s 早于 1949-10-01，请核对。", *in.FormedOn),
			"formed_on %s is before %s: no draft's information was formed before the People's Republic",
			*in.FormedOn, domain.FormedOnFloor.Format(domain.DateLayout))
	}
	c.FormedOn = formed
	if in.Digest != nil {
		c.Digest = strings.TrimSpace(*in.Digest)
		if n := utf8.RuneCountInString(c.Digest); n > maxDigestRunes {
			return c, failField("digest", http.StatusBadRequest, "field_too_long", fmt.Sprintf("摘要有 %d 个字，上限为 %d 个字。", n, maxDigestRunes),
				"digest is %d characters; the limit is %d", n, maxDigestRunes)
		}
	}
	if c.Attachments, err = in.attachments(); err != nil {
		return c, err
	}
	if c.Options, err = in.options(c.Channels); err != nil {
		return c, err
	}
	if in.Correction != nil {
		c.Correction = strings.TrimSpace(*in.Correction)
		if n := utf8.RuneCountInString(c.Correction); n > maxCorrectionRunes {
			return c, failField("correction", http.StatusBadRequest, "field_too_long", fmt.Sprintf("更正说明有 %d 个字，上限为 %d 个字。", n, maxCorrectionRunes),
				"correction is %d characters; the limit is %d", n, maxCorrectionRunes)
		}
	}
	if in.PublishAt != nil && strings.TrimSpace(*in.PublishAt) != "" {
		if c.PublishAt, err = parsePublishAt(strings.TrimSpace(*in.PublishAt)); err != nil {
			return c, failField("publish_at", http.StatusBadRequest, "invalid_publish_at", fmt.Sprintf("定时发布时间 %q 无法识别，应为“2027-01-05T09:00”（北京时间）或 RFC 3339 格式。", *in.PublishAt),
				"publish_at must be RFC 3339 or YYYY-MM-DDTHH:MM in Beijing time, not %q", *in.PublishAt)
		}
	}
	if in.ExpiresOn != nil && strings.TrimSpace(*in.ExpiresOn) != "" {
		e, err := time.Parse(domain.DateLayout, strings.TrimSpace(*in.ExpiresOn))
		if err != nil {
			return c, failField("expires_on", http.StatusBadRequest, "invalid_date", fmt.Sprintf("有效期至 %q 不是日期，应为 YYYY-MM-DD。", *in.ExpiresOn),
				"expires_on must be a date YYYY-MM-DD, not %q", *in.ExpiresOn)
		}
		if e.Before(c.FormedOn) {
			return c, failField("expires_on", http.StatusBadRequest, "invalid_date", "有效期至早于信息形成日期。", "expires_on %s is before formed_on", *in.ExpiresOn)
		}
		c.ExpiresOn = e
	}
	if c.Topics, err = topics(in.Topics); err != nil {
		return c, err
	}
	if !c.PublishAt.IsZero() && !c.ExpiresOn.IsZero() {
		at := c.PublishAt.In(domain.Beijing)
		if c.ExpiresOn.Before(time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)) {
			return c, failField("expires_on", http.StatusBadRequest, "invalid_date", "有效期至早于定时发布的日期：信息发布时已过期。",
				"expires_on %s is before the publication day %s", c.ExpiresOn.Format(domain.DateLayout), at.Format(domain.DateLayout))
		}
	}
	return c, nil
}

// fieldNamesZH names a draft's fields in Chinese, for the messages.
func fieldNamesZH(fields []string) []string {
	names := map[string]string{"title": "标题", "body": "正文", "department": "科室", "category": "信息类别",
		"formed_on": "信息形成日期", "channels": "发布渠道"}
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = cmp.Or(names[f], f)
	}
	return out
}

// maxCorrectionRunes bounds a correction's note.
const maxCorrectionRunes = 1000

// maxScheduleAhead is how far ahead a publication can be scheduled.
const maxScheduleAhead = 366 * 24 * time.Hour

// parsePublishAt reads a publication time: RFC 3339, or a local time in
// Beijing (a datetime-local field's YYYY-MM-DDTHH:MM, seconds optional).
func parsePublishAt(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.Truncate(time.Second), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, v, domain.Beijing); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", v)
}

// CheckPublishAt holds a publication time to the future, and to a year
// ahead at most: 422 invalid_publish_at.
func CheckPublishAt(c domain.Content, now time.Time) error {
	if c.PublishAt.IsZero() {
		return nil
	}
	at := c.PublishAt.In(domain.Beijing).Format("2006-01-02 15:04")
	if !c.PublishAt.After(now) {
		return failField("publish_at", http.StatusUnprocessableEntity, "invalid_publish_at", fmt.Sprintf("定时发布时间 %s 已过：请改为将来的时间，或清空以在审核通过后立即发布。", at),
			"publish_at %s is not in the future", at)
	}
	if c.PublishAt.Sub(now) > maxScheduleAhead {
		return failField("publish_at", http.StatusUnprocessableEntity, "invalid_publish_at", fmt.Sprintf("定时发布时间 %s 超过一年以后。", at),
			"publish_at %s is more than a year ahead", at)
	}
	return nil
}

// options checks the channel options: known, each for a channel the draft
// names; kept sorted and once each, so the content hash does not depend on
// their order.
func (in DraftInput) options(chans []domain.Channel) ([]domain.ChannelOption, error) {
	var out []domain.ChannelOption
	for _, o := range in.Options {
		opt := domain.ChannelOption(o)
		if !opt.Valid() {
			names := make([]string, len(domain.ChannelOptions))
			for i, x := range domain.ChannelOptions {
				names[i] = string(x)
			}
			return nil, failField("options", http.StatusBadRequest, "unknown_option", fmt.Sprintf("渠道选项“%s”不存在。", o),
				"unknown option %q; use one of: %s", o, strings.Join(names, ", "))
		}
		if !slices.Contains(chans, opt.Channel()) {
			return nil, failZH(http.StatusBadRequest, "option_without_channel", fmt.Sprintf("选项 %s 只适用于%s，但稿件没有选择该渠道。", o, opt.Channel().Info().NameZH),
				"option %q is for the %s channel, which the draft does not name", o, opt.Channel())
		}
		if !slices.Contains(out, opt) {
			out = append(out, opt)
		}
	}
	slices.Sort(out)
	return out, nil
}

// attachments checks the manifest's shape: names valid and unique, known
// roles, hashes well formed, one cover at most. Whether the files exist and
// suit their roles is checkAttachments' part, with the files' rows.
func (in DraftInput) attachments() ([]domain.Attachment, error) {
	if len(in.Attachments) > maxAttachments {
		return nil, failField("files", http.StatusBadRequest, "too_many_attachments", fmt.Sprintf("一份稿件最多 %d 个附件，现有 %d 个。", maxAttachments, len(in.Attachments)),
			"a draft takes at most %d attachments, not %d", maxAttachments, len(in.Attachments))
	}
	var out []domain.Attachment
	seen := map[string]bool{}
	covers := 0
	for i, a := range in.Attachments {
		a.Name = strings.TrimSpace(a.Name)
		if err := media.ValidName(a.Name); err != nil {
			return nil, refused(err)
		}
		if seen[a.Name] {
			return nil, failZH(http.StatusBadRequest, "duplicate_attachment", fmt.Sprintf("附件名「%s」重复：同一稿件中的附件名不能相同。", a.Name),
				"attachments[%d]: the name %q is used twice", i, a.Name)
		}
		seen[a.Name] = true
		if !blob.ValidSum(a.SHA256) {
			return nil, fail(http.StatusBadRequest, "invalid_sha256", "attachments[%d].sha256 %q is not a SHA-256 (64 lowercase hex digits)", i, a.SHA256)
		}
		role := domain.AttachmentRole(a.Role)
		if !slices.Contains(domain.AttachmentRoles, role) {
			return nil, fail(http.StatusBadRequest, "unknown_role", "attachments[%d].role %q: use one of cover, image, video, document", i, a.Role)
		}
		if role == domain.RoleCover {
			if covers++; covers > 1 {
				return nil, failZH(http.StatusBadRequest, "two_covers", "只能指定一张封面图片。", "only one attachment can be the cover")
			}
		}
		out = append(out, domain.Attachment{Name: a.Name, SHA256: a.SHA256, Role: role})
	}
	return out, nil
}

// checkAttachments holds the attachments, their files' facts filled in, to
// their roles, and the body's image markers to the attachments: a marker
// must name an image of the draft.
func checkAttachments(c domain.Content) error {
	for i, a := range c.Attachments {
		if a.Kind != a.Role.Kind() {
			return failZH(http.StatusUnprocessableEntity, "role_not_allowed",
				fmt.Sprintf("附件「%s」的类型为 %s，不能用作%s。", a.Name, a.MediaType, roleZH[a.Role]),
				"attachments[%d] %q is %s and cannot be the %s", i, a.Name, a.MediaType, a.Role)
		}
	}
	for _, m := range domain.Markers(c.Body) {
		a, ok := c.Attachment(m.Name)
		if !ok || a.Kind != "image" {
			return failZH(http.StatusUnprocessableEntity, "unknown_image",
				fmt.Sprintf("正文第 %d 行的图片标记「%s」没有对应的图片附件：请先上传该图片，并以同一文件名附在稿件中。", m.Line+1, m.Name),
				"body line %d places the image %q, which is not an image attachment of the draft", m.Line+1, m.Name)
		}
	}
	return nil
}

var roleZH = map[domain.AttachmentRole]string{domain.RoleCover: "封面", domain.RoleImage: "正文图片",
	domain.RoleVideo: "视频", domain.RoleDocument: "附件文档"}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fail(http.StatusBadRequest, "invalid_id", "%q is not an id (a positive number)", c.Param("id"))
	}
	return id, nil
}

// channelList names domain.Channels for error messages.
func channelList() string {
	names := make([]string, len(domain.Channels))
	for i, c := range domain.Channels {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// topics checks a draft's 专题: cleaned (domain.CleanTopics), bounded, and
// each one a name a URL can carry (no slash).
func topics(in []string) ([]string, error) {
	ts := domain.CleanTopics(in)
	if len(ts) > domain.MaxTopics {
		return nil, failZH(http.StatusBadRequest, "invalid_topics", fmt.Sprintf("专题最多 %d 个，现有 %d 个。", domain.MaxTopics, len(ts)),
			"at most %d topics, not %d", domain.MaxTopics, len(ts))
	}
	for _, t := range ts {
		if utf8.RuneCountInString(t) > domain.MaxTopicRunes || strings.ContainsAny(t, "/\\?#%") {
			return nil, failZH(http.StatusBadRequest, "invalid_topics", fmt.Sprintf("专题“%s”过长或含有 / \\ ? # %% 等符号（每个专题最多 %d 个字）。", t, domain.MaxTopicRunes),
				"topic %q is longer than %d characters or holds one of / \\ ? # %%", t, domain.MaxTopicRunes)
		}
	}
	return ts, nil
}
