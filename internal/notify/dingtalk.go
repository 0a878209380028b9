package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// DingTalk posts to a DingTalk (钉钉) custom group robot.
type DingTalk struct {
	// URL is the full webhook URL, access_token included:
	// https://oapi.dingtalk.com/robot/send?access_token=TOKEN. It is a
	// credential: never log it (RedactURL) or show it.
	URL string
	// Secret ("SEC…") turns on signed mode (加签), DingTalk's recommended
	// security setting; empty when the robot uses keywords or an IP
	// allow-list instead.
	Secret string
	Client *http.Client     // nil: a client with DefaultRobotTimeout
	Now    func() time.Time // the signature's clock; nil: time.Now
}

// Send posts m as one markdown message (title: the subject) of at most
// MaxMarkdownBytes, signed when Secret is set. errcodes -1, 130101 and
// 410100 (throttled) and an HTTP 5xx are retryable; 310000 (security check
// failed) and other errcodes are Permanent; an answer lost after sending is
// Ambiguous and, as DingTalk takes no idempotency key, should be recorded
// as unknown rather than sent again.
func (d *DingTalk) Send(ctx context.Context, m Message) error {
	target := d.URL
	if d.Secret != "" {
		u, err := url.Parse(d.URL)
		if err != nil {
			return &Error{Channel: ChannelDingTalk, Permanent: true, Message: "the robot URL is not a valid URL", MessageZH: "机器人地址配置有误"}
		}
		now := time.Now
		if d.Now != nil {
			now = d.Now
		}
		ts := strconv.FormatInt(now().UnixMilli(), 10)
		mac := hmac.New(sha256.New, []byte(d.Secret))
		mac.Write([]byte(ts + "\n" + d.Secret))
		sign := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		sep := "&"
		if u.RawQuery == "" {
			sep = "?"
		}
		target += sep + "timestamp=" + ts + "&sign=" + url.QueryEscape(sign)
	}
	type markdownBody struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	body := struct {
		MsgType  string       `json:"msgtype"`
		Markdown markdownBody `json:"markdown"`
	}{"markdown", markdownBody{oneLine(m.Subject), markdown(m, MaxMarkdownBytes)}}
	r := robot{channel: ChannelDingTalk, client: d.Client, secrets: append(queryValues(d.URL), d.Secret), classify: dingTalkError}
	return r.post(ctx, target, body)
}

// dingTalkError classifies a DingTalk errcode.
func dingTalkError(code int, msg string) *Error {
	const platform = "钉钉机器人"
	switch code {
	case CodeBusy, CodeDingTalkThrottled, CodeDingTalkLimited:
		return robotError(ChannelDingTalk, platform, code, msg, true, "钉钉机器人繁忙或发送过于频繁（每分钟约20条），稍后重试")
	case CodeDingTalkSecurity:
		return robotError(ChannelDingTalk, platform, code, msg, false, "钉钉机器人安全校验未通过：签名、关键词或IP白名单不符，请检查机器人的安全设置和加签密钥")
	case CodeDingTalkBadToken:
		return robotError(ChannelDingTalk, platform, code, msg, false, "钉钉机器人地址无效：access_token错误或机器人已被移除")
	}
	return robotError(ChannelDingTalk, platform, code, msg, false, "")
}
