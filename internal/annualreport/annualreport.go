// Package annualreport is the 政府信息公开工作年度报告 of article 50 of the
// 条例, in the layout of 国办公开办函〔2021〕30号: its tables as data, the
// codes of its rows and columns, and the report rendered as text (one cell
// per line, as real reports read when copied from their pages), so that the
// generator and the validator (internal/checks/annualreport) share one
// definition of the layout. It is pure: no I/O.
package annualreport

import (
	"context"
	"fmt"
)

// Applicant is a column of table 三: who applied.
type Applicant int

// The applicant columns, in the table's order (the total is computed).
const (
	Natural  Applicant = iota // 自然人
	Business                  // 法人或其他组织: 商业企业
	Research                  // 科研机构
	Charity                   // 社会公益组织
	Legal                     // 法律服务机构
	OtherOrg                  // 其他
	NumApplicants
)

// ApplicantInfo names a column.
type ApplicantInfo struct {
	Code   string
	NameZH string
	NameEN string
}

// ApplicantTable lists the columns in the table's order.
var ApplicantTable = [NumApplicants]ApplicantInfo{
	{"natural", "自然人", "natural persons"},
	{"business", "商业企业", "businesses"},
	{"research", "科研机构", "research institutions"},
	{"charity", "社会公益组织", "public-interest organisations"},
	{"legal", "法律服务机构", "legal service organisations"},
	{"other_org", "其他", "other organisations"},
}

// Row is one row of table 三 by applicant column, without its total.
type Row [NumApplicants]int

// Total is the row's 总计.
func (r Row) Total() int {
	n := 0
	for _, v := range r {
		n += v
	}
	return n
}

// Organisations is the row's 法人或其他组织: every column but natural persons.
func (r Row) Organisations() int { return r.Total() - r[Natural] }

// Add adds o to r cell by cell.
func (r Row) Add(o Row) Row {
	for i := range r {
		r[i] += o[i]
	}
	return r
}

// Outcome is a row of table 三's 本年度办理结果.
type Outcome string

// OutcomeInfo is an outcome row: its code, the group it belongs to (（一）
// to （六）) and its label in the official table.
type OutcomeInfo struct {
	Code  Outcome
	Group string // the group's label, e.g. "（三）不予公开"
	// Label is the ground's own label ("1.属于国家秘密"); empty where the
	// group is the row itself (予以公开, 部分公开).
	Label string
	// Key is what identifies the row in a report's text.
	Key string
	// NameEN is the English name.
	NameEN string
}

// Outcomes lists the outcome rows in the official order.
var Outcomes = []OutcomeInfo{
	{"disclosed", "（一）予以公开", "", "予以公开", "disclosed"},
	{"partly_disclosed", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "", "部分公开", "partly disclosed"},
	{"withheld_secret", "（三）不予公开", "1.属于国家秘密", "属于国家秘密", "withheld: state secret"},
	{"withheld_law", "（三）不予公开", "2.其他法律行政法规禁止公开", "其他法律行政法规禁止公开", "withheld: prohibited by other laws"},
	{"withheld_safety", "（三）不予公开", "3.危及“三安全一稳定”", "危及", "withheld: endangers security or stability"},
	{"withheld_third_party", "（三）不予公开", "4.保护第三方合法权益", "保护第三方合法权益", "withheld: third party's rights"},
	{"withheld_internal", "（三）不予公开", "5.属于三类内部事务信息", "内部事务信息", "withheld: internal affairs"},
	{"withheld_process", "（三）不予公开", "6.属于四类过程性信息", "过程性信息", "withheld: process information"},
	{"withheld_enforcement", "（三）不予公开", "7.属于行政执法案卷", "行政执法案卷", "withheld: enforcement file"},
	{"withheld_inquiry", "（三）不予公开", "8.属于行政查询事项", "行政查询事项", "withheld: administrative inquiry"},
	{"unavailable_not_held", "（四）无法提供", "1.本机关不掌握相关政府信息", "不掌握相关政府信息", "unavailable: not held"},
	{"unavailable_needs_making", "（四）无法提供", "2.没有现成信息需要另行制作", "需要另行制作", "unavailable: would have to be made"},
	{"unavailable_unclear", "（四）无法提供", "3.补正后申请内容仍不明确", "补正后申请内容仍不明确", "unavailable: unclear after correction"},
	{"rejected_petition", "（五）不予处理", "1.信访举报投诉类申请", "信访举报投诉", "not handled: petition or complaint"},
	{"rejected_repeat", "（五）不予处理", "2.重复申请", "重复申请", "not handled: repeated application"},
	{"rejected_publication", "（五）不予处理", "3.要求提供公开出版物", "公开出版物", "not handled: a publication"},
	{"rejected_mass", "（五）不予处理", "4.无正当理由大量反复申请", "大量反复申请", "not handled: mass applications"},
	{"rejected_confirmation", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息", "确认或重新出具", "not handled: confirmation of information held"},
	{"other_no_supplement", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "逾期不补正", "other: no correction in time"},
	{"other_no_fee", "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "未按收费通知", "other: fee not paid"},
	{"other", "（六）其他处理", "3.其他", "其他", "other"},
}

// AppealOutcome is a column of table 四.
type AppealOutcome int

// The appeal outcomes, in the table's order (the total is computed).
const (
	Upheld    AppealOutcome = iota // 结果维持
	Corrected                      // 结果纠正
	OtherEnd                       // 其他结果
	Pending                        // 尚未审结
	NumAppealOutcomes
)

// AppealOutcomeCodes are the outcomes' codes, in the table's order.
var AppealOutcomeCodes = [NumAppealOutcomes]string{"upheld", "corrected", "other", "pending"}

// AppealOutcomeNames are the table's labels.
var AppealOutcomeNames = [NumAppealOutcomes]string{"结果维持", "结果纠正", "其他结果", "尚未审结"}

// AppealRow is one kind of appeal by outcome, without its total.
type AppealRow [NumAppealOutcomes]int

// Total is the group's 总计.
func (r AppealRow) Total() int {
	n := 0
	for _, v := range r {
		n += v
	}
	return n
}

// Appeals is table 四: 行政复议, and 行政诉讼 split by whether a 复议 came
// first.
type Appeals struct {
	Review             AppealRow // 行政复议
	LawsuitDirect      AppealRow // 行政诉讼: 未经复议直接起诉
	LawsuitAfterReview AppealRow // 行政诉讼: 复议后起诉
}

// CaseCounts is what tables 三 and 四 say of an agency's year of
// applications (依申请公开): the rows by applicant column, and the appeals.
type CaseCounts struct {
	New        Row // 一、本年新收
	CarriedIn  Row // 二、上年结转
	Outcomes   map[Outcome]Row
	CarriedOut Row // 四、结转下年度继续办理
	Appeals    Appeals
	// Fees are the year's 信息处理费 (part 六): the notices sent and the
	// amounts noticed and collected.
	Fees Fees
	// Recorded is false when the source holds no record of cases at all
	// (the counts are then zeros, not a finding), and Note says so.
	Recorded bool
	Note     string
}

// Concluded is the row 三、（七）总计: the sum of every outcome row.
func (c CaseCounts) Concluded() Row {
	var t Row
	for _, o := range Outcomes {
		t = t.Add(c.Outcomes[o.Code])
	}
	return t
}

// Balanced reports whether the 勾稽 relation holds in every column:
// 第一项 + 第二项 = 第三项 + 第四项 (new + carried in = concluded + carried
// out), and names the first column where it does not (-1: the total).
func (c CaseCounts) Balanced() (ok bool, column int) {
	concluded := c.Concluded()
	for i := range NumApplicants {
		if c.New[i]+c.CarriedIn[i] != concluded[i]+c.CarriedOut[i] {
			return false, int(i)
		}
	}
	return true, 0
}

// CaseSource gives an agency's counts of applications for a year (the
// calendar year in Beijing). The 依申请公开 cases are recorded by their
// own feature; until it is wired in, NoCases answers.
type CaseSource interface {
	Counts(ctx context.Context, agencyID int64, year int) (CaseCounts, error)
}

// NoCasesNote says why tables 三 and 四 are zeros.
const NoCasesNote = "本系统尚未记录依申请公开案件"

// NoCases is the CaseSource of a system that records no cases: zeros,
// marked as not recorded.
type NoCases struct{}

// Counts is zero, not recorded.
func (NoCases) Counts(context.Context, int64, int) (CaseCounts, error) {
	return CaseCounts{Outcomes: map[Outcome]Row{}, Note: NoCasesNote}, nil
}

// Fees are a year's 信息处理费 under the 政府信息公开信息处理费管理办法:
// the fee notices sent in the year and their total, and what was paid in
// the year, in fen.
type Fees struct {
	Notices      int   `json:"notices"`
	NoticedFen   int64 `json:"noticed_fen"`
	CollectedFen int64 `json:"collected_fen"`
}

// Yuan writes an amount in fen as yuan, two decimals.
func Yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }
