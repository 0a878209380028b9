package notify

import (
	"context"
	"net/http"
)

// WeCom posts to a WeCom (企业微信) group robot.
type WeCom struct {
	// URL is the full webhook URL, key included:
	// https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY. It is a
	// credential: never log it (RedactURL) or show it.
	URL    string
	Client *http.Client // nil: a client with DefaultRobotTimeout
}

// Send posts m as one markdown message of at most MaxMarkdownBytes. An
// errcode of -1 or 45009 (throttled) and an HTTP 5xx are retryable, other
// errcodes Permanent; an answer lost after sending is Ambiguous and, as
// WeCom takes no idempotency key, should be recorded as unknown rather
// than sent again.
func (w *WeCom) Send(ctx context.Context, m Message) error {
	type markdownBody struct {
		Content string `json:"content"`
	}
	body := struct {
		MsgType  string       `json:"msgtype"`
		Markdown markdownBody `json:"markdown"`
	}{"markdown", markdownBody{markdown(m, MaxMarkdownBytes)}}
	r := robot{channel: ChannelWeCom, client: w.Client, secrets: queryValues(w.URL), classify: weComError}
	return r.post(ctx, w.URL, body)
}

// weComError classifies a WeCom errcode.
func weComError(code int, msg string) *Error {
	const platform = "企业微信机器人"
	switch code {
	case CodeBusy, CodeWeComThrottled:
		return robotError(ChannelWeCom, platform, code, msg, true, "企业微信机器人繁忙或发送过于频繁（每分钟约20条），稍后重试")
	case CodeWeComBadKey:
		return robotError(ChannelWeCom, platform, code, msg, false, "企业微信机器人地址无效：key错误或机器人已被移出群聊")
	case CodeWeComBadContent:
		return robotError(ChannelWeCom, platform, code, msg, false, "企业微信机器人拒绝了消息内容（为空或超长）")
	}
	return robotError(ChannelWeCom, platform, code, msg, false, "")
}
