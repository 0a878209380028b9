package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/notify"
	"github.com/sanshen-gov/sanshen/internal/notify/fakerobot"
)

const (
	weComKey      = "wecom-key-5f0c2a"
	dingTalkToken = "ding-token-9b7e41"
	// dingTalkSecret signs 1700000000000 as the vector below, computed
	// outside Go: printf '1700000000000\nSECtest1' | openssl dgst -sha256
	// -hmac SECtest1 -binary | base64.
	dingTalkSecret = "SECtest1"
	vectorSign     = "k+hlUJDe0NLnhx/P72ygXWD7U8Ait3TbR1i18gIg4Ww="
)

var vectorTime = time.UnixMilli(1700000000000)

// robots starts a fakerobot with the test credentials and returns it with
// senders pointed at it, both using a client with a short timeout.
func robots(t *testing.T, opts fakerobot.Options) (*fakerobot.Server, *notify.WeCom, *notify.DingTalk) {
	t.Helper()
	opts.WeComKey, opts.DingTalkToken = weComKey, dingTalkToken
	fake := fakerobot.New(opts)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(func() { fake.Close(); srv.Close() })
	client := &http.Client{Timeout: 300 * time.Millisecond}
	return fake,
		&notify.WeCom{URL: srv.URL + "/cgi-bin/webhook/send?key=" + weComKey, Client: client},
		&notify.DingTalk{URL: srv.URL + "/robot/send?access_token=" + dingTalkToken, Client: client}
}

// noSecret fails the test when an error's text carries a credential.
func noSecret(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{weComKey, dingTalkToken, dingTalkSecret, "SECwrong"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error text reveals %q: %v", s, err)
		}
	}
}

const wantMarkdown = "### 【三审】稿件《关于做好2026年防汛工作的通知》已通过终审，请及时发布 / Draft approved\n\n" +
	"稿件已通过三审，可以发布。\n\nThe draft passed its three reviews." +
	"\n\n[查看详情 / View](https://sanshen.example.gov.cn/drafts/42)\n\n> 2026-05-01 14:03"

func TestWeComSendsMarkdown(t *testing.T) {
	fake, wecom, _ := robots(t, fakerobot.Options{})
	if err := wecom.Send(t.Context(), sample); err != nil {
		t.Fatal(err)
	}
	got := fake.Received()
	if len(got) != 1 || got[0].Robot != notify.ChannelWeCom || got[0].Token != weComKey {
		t.Fatalf("received %+v", got)
	}
	var body map[string]any
	if err := json.Unmarshal(got[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": wantMarkdown}}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body %s\nwant %v", got[0].Body, want)
	}
}

func TestDingTalkSignedMarkdown(t *testing.T) {
	fake, _, ding := robots(t, fakerobot.Options{DingTalkSecret: dingTalkSecret, Now: func() time.Time { return vectorTime.Add(59 * time.Minute) }})
	ding.Secret, ding.Now = dingTalkSecret, func() time.Time { return vectorTime }
	if err := ding.Send(t.Context(), sample); err != nil {
		t.Fatal(err)
	}
	got := fake.Received()
	if len(got) != 1 || got[0].Robot != notify.ChannelDingTalk {
		t.Fatalf("received %+v", got)
	}
	wantQuery := "access_token=" + dingTalkToken + "&timestamp=1700000000000&sign=k%2BhlUJDe0NLnhx%2FP72ygXWD7U8Ait3TbR1i18gIg4Ww%3D"
	if got[0].RawQuery != wantQuery {
		t.Errorf("query %q, want %q", got[0].RawQuery, wantQuery)
	}
	var body map[string]any
	if err := json.Unmarshal(got[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": subject, "text": wantMarkdown}}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body %s\nwant %v", got[0].Body, want)
	}
}

func TestDingTalkSecurityFailureIsPermanent(t *testing.T) {
	fake, _, ding := robots(t, fakerobot.Options{DingTalkSecret: dingTalkSecret})
	for name, set := range map[string]func(){
		"bad secret": func() { ding.Secret, ding.Now = "SECwrong", nil },
		"stale timestamp": func() {
			ding.Secret, ding.Now = dingTalkSecret, func() time.Time { return time.Now().Add(-61 * time.Minute) }
		},
		"unsigned": func() { ding.Secret, ding.Now = "", nil },
	} {
		set()
		err := ding.Send(t.Context(), sample)
		ne := asError(t, err)
		if !ne.Permanent || ne.Code != notify.CodeDingTalkSecurity || !strings.Contains(ne.MessageZH, "签名、关键词或IP白名单不符") {
			t.Errorf("%s: got %v", name, ne)
		}
		noSecret(t, err)
	}
	if n := len(fake.Received()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}
}

func TestMarkdownTruncatedOnRuneBoundary(t *testing.T) {
	fake, wecom, _ := robots(t, fakerobot.Options{})
	for _, unit := range []string{"a", "é", "审", "😀", "a审😀é"} {
		for shift := range 4 {
			m := sample
			m.Text = strings.Repeat("x", shift) + strings.Repeat(unit, 5000/len(unit))
			if err := wecom.Send(t.Context(), m); err != nil {
				t.Fatalf("%q+%d: %v", unit, shift, err)
			}
		}
	}
	got := fake.Received()
	if len(got) != 20 {
		t.Fatalf("%d received, want 20", len(got))
	}
	tail := "…\n\n[查看详情 / View](https://sanshen.example.gov.cn/drafts/42)\n\n> 2026-05-01 14:03"
	for _, r := range got {
		c := r.Content
		if len(c) > notify.MaxMarkdownBytes || len(c) < notify.MaxMarkdownBytes-3 || !utf8.ValidString(c) ||
			!strings.HasSuffix(c, tail) || !strings.HasPrefix(c, "### 【三审】") {
			t.Errorf("content of %d bytes, valid %v: %q...%q", len(c), utf8.ValidString(c), c[:40], c[len(c)-120:])
		}
	}
}

// TestMarkdownIsInert: a comment quoted in a notification cannot make a
// link, an image or a heading in the group.
func TestMarkdownIsInert(t *testing.T) {
	fake, wecom, _ := robots(t, fakerobot.Options{})
	m := sample
	m.Subject = "# 稿件被退回"
	m.Text = "意见：请改为 [点此查看](https://evil.example/x) ![图](https://evil.example/i.png) <b>粗体</b>"
	if err := wecom.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	c := fake.Received()[0].Content
	for _, bad := range []string{"](https://evil", "![", "<b>", "### #"} {
		if strings.Contains(c, bad) {
			t.Errorf("the markdown holds %q: %s", bad, c)
		}
	}
	if !strings.Contains(c, "［点此查看］（https://evil.example/x）") || !strings.HasSuffix(c, "[查看详情 / View](https://sanshen.example.gov.cn/drafts/42)\n\n> 2026-05-01 14:03") {
		t.Errorf("the text or sanshen's own link changed: %s", c)
	}
}

func TestRobotErrcodes(t *testing.T) {
	fake, wecom, ding := robots(t, fakerobot.Options{})
	for _, tc := range []struct {
		name      string
		inject    func()
		send      func() error
		code      int
		status    int
		permanent bool
	}{
		{"wecom throttled", func() { fake.FailNext(1, notify.CodeWeComThrottled) }, func() error { return wecom.Send(t.Context(), sample) }, notify.CodeWeComThrottled, 0, false},
		{"wecom 5xx", func() { fake.ServerErrorNext(1) }, func() error { return wecom.Send(t.Context(), sample) }, 0, 503, false},
		{"wecom other errcode", func() { fake.FailNext(1, 40008) }, func() error { return wecom.Send(t.Context(), sample) }, 40008, 0, true},
		{"dingtalk throttled", func() { fake.FailNext(1, notify.CodeDingTalkThrottled) }, func() error { return ding.Send(t.Context(), sample) }, notify.CodeDingTalkThrottled, 0, false},
		{"dingtalk busy", func() { fake.FailNext(1, notify.CodeBusy) }, func() error { return ding.Send(t.Context(), sample) }, notify.CodeBusy, 0, false},
		{"dingtalk 5xx", func() { fake.ServerErrorNext(1) }, func() error { return ding.Send(t.Context(), sample) }, 0, 503, false},
		{"wecom wrong key", func() {}, func() error {
			return (&notify.WeCom{URL: strings.Replace(wecom.URL, weComKey, "wrong-"+weComKey, 1)}).Send(t.Context(), sample)
		}, notify.CodeWeComBadKey, 0, true},
		{"dingtalk wrong token", func() {}, func() error {
			return (&notify.DingTalk{URL: strings.Replace(ding.URL, dingTalkToken, "wrong-"+dingTalkToken, 1)}).Send(t.Context(), sample)
		}, notify.CodeDingTalkBadToken, 0, true},
	} {
		tc.inject()
		err := tc.send()
		ne := asError(t, err)
		if ne.Code != tc.code || ne.HTTPStatus != tc.status || ne.Permanent != tc.permanent || ne.Ambiguous {
			t.Errorf("%s: got %+v", tc.name, ne)
		}
		noSecret(t, err)
	}
	if n := len(fake.Received()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}
	// After the injected failures the robots answer again.
	if err := wecom.Send(t.Context(), sample); err != nil {
		t.Error(err)
	}
}

func TestHungRobotIsAmbiguous(t *testing.T) {
	fake, wecom, ding := robots(t, fakerobot.Options{DingTalkSecret: dingTalkSecret})
	ding.Secret = dingTalkSecret
	for _, send := range []func() error{
		func() error { return wecom.Send(t.Context(), sample) },
		func() error { return ding.Send(t.Context(), sample) },
	} {
		fake.HangNext(1)
		start := time.Now()
		err := send()
		ne := asError(t, err)
		if !ne.Ambiguous || ne.Permanent || ne.Retryable() || time.Since(start) < 300*time.Millisecond {
			t.Errorf("got %v after %v, want ambiguous after the client timeout", ne, time.Since(start))
		}
		noSecret(t, err)
	}
	if n := len(fake.Received()); n != 2 {
		t.Errorf("%d messages recorded, want 2", n)
	}
}

func TestRobotUnreachableIsRetryableAndRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	for _, s := range []interface {
		Send(ctx context.Context, m notify.Message) error
	}{
		&notify.WeCom{URL: base + "/cgi-bin/webhook/send?key=" + weComKey},
		&notify.DingTalk{URL: base + "/robot/send?access_token=" + dingTalkToken, Secret: dingTalkSecret},
	} {
		err := s.Send(t.Context(), sample)
		if ne := asError(t, err); !ne.Retryable() || !strings.Contains(ne.Error(), "REDACTED") {
			t.Errorf("got %v, want retryable with the URL redacted", ne)
		}
		noSecret(t, err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc":                    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=REDACTED",
		"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=x%2B": "https://oapi.dingtalk.com/robot/send?access_token=REDACTED&sign=REDACTED&timestamp=1",
		"https://user:pw@example.gov.cn/hook":                                         "https://example.gov.cn/hook",
		"://bad%zz?key=abc":                                                           "(unparseable URL)",
	} {
		if got := notify.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
