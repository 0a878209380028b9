// Package wechat is a client for the WeChat Official Account (微信公众号)
// publish (发布) API: access tokens, image uploads, drafts, publishing,
// status polling, deletion and the lookups that reconcile an ambiguous
// publish. The contract is described in CHANNELS.md §1.
//
// The client never retries a write on its own, except once after WeChat
// rejected the access token (then the request was not executed). WeChat
// takes no idempotency key (CHANNELS.md §3), so a write whose answer was
// lost may have happened. The caller, sanshen's adapter, must therefore
// persist each step before the next one: the draft's media_id after
// AddDraft, the publish_id after Submit, the article_id and URL after
// WaitPublished. When Submit fails with Error.Ambiguous, it reconciles
// instead of submitting again: DraftExists(media_id) == false means the
// submit happened (the draft left the draft box), and FindPublished finds
// the article by its exact title. There is deliberately no one-call
// Publish, because it could not persist between the steps.
package wechat

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Channel is the channel code under which sanshen records WeChat publications.
const Channel = "wechat"

// DefaultBaseURL is WeChat's API host, used when Client.BaseURL is empty.
const DefaultBaseURL = "https://api.weixin.qq.com"

// Errcodes the client treats specially, named so callers and tests match
// them by name rather than by number.
const (
	CodeSystemBusy      = -1    // retry later
	CodeBadCredential   = 40001 // bad AppSecret (stable_token) or token invalid/not latest
	CodeBadAppID        = 40013
	CodeTokenInvalid    = 40014
	CodeTokenExpired    = 42001
	CodeIPNotWhitelist  = 40164 // the code seen in practice
	CodeIPWhitelistDocs = 61004 // the code the current docs name
	CodeSecretFrozen    = 40243
	CodeDailyQuota      = 45009
	CodeMinuteQuota     = 45011
	CodeNotAuthorised   = 48001
	CodeSubmitTooOften  = 53501
	// CodeInvalidMediaID is what the client takes to mean "no such draft"
	// from draft/get, and what a second submit of the same media_id is
	// expected to answer. UNVERIFIED: CHANNELS.md names no code for either;
	// 40007 "invalid media_id" is WeChat's general code for an unknown
	// media_id. Tests named *Unverified* pin this assumption.
	CodeInvalidMediaID = 40007
	// Mass send (CHANNELS.md §3): a clientmsgid sent within 24 hours, a
	// repeat too soon, a clientmsgid too long. CodeMassQuota is the
	// account's mass-send quota used up (UNVERIFIED: WeChat's general table
	// names 45028 "has no masssend quota"; CHANNELS.md names none).
	CodeClientMsgIDExists = 45065
	CodeMassTooFast       = 45066
	CodeClientMsgIDLong   = 45067
	CodeMassQuota         = 45028
)

// MaxClientMsgID bounds a mass send's clientmsgid.
const MaxClientMsgID = 64

// Local limits of an article, from the draft/add documentation, checked
// before calling so a too-long field is named instead of refused by WeChat.
const (
	MaxTitleRunes     = 32
	MaxAuthorRunes    = 16
	MaxDigestRunes    = 128
	MaxContentRunes   = 20000 // exclusive: content must be shorter
	MaxContentBytes   = 1 << 20
	MaxSourceURLBytes = 1024
	MaxUploadImg      = 1 << 20  // uploadimg: exclusive (under 1 MB)
	MaxMaterialImage  = 10 << 20 // add_material type=image: inclusive
)

// Error is every failure of a Client call, so a caller can tell with one
// errors.As whether to retry later, reconcile, or tell a person.
type Error struct {
	Op         string // the API path after /cgi-bin/, e.g. "freepublish/submit"
	Code       int    // WeChat's errcode; 0 when none came (transport error, local refusal)
	Message    string // what went wrong, in English, for logs
	MessageZH  string // the same for an operator, in Chinese; set for permanent codes and local refusals
	ErrMsg     string // errmsg exactly as WeChat sent it (with its rid), for support tickets
	Field      string // for a local refusal: the Article's JSON field, or "media"
	HTTPStatus int    // a non-200 status, which WeChat does not send for business errors
	// Retryable means the same call may succeed later unchanged.
	Retryable bool
	// Ambiguous means the request may have been executed but no usable
	// answer was read: reconcile before repeating a write.
	Ambiguous bool
	Err       error // the transport or context error, if any
}

// Error names the call and the errcode, for logs.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wechat %s", e.Op)
	if e.Code != 0 {
		fmt.Fprintf(&b, ": errcode %d", e.Code)
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP status %d", e.HTTPStatus)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.ErrMsg != "" && e.ErrMsg != e.Message {
		fmt.Fprintf(&b, " (errmsg %q)", e.ErrMsg)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Retryable {
		b.WriteString(" (retryable)")
	}
	return b.String()
}

// Unwrap exposes the transport or context error to errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// codeInfo explains an errcode to people and says whether to retry.
type codeInfo struct {
	en, zh string
	retry  bool
}

const whitelistZH = "公众号接口IP白名单未包含本服务器地址，请公众号管理员登录微信公众平台，在“设置与开发—基本配置—IP白名单”中添加本服务器的出口IP后重试。"

var codes = map[int]codeInfo{
	CodeSystemBusy:      {"WeChat is busy; try again later", "微信系统繁忙，请稍后重试。", true},
	CodeDailyQuota:      {"the account's daily quota for this API is used up; try again later", "公众号今日该接口调用次数已达上限，请稍后（次日）再试。", true},
	CodeMinuteQuota:     {"this API was called too often (per-minute quota); try again shortly", "接口调用过于频繁，请稍后再试。", true},
	CodeSubmitTooOften:  {"publish requests too frequent; try again later", "发布请求过于频繁，请稍后再试。", true},
	CodeMassTooFast:     {"mass send retried too soon; wait a minute", "群发请求过于频繁，请一分钟后再试。", true},
	CodeMassQuota:       {"the account's mass-send quota is used up", "公众号群发次数已用完（认证订阅号每天1次），请次日再发。", true},
	CodeIPNotWhitelist:  {"this server's IP address is not in the Official Account's API IP whitelist; an administrator must add it", whitelistZH, false},
	CodeIPWhitelistDocs: {"this server's IP address is not in the Official Account's API IP whitelist; an administrator must add it", whitelistZH, false},
	CodeNotAuthorised:   {"the Official Account is not authorised for this API (unverified account or publish permission withdrawn)", "公众号没有该接口的权限（可能未完成微信认证或已失去发布接口权限），请管理员在公众平台核实账号认证状态与接口权限。", false},
	CodeBadAppID:        {"WeChat does not know the configured AppID", "AppID无效，请核对系统中配置的公众号AppID。", false},
	CodeSecretFrozen:    {"the AppSecret is frozen; an administrator must unfreeze or reset it", "公众号AppSecret已被冻结，请管理员登录微信公众平台解冻或重置AppSecret。", false},
}

// codeError builds the Error for an errcode answer.
func codeError(op string, code int, errmsg string) *Error {
	e := &Error{Op: op, Code: code, Message: errmsg, ErrMsg: errmsg}
	if ci, ok := codes[code]; ok {
		e.Message, e.MessageZH, e.Retryable = ci.en, ci.zh, ci.retry
	} else if code == CodeBadCredential && op == opToken {
		e.Message, e.MessageZH = "WeChat refused the configured AppSecret", "AppSecret错误，请核对系统中配置的公众号AppSecret。"
	}
	return e
}

// refusal is a local refusal: nothing was sent.
func refusal(op, field, zh, format string, args ...any) *Error {
	return &Error{Op: op, Field: field, Message: fmt.Sprintf(format, args...), MessageZH: zh}
}

// Article is one article of a draft: what sanshen sends to draft/add.
type Article struct {
	Title              string // required, at most MaxTitleRunes
	Author             string // at most MaxAuthorRunes
	Digest             string // at most MaxDigestRunes; WeChat uses the body's start when empty
	Content            string // required HTML; images must be UploadImage URLs
	ContentSourceURL   string // the "阅读原文" link, e.g. the item's page on sanshen's public site
	ThumbMediaID       string // required: a permanent media_id from AddMaterialImage
	NeedOpenComment    bool
	OnlyFansCanComment bool
}

// Validate checks the documented limits locally, so the operator learns
// which field is too long before anything is uploaded or sent.
func (a Article) Validate() error {
	runes := utf8.RuneCountInString
	switch {
	case strings.TrimSpace(a.Title) == "":
		return refusal(opDraftAdd, "title", "标题不能为空。", "title is required")
	case runes(a.Title) > MaxTitleRunes:
		return refusal(opDraftAdd, "title", fmt.Sprintf("标题最多%d个字，现为%d个字。", MaxTitleRunes, runes(a.Title)), "title has %d characters, at most %d", runes(a.Title), MaxTitleRunes)
	case runes(a.Author) > MaxAuthorRunes:
		return refusal(opDraftAdd, "author", fmt.Sprintf("作者最多%d个字。", MaxAuthorRunes), "author has %d characters, at most %d", runes(a.Author), MaxAuthorRunes)
	case runes(a.Digest) > MaxDigestRunes:
		return refusal(opDraftAdd, "digest", fmt.Sprintf("摘要最多%d个字。", MaxDigestRunes), "digest has %d characters, at most %d", runes(a.Digest), MaxDigestRunes)
	case strings.TrimSpace(a.Content) == "":
		return refusal(opDraftAdd, "content", "正文不能为空。", "content is required")
	case runes(a.Content) >= MaxContentRunes || len(a.Content) >= MaxContentBytes:
		return refusal(opDraftAdd, "content", "正文须少于2万字且小于1MB。", "content has %d characters and %d bytes; it must be under %d and %d", runes(a.Content), len(a.Content), MaxContentRunes, MaxContentBytes)
	case len(a.ContentSourceURL) > MaxSourceURLBytes:
		return refusal(opDraftAdd, "content_source_url", "“阅读原文”链接不能超过1KB。", "content_source_url has %d bytes, at most %d", len(a.ContentSourceURL), MaxSourceURLBytes)
	case a.ThumbMediaID == "":
		return refusal(opDraftAdd, "thumb_media_id", "缺少封面图片。", "thumb_media_id (the cover's permanent media_id) is required")
	}
	return nil
}

// wireArticle is an Article as draft/add takes it.
type wireArticle struct {
	Title              string `json:"title"`
	Author             string `json:"author,omitempty"`
	Digest             string `json:"digest,omitempty"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url,omitempty"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// State is a publish job's publish_status.
type State int

// The publish_status values of freepublish/get.
const (
	StateSuccess           State = 0
	StatePublishing        State = 1
	StateOriginalityFailed State = 2 // fail_idx names the articles
	StateFailed            State = 3
	StateAuditFailed       State = 4 // fail_idx names the articles
	StateDeletedByUser     State = 5 // after success, every article deleted
	StateBanned            State = 6 // after success, the platform banned every article
)

var stateNames = []string{"success", "publishing", "originality check failed", "failed", "platform audit failed", "deleted by user", "banned by platform"}

// String names the state for logs.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("unknown publish_status %d", int(s))
}

// Status is what freepublish/get says about a publish job.
type Status struct {
	PublishID string
	State     State
	ArticleID string             // set on success
	Articles  []PublishedArticle // set on success
	FailIdx   []int              // for states 2 and 4: the failed articles, from 1
}

// PublishedArticle is one article of a successful job.
type PublishedArticle struct {
	Index int // from 1
	URL   string
}

// URL is the first article's permanent URL, or "".
func (s Status) URL() string {
	if len(s.Articles) == 0 {
		return ""
	}
	return s.Articles[0].URL
}

// flexID decodes a JSON string or number as a string, because WeChat's doc
// example, its event XML and the SDKs disagree on the type of publish_id
// and article_id (CHANNELS.md §1).
type flexID string

// UnmarshalJSON takes a string, a number (kept digit for digit) or null.
func (f *flexID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		*f = flexID(s)
		return err
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("error decoding an id that is neither string nor number: %w", err)
	}
	*f = flexID(n.String())
	return nil
}

// Quota reports a refusal for the account's quota or rate (45009, 45011,
// 53501): the same call passes later.
func (e *Error) Quota() bool {
	return e.Code == CodeDailyQuota || e.Code == CodeMinuteQuota || e.Code == CodeSubmitTooOften || e.Code == CodeMassQuota || e.Code == CodeMassTooFast
}

// NotAuthorised reports a refusal no retry can pass until an administrator
// acts: the IP whitelist, the API permission, a bad or frozen AppID or
// AppSecret.
func (e *Error) NotAuthorised() bool {
	switch e.Code {
	case CodeIPNotWhitelist, CodeIPWhitelistDocs, CodeNotAuthorised, CodeBadAppID, CodeSecretFrozen:
		return true
	}
	return e.Code == CodeBadCredential && e.Op == opToken
}

// Describe is the error for a person, Chinese first: the platform's own
// words for the support ticket follow.
func (e *Error) Describe() string {
	zh := e.MessageZH
	if zh == "" {
		zh = "微信公众平台接口调用失败。"
	}
	return zh + " (" + e.Error() + ")"
}
