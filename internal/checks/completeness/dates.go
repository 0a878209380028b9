package completeness

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks/normal"
	"github.com/sanshen-gov/sanshen/internal/checks/runetext"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// dateMention is a date written in a text.
type dateMention struct {
	start, end int // rune offsets
	year       int // 0 when the text named no year (3月5日)
	month, day int
	valid      bool // a day that exists
	lunar      bool // a date of the lunar calendar (农历二月三十日)
	text       string
	padded     bool // month or day written with a leading zero (2024年03月05日)
}

// date is the mention as a civil date at midnight UTC, the way formed_on is
// stored. Only meaningful when valid and year != 0.
func (d dateMention) date() time.Time {
	return time.Date(d.year, time.Month(d.month), d.day, 0, 0, 0, 0, time.UTC)
}

func (d dateMention) full() bool { return d.valid && d.year != 0 && !d.lunar }

var (
	reDateYMD = regexp.MustCompile(`([0-9]{4})` + blankPattern + `年` + blankPattern + `([0-9]{1,2})` + blankPattern + `月` + blankPattern + `([0-9]{1,2})` + blankPattern + `日`)
	reDateSep = regexp.MustCompile(`([0-9]{4})([-./])([0-9]{1,2})([-./])([0-9]{1,2})`)
	reDateCN  = regexp.MustCompile(`([〇零○OＯ一二三四五六七八九]{4})` + blankPattern + `年` + blankPattern + `([一二三四五六七八九十]{1,3})` + blankPattern + `月` + blankPattern + `([一二三四五六七八九十]{1,3})` + blankPattern + `日`)
	reDateMD  = regexp.MustCompile(`([0-9]{1,2})` + blankPattern + `月` + blankPattern + `([0-9]{1,2})` + blankPattern + `日`)
	reDateCMD = regexp.MustCompile(`([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日`)
)

// The date expressions run only around a rune every date of theirs holds (see
// runetext.Sieve): a draft has a few dates in 1.5 KB of prose.
var (
	sieveDateYMD = runetext.NewSieve(reDateYMD, "年")
	sieveDateSep = runetext.NewSieve(reDateSep, "-./")
	sieveDateCN  = runetext.NewSieve(reDateCN, "年")
	sieveDateMD  = runetext.NewSieve(reDateMD, "月")
	sieveDateCMD = runetext.NewSieve(reDateCMD, "月")
)

// daysIn is the number of days of month m; year 0 (unknown) allows 29 February.
func daysIn(year, m int) int {
	if m == 2 && year == 0 {
		return 29
	}
	return time.Date(year, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// cnDigit is the value of one Chinese numeral digit, -1 if it is none.
func cnDigit(r rune) int {
	switch r {
	case '〇', '零', '○', 'Ｏ', 'O':
		return 0
	case '一':
		return 1
	case '二', '两':
		return 2
	case '三':
		return 3
	case '四':
		return 4
	case '五':
		return 5
	case '六':
		return 6
	case '七':
		return 7
	case '八':
		return 8
	case '九':
		return 9
	}
	return -1
}

// cnSmall reads a Chinese number below 100 as dates write months and days:
// 五, 十, 十二, 二十, 三十一. It reports false for anything else (十十, 二二).
func cnSmall(s string) (int, bool) {
	rs := []rune(s)
	switch len(rs) {
	case 1:
		if rs[0] == '十' {
			return 10, true
		}
		d := cnDigit(rs[0])
		return d, d > 0
	case 2:
		if rs[0] == '十' {
			d := cnDigit(rs[1])
			return 10 + d, d > 0
		}
		if rs[1] == '十' {
			d := cnDigit(rs[0])
			return 10 * d, d > 1
		}
	case 3:
		if rs[1] == '十' {
			a, b := cnDigit(rs[0]), cnDigit(rs[2])
			return 10*a + b, a > 1 && b > 0
		}
	}
	return 0, false
}

// findDates returns every date the text writes, in order. Full dates come
// first in the search so that the 3月5日 inside 2024年3月5日 is not read twice.
//
// A date written with separators (2024-03-05, 2024.3.5, 2024/3/5) is only
// taken for a date when its month is 1..12 and its day 1..31, because such
// strings are also version and serial numbers; within that it may still be a
// day that does not exist (2024.2.30). A date written with 年月日 is a date
// by its words, so any impossible month or day makes it invalid.
func findDates(t *ntext) []dateMention {
	var out []dateMention
	covered := make([]bool, len(t.Runes)+1)
	add := func(d dateMention) {
		for i := d.start; i < d.end; i++ {
			covered[i] = true
		}
		out = append(out, d)
	}
	overlaps := func(s, e int) bool {
		for i := s; i < e; i++ {
			if covered[i] {
				return true
			}
		}
		return false
	}
	digitBefore := func(b int) bool { return b > 0 && isDigit(rune(t.Str[b-1])) }

	for _, m := range sieveDateYMD.FindAllStringSubmatchIndex(t.Str, -1) {
		if digitBefore(m[0]) {
			continue
		}
		y, _ := strconv.Atoi(t.Str[m[2]:m[3]])
		mo, _ := strconv.Atoi(t.Str[m[4]:m[5]])
		d, _ := strconv.Atoi(t.Str[m[6]:m[7]])
		s, e := t.Span(m[0], m[1])
		dm := mention(t, s, e, y, mo, d)
		dm.padded = padded(t.Str[m[4]:m[5]]) || padded(t.Str[m[6]:m[7]])
		add(dm)
	}
	for _, m := range sieveDateCN.FindAllStringSubmatchIndex(t.Str, -1) {
		s, e := t.Span(m[0], m[1])
		if overlaps(s, e) {
			continue
		}
		y := 0
		for _, r := range t.Str[m[2]:m[3]] {
			y = 10*y + cnDigit(r)
		}
		mo, ok1 := cnSmall(t.Str[m[4]:m[5]])
		d, ok2 := cnSmall(t.Str[m[6]:m[7]])
		if !ok1 || !ok2 {
			continue
		}
		add(mention(t, s, e, y, mo, d))
	}
	for _, m := range sieveDateSep.FindAllStringSubmatchIndex(t.Str, -1) {
		if t.Str[m[4]:m[5]] != t.Str[m[8]:m[9]] || digitBefore(m[0]) ||
			(m[0] > 0 && strings.ContainsRune(".-/", rune(t.Str[m[0]-1]))) {
			continue
		}
		if rest := t.Str[m[1]:]; rest != "" && (isDigit(rune(rest[0])) ||
			(len(rest) > 1 && strings.ContainsRune(".-/", rune(rest[0])) && isDigit(rune(rest[1])))) {
			continue
		}
		y, _ := strconv.Atoi(t.Str[m[2]:m[3]])
		mo, _ := strconv.Atoi(t.Str[m[6]:m[7]])
		d, _ := strconv.Atoi(t.Str[m[10]:m[11]])
		if mo < 1 || mo > 12 || d < 1 || d > 31 {
			continue
		}
		s, e := t.Span(m[0], m[1])
		if overlaps(s, e) {
			continue
		}
		add(mention(t, s, e, y, mo, d))
	}
	for _, m := range sieveDateMD.FindAllStringSubmatchIndex(t.Str, -1) {
		s, e := t.Span(m[0], m[1])
		if digitBefore(m[0]) || overlaps(s, e) {
			continue
		}
		mo, _ := strconv.Atoi(t.Str[m[2]:m[3]])
		d, _ := strconv.Atoi(t.Str[m[4]:m[5]])
		if mo < 1 || mo > 12 {
			continue // 编号32月…: a number, not a month
		}
		dm := mention(t, s, e, 0, mo, d)
		dm.padded = padded(t.Str[m[2]:m[3]]) || padded(t.Str[m[4]:m[5]])
		add(dm)
	}
	for _, m := range sieveDateCMD.FindAllStringSubmatchIndex(t.Str, -1) {
		s, e := t.Span(m[0], m[1])
		if overlaps(s, e) || (s > 0 && cnDigit(t.Runes[s-1]) >= 0) {
			continue
		}
		mo, ok1 := cnSmall(t.Str[m[2]:m[3]])
		d, ok2 := cnSmall(t.Str[m[4]:m[5]])
		if !ok1 || !ok2 {
			continue
		}
		add(mention(t, s, e, 0, mo, d))
	}
	// Sort by position: the searches above ran one format at a time.
	sortMentions(out)
	return out
}

func mention(t *ntext, s, e, y, mo, d int) dateMention {
	if lunarBefore(t.Runes, s) {
		// A lunar month has 29 or 30 days, and its days are not the
		// Gregorian calendar's: 农历二月三十 exists.
		valid := mo >= 1 && mo <= 12 && d >= 1 && d <= 30
		return dateMention{start: s, end: e, year: y, month: mo, day: d, valid: valid, lunar: true, text: t.slice(s, e)}
	}
	valid := mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo)
	return dateMention{start: s, end: e, year: y, month: mo, day: d, valid: valid, text: t.slice(s, e)}
}

// lunarBefore reports whether the words just before offset s say that a
// lunar date follows: 农历, 阴历, 夏历 or 旧历.
func lunarBefore(rs []rune, s int) bool {
	before := string(rs[max(0, s-4):s])
	return strings.Contains(before, "农历") || strings.Contains(before, "阴历") ||
		strings.Contains(before, "夏历") || strings.Contains(before, "旧历")
}

// padded reports whether a month or day is written with a leading zero.
func padded(s string) bool { return len(s) == 2 && s[0] == '0' }

func sortMentions(ds []dateMention) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].start < ds[j-1].start; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// Words around a future date that say it is meant to lie ahead: a deadline,
// a start, an effective date. Such a date is expected in a notice and draws no
// finding; a future date without them (本机关于2030年…作出) is likely a typo.
var (
	forwardBefore = []string{"截止", "截至", "至", "到", "自", "从", "将于", "将在", "计划", "预计", "拟于", "拟在",
		"有效期", "报名", "考试", "笔试", "面试", "开始", "期间", "起止", "时限", "届时", "之前", "以前", "前", "公示"}
	forwardAfter = []string{"前", "起", "止", "截止", "之前", "以前", "开始", "施行", "实施", "生效", "举行", "举办",
		"进行", "召开", "报名", "结束", "期间", "到期", "为止", "至", "到", "—", "-", "～", "~"}
)

// forwardLooking reports whether the words around the mention make a future date expected.
func forwardLooking(t *ntext, d dateMention) bool {
	before := t.slice(max(0, d.start-12), d.start)
	after := t.slice(d.end, min(len(t.Runes), d.end+8))
	for _, w := range forwardBefore {
		if strings.Contains(before, w) {
			return true
		}
	}
	for _, w := range forwardAfter {
		if strings.HasPrefix(strings.TrimLeft(after, " \t\u3000，,的"), w) {
			return true
		}
	}
	return false
}

// dateFindings checks every date of a field: an impossible day blocks (a
// published 2月30日 is an accuracy error the officer must fix); a day after
// today warns unless its words make it a deadline or an effective date. The
// mention at skipFuture (the penalty's decision date) is judged by its own,
// stricter rule instead. A weekday that contradicts its date warns, and a
// month or day written with a leading zero (2024年03月05日) is given the form
// of GB/T 9704-2012 §7.3.5.1 (2024年3月5日) as a suggestion. Lunar dates are
// only checked to exist in the lunar calendar.
func dateFindings(t *ntext, dates []dateMention, today time.Time, skipFuture int) []domain.Finding {
	var fs []domain.Finding
	weekdays, zeros := 0, 0
	for _, d := range dates {
		if len(fs) >= maxPerRule {
			break
		}
		switch {
		case !d.valid && d.lunar:
			fs = append(fs, t.finding("date_invalid", domain.SeverityBlock, d.start, d.end,
				fmt.Sprintf("农历日期“%s”不存在（农历月份为1至12月，每月至多30日），请核对。", d.text),
				fmt.Sprintf("The lunar date %q does not exist (lunar months run 1-12, with at most 30 days); check it.", d.text), ""))
		case !d.valid:
			fs = append(fs, t.finding("date_invalid", domain.SeverityBlock, d.start, d.end,
				fmt.Sprintf("日期“%s”不存在（%d月没有%d日），请核对。", d.text, d.month, d.day),
				fmt.Sprintf("The date %q does not exist (month %d has no day %d); check it.", d.text, d.month, d.day), ""))
		case d.lunar:
		case d.year != 0 && d.date().After(today) && d.start != skipFuture && !forwardLooking(t, d):
			fs = append(fs, t.finding("date_future", domain.SeverityWarn, d.start, d.end,
				fmt.Sprintf("日期“%s”晚于今天（%s），如非截止或生效日期，请核对是否笔误。", d.text, today.Format(domain.DateLayout)),
				fmt.Sprintf("The date %q is after today (%s); unless it is a deadline or an effective date, check for a typo.", d.text, today.Format(domain.DateLayout)), ""))
		}
		if !d.valid || d.lunar {
			continue
		}
		if d.full() && weekdays < maxPerRule {
			if ws, we, got, ok := weekdayAfter(t.Runes, d.end); ok && got != d.date().Weekday() {
				weekdays++
				want := weekdayNames[d.date().Weekday()]
				written := t.slice(ws, we)
				fs = append(fs, t.finding("date_weekday_mismatch", domain.SeverityWarn, ws, we,
					fmt.Sprintf("“%s”与日期“%s”不符：该日是%s，请核对日期和星期。", written, d.text, want),
					fmt.Sprintf("%q does not match the date %q, which is a %s; check the date and the weekday.", written, d.text, d.date().Weekday()),
					t.slice(ws, we-1)+string([]rune(want)[2:])))
			}
		}
		if d.padded && zeros < maxPerRule {
			zeros++
			form := fmt.Sprintf("%d月%d日", d.month, d.day)
			if d.year != 0 {
				form = fmt.Sprintf("%d年", d.year) + form
			}
			fs = append(fs, t.finding("date_leading_zero", domain.SeverityWarn, d.start, d.end,
				fmt.Sprintf("日期“%s”的月、日不编虚位（GB/T 9704-2012 第7.3.5.1条），应为“%s”。", d.text, form),
				fmt.Sprintf("The date %q pads the month or day with a zero; GB/T 9704-2012 §7.3.5.1 writes %q.", d.text, form), form))
		}
	}
	return fs
}

// weekdayNames are the weekdays as a date in Chinese writes them.
var weekdayNames = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// weekdayAfter reads a weekday written right after a date, with or without
// brackets: （星期三）, 星期三, (周三), 礼拜三. It returns where the weekday word
// stands (without the brackets) and which day it names.
func weekdayAfter(rs []rune, i int) (start, end int, day time.Weekday, ok bool) {
	for i < len(rs) && rs[i] == ' ' {
		i++
	}
	if i < len(rs) && rs[i] == '(' {
		i++
	}
	start = i
	switch {
	case hasPrefixAt(rs, i, "星期"), hasPrefixAt(rs, i, "礼拜"):
		i += 2
	case hasPrefixAt(rs, i, "周"):
		i++
	default:
		return 0, 0, 0, false
	}
	if i >= len(rs) {
		return 0, 0, 0, false
	}
	n := strings.IndexRune("日一二三四五六", rs[i])
	switch {
	case rs[i] == '天':
		day = time.Sunday
	case n >= 0:
		day = time.Weekday(utf8.RuneCountInString("日一二三四五六"[:n]))
	default:
		return 0, 0, 0, false
	}
	return start, i + 1, day, true
}

var (
	// reSignOrgan is the organ before the date of a signature on one line
	// (北京市东城区市场监督管理局　2024年3月5日), on the normalised text.
	reSignOrgan = regexp.MustCompile(`^[ \t]*` + signOrganPattern + `[ \t]*` + sealPattern + `[ \t]*$`)

	reDecisionLabel = regexp.MustCompile(`(?:处罚决定日期|作出处罚决定的?日期|作出决定的?日期|决定日期|处罚日期)` + blankPattern + `[：:]?` + blankPattern)
	decisionNotYet  = []string{"告知", "听证", "立案", "通知", "责令"}

	// Every label ends in 日期.
	sieveDecisionLabel = runetext.NewSieve(reDecisionLabel, "期")
)

// DecisionDate finds the date a penalty decision was made in its body: the
// date after a label (决定日期：), else the date alone on a line or after the
// organ's name on its line (the date of the signature, 落款, which is the
// decision's date), else the last date
// followed by 作出…决定 that is not an earlier step (告知, 听证, 立案 …).
// start and end are rune offsets into body.
//
// It is exported because stage 2 computes the publication period from the
// same date that stage 1 has validated: one definition, so the two stages
// never disagree about when a decision was made.
func DecisionDate(body string) (date time.Time, start, end int, ok bool) {
	t := newNText(fieldBody, normal.New(body))
	if d, found := decisionDate(t, findDates(t)); found {
		start, end = t.Source(d.start, d.end)
		return d.date(), start, end, true
	}
	return time.Time{}, -1, -1, false
}

func decisionDate(t *ntext, dates []dateMention) (dateMention, bool) {
	var full []dateMention
	for _, d := range dates {
		if d.full() {
			full = append(full, d)
		}
	}
	// 1. A labelled date.
	for _, m := range sieveDecisionLabel.FindAllStringIndex(t.Str, -1) {
		_, e := t.Span(m[0], m[1])
		for _, d := range full {
			if d.start == e {
				return d, true
			}
		}
	}
	// 2. The last date alone on its line.
	var sig *dateMention
	for i, d := range full {
		ls, le := d.start, d.end
		for ls > 0 && !isLineBreak(t.Runes[ls-1]) {
			ls--
		}
		for le < len(t.Runes) && !isLineBreak(t.Runes[le]) {
			le++
		}
		if blank(t.slice(d.end, le)) && (blank(t.slice(ls, d.start)) || reSignOrgan.MatchString(t.slice(ls, d.start))) {
			sig = &full[i]
		}
	}
	if sig != nil {
		return *sig, true
	}
	// 3. The last date followed by 作出 … 决定 in the same clause.
	var made *dateMention
	for i, d := range full {
		after := t.slice(d.end, min(len(t.Runes), d.end+12))
		k := strings.Index(after, "作出")
		if k < 0 {
			continue
		}
		clause := t.slice(d.end+utf8.RuneCountInString(after[:k]), len(t.Runes))
		if j := strings.IndexAny(clause, "，,。；;\n"); j >= 0 {
			clause = clause[:j]
		}
		if !strings.Contains(clause, "决定") {
			continue
		}
		earlier := false
		for _, w := range decisionNotYet {
			if strings.Contains(clause, w) {
				earlier = true
			}
		}
		if !earlier {
			made = &full[i]
		}
	}
	if made != nil {
		return *made, true
	}
	return dateMention{}, false
}
