// Package compliance holds the machine checks of stage 2, 复审: does the draft
// follow the rules on what may be published where, for how long, and on what
// legal footing? A department head decides the stage; these checks put in
// front of them what they must weigh. Nothing here passes silently: where a
// rule cannot be applied mechanically (no decision date to count from), the
// reviewer is told so.
//
// The rules:
//
//   - Channel: items whose place is the government website, the first
//     platform of disclosure (penalty and licence decisions, normative
//     documents, regulations, budgets, fees, procurement, annual reports),
//     warn when not published there; published only to Douyin, a short-video
//     channel that cannot carry a document's full text, they warn with a
//     code of their own.
//   - Penalty decisions: a warning-only penalty (警告 and nothing else) is
//     normally not published, which warns; a decision must cite a law or
//     rule with its article (依据《…》第X条), which blocks when missing; and
//     the publication period (PenaltyExpiry) is always reported, as a warning
//     the reviewer reads, because it becomes the item's expiry date.
package compliance

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// websiteCategories are the kinds of item whose place is the government
// website: the formal documents of article 20 of the Regulations on Open
// Government Information, which a reader must be able to find, cite and
// download in full. News, notices to the public and emergency information
// may go anywhere.
var websiteCategories = map[string][2]string{
	"regulation":         {"政府规章", "government regulation"},
	"normative_document": {"行政规范性文件", "normative document"},
	"license":            {"行政许可决定", "licence decision"},
	"penalty":            {"行政处罚决定", "penalty decision"},
	"enforcement":        {"行政强制信息", "enforcement decision"},
	"budget":             {"预决算信息", "budget"},
	"fee":                {"收费信息", "fee notice"},
	"procurement":        {"政府采购信息", "procurement notice"},
	"annual_report":      {"政府信息公开工作年度报告", "annual report"},
}

// Check runs every stage 2 rule on a draft and returns its findings with
// Stage = domain.StageCompliance: Field "" with -1/-1 for what concerns the
// whole draft, or "body" with rune offsets (End exclusive) where a finding
// points into the text; sorted by field, offset, blocking first. It is the one entry point the stage 2 worker calls.
func Check(c domain.Content) []domain.Finding { return CheckWith(c, DefaultPeriods) }

// CheckWith is Check for an agency whose penalty publication periods are p.
func CheckWith(c domain.Content, p Periods) []domain.Finding {
	fs := channelFit(c)
	if c.Category == "penalty" {
		fs = append(fs, penaltyFindings(c, p)...)
	}
	for i := range fs {
		fs[i].Stage = domain.StageCompliance
	}
	slices.SortStableFunc(fs, func(a, b domain.Finding) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Start, b.Start),
			cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)), cmp.Compare(a.Code, b.Code))
	})
	return fs
}

// severityRank puts blocking findings before warnings at the same place.
func severityRank(s domain.Severity) int {
	if s == domain.SeverityBlock {
		return 0
	}
	return 1
}

func newFinding(code string, sev domain.Severity, field string, start, end int, zh, en, suggestion string) domain.Finding {
	return domain.Finding{Code: code, Severity: sev, Stage: domain.StageCompliance, Field: field,
		Start: start, End: end, MessageZH: zh, MessageEN: en, Suggestion: suggestion}
}

func wholeDraft(code string, sev domain.Severity, zh, en string) domain.Finding {
	return newFinding(code, sev, "", -1, -1, zh, en, "")
}

// channelFit warns when a formal document is not published on the website.
func channelFit(c domain.Content) []domain.Finding {
	name, formal := websiteCategories[c.Category]
	if !formal || len(c.Channels) == 0 || slices.Contains(c.Channels, domain.ChannelWebsite) {
		return nil
	}
	if !slices.ContainsFunc(c.Channels, func(ch domain.Channel) bool { return ch != domain.ChannelDouyin }) {
		return []domain.Finding{wholeDraft("channel_unsuitable", domain.SeverityWarn,
			fmt.Sprintf("%s仅发布到抖音：短视频渠道无法承载文件全文，应在政府网站发布，抖音仅作辅助传播。", name[0]),
			fmt.Sprintf("The %s goes to Douyin only: a short-video channel cannot carry its full text; publish it on the website, with Douyin at most in support.", name[1]))}
	}
	return []domain.Finding{wholeDraft("website_missing", domain.SeverityWarn,
		fmt.Sprintf("%s未发布到政府网站：政府网站是政府信息公开的第一平台，此类信息应在网站发布。", name[0]),
		fmt.Sprintf("The %s is not published on the website, the first platform of disclosure, where this kind of item belongs.", name[1]))}
}
