package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestBatchApprove: the head ticks drafts in the 复审 queue and approves
// them together: each is decided and audited on its own; a draft with a
// blocking finding is neither offered nor approved; 终审 has no batch.
func TestBatchApprove(t *testing.T) {
	s := startSite(t)
	wang := s.client()
	wang.signIn("wang", password)
	var ids []int64
	for _, title := range []string{"批量审核一", "批量审核二", "批量审核三"} {
		res, _ := wang.req("POST", "/web/drafts", wang.draftForm(title))
		var id int64
		if _, err := fmt.Sscanf(res.Header.Get("Location"), "/web/drafts/%d", &id); err != nil {
			t.Fatalf("submitting %s: %d %s", title, res.StatusCode, res.Header.Get("Location"))
		}
		s.waitState(id, domain.StateCompliance)
		ids = append(ids, id)
	}
	// The third has a blocking finding of stage 2 (as the checks would store it).
	s.exec(fmt.Sprintf(`INSERT INTO findings (draft_id, revision, stage, code, severity, start_rune, end_rune, message_zh, message_en)
		VALUES (%d, 1, 'compliance', 'test_block', 'block', -1, -1, '测试用阻断性问题', 'a blocking finding for the test')`, ids[2]))

	li := s.client()
	li.signIn("li", password)
	_, page := li.req("GET", "/web/queue?stage=compliance", nil)
	for i, id := range ids {
		offered := strings.Contains(page, fmt.Sprintf(`id="pick-%d"`, id))
		if offered != (i < 2) {
			t.Errorf("draft %d offered for the batch: %v", id, offered)
		}
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no batch form")
	}
	form := url.Values{"_csrf": {m[1]}, "comment": {"同意"}}
	for _, id := range ids {
		form.Add("draft", fmt.Sprintf("%d:1", id)) // the blocked one too, as a forged post would
	}
	res, _ := li.req("POST", "/web/queue/approve", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("batch: %d", res.StatusCode)
	}
	for i, id := range ids {
		d, err := s.sys.Store.Draft(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		want := domain.StateConfidentiality
		if i == 2 {
			want = domain.StateCompliance
		}
		if d.State != want {
			t.Errorf("draft %d is %s; want %s", id, d.State, want)
		}
	}
	if n := s.count(`SELECT count(*) FROM audit_events WHERE action = 'approve' AND comment = '同意'`); n != 2 {
		t.Errorf("%d approvals audited; want one per draft, 2", n)
	}
	if n := s.count(`SELECT count(*) FROM decisions WHERE decision = 'approve'`); n != 2 {
		t.Errorf("%d decisions; want 2", n)
	}

	zhao := s.client()
	zhao.signIn("zhao", password)
	if _, page := zhao.req("GET", "/web/queue?stage=confidentiality", nil); strings.Contains(page, "batch-form") {
		t.Error("终审 offers a batch")
	}
}
