// Package douyin is the channel that publishes an approved video to the
// organisation's own Douyin account through the open platform's v1 publish
// API (channel code "douyin"; docs: /work/shared/brief/CHANNELS.md §2). It
// holds the user's OAuth tokens (TokenSource), uploads (UploadVideo),
// creates the public post (CreateVideo) and, because Douyin takes no
// idempotency key, reconciles an ambiguous create by reading the account's
// video list back (FindByText) instead of posting again.
package douyin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Channel is the channel code under which sanshen records Douyin publications.
const Channel = "douyin"

// DefaultBaseURL is the open platform's address; tests point BaseURL at fakedouyin.
const DefaultBaseURL = "https://open.douyin.com"

// Size limits of the upload API, so sanshen refuses locally what Douyin
// would refuse after a long transfer.
const (
	MaxSingleUpload  = 50 << 20 // above this, chunked upload (required above 128 MB)
	DefaultChunkSize = 20 << 20 // the documented part size
	MinPartSize      = 5 << 20  // every part but the last must be at least this
	MaxVideoSize     = 4 << 30  // Douyin's total limit
	MaxTextRunes     = 1000     // create_video's text, topics included [C]
)

// CanDelete is false: in sanshen's default configuration the Douyin
// channel cannot withdraw a post itself. The only delete endpoint is the
// legacy /video/delete/ with scope video.delete, reported withdrawn in
// 2022, and no v1 delete is documented (UNVERIFIED whether new apps can
// delete at all), so a withdrawal becomes a person's task in the Douyin
// app. DeleteVideo exists for an app that still holds the scope.
const CanDelete = false

// Error codes sanshen acts on [D status-code], named once so the client
// and fakedouyin cannot disagree.
const (
	CodeBusy            = 28001005 // retry later
	CodeBadParams       = 28001007
	CodeTokenExpired    = 28001008 // refresh and retry once
	CodeScope           = 28001012 // the user did not grant the scope
	CodeTokenMismatch   = 28001015 // token and open_id belong to different users
	CodeNoCapability    = 28001018 // the app lacks the capability
	CodeQuota           = 28003017
	CodeRate            = 28003018 // retry later
	CodeOldBusy         = 2100004
	CodeOldBadParams    = 2100005
	CodeOldTokenInvalid = 2190002
	CodeOldCapability   = 2190004
	CodeOldTokenExpired = 2190008
	CodeDailyCap        = 2114007 // 75 creates per user per app per day [C, blog only: UNVERIFIED]
	CodeRefreshExpired  = 10010   // OAuth: the refresh token expired; the user must authorise again
)

// MessageReauthorize is what an operator reads when the authorisation is
// gone: only an administrator scanning the QR code again fixes it.
const MessageReauthorize = "抖音授权已过期，请管理员重新授权"

// maxResponse bounds how much of an answer the client reads.
const maxResponse = 4 << 20

// Error is every failure of a Douyin call, so a caller can tell with one
// errors.As whether to try again (Retryable), to reconcile first
// (Ambiguous) or to tell a person (MessageZH).
type Error struct {
	Op          string // the endpoint, e.g. "create_video"
	Code        int    // data.error_code, else extra.error_code; 0 when no envelope came
	SubCode     int    // extra.sub_error_code
	Description string
	LogID       string // extra.logid, for Douyin's support
	HTTPStatus  int    // set when the status was not 200
	Retryable   bool   // the call did not take effect and may be tried again later
	// Ambiguous is set on a create whose answer was lost: it may have
	// posted. Never retry it blindly; call FindByText first.
	Ambiguous bool
	MessageZH string // for the operator's screen
	Err       error  // the transport or decoding error, if any
}

// Error names the call and the code, for logs.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "douyin %s", e.Op)
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": status %d", e.HTTPStatus)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, ": error %d", e.Code)
		if e.SubCode != 0 {
			fmt.Fprintf(&b, "/%d", e.SubCode)
		}
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.LogID != "" {
		fmt.Fprintf(&b, " (logid %s)", e.LogID)
	}
	switch {
	case e.Ambiguous:
		b.WriteString(" (ambiguous: reconcile before retrying)")
	case e.Retryable:
		b.WriteString(" (retryable)")
	}
	return b.String()
}

// Unwrap exposes the transport or context error to errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// TokenExpired reports whether the access token was refused as expired,
// the one error the client answers by refreshing and trying once more.
func (e *Error) TokenExpired() bool {
	return e.Code == CodeTokenExpired || e.Code == CodeOldTokenExpired
}

// apiError builds the typed error for a Douyin error code.
func apiError(op string, code, sub int, desc, logID string) *Error {
	e := &Error{Op: op, Code: code, SubCode: sub, Description: desc, LogID: logID}
	switch code {
	case CodeBusy, CodeOldBusy:
		e.Retryable, e.MessageZH = true, "抖音服务繁忙，请稍后重试"
	case CodeRate:
		e.Retryable, e.MessageZH = true, "调用抖音接口过于频繁，请稍后重试"
	case CodeTokenExpired, CodeOldTokenExpired:
		e.MessageZH = "抖音授权令牌已过期"
	case CodeScope, CodeNoCapability, CodeOldCapability:
		e.MessageZH = "抖音账号未授予发布视频权限或应用未开通该能力，请管理员检查授权"
	case CodeRefreshExpired:
		e.MessageZH = MessageReauthorize
	case CodeDailyCap:
		e.MessageZH = "今日抖音发布次数已达上限，请明日再发"
	default:
		e.MessageZH = fmt.Sprintf("抖音返回错误 %d：%s", code, desc)
	}
	return e
}

// extra is the OpenAPI envelope's status block; OAuth answers have none.
type extra struct {
	ErrorCode      int    `json:"error_code"`
	Description    string `json:"description"`
	SubErrorCode   int    `json:"sub_error_code"`
	SubDescription string `json:"sub_description"`
	LogID          string `json:"logid"`
}

// decode reads either envelope into out (the data object). A call
// succeeds only when data.error_code and extra.error_code are both 0:
// Douyin answers errors with HTTP 200.
func decode(op string, status int, body []byte, out any) *Error {
	var env struct {
		Data  json.RawMessage `json:"data"`
		Extra extra           `json:"extra"`
	}
	var st struct {
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
	}
	err := json.Unmarshal(body, &env)
	if err == nil && len(env.Data) > 0 {
		err = json.Unmarshal(env.Data, &st)
	}
	if err != nil || len(env.Data) == 0 {
		if err == nil {
			err = fmt.Errorf("no data object in %.200q", body)
		}
		e := &Error{Op: op, Description: "the answer is not a Douyin envelope", Err: err, Retryable: true}
		if status != http.StatusOK {
			e.HTTPStatus, e.Retryable = status, status == http.StatusTooManyRequests || status >= 500
		}
		return e
	}
	if st.ErrorCode != 0 || env.Extra.ErrorCode != 0 {
		code, desc := st.ErrorCode, st.Description
		if code == 0 {
			code, desc = env.Extra.ErrorCode, env.Extra.Description
		}
		if env.Extra.SubDescription != "" {
			desc += "; " + env.Extra.SubDescription
		}
		e := apiError(op, code, env.Extra.SubErrorCode, desc, env.Extra.LogID)
		if status != http.StatusOK {
			e.HTTPStatus = status
		}
		return e
	}
	if status != http.StatusOK {
		return &Error{Op: op, HTTPStatus: status, Description: "success envelope with a non-200 status", Retryable: status >= 500}
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return &Error{Op: op, Description: "error decoding the data object", Err: err, Retryable: true}
		}
	}
	return nil
}

// send makes one request and decodes the answer's envelope into out.
func send(hc *http.Client, op string, req *http.Request, out any) *Error {
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return &Error{Op: op, Retryable: true, Err: fmt.Errorf("error sending the request: %w", err)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return &Error{Op: op, HTTPStatus: res.StatusCode, Retryable: true, Err: fmt.Errorf("error reading the answer: %w", err)}
	}
	return decode(op, res.StatusCode, b, out)
}
