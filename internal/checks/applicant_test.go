package checks

import (
	"context"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// oneApplicant is the case of draft 7.
type oneApplicant struct{ calls int }

func (o *oneApplicant) ApplicantIdentity(_ context.Context, draftID int64) (domain.ApplicantIdentity, bool, error) {
	o.calls++
	return domain.ApplicantIdentity{Name: "张三", IDNumber: "110105 19900307 1239", Phone: "13812345678"}, draftID == 7, nil
}

// A reply may repeat its applicant's own ID number and phone (a warning),
// never another person's (still a block); other drafts do not ask.
func TestReplyWarnsOfTheApplicantsOwnData(t *testing.T) {
	src := &oneApplicant{}
	r := &Runner{Calendar: calendar.Official(), Now: time.Now, Applicants: src}
	reply := domain.Content{Title: "政府信息公开申请答复书（张三）",
		Body:     "张三（身份证号110105199003071239，电话13812345678）：您的申请已收悉。另，第三人李四身份证号440306198512154322。",
		Category: domain.CategoryApplicationReply, Channels: []domain.Channel{domain.ChannelApplicant}, FormedOn: time.Now()}
	sev := func(fs []domain.Finding, code, text string) domain.Severity {
		t.Helper()
		body := []rune(reply.Body)
		for _, f := range fs {
			if f.Code == code && f.Field == "body" && string(body[f.Start:f.End]) == text {
				return f.Severity
			}
		}
		t.Fatalf("no %s finding on %s: %+v", code, text, fs)
		return ""
	}
	fs, err := r.RunDraft(context.Background(), domain.StageConfidentiality, 1, 7, reply)
	if err != nil {
		t.Fatal(err)
	}
	if s := sev(fs, "resident_id", "110105199003071239"); s != domain.SeverityWarn {
		t.Errorf("the applicant's own ID: %s, want warn", s)
	}
	if s := sev(fs, "mobile_number", "13812345678"); s != domain.SeverityWarn {
		t.Errorf("the applicant's own phone: %s, want warn", s)
	}
	if s := sev(fs, "resident_id", "440306198512154322"); s != domain.SeverityBlock {
		t.Errorf("another person's ID: %s, want block", s)
	}
	// The same text as another draft (no case's reply): everything blocks.
	fs, err = r.RunDraft(context.Background(), domain.StageConfidentiality, 1, 8, reply)
	if err != nil {
		t.Fatal(err)
	}
	if s := sev(fs, "resident_id", "110105199003071239"); s != domain.SeverityBlock {
		t.Errorf("not a case's reply: %s, want block", s)
	}
	calls := src.calls
	news := reply
	news.Category, news.Channels = "news", []domain.Channel{domain.ChannelWebsite}
	if _, err := r.RunDraft(context.Background(), domain.StageConfidentiality, 1, 7, news); err != nil || src.calls != calls {
		t.Errorf("a news draft asked for an applicant (%d calls, %v)", src.calls-calls, err)
	}
}
