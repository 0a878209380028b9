package calendar

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Year is one year of holiday arrangements, as an admin adds it when the
// embedded data does not cover the year yet. It holds the facts a year of
// cn-holidays.json holds, and marshals to the same JSON shape
// ({"off": [...], "workdays": [...]}, dates as 2006-01-02), so a stored year
// reads like an embedded one.
type Year struct {
	// Year is the map key in cn-holidays.json, not part of the JSON: set it
	// before or after decoding.
	Year int
	// Off is every day of each holiday block that falls in Year, weekends
	// included; Workdays is the weekend days of Year made working days (调休).
	// Both are civil dates at midnight UTC, ascending, without repeats.
	Off, Workdays []time.Time
	// Holidays is the notice line by line, for the preview. It is nil for a
	// date list and for a Year decoded from JSON.
	Holidays []Holiday
}

// Holiday is one line of a notice as the preview shows it.
type Holiday struct {
	Name string
	Line int // 1-based, in the pasted text
	// Off is the whole block, even days of an adjacent year when it crosses
	// the year's edge (those are not in Year.Off); Workdays is its make-up
	// working days as the line lists them.
	Off, Workdays []time.Time
}

// Problem is what an admin must see in the preview before confirming a year.
// Any problem that is not a warning stops the year from being saved.
type Problem struct {
	Code      string `json:"code"`
	Warning   bool   `json:"warning,omitempty"`
	Line      int    `json:"line,omitempty"` // 1-based line of a notice; 0 for a date list
	MessageZH string `json:"message_zh"`
	MessageEN string `json:"message_en"`
}

// Problem codes.
const (
	ProblemUnreadable        = "unreadable"          // a holiday line or a listed date that cannot be read
	ProblemTitleYear         = "title-year"          // the title names another year
	ProblemWeekday           = "weekday"             // the weekday in brackets is not the date's
	ProblemCount             = "count"               // 共N天 is not the length of the block
	ProblemWorkdayNotWeekend = "workday-not-weekend" // a 上班 day that is a working day anyway
	ProblemOffAndWork        = "off-and-work"        // a day both off and worked
	ProblemWrongYear         = "wrong-year"          // a date outside the year
	ProblemOtherYear         = "other-year"          // warning: a holiday crossing the year's edge
	ProblemDuplicate         = "duplicate"           // warning: a day listed twice
	ProblemIgnored           = "ignored"             // warning: a sentence's dates are neither off nor worked
)

// Error is a text or a year the calendar does not take as a whole (no
// holiday line, a gap between years), said in both languages as a Problem
// is, so that a page shows its reader's and a log both.
type Error struct {
	Code      string // what is wrong (the Error codes)
	MessageZH string
	MessageEN string
}

func (e *Error) Error() string { return e.MessageZH + " (" + e.MessageEN + ")" }

// Error codes.
const (
	ErrorInvalidYear = "invalid-year" // not a year from 1 to 9999
	ErrorTooLong     = "too-long"     // a text far longer than a notice
	ErrorNoHolidays  = "no-holidays"  // a notice without a holiday line
	ErrorNoDaysOff   = "no-days-off"  // a date list, or a year, without a day off
	ErrorYearTwice   = "year-twice"   // a year given twice to WithYears
	ErrorOtherYear   = "other-year"   // a year's date in another year
	ErrorYearMissing = "year-missing" // a gap between the years covered
)

func refuse(code, zh, en string) error { return &Error{Code: code, MessageZH: zh, MessageEN: en} }

// Blocking reports whether any problem stops the year from being saved.
func Blocking(ps []Problem) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return !p.Warning })
}

// maxText bounds a pasted text: a notice is about 2 KB.
const maxText = 64 << 10

// maxBlock bounds a holiday block's length; no holiday is longer, and a
// longer range is a typing error.
const maxBlock = 31

var (
	reNumbering = regexp.MustCompile(`^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十0-9]+\)[、.]?|[0-9]+[、.)])`)
	reHead      = regexp.MustCompile(`^([\p{Han}、,]+):(.*)$`)
	reTitleYear = regexp.MustCompile(`关于([0-9]{4})年部分节假日安排`)
	reDate      = regexp.MustCompile(`^(?:([0-9]{4})年)?(?:([0-9]{1,2})月)?([0-9]{1,2})日`)
	reAnyDate   = regexp.MustCompile(`[0-9]{1,2}月[0-9]{1,2}日`)
	reNote      = regexp.MustCompile(`^\(([^()]*)\)`)
	reTo        = regexp.MustCompile(`^(?:至|到|—+|-|~|〜)`)
	reDays      = regexp.MustCompile(`^([0-9]{1,3})天`)
	reWeekday   = regexp.MustCompile(`(?:周|星期|礼拜)([一二三四五六日天])`)
	reListItem  = regexp.MustCompile(`^(?:([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})|(?:([0-9]{4})年)?([0-9]{1,2})月([0-9]{1,2})日)(?:\s*\(([^()]*)\))?`)
)

// ParseNotice reads the State Council's annual notice (国务院办公厅关于XXXX年部分
// 节假日安排的通知) as pasted: one holiday per numbered line, its days off with
// the weekday in brackets, then its make-up working days. The title, preamble
// and signature are skipped. The error (an *Error) is for a text with no
// holiday line at all, or not a year; everything else is a Problem, and the
// Year is returned for the preview even when some problem blocks it.
func ParseNotice(year int, text string) (Year, []Problem, error) {
	if err := checkInput(year, text); err != nil {
		return Year{}, nil, err
	}
	b := &builder{year: year}
	var holidays []Holiday
	seen := false
	for i, raw := range strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(text), "\n") {
		n, line := i+1, normalize(raw)
		if m := reTitleYear.FindStringSubmatch(line); m != nil && m[1] != strconv.Itoa(year) {
			b.add(ProblemTitleYear, false, n, fmt.Sprintf("第%d行：标题是%s年的通知，录入的却是%d年。", n, m[1], year),
				fmt.Sprintf("line %d: the title is the notice for %s, but the year entered is %d.", n, m[1], year))
		}
		number := reNumbering.FindString(line)
		body := line[len(number):]
		head := reHead.FindStringSubmatch(body)
		if !(head != nil && hasKeyword(head[2]) || reAnyDate.MatchString(body) && (number != "" || hasKeyword(body))) {
			continue // the title, the preamble, the closing words, the signature
		}
		seen = true
		if head == nil {
			b.unreadable(n, raw, "没有“假期名称：”", "no “holiday name:”")
			continue
		}
		h, ok := b.line(n, raw, head[1], head[2])
		if ok {
			holidays = append(holidays, h)
		}
	}
	if !seen {
		return Year{}, nil, refuse(ErrorNoHolidays, "没有找到节假日安排：每个假期应单独一行，如“一、元旦：1月1日（周三）放假1天，不调休。”", "no holiday lines found")
	}
	y := b.finish()
	y.Holidays = holidays
	return y, b.problems, nil
}

// ParseDateList reads a year given as lists of dates instead of a notice:
// the days off (every day of each block, weekends included) and the weekend
// days made working days, one a line or separated by commas or 、, written as
// 2027-01-01, 2027/1/1 or 1月1日 (optionally followed by the weekday in
// brackets, which is checked). The error (an *Error) is for lists with no
// day off and nothing wrong to show instead, or not a year.
func ParseDateList(year int, off, workdays string) (Year, []Problem, error) {
	if err := checkInput(year, off+workdays); err != nil {
		return Year{}, nil, err
	}
	b := &builder{year: year}
	for _, l := range []struct {
		text   string
		work   bool
		zh, en string
	}{{off, false, "放假日期", "days off"}, {workdays, true, "上班日期", "working days"}} {
		s := strings.Map(dropInvisible, width.Fold.String(l.text))
		for {
			s = strings.TrimLeftFunc(s, isListSeparator)
			if s == "" {
				break
			}
			m := reListItem.FindStringSubmatch(s)
			if m == nil || len(s) > len(m[0]) && !isListSeparator(firstRune(s[len(m[0]):])) {
				end := strings.IndexFunc(s, isListSeparator)
				if end < 0 {
					end = len(s)
				}
				b.add(ProblemUnreadable, false, 0, fmt.Sprintf("%s中有无法识别的日期：「%s」。日期应写成2027-01-01、2027/1/1或1月1日。", l.zh, quote(s[:end])),
					fmt.Sprintf("%s: cannot read “%s”; write dates as 2027-01-01, 2027/1/1 or 1月1日.", l.en, quote(s[:end])))
				s = s[end:]
				continue
			}
			s = s[len(m[0]):]
			ref := dateRef{weekdays: weekdayClaims(m[7])}
			ref.year, ref.month, ref.day = atoi(m[1]+m[4]), atoi(m[2]+m[5]), atoi(m[3]+m[6])
			where := place{zh: l.zh, en: "the " + l.en}
			d, ok := ref.resolve(year, 0)
			if !ok {
				b.add(ProblemUnreadable, false, 0, fmt.Sprintf("%s：%s不存在。", where.zh, quote(m[0])), fmt.Sprintf("%s: %s does not exist.", where.en, quote(m[0])))
				continue
			}
			b.checkWeekdays(where, ref, d)
			if d.Year() != year {
				b.add(ProblemWrongYear, false, 0, fmt.Sprintf("%s：%s不在%d年。", where.zh, cnDate(d), year),
					fmt.Sprintf("%s: %s is not in %d.", where.en, d.Format(time.DateOnly), year))
				continue
			}
			b.entries = append(b.entries, entry{day: d, work: l.work, where: where})
		}
	}
	y := b.finish()
	if len(y.Off) == 0 && len(b.problems) == 0 {
		return Year{}, nil, refuse(ErrorNoDaysOff, "没有列出放假日期", "no days off listed")
	}
	return y, b.problems, nil
}

// WithYears returns a calendar of c's years and ys. A year in ys replaces
// the same year of c (a corrected or supplementary notice). The years must
// stay contiguous: a missing year between two covered ones would count as
// covered, with no holidays. c is left as it was. The error is an *Error.
func (c *Calendar) WithYears(ys ...Year) (*Calendar, error) {
	tb := c.t.Load()
	n := &tables{off: map[int]bool{}, work: map[int]bool{}, first: tb.first, end: tb.end}
	given := map[int]bool{}
	for _, y := range ys {
		switch {
		case y.Year < 1 || y.Year > 9999:
			return nil, refuse(ErrorInvalidYear, fmt.Sprintf("年份%d无效", y.Year), fmt.Sprintf("invalid year %d", y.Year))
		case given[y.Year]:
			return nil, refuse(ErrorYearTwice, fmt.Sprintf("%d年给了两次", y.Year), fmt.Sprintf("year %d given twice", y.Year))
		case len(y.Off) == 0:
			return nil, refuse(ErrorNoDaysOff, fmt.Sprintf("%d年没有放假日期", y.Year), fmt.Sprintf("year %d has no days off", y.Year))
		}
		given[y.Year] = true
		for _, d := range slices.Concat(y.Off, y.Workdays) {
			if d.Year() != y.Year {
				return nil, refuse(ErrorOtherYear, fmt.Sprintf("%s不在%d年", cnDate(d), y.Year), fmt.Sprintf("%s is not in %d", d.Format(time.DateOnly), y.Year))
			}
		}
		if n.first == 0 || y.Year < n.first {
			n.first = y.Year
		}
		n.end = max(n.end, y.Year)
	}
	for y := n.first; n.first != 0 && y <= n.end; y++ {
		if !given[y] && (tb.first == 0 || y < tb.first || y > tb.end) {
			return nil, refuse(ErrorYearMissing, fmt.Sprintf("缺少%d年的节假日安排：%d年至%d年的每一年都要有", y, n.first, n.end), fmt.Sprintf("year %d is missing", y))
		}
	}
	for k := range tb.off {
		if !given[k/10000] {
			n.off[k] = true
		}
	}
	for k := range tb.work {
		if !given[k/10000] {
			n.work[k] = true
		}
	}
	for _, y := range ys {
		for _, d := range y.Off {
			n.off[dayKey(d)] = true
		}
		for _, d := range y.Workdays {
			n.work[dayKey(d)] = true
		}
	}
	n.adjust()
	return newCalendar(n), nil
}

// yearJSON is a year of cn-holidays.json.
type yearJSON struct {
	Off      []string `json:"off"`
	Workdays []string `json:"workdays"`
}

// MarshalJSON writes y as a year of cn-holidays.json.
func (y Year) MarshalJSON() ([]byte, error) {
	format := func(ds []time.Time) []string {
		s := make([]string, 0, len(ds))
		for _, d := range ds {
			s = append(s, d.Format(time.DateOnly))
		}
		return s
	}
	return json.Marshal(yearJSON{format(y.Off), format(y.Workdays)})
}

// UnmarshalJSON reads a year of cn-holidays.json; y.Year is left as it was.
func (y *Year) UnmarshalJSON(data []byte) error {
	var j yearJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("error parsing holiday year: %w", err)
	}
	parse := func(ss []string) ([]time.Time, error) {
		ds := make([]time.Time, 0, len(ss))
		for _, s := range ss {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return nil, fmt.Errorf("error parsing holiday year: %w", err)
			}
			ds = append(ds, d)
		}
		return sortedDays(ds), nil
	}
	off, err := parse(j.Off)
	if err != nil {
		return err
	}
	work, err := parse(j.Workdays)
	if err != nil {
		return err
	}
	y.Off, y.Workdays, y.Holidays = off, work, nil
	return nil
}

func checkInput(year int, text string) error {
	switch {
	case year < 1 || year > 9999:
		return refuse(ErrorInvalidYear, fmt.Sprintf("年份%d无效", year), fmt.Sprintf("invalid year %d", year))
	case len(text) > maxText:
		return refuse(ErrorTooLong, fmt.Sprintf("文本超过%d KB，不像一份节假日通知", maxText>>10), fmt.Sprintf("text longer than %d KB", maxText>>10))
	}
	return nil
}

// place says where a date was read, for messages.
type place struct {
	line   int
	zh, en string
}

// entry is one day read: off or worked, and where.
type entry struct {
	day   time.Time
	work  bool
	where place
}

// builder gathers the days read and the problems found, and makes the Year.
type builder struct {
	year     int
	entries  []entry
	problems []Problem
}

func (b *builder) add(code string, warning bool, line int, zh, en string) {
	b.problems = append(b.problems, Problem{Code: code, Warning: warning, Line: line, MessageZH: zh, MessageEN: en})
}

func (b *builder) unreadable(n int, raw, zh, en string) {
	b.add(ProblemUnreadable, false, n, fmt.Sprintf("第%d行像是节假日安排，但无法识别（%s）：「%s」", n, zh, quote(raw)),
		fmt.Sprintf("line %d looks like a holiday line but cannot be read (%s): “%s”", n, en, quote(raw)))
}

// dateRef is a date as written; year and month are 0 when left out.
type dateRef struct {
	year, month, day int
	weekdays         []string // the weekdays in the brackets after it, as written
}

// resolve makes the civil date, taking year and month from the defaults when
// the text leaves them out; ok is false for a day that does not exist.
func (r dateRef) resolve(year, month int) (time.Time, bool) {
	if r.year != 0 {
		year = r.year
	}
	if r.month != 0 {
		month = r.month
	}
	d := time.Date(year, time.Month(month), r.day, 0, 0, 0, 0, time.UTC)
	y, m, dd := d.Date()
	return d, year >= 1 && year <= 9999 && y == year && int(m) == month && dd == r.day
}

// span is a date or a range as written.
type span struct {
	from dateRef
	to   *dateRef
}

// scanned is a holiday line's text, read but not yet resolved to dates.
type scanned struct {
	block   *span
	adjoin  bool // 与周末连休: the block takes in the weekend next to it
	count   int  // 共N天 or 放假N天; 0 when not said
	work    []span
	ignored []string // sentences whose dates are neither off nor worked
}

// scan reads a holiday line's text after the name; why says, in Chinese and
// English, what could not be read.
func scan(rest string) (sc scanned, whyZH, whyEN string) {
	for sentence := range strings.FieldsFuncSeq(rest, func(r rune) bool { return r == '。' || r == ';' || r == '.' }) {
		var pending []span
		unused := false
		// takeBlock makes the dates before 放假 or 连休 the block; a second
		// 放假 after the block's, as in 放假，与周末连休, adds nothing.
		takeBlock := func() (whyZH, whyEN string) {
			switch {
			case len(pending) == 1 && sc.block == nil:
				sc.block, pending = &pending[0], nil
			case len(pending) == 0 && sc.block == nil:
				return "没有放假日期", "no days off"
			case len(pending) > 0:
				return "放假日期应写成一段", "the days off must be one range"
			}
			return "", ""
		}
		for s := sentence; s != ""; {
			if reDate.MatchString(s) {
				sp, n := scanSpan(s)
				pending = append(pending, sp)
				s = s[n:]
				continue
			}
			switch {
			case strings.HasPrefix(s, "与周末连休"), strings.HasPrefix(s, "连休"):
				if zh, en := takeBlock(); zh != "" {
					return sc, zh, en
				}
				sc.adjoin = true
				s = s[strings.Index(s, "连休")+len("连休"):]
			case strings.HasPrefix(s, "放假"):
				if zh, en := takeBlock(); zh != "" {
					return sc, zh, en
				}
				s = s[len("放假"):]
				if m := reDays.FindStringSubmatch(s); m != nil {
					sc.count, s = atoi(m[1]), s[len(m[0]):]
				}
			case strings.HasPrefix(s, "共"):
				s = s[len("共"):]
				if m := reDays.FindStringSubmatch(s); m != nil {
					sc.count, s = atoi(m[1]), s[len(m[0]):]
				}
			case strings.HasPrefix(s, "上班"):
				if len(pending) == 0 {
					return sc, "“上班”前没有日期", "no date before 上班"
				}
				sc.work, pending = append(sc.work, pending...), nil
				s = s[len("上班"):]
			default:
				if m := reNote.FindStringSubmatch(s); m != nil { // a bracket not after a date: 除夕（2月9日）
					unused = unused || reAnyDate.MatchString(m[1])
					s = s[len(m[0]):]
					continue
				}
				_, size := utf8.DecodeRuneInString(s)
				s = s[size:]
			}
		}
		if len(pending) > 0 || unused {
			sc.ignored = append(sc.ignored, sentence)
		}
	}
	if sc.block == nil {
		return sc, "没有放假日期", "no days off"
	}
	return sc, "", ""
}

// scanSpan reads a date, its bracket and, after 至, the range's end; n is
// the length read.
func scanSpan(s string) (sp span, n int) {
	ref := func() dateRef { // s[n:] starts with a date
		m := reDate.FindStringSubmatch(s[n:])
		n += len(m[0])
		r := dateRef{year: atoi(m[1]), month: atoi(m[2]), day: atoi(m[3])}
		if note := reNote.FindStringSubmatch(s[n:]); note != nil {
			n += len(note[0])
			r.weekdays = weekdayClaims(note[1])
		}
		return r
	}
	sp.from = ref()
	if to := reTo.FindString(s[n:]); to != "" && reDate.MatchString(s[n+len(to):]) {
		n += len(to)
		end := ref()
		sp.to = &end
	}
	return sp, n
}

// line resolves and checks a holiday line; ok is false when it cannot be read.
func (b *builder) line(n int, raw, name, rest string) (h Holiday, ok bool) {
	sc, whyZH, whyEN := scan(rest)
	if whyZH != "" {
		b.unreadable(n, raw, whyZH, whyEN)
		return h, false
	}
	where := place{line: n, zh: fmt.Sprintf("第%d行“%s”", n, name), en: fmt.Sprintf("line %d (%s)", n, name)}
	from, to, whyZH, whyEN := resolveSpan(*sc.block, b.year, 0)
	if whyZH != "" {
		b.unreadable(n, raw, whyZH, whyEN)
		return h, false
	}
	b.checkWeekdays(where, sc.block.from, from)
	if sc.block.to != nil {
		b.checkWeekdays(where, *sc.block.to, to)
	}
	h = Holiday{Name: name, Line: n, Off: days(from, to)}
	if sc.adjoin {
		for wd := from.AddDate(0, 0, -1); isWeekend(wd); wd = wd.AddDate(0, 0, -1) {
			h.Off = append([]time.Time{wd}, h.Off...)
		}
		for wd := to.AddDate(0, 0, 1); isWeekend(wd); wd = wd.AddDate(0, 0, 1) {
			h.Off = append(h.Off, wd)
		}
	}
	if sc.count != 0 && sc.count != len(h.Off) {
		first, last := h.Off[0], h.Off[len(h.Off)-1]
		b.add(ProblemCount, false, n, fmt.Sprintf("%s：写明共%d天，但%s至%s是%d天。", where.zh, sc.count, cnDate(first), cnDate(last), len(h.Off)),
			fmt.Sprintf("%s: says %d days, but %s to %s is %d days.", where.en, sc.count, first.Format(time.DateOnly), last.Format(time.DateOnly), len(h.Off)))
	}
	for _, sp := range sc.work {
		// A make-up day without a year is taken in the block's year nearest the block.
		var wfrom, wto time.Time
		best := -1
		for _, y := range []int{from.Year(), to.Year()} {
			f, t, zh, en := resolveSpan(sp, y, 0)
			if zh != "" {
				b.unreadable(n, raw, zh, en)
				return h, false
			}
			if dist := max(dayNumber(from)-dayNumber(t), dayNumber(f)-dayNumber(to), 0); best < 0 || dist < best {
				wfrom, wto, best = f, t, dist
			}
		}
		b.checkWeekdays(where, sp.from, wfrom)
		if sp.to != nil {
			b.checkWeekdays(where, *sp.to, wto)
		}
		h.Workdays = append(h.Workdays, days(wfrom, wto)...)
	}
	h.Workdays = sortedDays(h.Workdays)
	for _, s := range sc.ignored {
		b.add(ProblemIgnored, true, n, fmt.Sprintf("%s：这句话里的日期既不是放假日也不是上班日，未录入：「%s」", where.zh, quote(s)),
			fmt.Sprintf("%s: the dates in this sentence are neither days off nor working days, and are left out: “%s”", where.en, quote(s)))
	}
	b.take(where, h)
	return h, true
}

// take adds a holiday's days to the ones checked across lines. A day of an
// adjacent year is accepted (checked and shown, never stored in this year)
// only when the holiday reaches the year's edge on that side: 元旦 from 30
// December, or the 29 December worked for 2008's 元旦.
func (b *builder) take(where place, h Holiday) {
	jan1 := time.Date(b.year, 1, 1, 0, 0, 0, 0, time.UTC)
	dec31 := time.Date(b.year, 12, 31, 0, 0, 0, 0, time.UTC)
	reachesJan, reachesDec := !h.Off[0].After(jan1) && !h.Off[len(h.Off)-1].Before(jan1), !h.Off[0].After(dec31) && !h.Off[len(h.Off)-1].Before(dec31)
	var edge, wrong []time.Time
	matters := false
	for _, l := range []struct {
		ds   []time.Time
		work bool
	}{{h.Off, false}, {h.Workdays, true}} {
		for _, d := range l.ds {
			switch {
			case d.Year() == b.year:
			case d.Year() == b.year-1 && reachesJan, d.Year() == b.year+1 && reachesDec:
				edge = append(edge, d)
				matters = matters || isWeekend(d) == l.work
			default:
				wrong = append(wrong, d)
				continue
			}
			b.entries = append(b.entries, entry{day: d, work: l.work, where: where})
		}
	}
	if len(edge) > 0 {
		edge = sortedDays(edge)
		zh := fmt.Sprintf("%s：%s不在%d年。这个假期跨年，这些日期只在预览中显示，不计入%d年的数据", where.zh, cnDates(edge), b.year, b.year)
		en := fmt.Sprintf("%s: %s not in %d. The holiday crosses the year's edge; these dates are shown here but not stored with %d", where.en, enDates(edge), b.year, b.year)
		if matters {
			zh += fmt.Sprintf("；其中有的改变了%d年的工作日，请在%d年的数据中补录。", edge[0].Year(), edge[0].Year())
			en += fmt.Sprintf("; some of them change working days of %d: add them to %d's data.", edge[0].Year(), edge[0].Year())
		} else {
			zh += "；它们都是周末，不影响工作日。"
			en += "; they are weekend days and change no working day."
		}
		b.add(ProblemOtherYear, true, where.line, zh, en)
	}
	if len(wrong) > 0 {
		b.add(ProblemWrongYear, false, where.line, fmt.Sprintf("%s：%s不在%d年。", where.zh, cnDates(wrong), b.year),
			fmt.Sprintf("%s: %s not in %d.", where.en, enDates(wrong), b.year))
	}
}

// resolveSpan makes a span's dates: the start takes year and month from the
// defaults when left out, the end from the start, and an end month before
// the start's is in the next year (12月30日至1月1日).
func resolveSpan(sp span, year, month int) (from, to time.Time, whyZH, whyEN string) {
	if sp.from.month == 0 && month == 0 {
		return from, to, "日期缺少月份", "a date without its month"
	}
	from, ok := sp.from.resolve(year, month)
	if !ok {
		return from, to, fmt.Sprintf("%d月%d日不存在", sp.from.month, sp.from.day), "a date that does not exist"
	}
	to = from
	if sp.to != nil {
		y := from.Year()
		if sp.to.year == 0 && sp.to.month != 0 && sp.to.month < int(from.Month()) {
			y++
		}
		if to, ok = sp.to.resolve(y, int(from.Month())); !ok {
			return from, to, "区间的结束日期不存在", "the range's end does not exist"
		}
	}
	switch n := dayNumber(to) - dayNumber(from) + 1; {
	case n < 1:
		return from, to, "区间的结束早于开始", "the range ends before it starts"
	case n > maxBlock:
		return from, to, fmt.Sprintf("区间长达%d天", n), fmt.Sprintf("a range of %d days", n)
	}
	return from, to, "", ""
}

// checkWeekdays compares the weekdays written after a date with the date's.
func (b *builder) checkWeekdays(where place, r dateRef, d time.Time) {
	for _, w := range r.weekdays {
		if wd := weekdayOf(w); wd != d.Weekday() {
			b.add(ProblemWeekday, false, where.line, fmt.Sprintf("%s：%s写作%s，实为%s。", where.zh, cnDate(d), w, cnWeekday(d.Weekday())),
				fmt.Sprintf("%s: %s is given as %s, but is a %s.", where.en, d.Format(time.DateOnly), wd, d.Weekday()))
		}
	}
}

// finish checks the days across lines and makes the Year of b.year's days.
func (b *builder) finish() Year {
	first := map[[2]int]entry{} // by day and role (0 off, 1 worked), the first entry
	var works []entry
	y := Year{Year: b.year}
	for _, e := range b.entries {
		k := [2]int{dayKey(e.day), 0}
		if e.work {
			k[1] = 1
		}
		if p, dup := first[k]; dup {
			zh, en := fmt.Sprintf("已在%s中列出", p.where.zh), "already listed in "+p.where.en
			if p.where == e.where {
				zh, en = "重复列出", "listed twice"
			}
			b.add(ProblemDuplicate, true, e.where.line, fmt.Sprintf("%s：%s%s。", e.where.zh, cnDate(e.day), zh),
				fmt.Sprintf("%s: %s is %s.", e.where.en, e.day.Format(time.DateOnly), en))
			continue
		}
		first[k] = e
		if e.work {
			works = append(works, e)
		}
		if e.work && !isWeekend(e.day) {
			b.add(ProblemWorkdayNotWeekend, false, e.where.line,
				fmt.Sprintf("%s：上班日%s是%s，本来就是工作日；调休上班日应是周六或周日。", e.where.zh, cnDate(e.day), cnWeekday(e.day.Weekday())),
				fmt.Sprintf("%s: the make-up working day %s is a %s, a working day anyway; make-up days are Saturdays or Sundays.", e.where.en, e.day.Format(time.DateOnly), e.day.Weekday()))
		}
		if e.day.Year() != b.year {
			continue
		}
		if e.work {
			y.Workdays = append(y.Workdays, e.day)
		} else {
			y.Off = append(y.Off, e.day)
		}
	}
	for _, e := range works {
		if p, both := first[[2]int{dayKey(e.day), 0}]; both {
			zh, en := fmt.Sprintf("又在%s中放假", p.where.zh), "and a day off in "+p.where.en
			if p.where == e.where {
				zh, en = "又是放假日", "and a day off"
			}
			b.add(ProblemOffAndWork, false, e.where.line, fmt.Sprintf("%s：%s既是上班日，%s。", e.where.zh, cnDate(e.day), zh),
				fmt.Sprintf("%s: %s is a working day, %s.", e.where.en, e.day.Format(time.DateOnly), en))
		}
	}
	y.Off, y.Workdays = sortedDays(y.Off), sortedDays(y.Workdays)
	return y
}

// normalize folds full-width forms (（）：，０-９) to ASCII and drops every
// space and invisible character, so pasted variants read alike.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return dropInvisible(r)
	}, width.Fold.String(s))
}

func dropInvisible(r rune) rune {
	if unicode.Is(unicode.Cf, r) {
		return -1
	}
	return r
}

func isListSeparator(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(",、;", r) }

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func hasKeyword(s string) bool {
	return strings.Contains(s, "放假") || strings.Contains(s, "上班") || strings.Contains(s, "连休")
}

func weekdayClaims(note string) []string { return reWeekday.FindAllString(note, -1) }

// weekdayRunes names the weekdays, indexed by time.Weekday.
var weekdayRunes = []rune("日一二三四五六")

func weekdayOf(claim string) time.Weekday {
	r, _ := utf8.DecodeLastRuneInString(claim)
	if r == '天' {
		return time.Sunday
	}
	return time.Weekday(slices.Index(weekdayRunes, r))
}

func cnWeekday(w time.Weekday) string { return "周" + string(weekdayRunes[w]) }

func cnDate(d time.Time) string { return fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day()) }

func cnDates(ds []time.Time) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = cnDate(d)
	}
	return strings.Join(s, "、")
}

func enDates(ds []time.Time) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.Format(time.DateOnly)
	}
	if len(s) == 1 {
		return s[0] + " is"
	}
	return strings.Join(s, ", ") + " are"
}

// quote shortens a quoted text for a message.
func quote(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 80 {
		return string([]rune(s)[:80]) + "…"
	}
	return s
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func isWeekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

// days is every day from from to to, both included.
func days(from, to time.Time) []time.Time {
	var ds []time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		ds = append(ds, d)
	}
	return ds
}

func sortedDays(ds []time.Time) []time.Time {
	slices.SortFunc(ds, time.Time.Compare)
	return slices.CompactFunc(ds, time.Time.Equal)
}
