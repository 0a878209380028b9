package web_test

import (
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/services/api/web"
)

// TestEventBrowser: an auditor filters the trail by action, draft and date,
// and exports the same filter as CSV that a spreadsheet reads; an officer
// may not browse it.
func TestEventBrowser(t *testing.T) {
	s := startSite(t)
	wang := s.client()
	wang.signIn("wang", password)
	var ids []int64
	for _, title := range []string{"审计查询一", "审计查询二"} {
		res, _ := wang.req("POST", "/web/drafts", wang.draftForm(title))
		var id int64
		if _, err := fmt.Sscanf(res.Header.Get("Location"), "/web/drafts/%d", &id); err != nil {
			t.Fatalf("submitting: %d", res.StatusCode)
		}
		s.waitState(id, domain.StateCompliance)
		ids = append(ids, id)
	}
	_, page := wang.req("GET", fmt.Sprintf("/web/drafts/%d", ids[1]), nil)
	wang.req("POST", fmt.Sprintf("/web/drafts/%d/recall", ids[1]), map[string][]string{"_csrf": {csrfField.FindStringSubmatch(page)[1]}})
	if res, _ := wang.req("GET", "/web/audit/events", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("an officer browses the trail: %d", res.StatusCode)
	}
	// The author is no reviewer of their own draft's trail: refused, audited.
	if res, _ := wang.req("GET", fmt.Sprintf("/web/drafts/%d/audit", ids[0]), nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("the author reads the draft's trail: %d", res.StatusCode)
	}

	qian := s.client()
	qian.signIn("qian", password)
	_, page = qian.req("GET", "/web/audit/events?action=recall", nil)
	if n := strings.Count(page, `<code class="hint">recall</code>`); n != 1 {
		t.Errorf("%d recall events listed; want 1", n)
	}
	_, page = qian.req("GET", fmt.Sprintf("/web/audit/events?draft=%d", ids[0]), nil)
	if strings.Contains(page, "recall</code>") || !strings.Contains(page, "submit</code>") {
		t.Errorf("the filter by draft: %s", page)
	}
	if _, page = qian.req("GET", "/web/audit/events?from=2099-01-01", nil); !strings.Contains(page, "没有符合条件的记录") {
		t.Error("a filter from a future date lists events")
	}
	if _, page = qian.req("GET", "/web/audit/events?from=昨天", nil); !strings.Contains(page, "日期格式不正确") {
		t.Error("an unreadable date is not said")
	}
	res, body := qian.req("GET", "/web/audit/events?action=submit&format=csv", nil)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("CSV: %s", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "序号" || rows[1][7] != "submit" || rows[1][6] != "提交" || len(rows[1][15]) != 64 {
		t.Errorf("CSV rows: %v", rows)
	}
	// Every action reads in Chinese, a refusal's as on the page (the
	// author's refused look at the trail above is one), its code beside it.
	// The file holds every event, read three at a time here.
	restore := web.SetEventsCSVChunk(3)
	_, body = qian.req("GET", "/web/audit/events?format=csv", nil)
	restore()
	rows, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var all int
	if err := s.sys.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE agency_id = 1 AND seq <= $1`, rows[1][0]).Scan(&all); err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != all || all < 10 {
		t.Errorf("the CSV holds %d events, the trail %d up to the newest exported", len(rows)-1, all)
	}
	denied := 0
	for _, r := range rows[1:] {
		if r[6] == r[7] {
			t.Errorf("the action %q has no Chinese name", r[7])
		}
		if strings.HasPrefix(r[7], "denied:") {
			denied++
			if !strings.HasPrefix(r[6], "被拒绝的操作（") || strings.Contains(r[6], "denied") {
				t.Errorf("a refusal's action in the CSV: %q (%s)", r[6], r[7])
			}
		}
	}
	if denied == 0 {
		t.Errorf("no refusal in the CSV: %v", rows)
	}
}

// TestCheckpointBeforeTheFirstHead: before the audit log has signed a
// tree head, the event browser offers no download of one but says why,
// and the checkpoint's address answers 404 with a text saying so in
// Chinese (never a JSON error a browser would save as checkpoint.txt);
// once a head is signed, the page offers it and the address serves it.
func TestCheckpointBeforeTheFirstHead(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	qian := s.client()
	qian.signIn("qian", password)
	_, page := qian.req("GET", "/web/audit/events", nil)
	if strings.Contains(page, `id="events-checkpoint"`) || !strings.Contains(page, `id="events-no-checkpoint"`) || !strings.Contains(page, "尚无签名树头") {
		t.Errorf("the event browser before the first head: %s", page)
	}
	res, body := qian.req("GET", "/public/transparency/checkpoint", nil)
	if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(body, "尚无签名树头") || strings.Contains(body, "{") {
		t.Errorf("the checkpoint before the first head: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}

	ctx := context.Background()
	_, key, _ := ed25519.GenerateKey(nil)
	lk, err := audit.NewLogKey("web.test/audit", key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.sys.Store.Sequence(ctx, 10000); err != nil {
		t.Fatal(err)
	}
	if _, signed, err := s.sys.Store.SignHead(ctx, lk, "web.test/audit", 1, 0, time.Now()); err != nil || !signed {
		t.Fatalf("signing a head: %v %v", signed, err)
	}
	if _, page = qian.req("GET", "/web/audit/events", nil); !strings.Contains(page, `id="events-checkpoint"`) || strings.Contains(page, "events-no-checkpoint") {
		t.Errorf("the event browser after a head is signed: %s", page)
	}
	if res, body = qian.req("GET", "/public/transparency/checkpoint", nil); res.StatusCode != http.StatusOK || !strings.HasPrefix(body, "web.test/audit\n") {
		t.Errorf("the checkpoint: %d %q", res.StatusCode, body)
	}
}
