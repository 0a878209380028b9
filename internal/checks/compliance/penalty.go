package compliance

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks/completeness"
	"github.com/sanshen-gov/sanshen/internal/checks/runetext"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Periods are the publication periods of penalty decisions (行政处罚决定
// 公示期限) an agency follows. They have changed over the years, and are set
// per agency, with the source it follows (agency_periods); an agency that
// set none follows DefaultPeriods.
type Periods struct {
	// LightMonths: a decision imposing nothing heavier than a warning,
	// 通报批评 or a fine under SmallFine yuan.
	LightMonths int `json:"light_months"`
	// HeavyMonths: every other decision, and one whose penalty or fine
	// cannot be read (the longer period errs on the side of openness).
	HeavyMonths int `json:"heavy_months"`
	// SmallFine is the amount, in yuan, below which a fine is small: the
	// rules speak of 较低数额罚款 without a figure.
	SmallFine int64 `json:"small_fine"`
	// Source is the rule the periods follow, cited in the configuration
	// and to the reviewer.
	Source string `json:"source"`
}

// DefaultPeriods are the periods the reference office follows: 3 months
// for 警告, 通报批评 and fines under 10,000 yuan, 3 years otherwise, counted
// from the decision. The national rules on publishing penalty information
// (信用信息公示和修复) have changed more than once, and provinces add their
// own, so an agency states its periods and their source on its policy
// page; these stand only until it does, and their source says so.
var DefaultPeriods = Periods{LightMonths: 3, HeavyMonths: 36, SmallFine: 10000,
	Source: "系统默认（本机关尚未设置）：警告、通报批评和1万元以下罚款公示3个月，其他处罚公示3年"}

// Valid reports what is wrong with p, in Chinese, or "" when nothing is.
func (p Periods) Valid() string {
	switch {
	case p.LightMonths < 1 || p.LightMonths > 120 || p.HeavyMonths < 1 || p.HeavyMonths > 120:
		return "公示期限应为1至120个月。"
	case p.LightMonths > p.HeavyMonths:
		return "较轻处罚的公示期限不应长于其他处罚。"
	case p.SmallFine < 0:
		return "较低数额罚款的标准不能为负数。"
	case !domain.Visible(p.Source):
		return "请注明期限的依据（文件名称和文号）。"
	}
	return ""
}

// monthsZH says a period in Chinese: 3个月, 3年.
func monthsZH(m int) string {
	if m%12 == 0 {
		return fmt.Sprintf("%d年", m/12)
	}
	return fmt.Sprintf("%d个月", m)
}

// monthsEN says a period in English.
func monthsEN(m int) string {
	if m%12 == 0 {
		if m == 12 {
			return "1 year"
		}
		return fmt.Sprintf("%d years", m/12)
	}
	return fmt.Sprintf("%d months", m)
}

const blank = `[ \t\x{3000}]*`

var (
	// reAnchor starts the part of a decision that states the penalty:
	// 本局决定…, 作出如下行政处罚：, 处罚内容：. 决定书, 决定日期, 决定机关,
	// 决定文号, 决定的, 决定之日 and 决定不服 are not anchors.
	reAnchor = regexp.MustCompile(`决定[^书日机文的之不]|处罚如下|作出如下|(?:处罚内容|处罚决定|处罚结果|处罚种类|行政处罚内容|行政处罚决定)` + blank + `[：:]`)
	// sieveAnchor runs reAnchor only near a 定, 下 or 罚, one of which every
	// anchor holds (see runetext.Sieve).
	sieveAnchor = runetext.NewSieve(reAnchor, "定下罚")
	// reListItem is a line that continues a list: 1. 一、 （一） ①.
	reListItem = regexp.MustCompile(`^[\s\x{3000}]*(?:[0-9]+[.、．)）]|[一二三四五六七八九十]+[、.．)）]|[（(][0-9一二三四五六七八九十]+[）)]|[①②③④⑤⑥⑦⑧⑨⑩])`)

	// reAmount is a sum of money in yuan: 5000元, 5,000.00元, 0.5万元, 伍仟元,
	// 壹万伍仟元, ¥5000. Group 1 is the number, 2 a 万 multiplier, 3 a ¥ figure.
	reAmount = regexp.MustCompile(`([0-9][0-9,]*(?:\.[0-9]+)?|[零〇壹贰叁肆伍陆柒捌玖拾佰仟万亿一二两三四五六七八九十百千]+)` + blank + `(万)?` + blank + `元|[¥￥]` + blank + `([0-9][0-9,]*(?:\.[0-9]+)?)`)
	// reAmountBefore is an amount that ends right before 罚款: 处5000元罚款.
	reAmountBefore = regexp.MustCompile(`(?:[0-9][0-9,]*(?:\.[0-9]+)?|[零〇壹贰叁肆伍陆柒捌玖拾佰仟万亿一二两三四五六七八九十百千]+)` + blank + `万?` + blank + `元整?` + blank + `的?` + blank + `$`)
	// reRange marks a fine range quoted from a law (处五千元以上五万元以下罚款),
	// which is not a fine imposed.
	reRange = regexp.MustCompile(`元?(?:以上|以下|以内)|[至到～~\-]`)

	// reLaw is a cited article of a named law or rule.
	reLaw = regexp.MustCompile(`《[^《》\n]{2,80}》` + blank + `(?:（[^（）\n]{0,20}）|\([^()\n]{0,20}\))?` + blank +
		`的?` + blank + `第` + blank + `[零〇一二三四五六七八九十百千0-9]+` + blank + `条`)
	// reLawNoArticle is a law named as the basis without an article.
	reLawNoArticle = regexp.MustCompile(`(?:依据|根据|依照|按照)[^。\n《]{0,8}《[^《》\n]{2,80}》`)
)

// kinds are the penalties of article 9 of the Administrative Penalty Law,
// with the words that name them in a decision.
var kinds = []struct{ name, en, re string }{
	{"警告", "warning", `警告`},
	{"通报批评", "public criticism", `通报批评`},
	{"罚款", "fine", `罚款`},
	{"没收", "confiscation", `没收`},
	{"暂扣许可证件", "suspension of a licence", `暂扣`},
	{"降低资质等级", "downgrading of qualification", `降低资质等级`},
	{"吊销许可证件", "revocation of a licence", `吊销`},
	{"限制开展生产经营活动", "restriction of business", `限制开展生产经营活动`},
	{"责令停产停业", "order to suspend business", `责令停产停业`},
	{"责令关闭", "order to close", `责令关闭`},
	{"限制从业", "ban from an occupation", `限制从业`},
	{"行政拘留", "administrative detention", `行政拘留`},
}

var kindREs = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(kinds))
	for i, k := range kinds {
		out[i] = regexp.MustCompile(k.re)
	}
	return out
}()

// text is the body prepared for matching: full-width digits become ASCII,
// one rune for one, so that rune offsets stay those of the original.
type text = runetext.Text

func newText(raw string) *text { return runetext.Prepare(raw, runetext.FoldDigits) }

// penaltyFacts is what a decision imposes, as far as it can be read.
type penaltyFacts struct {
	kinds      []int    // indexes into kinds, in table order
	firstAt    [][2]int // rune span of each kind's first mention, parallel to kinds
	fine       float64  // total fine in yuan
	fineUnread bool     // a fine is imposed but no amount could be read
}

func (p penaltyFacts) has(name string) bool {
	for _, k := range p.kinds {
		if kinds[k].name == name {
			return true
		}
	}
	return false
}

// segments returns the byte ranges of t.Str that state the penalty: from each
// anchor to the end of its line, continued into the following lines while
// they are list items or the line before ends with a colon. Reading only
// these keeps the fines a decision quotes from the law (处五千元以上五万元以下
// 罚款) and the 警告 of a cited article out of what it imposes.
func segments(t *text) [][2]int {
	var out [][2]int
	lineEnd := func(b int) int {
		if i := strings.IndexByte(t.Str[b:], '\n'); i >= 0 {
			return b + i
		}
		return len(t.Str)
	}
	for _, m := range sieveAnchor.FindAllStringIndex(t.Str, -1) {
		if n := len(out); n > 0 && m[0] < out[n-1][1] {
			continue // already inside the segment before
		}
		s, e := m[0], lineEnd(m[0])
		for e < len(t.Str) {
			line := strings.TrimRight(t.Str[s:e], " \t\r\u3000")
			next := e + 1
			ne := lineEnd(next)
			nextLine := t.Str[next:ne]
			if strings.TrimSpace(nextLine) == "" {
				break
			}
			if !strings.HasSuffix(line, "：") && !strings.HasSuffix(line, ":") && !reListItem.MatchString(nextLine) {
				break
			}
			e = ne
		}
		out = append(out, [2]int{s, e})
	}
	return out
}

// analyse reads what the decision imposes. Without an anchor the whole body
// is read, ranges excluded.
func analyse(t *text) penaltyFacts {
	segs := segments(t)
	if len(segs) == 0 {
		segs = [][2]int{{0, len(t.Str)}}
	}
	var p penaltyFacts
	for i, re := range kindREs {
		for _, sg := range segs {
			if m := re.FindStringIndex(t.Str[sg[0]:sg[1]]); m != nil {
				p.kinds = append(p.kinds, i)
				p.firstAt = append(p.firstAt, [2]int{t.Rune(sg[0] + m[0]), t.Rune(sg[0] + m[1])})
				break
			}
		}
	}
	var total float64
	read := 0
	for _, sg := range segs {
		seg := t.Str[sg[0]:sg[1]]
		for _, m := range kindREs[2].FindAllStringIndex(seg, -1) { // 罚款
			before := lastRunes(seg[:m[0]], 14)
			if reRange.MatchString(lastRunes(before, 6)) && strings.Contains(before, "元") {
				continue // …以上…以下罚款: the law's range, not a fine imposed
			}
			amount, ok := 0.0, false
			if loc := reAmountBefore.FindStringIndex(before); loc != nil {
				amount, ok = parseAmount(strings.TrimRight(before[loc[0]:], "元整的 \t\u3000"))
			} else {
				after := firstRunes(seg[m[1]:], 24)
				if j := strings.IndexAny(after, "。；;\n"); j >= 0 {
					after = after[:j]
				}
				if am := reAmount.FindStringSubmatchIndex(after); am != nil {
					if am[2] >= 0 {
						if reRange.MatchString(firstRunes(after[am[1]:], 2)) {
							continue
						}
						amount, ok = parseNumber(after[am[2]:am[3]])
						if ok && am[4] >= 0 {
							amount *= 10000
						}
					} else {
						amount, ok = parseNumber(after[am[6]:am[7]])
					}
				}
			}
			if !ok {
				continue // 缴纳罚款 and the like: the fine again, not a new one
			}
			read++
			if strings.Contains(lastRunes(before, 4), "合计") || strings.Contains(lastRunes(before, 4), "共计") {
				total = amount // a stated total replaces the items before it
				continue
			}
			total += amount
		}
	}
	p.fine = total
	p.fineUnread = p.has("罚款") && read == 0
	return p
}

// lastRunes is the last n runes of s, found without converting all of s.
func lastRunes(s string, n int) string {
	b := len(s)
	for ; n > 0 && b > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:b])
		b -= size
	}
	return s[b:]
}

// firstRunes is the first n runes of s, found without converting all of s.
func firstRunes(s string, n int) string {
	b := 0
	for ; n > 0 && b < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[b:])
		b += size
	}
	return s[:b]
}

// parseAmount reads an amount that may carry a 万 multiplier: 0.5万, 伍仟,
// 壹万伍仟 (a Chinese number carries its 万 itself).
func parseAmount(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if num, ok := strings.CutSuffix(s, "万"); ok && isArabic(num) {
		v, ok := parseNumber(strings.TrimSpace(num))
		return v * 10000, ok
	}
	return parseNumber(s)
}

func isArabic(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// parseNumber reads an Arabic number (5,000.00) or a Chinese one in either
// the everyday or the financial characters (五千, 伍仟, 壹万伍仟, 一万零五百).
func parseNumber(s string) (float64, bool) {
	if isArabic(s) {
		v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
		return v, err == nil
	}
	var total, section, digit float64
	seen := false
	for _, r := range s {
		if d := cnDigitValue(r); d >= 0 {
			digit = float64(d)
			seen = true
			continue
		}
		switch u := cnUnit(r); {
		case u == 0:
			return 0, false
		case u < 10000:
			if digit == 0 && u == 10 && section == 0 && !seen {
				digit = 1 // 十五 is fifteen
			}
			section += digit * u
			digit = 0
		case u == 1e4: // 万 multiplies the section before it: 一亿二千万
			total += (section + digit) * u
			section, digit = 0, 0
		default: // 亿 multiplies everything before it: 三万亿
			total = (total + section + digit) * u
			section, digit = 0, 0
		}
		seen = true
	}
	return total + section + digit, seen
}

func cnDigitValue(r rune) int {
	if i := strings.IndexRune("零壹贰叁肆伍陆柒捌玖", r); i >= 0 {
		return utf8.RuneCountInString("零壹贰叁肆伍陆柒捌玖"[:i])
	}
	if i := strings.IndexRune("〇一二三四五六七八九", r); i >= 0 {
		return utf8.RuneCountInString("〇一二三四五六七八九"[:i])
	}
	if r == '两' {
		return 2
	}
	return -1
}

func cnUnit(r rune) float64 {
	switch r {
	case '十', '拾':
		return 10
	case '百', '佰':
		return 100
	case '千', '仟':
		return 1000
	case '万':
		return 1e4
	case '亿':
		return 1e8
	}
	return 0
}

// addMonths counts a period of months as the Civil Code does (articles 201
// and 202): the day of the decision is not counted, and the period ends on
// the corresponding day of the last month, or on that month's last day when
// it has no such day. 5 March + 3 months ends on 5 June; 30 November + 3
// months on 29 February (28 in a common year).
func addMonths(d time.Time, months int) time.Time {
	y, m, day := d.Date()
	idx := int(m) - 1 + months
	ty, tm := y+idx/12, time.Month(idx%12+1)
	last := time.Date(ty, tm+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(ty, tm, min(day, last), 0, 0, 0, 0, time.UTC)
}

// expiry is PenaltyExpiry with the reasons the finding explains.
type expiry struct {
	decided    time.Time
	fromFormed bool // no decision date in the body: counted from formed_on
	months     int
	light      bool
	periods    Periods
	until      time.Time
	facts      penaltyFacts
}

// computeExpiry is PenaltyExpiry with its reasons. body is c.Body prepared by
// newText when the caller has it, so that it is prepared once; nil otherwise.
func computeExpiry(c domain.Content, body *text, p Periods) (expiry, bool) {
	if c.Category != "penalty" {
		return expiry{}, false
	}
	if body == nil {
		body = newText(c.Body)
	}
	e := expiry{facts: analyse(body), periods: p}
	if d, _, _, ok := completeness.DecisionDate(c.Body); ok {
		e.decided = d
	} else if !c.FormedOn.IsZero() {
		y, m, d := c.FormedOn.Date()
		e.decided, e.fromFormed = time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
	} else {
		return e, false
	}
	e.months = p.HeavyMonths
	if e.light = light(e.facts, p.SmallFine); e.light {
		e.months = p.LightMonths
	}
	e.until = addMonths(e.decided, e.months)
	return e, true
}

// light reports whether a decision imposes nothing heavier than a warning,
// 通报批评 and a small fine. A fine whose amount cannot be read, or a decision
// whose penalty cannot be read at all, is not light: the longer period is the
// one that errs on the side of openness.
func light(p penaltyFacts, smallFine int64) bool {
	if len(p.kinds) == 0 || p.fineUnread {
		return false
	}
	for _, k := range p.kinds {
		switch kinds[k].name {
		case "警告", "通报批评":
		case "罚款":
			if p.fine >= float64(smallFine) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// PenaltyExpiry is the last day a penalty decision stays public under
// DefaultPeriods: PenaltyExpiryWith them.
func PenaltyExpiry(c domain.Content) (expiry time.Time, ok bool) {
	return PenaltyExpiryWith(c, DefaultPeriods)
}

// PenaltyExpiryWith is the last day a penalty decision stays public under
// the agency's periods p: p.LightMonths for 通报批评 or a fine under
// p.SmallFine (a warning counts as lighter still), otherwise p.HeavyMonths,
// from the decision date, counted as the Civil Code counts months. The
// decision date is read from the body (completeness.DecisionDate), else
// formed_on is taken. ok is false for anything but a penalty, or when there
// is no date to count from.
//
// A penalty decision kept public past its period harms the party without a
// legal basis: the stage 2 finding (penalty_expiry) tells the reviewer the
// date, stage 2 stores it as the draft's expires_on, and the lifecycle's
// daily sweep (services/lifecycle) withdraws the published item from every
// channel once the date has passed.
func PenaltyExpiryWith(c domain.Content, p Periods) (expiry time.Time, ok bool) {
	e, ok := computeExpiry(c, nil, p)
	if !ok {
		return time.Time{}, false
	}
	return e.until, true
}

// penaltyFindings are the stage 2 findings of a penalty decision.
func penaltyFindings(c domain.Content, periods Periods) []domain.Finding {
	var fs []domain.Finding
	t := newText(c.Body)

	// The legal basis.
	if !reLaw.MatchString(t.Str) {
		if m := reLawNoArticle.FindStringIndex(t.Str); m != nil {
			s, e := t.Span(m[0], m[1])
			fs = append(fs, newFinding("penalty_no_legal_basis", domain.SeverityBlock, "body", s, e,
				"处罚依据只写了法律名称，未写明具体条款（应为“依据《……》第×条”）。",
				"The legal basis names a law but no article; cite it as 依据《…》第X条.", ""))
		} else {
			fs = append(fs, wholeDraft("penalty_no_legal_basis", domain.SeverityBlock,
				"行政处罚决定未引用法律依据（应为“依据《……》第×条”）。",
				"The penalty decision cites no legal basis; cite the law and article, as 依据《…》第X条."))
		}
	}

	e, ok := computeExpiry(c, t, periods)
	p := e.facts
	if !ok {
		p = analyse(t)
	}

	// A warning alone.
	if len(p.kinds) == 1 && kinds[p.kinds[0]].name == "警告" {
		s := p.firstAt[0]
		fs = append(fs, newFinding("penalty_warning_only", domain.SeverityWarn, "body", s[0], s[1],
			"本决定仅给予警告处罚，此类决定一般不予公开，请确认是否确需公开。",
			"The decision imposes a warning only; such decisions are normally not published. Confirm it must be.", ""))
	}

	// The publication period.
	if !ok {
		fs = append(fs, wholeDraft("penalty_expiry_unknown", domain.SeverityWarn,
			fmt.Sprintf("无法确定处罚决定日期，公示期限（%s或%s）需人工确定，并在稿件页面设置“有效期至”。", monthsZH(periods.LightMonths), monthsZH(periods.HeavyMonths)),
			fmt.Sprintf("The decision date cannot be found, so the publication period (%s or %s) must be set by hand, as the draft's public-until date.", monthsEN(periods.LightMonths), monthsEN(periods.HeavyMonths))))
		return fs
	}
	fs = append(fs, expiryFinding(e))
	return fs
}

func expiryFinding(e expiry) domain.Finding {
	var whyZH, whyEN string
	heavyZH, heavyEN := monthsZH(e.periods.HeavyMonths), monthsEN(e.periods.HeavyMonths)
	switch {
	case e.light:
		whyZH, whyEN = "仅为警告、通报批评或较小数额罚款", "a warning, public criticism or a small fine only"
		if e.facts.has("罚款") {
			whyZH += fmt.Sprintf("，罚款合计%s元", formatYuan(e.facts.fine))
			whyEN += fmt.Sprintf("; fines total %s yuan", formatYuan(e.facts.fine))
		}
	case len(e.facts.kinds) == 0:
		whyZH, whyEN = "未能识别处罚种类，按"+heavyZH+"计", "the penalty could not be read, so "+heavyEN+" apply"
	case e.facts.fineUnread:
		whyZH, whyEN = "罚款数额未能识别，按"+heavyZH+"计", "a fine's amount could not be read, so "+heavyEN+" apply"
	default:
		var zh, en []string
		for _, k := range e.facts.kinds {
			zh, en = append(zh, kinds[k].name), append(en, kinds[k].en)
		}
		whyZH, whyEN = "处罚为"+strings.Join(zh, "、"), "the penalty is "+strings.Join(en, ", ")
		if e.facts.has("罚款") && e.facts.fine >= float64(e.periods.SmallFine) {
			whyZH += fmt.Sprintf("，罚款合计%s元，不低于%d元", formatYuan(e.facts.fine), e.periods.SmallFine)
			whyEN += fmt.Sprintf("; fines total %s yuan, not under %d", formatYuan(e.facts.fine), e.periods.SmallFine)
		}
	}
	from, fromEN := "决定日期", "the decision date"
	if e.fromFormed {
		from, fromEN = "信息形成日期（正文未写明决定日期）", "formed_on (the body states no decision date)"
	}
	d, u := e.decided.Format(domain.DateLayout), e.until.Format(domain.DateLayout)
	return wholeDraft("penalty_expiry", domain.SeverityWarn,
		fmt.Sprintf("公示期限%s（%s），自%s%s起算，至%s届满，届满次日系统自动撤下。期限依据：%s", monthsZH(e.months), whyZH, from, d, u, e.periods.Source),
		fmt.Sprintf("Public for %s (%s), counted from %s %s; it expires on %s and is taken down the next day. Rule: %s", monthsEN(e.months), whyEN, fromEN, d, u, e.periods.Source))
}

func formatYuan(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}
