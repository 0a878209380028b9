// Package completeness holds the machine checks of stage 1, 初审: is the draft
// complete and accurate enough to be worth a reviewer's time? No person
// decides this stage, so every rule is mechanical, and a blocking finding
// sends the draft back to its author before anyone reads it.
//
// What blocks and what only warns follows one principle: block what is
// certainly wrong or certainly missing (an empty title, a date that does not
// exist, a penalty decision without its party), warn where the text may be
// right and a person should look (a long title, a date in the future, a name
// spelt two ways).
//
// The limits, and why:
//
//   - Title: empty blocks. Under 5 runes warns: "通知" says nothing in a list
//     of a hundred notices, but a short title is not false. Over 80 runes warns,
//     because website lists and WeChat cards cut it and GB/T 9704 titles are
//     concise; over 200 blocks, because that is the body pasted into the title.
//   - Body: empty blocks; under 20 non-blank runes warns, since a one-line
//     correction notice is legitimate.
//   - formed_on: missing or after today (Beijing's calendar day) blocks: the
//     Article 26 deadline is counted from it.
//   - Category, channels and department: missing or unknown blocks; the
//     routing and the annual report depend on them.
//   - Required fields per category: RequiredFields; a missing one blocks.
//   - Document numbers: DocumentNumbers; warn, block in a normative document.
//     An enforcement document's number keeps its 第 and zeros. A number's year
//     after formed_on's year or after this year warns.
//   - Dates: an impossible date blocks (a lunar one only past day 30 or month
//     12), a future one warns unless its words make it a deadline; a weekday
//     that contradicts its date warns, and so does a zero-padded month or day
//     (GB/T 9704's form is suggested); a penalty's decision date after today
//     blocks, and one after formed_on warns.
//
// Document numbers and dates are read on the text as package normal reads it
// (full-width digits, no-break spaces, invisible characters, traditional
// characters), with offsets mapped back to the original; the other rules
// read the text as written, because how it is written is what they judge.
//   - Obvious errors — unbalanced brackets and quotes, doubled punctuation, an
//     organisation's name spelt two ways — warn.
//
// The Article 26 working-day deadline is not here: it needs the official
// calendar and lives with it.
package completeness

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks/normal"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Title and body length limits, in runes; see the package comment for why.
const (
	titleMinRunes   = 5
	titleWarnRunes  = 80
	titleBlockRunes = 200
	bodyMinRunes    = 20
)

// civilDay is t's calendar day in Beijing at midnight UTC, the way formed_on
// is stored. A time that already is a civil date at midnight UTC stays that day.
func civilDay(t time.Time) time.Time {
	y, m, d := t.In(domain.Beijing).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Check runs every stage 1 rule on a draft and returns its findings with
// Stage = domain.StageCompleteness. Field is "title" or "body" with Start/End
// rune offsets into it (End exclusive), or "" with -1/-1 for a finding about
// the draft as a whole. Findings come sorted: the whole draft, the title, the
// body, each by offset. today is passed in rather than read from the clock so
// that a check can be re-run, and tested, as of a given day; only its Beijing
// calendar day counts.
//
// It is the one entry point the stage 1 worker calls, so that a rule added
// here reaches every draft without touching the worker.
func Check(c domain.Content, today time.Time) []domain.Finding {
	return CheckPrepared(c, today, normal.New(c.Title), normal.New(c.Body))
}

// CheckPrepared is Check with the title and the body already normalised
// (normal.New of c.Title and c.Body), so that a caller that runs other
// detectors on them normalises once.
func CheckPrepared(c domain.Content, today time.Time, normTitle, normBody *normal.Text) []domain.Finding {
	today = civilDay(today)
	title, body := newText(fieldTitle, c.Title), newText(fieldBody, c.Body)
	ntitle, nbody := newNText(fieldTitle, normTitle), newNText(fieldBody, normBody)

	fs := basic(c, title, body, today)
	if domain.ValidCategory(c.Category) {
		fs = append(fs, requiredFields(c.Category, title, body)...)
	}

	bodyDates := findDates(nbody)
	decision := -1
	if c.Category == "penalty" {
		if d, ok := decisionDate(nbody, bodyDates); ok {
			decision = d.start
			fs = append(fs, decisionDateFindings(c, nbody, d, today)...)
		}
	}
	ctx := docContext{category: c.Category, today: today}
	if !c.FormedOn.IsZero() {
		ctx.formed = formedOn(c)
	}
	for _, t := range []*text{title, body} {
		nt, dates, skip := nbody, bodyDates, decision
		if t == title {
			nt, dates, skip = ntitle, findDates(ntitle), -1
		}
		fs = append(fs, docNumbersIn(nt, ctx)...)
		fs = append(fs, dateFindings(nt, dates, today, skip)...)
		fs = append(fs, brackets(t)...)
		fs = append(fs, repeatedPunctuation(t)...)
		fs = append(fs, orgNames(t, c.Department)...)
	}
	fs = dedupe(fs)
	for i := range fs {
		fs[i].Stage = domain.StageCompleteness
	}
	sortFindings(fs)
	return fs
}

// basic is what every draft needs whatever its category.
func basic(c domain.Content, title, body *text, today time.Time) []domain.Finding {
	var fs []domain.Finding

	n := len(title.Runes)
	lead := len(title.Runes) - utf8.RuneCountInString(strings.TrimLeftFunc(title.Str, isSpace))
	trimmed := strings.TrimFunc(title.Str, isSpace)
	tn := utf8.RuneCountInString(trimmed)
	switch {
	case tn == 0:
		fs = append(fs, newFinding("title_missing", domain.SeverityBlock, fieldTitle, 0, n,
			"缺少标题。", "The title is missing.", ""))
	case tn < titleMinRunes:
		fs = append(fs, newFinding("title_too_short", domain.SeverityWarn, fieldTitle, lead, lead+tn,
			fmt.Sprintf("标题过短（%d字），不足以说明内容，建议不少于%d字。", tn, titleMinRunes),
			fmt.Sprintf("The title is short (%d characters) and says little; at least %d are advised.", tn, titleMinRunes), ""))
	case tn > titleBlockRunes:
		fs = append(fs, newFinding("title_too_long", domain.SeverityBlock, fieldTitle, lead, lead+tn,
			fmt.Sprintf("标题过长（%d字，超过%d字），疑似误将正文填入标题。", tn, titleBlockRunes),
			fmt.Sprintf("The title is far too long (%d characters, over %d); the body seems to have been pasted into it.", tn, titleBlockRunes), ""))
	case tn > titleWarnRunes:
		fs = append(fs, newFinding("title_too_long", domain.SeverityWarn, fieldTitle, lead, lead+tn,
			fmt.Sprintf("标题较长（%d字，超过%d字），网站列表和微信卡片会截断，建议精简。", tn, titleWarnRunes),
			fmt.Sprintf("The title is long (%d characters, over %d); website lists and WeChat cards will cut it.", tn, titleWarnRunes), ""))
	}
	if i := slices.IndexFunc(title.Runes[lead:lead+tn], isLineBreak); tn > 0 && i >= 0 {
		fs = append(fs, newFinding("title_line_break", domain.SeverityWarn, fieldTitle, lead+i, lead+i+1,
			"标题中有换行，发布后会显示为一行，请删除。", "The title contains a line break; it is shown on one line once published.", ""))
	}

	content := 0
	for _, r := range body.Runes {
		if !isSpace(r) {
			content++
		}
	}
	switch {
	case content == 0:
		fs = append(fs, newFinding("body_missing", domain.SeverityBlock, fieldBody, 0, len(body.Runes),
			"正文为空。", "The body is empty.", ""))
	case content < bodyMinRunes:
		fs = append(fs, newFinding("body_too_short", domain.SeverityWarn, fieldBody, 0, len(body.Runes),
			fmt.Sprintf("正文过短（%d字），请确认内容完整。", content),
			fmt.Sprintf("The body is very short (%d characters); make sure it is complete.", content), ""))
	}

	if c.FormedOn.IsZero() {
		fs = append(fs, wholeDraft("formed_on_missing", domain.SeverityBlock,
			"缺少信息形成日期。", "The date the information was formed (formed_on) is missing."))
	} else if f := formedOn(c); f.After(today) {
		fs = append(fs, wholeDraft("formed_on_future", domain.SeverityBlock,
			fmt.Sprintf("信息形成日期%s晚于今天（%s）。", f.Format(domain.DateLayout), today.Format(domain.DateLayout)),
			fmt.Sprintf("formed_on %s is after today (%s).", f.Format(domain.DateLayout), today.Format(domain.DateLayout))))
	}

	switch {
	case strings.TrimSpace(c.Category) == "":
		fs = append(fs, wholeDraft("category_missing", domain.SeverityBlock,
			"未选择信息类别。", "No category is chosen."))
	case !domain.ValidCategory(c.Category):
		fs = append(fs, wholeDraft("category_unknown", domain.SeverityBlock,
			fmt.Sprintf("未知的信息类别“%s”。", c.Category), fmt.Sprintf("Unknown category %q.", c.Category)))
	}

	if len(c.Channels) == 0 {
		fs = append(fs, wholeDraft("channels_missing", domain.SeverityBlock,
			"未选择发布渠道。", "No publication channel is chosen."))
	}
	for _, ch := range c.Channels {
		if !ch.Valid() {
			fs = append(fs, wholeDraft("channel_unknown", domain.SeverityBlock,
				fmt.Sprintf("未知的发布渠道“%s”。", ch), fmt.Sprintf("Unknown publication channel %q.", ch)))
		}
	}
	if strings.TrimSpace(c.Department) == "" {
		fs = append(fs, wholeDraft("department_missing", domain.SeverityBlock,
			"缺少所属部门。", "The department is missing."))
	}
	return fs
}

// formedOn is the draft's formed_on as a civil date at midnight UTC.
func formedOn(c domain.Content) time.Time {
	y, m, d := c.FormedOn.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// decisionDateFindings judges a penalty decision's date. A decision cannot
// have been made after today, so a future one blocks. formed_on is when the
// information came into being, which for a decision is when it was made, so
// a decision date after formed_on is an inconsistency; it only warns because
// an office may record formed_on as the day the decision was signed off for
// publication.
func decisionDateFindings(c domain.Content, body *ntext, d dateMention, today time.Time) []domain.Finding {
	var fs []domain.Finding
	dd := d.date()
	switch {
	case dd.After(today):
		fs = append(fs, body.finding("decision_date_future", domain.SeverityBlock, d.start, d.end,
			fmt.Sprintf("处罚决定日期“%s”晚于今天（%s），决定不可能在未来作出，请核对。", d.text, today.Format(domain.DateLayout)),
			fmt.Sprintf("The decision date %q is after today (%s); a decision cannot have been made in the future.", d.text, today.Format(domain.DateLayout)), ""))
	case !c.FormedOn.IsZero() && dd.After(formedOn(c)):
		f := formedOn(c).Format(domain.DateLayout)
		fs = append(fs, body.finding("decision_date_after_formed", domain.SeverityWarn, d.start, d.end,
			fmt.Sprintf("处罚决定日期“%s”晚于信息形成日期%s，二者应一致或决定日期在前，请核对。", d.text, f),
			fmt.Sprintf("The decision date %q is after formed_on %s; the decision should be dated on or before it.", d.text, f), ""))
	}
	return fs
}
