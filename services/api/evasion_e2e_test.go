package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// checked does the machine step of the draft's current check state with
// the real checks (the agency's word list included), as the workers do.
func (h *harness) checked(id int64) store.Draft {
	h.t.Helper()
	d := h.draft(id)
	stage, ok := domain.StageOf(d.State)
	if !ok || !d.State.MachineStep() {
		h.t.Fatalf("draft %d is %s, not at a machine step", id, d.State)
	}
	r := checks.NewRunner()
	r.Now = func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
	r.Words = &store.WordMatchers{Store: h.store}
	r.Expressions = &store.Expressions{Store: h.store}
	errs := h.store.CompleteChecksBatch(context.Background(), []work.Item{{DraftID: id, Revision: d.Revision, State: d.State}},
		func(_ work.Item, agencyID int64, c domain.Content) ([]domain.Finding, error) {
			return r.Run(context.Background(), stage, agencyID, c)
		})
	if errs[0] != nil {
		h.t.Fatalf("checks of draft %d in %s: %v", id, d.State, errs[0])
	}
	return h.draft(id)
}

// Every class of evasion, submitted through the API with the real checks
// running, ends blocked at stage 3 with the same finding as its plain form,
// and cannot be approved there without a visible override comment; the
// override is on the decision and in the trail.
func TestEvasionsEndBlockedAtStageThree(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.want(h.do("PUT", "/api/v1/wordlist", "admin", map[string]any{"words": []string{"赌博"}}), http.StatusOK, "")
	cases := []struct {
		name, body, code, severity string
	}{
		{"zero-width space inside 秘密★", "秘\u200b密★\n关于开展年度保密自查工作的通知", "classified_marking", "block"},
		{"word joiner and soft hyphen inside 机密★", "附件：机\u2060密\u00ad★10年  会议纪要", "classified_marking", "block"},
		{"BOM inside 绝密★", "绝密\ufeff★启用前\n2024年度考试试卷", "classified_marking", "block"},
		{"line break inside a mark", "正文如下：\n秘\n密★5年\n关于……的通知", "classified_marking", "block"},
		{"traditional characters", "機密★10年\n关于……的通知", "classified_marking", "block"},
		{"a star look-alike", "秘密☆ 关于印发工作要点的通知", "classified_marking", "block"},
		{"an ID split by spaces", "当事人：张三，公民身份号码：110105 19900307 1239，现予公布。", "resident_id", "block"},
		{"an ID with full-width digits", "当事人：张三，公民身份号码：１１０１０５１９９００３０７１２３９，现予公布。", "resident_id", "block"},
		{"an ID with zero-width characters", "当事人：张三，公民身份号码：110105\u200b19900307\u200b1239，现予公布。", "resident_id", "block"},
		{"a mobile number split by dots", "联系人：赵六，电话：138.1234.5678。", "mobile_number", "block"},
		{"a mobile number with a zero-width joiner", "联系人：赵六，电话：138\u200d1234\u200d5678。", "mobile_number", "block"},
		// A word-list match is a warning by design (words.Check): the
		// reviewer weighs it; written evasively it is the same warning.
		{"a word-list entry in traditional characters", "查处賭博场所3处。", "sensitive_word", "warn"},
		{"a word-list entry with combining marks", "查处赌\u0301博场所3处。", "sensitive_word", "warn"},
	}
	for i, c := range cases {
		body := draftBody(fmt.Sprintf("通报%d", i))
		body["body"] = c.body
		id := int64(h.want(h.do("POST", "/api/v1/drafts", "officer", body), http.StatusCreated, "").body["id"].(float64))
		d := h.checked(id)
		// Stage 1 shows personal data as warnings only; the draft goes on.
		if d.State != domain.StateCompliance {
			t.Fatalf("%s: after the stage-1 checks the draft is %s", c.name, d.State)
		}
		h.checked(id)
		h.want(h.decide(id, "head", domain.StageCompliance, "approve", nil), http.StatusOK, "")
		if d = h.checked(id); d.State != domain.StateConfidentiality {
			t.Fatalf("%s: after the stage-3 checks the draft is %s", c.name, d.State)
		}
		// What the confidentiality reviewer sees.
		g := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "sec", nil), http.StatusOK, "")
		var blocked bool
		for _, f := range g.body["findings"].([]any) {
			f := f.(map[string]any)
			if f["stage"] == "confidentiality" && f["code"] == c.code && f["severity"] == c.severity && f["revision"] == float64(d.Revision) {
				blocked = true
			}
		}
		if !blocked {
			t.Errorf("%s: no %s %s at stage 3; findings %v", c.name, c.severity, c.code, g.body["findings"])
			continue
		}
		if c.severity != "block" {
			continue
		}
		h.want(h.decide(id, "sec", domain.StageConfidentiality, "approve", nil), http.StatusUnprocessableEntity, "override_comment_required")
		h.want(h.decide(id, "sec", domain.StageConfidentiality, "approve", map[string]any{"comment": "\u3000\u200b\u2060"}), http.StatusUnprocessableEntity, "override_comment_required")
		if d = h.draft(id); d.State != domain.StateConfidentiality {
			t.Fatalf("%s: a refused approval moved the draft to %s", c.name, d.State)
		}
		h.want(h.decide(id, "sec", domain.StageConfidentiality, "approve", map[string]any{"comment": "经核实为公开信息，同意放行。"}), http.StatusOK, "")
		g = h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "head", nil), http.StatusOK, "")
		decs := g.body["decisions"].([]any)
		if last := decs[len(decs)-1].(map[string]any); last["stage"] != "confidentiality" || last["override"] != true {
			t.Errorf("%s: stage 3's approval is not stored as an override: %v", c.name, last)
		}
		a := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d/audit", id), "auditor", nil), http.StatusOK, "")
		var trail []string
		for _, e := range a.body["events"].([]any) {
			ev := e.(map[string]any)
			trail = append(trail, fmt.Sprint(ev["action"], "/", ev["stage"], "/", ev["reason"]))
		}
		if got := strings.Join(trail, " "); !strings.Contains(got, "checks_done/confidentiality/") || !strings.Contains(got, "approve/confidentiality/override") {
			t.Errorf("%s: trail %s", c.name, got)
		}
	}
}
