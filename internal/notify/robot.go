package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DefaultRobotTimeout bounds one robot post when the sender's Client is nil.
const DefaultRobotTimeout = 10 * time.Second

var defaultRobotClient = &http.Client{Timeout: DefaultRobotTimeout}

// robot is what WeCom and DingTalk share: where to post and how to read
// an errcode.
type robot struct {
	channel string
	client  *http.Client
	// secrets are the credential values that must not reach an error text,
	// even when the platform echoes them back.
	secrets []string
	// classify turns a non-zero errcode into an *Error.
	classify func(code int, msg string) *Error
}

// post sends body as JSON to target (which holds the credential) and
// classifies the outcome. A failure before the request was fully written
// is retryable; one after it (a lost or late answer) is Ambiguous, since
// the robot may have posted the message.
func (r robot) post(ctx context.Context, target string, body any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<font>" and "&" in links readable
	if err := enc.Encode(body); err != nil {
		return &Error{Channel: r.channel, Permanent: true, Message: "the message cannot be encoded", Err: err, MessageZH: "通知内容无法编码"}
	}
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost, target, &buf)
	if err != nil { // the parse error would quote the URL, so it is left out
		return &Error{Channel: r.channel, Permanent: true, Message: "the robot URL is not a valid URL", MessageZH: "机器人地址配置有误"}
	}
	req.Header.Set("Content-Type", "application/json")
	client := r.client
	if client == nil {
		client = defaultRobotClient
	}
	res, err := client.Do(req)
	if err != nil {
		return r.transportError(err, wrote.Load())
	}
	defer res.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		e := &Error{Channel: r.channel, HTTPStatus: res.StatusCode, Message: fmt.Sprintf("HTTP status %d", res.StatusCode)}
		if res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests {
			e.MessageZH = fmt.Sprintf("机器人服务暂时不可用（HTTP %d），稍后重试", res.StatusCode)
		} else {
			e.Permanent, e.MessageZH = true, fmt.Sprintf("机器人服务拒绝了请求（HTTP %d），请检查机器人地址", res.StatusCode)
		}
		return e
	}
	if readErr != nil {
		return r.transportError(readErr, true)
	}
	var reply struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(raw, &reply); err != nil || reply.ErrCode == nil {
		return &Error{Channel: r.channel, Ambiguous: true, Message: "the answer has no errcode: " + r.scrub(fmt.Sprintf("%.200q", raw)),
			MessageZH: "机器人应答无法识别，消息可能已送达"}
	}
	if *reply.ErrCode == 0 {
		return nil
	}
	return r.classify(*reply.ErrCode, r.scrub(reply.ErrMsg))
}

// transportError is a failed or unanswered request, with the URL in the
// error redacted.
func (r robot) transportError(err error, sent bool) *Error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	if sent {
		return &Error{Channel: r.channel, Ambiguous: true, Message: "the request was sent but no answer came", Err: err,
			MessageZH: "消息已发出但未收到机器人应答，可能已送达，请勿重复发送"}
	}
	return &Error{Channel: r.channel, Message: "the request could not be sent", Err: err,
		MessageZH: "无法连接机器人服务，稍后重试"}
}

// scrub replaces the credential values in a text the platform sent back.
func (r robot) scrub(s string) string {
	for _, v := range r.secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "REDACTED")
		}
	}
	return s
}

// robotError is the *Error for a non-zero errcode: Permanent unless
// retryable, with zh as MessageZH or, when empty, a generic one naming
// the platform.
func robotError(channel, platform string, code int, msg string, retryable bool, zh string) *Error {
	if zh == "" {
		zh = fmt.Sprintf("%s返回错误 %d：%s", platform, code, msg)
	}
	return &Error{Channel: channel, Code: code, Permanent: !retryable, Message: fmt.Sprintf("errcode %d: %s", code, msg), MessageZH: zh}
}

// queryValues are the values of the URL's credential parameters.
func queryValues(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var vs []string
	for _, p := range secretParams {
		vs = append(vs, u.Query()[p]...)
	}
	return vs
}

// markdown renders m for a robot within maxBytes: the subject as a
// heading, each line of the text as its own paragraph (DingTalk joins
// single newlines), the link and the time (in At's location). When too
// long, the text is cut on a rune boundary and ends with "…"; the heading,
// link and time are kept.
func markdown(m Message, maxBytes int) string {
	head := "### " + inert(oneLine(m.Subject)) + "\n\n"
	body := strings.ReplaceAll(strings.ReplaceAll(inert(m.Text), "\r\n", "\n"), "\n", "\n\n")
	var tail string
	if m.Link != "" {
		tail = "\n\n[查看详情 / View](" + m.Link + ")"
	}
	tail += "\n\n> " + m.when().Format("2006-01-02 15:04")

	const ellipsis = "…"
	if len(head)+len(body)+len(tail) <= maxBytes {
		return head + body + tail
	}
	switch room := maxBytes - len(tail) - len(ellipsis); {
	case room >= len(head):
		return head + cut(body, room-len(head)) + ellipsis + tail
	case room >= 0: // a subject this long is cut instead of the text
		return cut(head, room) + ellipsis + tail
	default: // only a link of kilobytes gets here
		return cut(head+body+tail, maxBytes-len(ellipsis)) + ellipsis
	}
}

// inertMarks turns the characters markdown acts on into their full-width
// forms, which read the same to a person: a reviewer's comment or a
// title quoted in a notification cannot make a link, an image or a heading
// in the group (the robots document no escape character).
var inertMarks = strings.NewReplacer("[", "［", "]", "］", "(", "（", ")", "）", "<", "＜", ">", "＞", "*", "＊", "_", "＿",
	"`", "｀", "#", "＃", "!", "！", "|", "｜", "~", "～")

// inert is s with nothing markdown would act on.
func inert(s string) string { return inertMarks.Replace(s) }

// cut returns the longest prefix of s of at most n bytes that ends on a
// rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// oneLine joins a subject's lines, which a heading cannot hold.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
