package checks

import (
	"context"
	"strings"
	"unicode"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// ApplicantSource gives the applicant a reply (category
// domain.CategoryApplicationReply) answers: the draft's case's recorded
// identity; ok is false for a draft that is no case's reply.
type ApplicantSource interface {
	ApplicantIdentity(ctx context.Context, draftID int64) (id domain.ApplicantIdentity, ok bool, err error)
}

// ownDataCodes are the personal-data findings that can be the applicant's
// own: their ID number, phone and address.
var ownDataCodes = map[string]bool{"resident_id": true, "resident_id_mistyped": true, "mobile_number": true, "home_address": true}

// RunDraft is Run for draft draftID: at stage 3 a reply to an application
// may carry the applicant's own recorded ID number, phone or address (it
// goes to them alone), so those findings become warnings; anyone else's
// personal data still blocks. Other drafts cost nothing more than Run.
func (r *Runner) RunDraft(ctx context.Context, stage domain.Stage, agencyID, draftID int64, c domain.Content) ([]domain.Finding, error) {
	fs, err := r.Run(ctx, stage, agencyID, c)
	if err != nil || stage != domain.StageConfidentiality || c.Category != domain.CategoryApplicationReply || r.Applicants == nil || !domain.Blocking(fs) {
		return fs, err
	}
	id, ok, err := r.Applicants.ApplicantIdentity(ctx, draftID)
	if err != nil || !ok {
		return fs, err
	}
	fields := map[string][]rune{"title": []rune(c.Title), "body": []rune(c.Body)}
	for i, f := range fs {
		text := fields[f.Field]
		if !ownDataCodes[f.Code] || f.Severity != domain.SeverityBlock || f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			continue
		}
		if applicantsOwn(string(text[f.Start:f.End]), f.Code, id) {
			fs[i].Severity = domain.SeverityWarn
			fs[i].MessageZH += "（与申请人登记的本人信息一致，答复书只送达申请人本人，仅作提示。）"
			fs[i].MessageEN += " (It matches the applicant's own recorded identity and the reply goes to them alone: a warning only.)"
		}
	}
	return fs, nil
}

// applicantsOwn reports whether a finding's text is the applicant's own
// ID number, phone or address as the case records it.
func applicantsOwn(text, code string, id domain.ApplicantIdentity) bool {
	if code == "home_address" {
		t := strings.Join(strings.Fields(text), "")
		return t != "" && strings.Contains(strings.Join(strings.Fields(id.Contact), ""), t)
	}
	t := idDigits(text)
	return t != "" && (t == idDigits(id.IDNumber) || t == idDigits(id.Phone))
}

// idDigits keeps the digits and the check character X of an ID number or a
// phone, full-width forms folded, so that spacing and grouping do not matter.
func idDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '０' && r <= '９' {
			r = r - '０' + '0'
		}
		switch {
		case unicode.IsDigit(r) && r < 128:
			b.WriteRune(r)
		case r == 'x' || r == 'X' || r == 'ｘ' || r == 'Ｘ':
			b.WriteByte('X')
		}
	}
	return b.String()
}
