package fakerobot_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sanshen-gov/sanshen/internal/notify"
	"github.com/sanshen-gov/sanshen/internal/notify/fakerobot"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, opts fakerobot.Options) (*fakerobot.Server, string) {
	t.Helper()
	fake := fakerobot.New(opts)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(func() { fake.Close(); srv.Close() })
	return fake, srv.URL
}

// post sends body and returns the HTTP status and the errcode.
func post(t *testing.T, url, body string) (int, int) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		ErrCode int `json:"errcode"`
	}
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode, out.ErrCode
}

func TestWeComContract(t *testing.T) {
	fake, base := start(t, fakerobot.Options{WeComKey: "k1"})
	u := base + "/cgi-bin/webhook/send?key=k1"
	for _, tc := range []struct {
		url, body string
		code      int
	}{
		{u, `{"msgtype":"markdown","markdown":{"content":"**审核**通过"}}`, 0},
		{u, `{"msgtype":"text","text":{"content":"审核通过"}}`, 0},
		{u, `{"msgtype":"text","text":{"content":"` + strings.Repeat("审", 683) + `"}}`, notify.CodeWeComBadContent}, // 2049 bytes
		{u, `{"msgtype":"markdown","markdown":{"content":"` + strings.Repeat("a", 4097) + `"}}`, notify.CodeWeComBadContent},
		{u, `{"msgtype":"image"}`, notify.CodeWeComBadContent},
		{u, `not json`, notify.CodeWeComBadContent},
		{base + "/cgi-bin/webhook/send?key=k2", `{"msgtype":"text","text":{"content":"x"}}`, notify.CodeWeComBadKey},
	} {
		if status, code := post(t, tc.url, tc.body); status != 200 || code != tc.code {
			t.Errorf("%.60s: status %d errcode %d, want errcode %d", tc.body, status, code, tc.code)
		}
	}
	got := fake.Received()
	if len(got) != 2 || got[0].Content != "**审核**通过" || got[1].MsgType != "text" || got[1].Token != "k1" {
		t.Errorf("received %+v", got)
	}
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", res.StatusCode)
	}
}

func TestDingTalkKeywordsAndFaults(t *testing.T) {
	fake, base := start(t, fakerobot.Options{DingTalkKeywords: []string{"三审"}})
	u := base + "/robot/send?access_token=t1"
	md := `{"msgtype":"markdown","markdown":{"title":"三审通知","text":"稿件已通过"}}`
	if _, code := post(t, u, `{"msgtype":"text","text":{"content":"no keyword"}}`); code != notify.CodeDingTalkSecurity {
		t.Errorf("without a keyword: errcode %d", code)
	}
	fake.FailNext(2, notify.CodeDingTalkThrottled)
	fake.ServerErrorNext(1)
	for _, want := range []int{notify.CodeDingTalkThrottled, notify.CodeDingTalkThrottled} {
		if _, code := post(t, u, md); code != want {
			t.Errorf("errcode %d, want %d", code, want)
		}
	}
	if status, _ := post(t, u, md); status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", status)
	}
	if _, code := post(t, u, md); code != 0 {
		t.Errorf("errcode %d after the faults", code)
	}
	if got := fake.Received(); len(got) != 1 || got[0].Title != "三审通知" || got[0].Content != "稿件已通过" {
		t.Errorf("received %+v", got)
	}
}

func TestHangReleasedByClose(t *testing.T) {
	fake, base := start(t, fakerobot.Options{})
	fake.HangNext(1)
	done := make(chan int)
	go func() {
		res, err := http.Post(base+"/robot/send?access_token=t1", "application/json",
			strings.NewReader(`{"msgtype":"text","text":{"content":"x"}}`))
		if err == nil {
			res.Body.Close()
		}
		done <- len(fake.Received())
	}()
	for len(fake.Received()) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("answered before Close")
	case <-time.After(100 * time.Millisecond):
	}
	fake.Close()
	if n := <-done; n != 1 {
		t.Errorf("%d recorded, want 1", n)
	}
}
