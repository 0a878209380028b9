package system_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

func submitBody(h *harness, title, body string) int64 {
	h.t.Helper()
	b := draftBody(title)
	b["body"] = body
	r := h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated)
	return int64(r.body["id"].(float64))
}

func findingsAt(d store.DraftDetail, stage domain.Stage, code string) []store.Finding {
	var out []store.Finding
	for _, f := range d.Findings {
		if f.Stage == stage && f.Code == code && f.Revision == d.Revision {
			out = append(out, f)
		}
	}
	return out
}

func TestResidentIDBlocksAtConfidentiality(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	const id = "11010519491231002X"
	body := "经核查，当事人张某（公民身份号码：" + id + "）于本年度符合临时救助条件，街道办事处依规发放救助金。"
	draft := submitBody(h, "关于发放临时救助金的公示", body)
	h.waitFor(draft, domain.StateCompliance)
	h.mustStatus(h.decide(draft, "head", "compliance", 1, "approve", nil), http.StatusOK)
	d := h.waitFor(draft, domain.StateConfidentiality)
	fs := findingsAt(d, domain.StageConfidentiality, "resident_id")
	if len(fs) != 1 {
		t.Fatalf("resident_id findings: %+v", d.Findings)
	}
	f := fs[0]
	start := utf8.RuneCountInString(body[:strings.Index(body, id)])
	if f.Severity != domain.SeverityBlock || f.Field != "body" || f.Start != start || f.End != start+18 {
		t.Fatalf("finding at %s %d-%d (%s), want body %d-%d block", f.Field, f.Start, f.End, f.Severity, start, start+18)
	}
	if f.Suggestion != "110105********002X" {
		t.Fatalf("suggestion %q", f.Suggestion)
	}
	// It waits in the reviewer's queue, marked.
	q := h.mustStatus(h.do("GET", "/api/v1/queue?stage=confidentiality", "sec", nil), http.StatusOK)
	if !strings.Contains(q.raw, `"blocking_findings":1`) {
		t.Fatalf("queue: %s", q.raw)
	}
	// Approving past it needs an override comment, which the trail keeps.
	if r := h.decide(draft, "sec", "confidentiality", 1, "approve", nil); r.status != http.StatusUnprocessableEntity || r.errCode() != "override_comment_required" {
		t.Fatalf("approve past a blocking finding: %d %s", r.status, r.raw)
	}
	h.mustStatus(h.decide(draft, "sec", "confidentiality", 1, "approve", map[string]any{"comment": "当事人书面同意公开身份信息"}), http.StatusOK)
	if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = 'approve' AND reason = 'override' AND comment = '当事人书面同意公开身份信息'`, draft); n != 1 {
		t.Fatalf("override not in the audit trail (%d)", n)
	}
	h.waitFor(draft, domain.StatePublished)
	h.verifyAudit()
}

func TestClassificationMarkingNeedsOverride(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	body := "秘密★5年\n关于辖区重点部位安保工作的部署意见：各单位要加强值守，确保辖区平安稳定。"
	draft := submitBody(h, "关于重点部位安保工作的通知", body)
	h.waitFor(draft, domain.StateCompliance)
	h.mustStatus(h.decide(draft, "head", "compliance", 1, "approve", nil), http.StatusOK)
	d := h.waitFor(draft, domain.StateConfidentiality)
	fs := findingsAt(d, domain.StageConfidentiality, "classified_marking")
	if len(fs) != 1 || fs[0].Start != 0 || fs[0].Severity != domain.SeverityBlock {
		t.Fatalf("marking findings: %+v", d.Findings)
	}
	if r := h.decide(draft, "sec", "confidentiality", 1, "approve", map[string]any{"comment": "  "}); r.errCode() != "override_comment_required" {
		t.Fatalf("blank override accepted: %d %s", r.status, r.raw)
	}
	h.mustStatus(h.decide(draft, "sec", "confidentiality", 1, "reject", map[string]any{"reason": "state_secret"}), http.StatusOK)
	h.waitFor(draft, domain.StateRejected)
}

func TestWordListIsVersionedAndMatched(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	if r := h.do("PUT", "/api/v1/wordlist", "head", map[string]any{"words": []string{"x"}}); r.status != http.StatusForbidden {
		t.Fatalf("non-admin edit: %d", r.status)
	}
	h.mustStatus(h.do("PUT", "/api/v1/wordlist", "admin", map[string]any{"words": []string{"旧词"}}), http.StatusOK)
	r := h.mustStatus(h.do("PUT", "/api/v1/wordlist", "admin", map[string]any{"words": []string{"整改不力", " 整改不力 ", "", "群体事件"}}), http.StatusOK)
	if r.body["version"].(float64) != 2 || len(r.body["words"].([]any)) != 2 {
		t.Fatalf("second version: %s", r.raw)
	}
	draft := submitBody(h, "关于第三季度安全检查情况的通报", "检查发现个别社区整 改 不 力，街道已责令限期整改，并将持续跟踪督办。")
	h.waitFor(draft, domain.StateCompliance)
	h.mustStatus(h.decide(draft, "head", "compliance", 1, "approve", nil), http.StatusOK)
	d := h.waitFor(draft, domain.StateConfidentiality)
	fs := findingsAt(d, domain.StageConfidentiality, "sensitive_word")
	if len(fs) != 1 || !strings.Contains(fs[0].MessageZH, "第2版") || fs[0].Severity != domain.SeverityWarn {
		t.Fatalf("sensitive-word findings: %+v", d.Findings)
	}
	if got := string([]rune(d.Content.Body)[fs[0].Start:fs[0].End]); got != "整 改 不 力" {
		t.Fatalf("finding covers %q", got)
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE action = 'wordlist_set'`); n != 2 {
		t.Fatalf("word list edits audited %d times", n)
	}
}
