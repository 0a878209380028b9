package web

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// The store writes each audit event's comment once, in its own formats
// (key=value lists, channel=status, the publisher's messages), and hashes
// it into the chain: an old event's text never changes. The pages do not
// show that text as it is: this file tells it in the page's language from
// the locale's detail.* keys, and keeps the stored text to hand (in a
// title, and on the audit pages in a <code> under 存储原文). A text it
// does not know (a platform's error) is shown as written on the English
// pages and, on the Chinese ones, with every run of Latin text inside
// <code>, so that no bare English reaches a Chinese page.

// detail is a stored text as a page shows it.
type detail struct {
	Parts []detailPart
	Raw   string // the text as stored (an event's, as hashed into its chain)
	Told  bool   // Parts retell Raw in the page's language rather than show it as written
}

// String is the detail as plain text (a CSV's column).
func (d detail) String() string {
	var b strings.Builder
	for _, p := range d.Parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// detailPart is a run of a detail: text in the page's language or a
// person's words, or a code (an address, a number of a platform's, text
// in no language of the page) shown in <code>.
type detailPart struct {
	Text string
	Code bool
}

// code marks an argument of teller.say that is shown as a code.
type code string

// Sentinels around a code argument inside a formatted locale message.
const (
	codeOpen  = "\x1e"
	codeClose = "\x1f"
)

// teller builds a detail in one language.
type teller struct {
	ps   *pageSet
	lang string
	d    detail
}

func (ps *pageSet) teller(lang, raw string) *teller {
	return &teller{ps: ps, lang: lang, d: detail{Raw: raw}}
}

func (t *teller) add(s string, isCode bool) {
	if s == "" {
		return
	}
	if n := len(t.d.Parts); n > 0 && t.d.Parts[n-1].Code == isCode && !isCode {
		t.d.Parts[n-1].Text += s
		return
	}
	t.d.Parts = append(t.d.Parts, detailPart{Text: s, Code: isCode})
}

// sep starts the next clause, when there is one before it.
func (t *teller) sep() {
	if len(t.d.Parts) > 0 {
		t.add(t.ps.T(t.lang, "detail.sep"), false)
	}
}

// say adds the locale's message key, formatted with args; an argument of
// type code is shown as a code.
func (t *teller) say(key string, args ...any) {
	t.d.Told = true
	for i, a := range args {
		if c, ok := a.(code); ok {
			args[i] = codeOpen + strings.NewReplacer(codeOpen, "", codeClose, "").Replace(string(c)) + codeClose
		}
	}
	s := t.ps.T(t.lang, key, args...)
	for s != "" {
		open := strings.Index(s, codeOpen)
		if open < 0 {
			t.add(s, false)
			return
		}
		t.add(s[:open], false)
		s = s[open+len(codeOpen):]
		end := strings.Index(s, codeClose)
		if end < 0 {
			end = len(s)
		}
		t.add(s[:end], true)
		s = strings.TrimPrefix(s[end:], codeClose)
	}
}

// words adds what a person wrote, as written.
func (t *teller) words(s string) { t.add(s, false) }

// named is code's name under the locale's prefix (role., channel., …),
// or the code itself, shown as one.
func (t *teller) named(prefix, c string) any {
	if name, ok := t.ps.messages[t.lang][prefix+c]; ok {
		return name
	}
	return code(c)
}

// names is a list of codes by their names, joined as the language lists
// them, "无"/"none" for none: a code, when one of them has no name and is
// in Latin letters.
func (t *teller) names(prefix string, cs []string) any {
	var out []string
	unnamed := false
	for _, c := range cs {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		n := t.named(prefix, c)
		if s, ok := n.(string); ok {
			out = append(out, s)
		} else {
			out = append(out, c)
			unnamed = unnamed || strings.ContainsFunc(c, isLatinLetter)
		}
	}
	if len(out) == 0 {
		return t.ps.T(t.lang, "detail.none")
	}
	if unnamed {
		return code(strings.Join(out, ","))
	}
	return strings.Join(out, t.ps.T(t.lang, "detail.list_sep"))
}

// name adds an account's name: a code when it is in Latin letters.
func (t *teller) name(s string) {
	v := t.value(s)
	_, isCode := v.(code)
	t.add(fmt.Sprint(v), isCode)
}

// stored adds a text a machine wrote: a message the locale knows, in the
// page's language; any other as written, with (on a Chinese page) each run
// of Latin text inside <code>.
func (t *teller) stored(s string) {
	for _, k := range knownTexts {
		if m := k.re.FindStringSubmatch(s); m != nil {
			k.tell(t, m)
			return
		}
	}
	if t.lang == langEN {
		t.add(s, false) // a channel's message in Chinese keeps its English part, in the parenthesis after it
		return
	}
	t.latin(s)
}

// latin adds s, with each run of ASCII that holds a letter as a code.
func (t *teller) latin(s string) {
	rs := []rune(s)
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && (rs[j] >= 0x80) == (rs[i] >= 0x80) {
			j++
		}
		run := string(rs[i:j])
		i = j
		if run[0] >= 0x80 || !strings.ContainsFunc(run, isLatinLetter) {
			t.add(run, false)
			continue
		}
		body := strings.TrimSpace(run)
		lead := run[:strings.Index(run, body)]
		t.add(lead, false)
		t.add(body, true)
		t.add(run[len(lead)+len(body):], false)
	}
}

func isLatinLetter(r rune) bool { return r < 0x80 && unicode.IsLetter(r) }

// knownText is a message the store, the publisher or a channel writes,
// current or from an earlier version, with how a page tells it.
type knownText struct {
	re   *regexp.Regexp
	tell func(t *teller, m []string)
}

func sayAs(key string) func(t *teller, m []string) {
	return func(t *teller, m []string) { t.say(key) }
}

func sayURL(key string) func(t *teller, m []string) {
	return func(t *teller, m []string) { t.say(key, code(m[1])) }
}

var knownTexts = []knownText{
	// A stage's machine checks (batch.go), now and before 2-language text.
	{regexp.MustCompile(`^阻断性问题(\d+)项，提示(\d+)项 \(\d+ blocking, \d+ warning findings\)$`), sayCounts},
	{regexp.MustCompile(`^(\d+) blocking, (\d+) warning findings$`), sayCounts},
	{regexp.MustCompile(`^阻断性问题(\d+)项，提示(\d+)项$`), sayCounts},
	{regexp.MustCompile(`^(?:起草人已提交说明：阻断性问题交下一位审核人核实，须写明理由方可通过|explained by the author: the blocking findings go to the next person, who must override them)$`),
		sayAs("detail.explained")},
	// The lifecycle's withdrawal at the end of a publication period.
	{regexp.MustCompile(`^公开期限已于(\d{4}-\d\d-\d\d)届满，系统自动撤下。\(the publication period ended on \d{4}-\d\d-\d\d\)$`),
		func(t *teller, m []string) { t.say("detail.expired", m[1]) }},
	// The publisher.
	{regexp.MustCompile(`^channel not configured$`), sayAs("detail.pub.not_configured")},
	{regexp.MustCompile(`^a send was started but its outcome was not recorded; check the channel before sending again$`), sayAs("detail.pub.send_unknown")},
	{regexp.MustCompile(`^(?:该渠道不能通过接口删除：请在渠道后台手工撤下，再在此记录。\(this channel cannot delete through its API\)|this channel cannot delete through its API: remove the item there by hand, then record it here)$`),
		sayAs("detail.pub.cannot_delete")},
	{regexp.MustCompile(`^(?:撤下操作已开始但结果未记录：请先在渠道后台核实。\(a removal was started but its outcome was not recorded\)|a removal was started but its outcome was not recorded: check the channel)$`),
		sayAs("detail.pub.removal_unknown")},
	{regexp.MustCompile(`^resolved by (.+?): (?s)(.*)$`), func(t *teller, m []string) {
		t.say("detail.pub.resolved_by", t.value(m[1]))
		if m[2] != "" {
			t.sep()
			t.words(m[2])
		}
	}},
	{regexp.MustCompile(`^deleted before the corrected (?:article|post): (\S*)$`), sayURL("detail.pub.replaced_deleted")},
	{regexp.MustCompile(`^updated in place: (\S*)$`), sayURL("detail.pub.replaced_updated")},
	{regexp.MustCompile(`^抖音账号未授予删除权限：请在抖音App中手工删除旧作品，再在此记录。\(the corrected post replaces it; delete the old one by hand\) (\S*)$`),
		sayURL("detail.pub.douyin_replace_by_hand")},
	{regexp.MustCompile(`^抖音账号未授予删除权限：请在抖音App中手工删除该作品，再在此记录。\(the account has no video\.delete scope\)$`),
		sayAs("detail.pub.douyin_no_delete")},
	{regexp.MustCompile(`^微信公众号要求封面图片，本稿件没有封面。\(WeChat requires a cover image; the draft has none\)$`), sayAs("detail.pub.wechat_no_cover")},
	{regexp.MustCompile(`^抖音发布的是视频，本稿件没有视频附件。\(Douyin posts a video; the draft has none\)$`), sayAs("detail.pub.douyin_no_video")},
	{regexp.MustCompile(`^群发消息不能由本系统撤回：请在微信公众平台“已发表—群发”中手工删除，再在此记录。\(a mass send is taken back by a person; CHANNELS\.md documents no delete for it\)$`),
		sayAs("detail.pub.wechat_mass_send")},
	// The word lists' and the expression lists' versions.
	{regexp.MustCompile(`^(?:第(\d+)版，(\d+)个词|version (\d+), (\d+) words)$`), func(t *teller, m []string) {
		t.say("detail.words_version", atoi(m[1]+m[3]), atoi(m[2]+m[4]))
	}},
	{regexp.MustCompile(`^(?:第(\d+)版，(\d+)条|version (\d+), (\d+) entries)$`), func(t *teller, m []string) {
		t.say("detail.entries_version", atoi(m[1]+m[3]), atoi(m[2]+m[4]))
	}},
}

func sayCounts(t *teller, m []string) { t.say("detail.findings", atoi(m[1]), atoi(m[2])) }

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// eventDetail is an audit event's comment in lang, told by the action that
// wrote it.
func (ps *pageSet) eventDetail(lang, action, reason, comment string) detail {
	t := ps.teller(lang, comment)
	switch {
	case strings.HasPrefix(action, "denied:"):
		t.denied(reason, comment)
	case strings.HasPrefix(action, "channel_resolved_"), action == "channel_withdraw_resolved", action == "channel_alert_acknowledged":
		// A person's note, after the address they recorded.
		rest := t.address(comment)
		t.sepWords(rest)
	case action == "channel_replaced":
		t.replaced(comment)
	case strings.HasPrefix(action, "channel_"):
		// The channel's outcome: the address and the platform's number of
		// the item, then what the publisher or the channel said.
		rest := t.address(comment)
		if id, more, _ := strings.Cut(rest, " "); rest != "" && action == "channel_delivered" && !strings.ContainsFunc(id, func(r rune) bool { return r >= 0x80 }) {
			t.sep()
			t.say("detail.external_id", code(id))
			rest = more
		}
		if rest != "" {
			t.sep()
			t.stored(rest)
		}
	case strings.HasPrefix(action, "application_"):
		t.caseEvent(strings.TrimPrefix(action, "application_"), comment)
	default:
		tell, ok := eventTellers[action]
		switch {
		case comment == "" && action != "expiry_set":
		case ok:
			if !tell(t, reason, comment) {
				t.d = detail{Raw: comment}
				t.stored(comment)
			}
		case personActions[action]:
			t.words(comment)
		case accountActions[action]:
			t.name(comment)
		default:
			t.stored(comment)
		}
	}
	return t.d
}

// personActions are the actions whose comment is what a person wrote, or
// a name they gave.
var personActions = map[string]bool{"submit": true, "save": true, "revise": true, "correct": true, "recall": true, "explain": true,
	"approve": true, "return": true, "reject": true, "review_kept": true, "agency_rename": true, "agency_locality": true,
	"department_add": true, "department_rename": true}

// accountActions are the actions whose comment is the account's name.
var accountActions = map[string]bool{"password_set": true, "password_change": true, "user_enable": true, "user_disable": true,
	"totp_enrol": true, "totp_reset": true, "totp_remove": true, "recovery_codes_new": true}

func (t *teller) sepWords(s string) {
	if s != "" {
		t.sep()
		t.words(s)
	}
}

// address adds the address a channel's comment starts with and returns
// the rest.
func (t *teller) address(s string) string {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return s
	}
	u, rest, _ := strings.Cut(s, " ")
	t.say("detail.url", code(u))
	return rest
}

// denied: a refusal is stored with its rule's code and the rule's message
// for the record, in English, after the draft, department or case it
// refers to; it shows the rule's own words, or the message as a code.
func (t *teller) denied(rule, comment string) {
	msg := comment
	if subject, rest, found := strings.Cut(comment, ": "); found {
		if kind, id, ok := strings.Cut(subject, " "); ok {
			if _, err := strconv.ParseInt(id, 10, 64); err == nil {
				if name, ok := t.ps.messages[t.lang]["audit.subject."+kind]; ok {
					t.d.Told = true
					t.add(fmt.Sprintf(name, id), false)
					msg = rest
				}
			}
		}
	}
	if text, ok := t.ps.messages[t.lang]["rule."+rule]; ok {
		t.d.Told = true
		t.add(text, false)
		return
	}
	t.stored(msg)
}

// replaced: a correction's publication replaced this revision's on a
// channel, with the publisher's note.
var reReplaced = regexp.MustCompile(`^(?s)(?:第(\d+)版已被替换（([a-z_]+)）：|revision (\d+) replaced \(([a-z_]+)\): )(.*)$`)

func (t *teller) replaced(comment string) {
	m := reReplaced.FindStringSubmatch(comment)
	if m == nil {
		t.stored(comment)
		return
	}
	t.say("detail.replaced", atoi(m[1]+m[3]), t.named("withdraw.status.", m[2]+m[4]))
	if m[5] != "" {
		t.sep()
		t.stored(m[5])
	}
}

// eventTellers tell the comments of the actions the store writes in a
// format of its own; false when the comment is in none they know.
var eventTellers = map[string]func(t *teller, reason, comment string) bool{
	"published": func(t *teller, _, c string) bool {
		if !rePublished.MatchString(c) {
			return false
		}
		for _, kv := range strings.Fields(c) {
			ch, st, _ := strings.Cut(kv, "=")
			t.sep()
			t.say("detail.channel_status", t.named("channel.", ch), t.named("pub.", st))
		}
		return true
	},
	"withdraw": func(t *teller, _, c string) bool {
		for _, k := range knownTexts {
			if m := k.re.FindStringSubmatch(c); m != nil {
				k.tell(t, m)
				return true
			}
		}
		t.words(c) // the person's reason
		return true
	},
	"expiry_set": func(t *teller, reason, c string) bool {
		switch {
		case reason == "无期限 (no limit)":
			t.say("detail.expiry_none")
		case reDate.MatchString(reason):
			t.say("detail.expiry_until", reason)
		case reason != "":
			t.add(reason, true)
		}
		t.sepWords(c)
		return true
	},
	"validity_set": func(t *teller, _, c string) bool {
		m := reValidity.FindStringSubmatch(c)
		if m == nil {
			return false
		}
		t.say("detail.validity", m[2], t.named("validity.", m[1]))
		if m[3] != "" {
			t.sep()
			t.say("detail.superseded_by", atoi(m[3]))
		}
		t.sepWords(m[4])
		return true
	},
	"user_add": func(t *teller, _, c string) bool {
		m := reUserAdd.FindStringSubmatch(c)
		if m == nil {
			return false
		}
		t.say("detail.user_add", t.value(m[1]), t.names("role.", strings.Fields(m[2])), t.ids(m[3]))
		return true
	},
	"user_access": func(t *teller, _, c string) bool {
		m := reUserAccess.FindStringSubmatch(c)
		if m == nil {
			return false
		}
		t.say("detail.user_access", t.value(m[1]), t.names("role.", strings.Fields(m[2])), t.names("role.", strings.Fields(m[3])),
			t.ids(m[4]), t.ids(m[5]))
		return true
	},
	"signin": func(t *teller, _, c string) bool {
		ip, how, _ := strings.Cut(c, " ")
		if how == "" {
			t.say("detail.address", code(ip))
			return true
		}
		t.say("detail.signin", t.names("detail.factor.", strings.Split(how, "+")), code(ip))
		return true
	},
	"signin_failed": func(t *teller, reason, c string) bool {
		if why, ok := t.ps.messages[t.lang]["detail.signin_failed."+reason]; ok {
			t.d.Told = true
			t.add(why, false)
			t.sep()
		}
		t.say("detail.address", code(c))
		return true
	},
	"token_add":    tokenDetail,
	"token_revoke": tokenDetail,
	"notify_robot_set": func(t *teller, _, c string) bool {
		ch, what, ok := strings.Cut(c, " ")
		if !ok {
			return false
		}
		name := t.named("notifyadmin.channel.", ch)
		switch hint, signed := strings.CutSuffix(what, " (signed)"); {
		case what == "removed":
			t.say("detail.robot_removed", name)
		case signed:
			t.say("detail.robot_signed", name, code(hint))
		default:
			t.say("detail.robot_set", name, code(what))
		}
		return true
	},
	"notify_queue_limit_set": func(t *teller, _, c string) bool {
		n, ok := strings.CutPrefix(c, "days=")
		if !ok || !reNumber.MatchString(n) {
			return false
		}
		t.say("detail.queue_days", atoi(n))
		return true
	},
	"assessment_weights_set": func(t *teller, _, c string) bool {
		return t.pairs(c, weightFields) == ""
	},
	"review_policy_set": func(t *teller, _, c string) bool {
		list, ok := strings.CutPrefix(c, "months: ")
		if !ok {
			return false
		}
		for _, kv := range strings.Split(list, ",") {
			cat, n, ok := strings.Cut(kv, "=")
			if !ok || !reNumber.MatchString(n) {
				return false
			}
			t.sep()
			if n == "0" {
				t.say("detail.no_review", t.named("category.", cat))
			} else {
				t.say("detail.review_months", t.named("category.", cat), atoi(n))
			}
		}
		return true
	},
	"periods_set": func(t *teller, _, c string) bool {
		m := rePeriods.FindStringSubmatch(c)
		if m == nil {
			return false
		}
		t.say("detail.periods", atoi(m[1]), atoi(m[2]), atoi(m[3]))
		t.sep()
		t.say("detail.source", m[4])
		return true
	},
	"policy_set": func(t *teller, _, c string) bool {
		list, ok := strings.CutPrefix(c, "person_stages=")
		if !ok {
			return false
		}
		t.say("detail.person_stages", t.names("stage.", strings.Split(list, ",")))
		return true
	},
	"public_site_set": func(t *teller, _, c string) bool {
		for _, part := range strings.Split(c, "; ") {
			t.sep()
			switch m := reSiteField.FindStringSubmatch(part); {
			case part == "no change":
				t.say("detail.no_change")
			case part == "guide changed" || part == "rules changed":
				t.say("detail.site_text_changed", t.named("site.", strings.TrimSuffix(part, " changed")))
			case m != nil:
				was, err1 := strconv.Unquote(m[2])
				is, err2 := strconv.Unquote(m[3])
				if err1 != nil || err2 != nil {
					return false
				}
				t.say("detail.site_changed", t.named("site.", m[1]), t.value(was), t.value(is))
			default:
				return false
			}
		}
		return true
	},
	"deadletter_replay": func(t *teller, _, c string) bool {
		m := reDeadLetter.FindStringSubmatch(c)
		if m == nil {
			return false
		}
		t.say("detail.deadletter", atoi(m[1]), code(m[2]))
		if m[3] != "" {
			t.sep()
			t.add(m[3], true)
		}
		return true
	},
	"agency_add": func(t *teller, _, c string) bool {
		slug, name, ok := strings.Cut(c, " ")
		if !ok {
			return false
		}
		t.say("detail.agency_add", name, code(slug))
		return true
	},
	"recovery_code_used": func(t *teller, _, c string) bool {
		n, ok := strings.CutSuffix(c, " left")
		if !ok || !reNumber.MatchString(n) {
			return false
		}
		t.say("detail.codes_left", atoi(n))
		return true
	},
	"signin_unlock": func(t *teller, _, c string) bool {
		m := reUnlock.FindStringSubmatch(c)
		if m == nil {
			return false
		}
		name, err1 := strconv.Unquote(m[1])
		addr, err2 := strconv.Unquote(m[2])
		if err1 != nil || err2 != nil {
			return false
		}
		if name != "" {
			t.sep()
			t.say("detail.unlock_name", code(name))
		}
		if addr != "" {
			t.sep()
			t.say("detail.address", code(addr))
		}
		t.sep()
		t.say("detail.unlock_failures", atoi(m[3]))
		return true
	},
	"calendar_year_set": func(t *teller, _, c string) bool {
		m := reCalendar.FindStringSubmatch(c)
		if m == nil {
			return false
		}
		t.say("detail.calendar", t.dates(m[1]), t.dates(m[2]))
		return true
	},
}

var (
	rePublished  = regexp.MustCompile(`^[a-z_]+=[a-z_]+( [a-z_]+=[a-z_]+)*$`)
	reDate       = regexp.MustCompile(`^\d{4}-\d\d-\d\d$`)
	reNumber     = regexp.MustCompile(`^\d+$`)
	reValidity   = regexp.MustCompile(`^(?s)([a-z_]+) since (\d{4}-\d\d-\d\d)(?:, superseded by draft (\d+))?(?:; (.*))?$`)
	reUserAdd    = regexp.MustCompile(`^(.+) roles=\[([a-z_ ]*)\] departments=\[([0-9 ]*)\]$`)
	reUserAccess = regexp.MustCompile(`^(.+) (?:角色 |roles=)\[([a-z_ ]*)\]→\[([a-z_ ]*)\] (?:科室 |departments=)\[([0-9 ]*)\]→\[([0-9 ]*)\]$`)
	reToken      = regexp.MustCompile(`^(.+) token (\d+) (".*")$`)
	rePeriods    = regexp.MustCompile(`^(?s)light=(\d+) months, heavy=(\d+) months, small fine under (\d+) yuan; source: (.*)$`)
	reSiteField  = regexp.MustCompile(`^([a-z_]+): (".*") → (".*")$`)
	reDeadLetter = regexp.MustCompile(`^(?s)(?:处理失败的消息|dead letter) (\d+) (\S+) ?(.*)$`)
	reUnlock     = regexp.MustCompile(`^name=(".*") address=(".*") failures=(\d+)$`)
	reCalendar   = regexp.MustCompile(`^off=([0-9,-]*) workdays=([0-9,-]*)$`)
	reTransition = regexp.MustCompile(`^([a-z_]+)→([a-z_]+)(?: |$)`)
	reRetention  = regexp.MustCompile(`^days=(\d+) was=(\d+)$`)
)

func tokenDetail(t *teller, _, c string) bool {
	m := reToken.FindStringSubmatch(c)
	if m == nil {
		return false
	}
	name, err := strconv.Unquote(m[3])
	if err != nil {
		return false
	}
	t.say("detail.token", t.value(m[1]), atoi(m[2]), t.value(name))
	return true
}

// value is a setting's value: as text when it is in no Latin script,
// else as a code.
func (t *teller) value(s string) any {
	if s == "" {
		return t.ps.T(t.lang, "detail.empty")
	}
	if strings.ContainsFunc(s, isLatinLetter) {
		return code(s)
	}
	return s
}

// ids is a list of numbers (departments') as the language lists them.
func (t *teller) ids(s string) any { return t.names("", strings.Fields(s)) }

// dates is a comma-separated list of dates as the language lists them.
func (t *teller) dates(s string) any { return t.names("", strings.Split(s, ",")) }

// A field of a key=value list: the locale key of its label and how its
// value reads.
type field struct {
	label string
	kind  byte   // 't' text as written, 'n' a name under prefix, 'y' yuan from fen, 'b' yes or no, 's' a size in bytes, 'c' a code
	names string // for 'n': the locale's prefix of the value's names
}

var weightFields = map[string]field{
	"published": {label: "report.w_published"}, "first_pass": {label: "report.w_first_pass"},
	"on_time": {label: "report.w_on_time"}, "returned": {label: "report.w_returned"},
}

// caseFields are the keys of the cases' comments (applications.go,
// application_documents.go).
var caseFields = map[string]field{
	"on":             {label: "detail.key.on"},
	"reason":         {label: "detail.key.reason", kind: 'n', names: "app.reason."},
	"from":           {label: "detail.key.from"},
	"approved_by":    {label: "detail.key.approved_by", kind: 'p'},
	"handler":        {label: "detail.key.handler", kind: 'p'},
	"requested_by":   {label: "detail.key.requested_by"},
	"requested_on":   {label: "detail.key.requested_on"},
	"outcome":        {label: "detail.key.outcome", kind: 'n', names: "app.outcome."},
	"method":         {label: "detail.key.method", kind: 'n', names: "app.method."},
	"paid_on":        {label: "detail.key.paid_on"},
	"notice_on":      {label: "detail.key.notice_on"},
	"amount_fen":     {label: "detail.key.amount", kind: 'y'},
	"kind":           {label: "detail.key.kind", kind: 'n', names: "app.appeal."},
	"after_review":   {label: "detail.key.after_review", kind: 'b'},
	"filed_on":       {label: "detail.key.filed_on"},
	"appeal":         {label: "detail.key.appeal"},
	"draft":          {label: "detail.key.draft"},
	"route":          {label: "detail.key.route", kind: 'n', names: "app.route."},
	"applicant_type": {label: "detail.key.applicant_type", kind: 'n', names: "app.type."},
	"received_on":    {label: "detail.key.received_on"},
	"document":       {label: "detail.key.document"},
	"type":           {label: "detail.key.type", kind: 'c'},
	"size":           {label: "detail.key.size", kind: 's'},
}

// reIDName is a person named by number and name in a case's event.
var reIDName = regexp.MustCompile(`\b(handler|approved_by)=\d+ ([^\s=]+)`)

// appealFields are caseFields, an appeal's outcome by the appeals' results.
var appealFields = func() map[string]field {
	fs := map[string]field{"outcome": {label: "detail.key.outcome", kind: 'n', names: "app.appeal_result."}}
	for k, f := range caseFields {
		if _, ok := fs[k]; !ok {
			fs[k] = f
		}
	}
	return fs
}()

// caseEvent tells a case's event: the move between the case's states, the
// key=value pairs, then the handler's note.
func (t *teller) caseEvent(action, c string) {
	if m := reTransition.FindStringSubmatch(c); m != nil {
		t.say("detail.case_moved", t.named("app.state.", m[1]), t.named("app.state.", m[2]))
		c = c[len(m[0]):]
	}
	// A person the event names by number and name ("handler=9 郑承办",
	// "approved_by=7 王主任"): told by the name, the number left out.
	c = reIDName.ReplaceAllString(c, "$1=$2")
	if rest, ok := strings.CutSuffix(c, " intake"); ok && action == "handler_assigned" {
		c = rest
		defer func() { t.sep(); t.say("detail.at_intake") }()
	}
	switch {
	case action == "retention_set" && reRetention.MatchString(c):
		m := reRetention.FindStringSubmatch(c)
		t.say("detail.retention", atoi(m[2]), atoi(m[1]))
		return
	case action == "appeal":
		c = t.pairs(c, appealFields)
	default:
		c = t.pairs(c, caseFields)
	}
	if rest, ok := strings.CutPrefix(c, "reason=retention"); ok && action == "document_deleted" {
		t.sep()
		t.say("detail.retention_ended")
		c = strings.TrimSpace(rest)
	}
	t.sepWords(c)
}

// pairs tells the key=value pairs s starts with, as far as it knows the
// keys, and returns the rest (a person's note).
func (t *teller) pairs(s string, fs map[string]field) string {
	for s != "" {
		tok, rest, _ := strings.Cut(s, " ")
		k, v, ok := strings.Cut(tok, "=")
		f, known := fs[k]
		if !ok || !known || k == "reason" && v == "retention" {
			return s
		}
		var val any = v
		switch f.kind {
		case 'n':
			val = t.named(f.names, v)
		case 'y':
			fen, _ := strconv.ParseInt(v, 10, 64)
			val = fmt.Sprintf("%d.%02d", fen/100, fen%100)
			val = t.ps.T(t.lang, "detail.yuan", val)
		case 'b':
			if v == "true" {
				val = t.ps.T(t.lang, "detail.yes")
			} else {
				val = t.ps.T(t.lang, "detail.no")
			}
		case 's':
			n, _ := strconv.ParseInt(v, 10, 64)
			if n < 1<<20 {
				val = fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
			} else {
				val = fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
			}
			val = code(val.(string))
		case 'c':
			val = code(v)
		case 'p': // a person's name: in <code> when written in Latin letters
			val = t.value(v)
		default:
			if v == "" {
				val = t.ps.T(t.lang, "detail.empty")
			}
		}
		t.sep()
		t.say("detail.pair", t.ps.T(t.lang, f.label), val)
		s = rest
	}
	return ""
}

// storedDetail is a text a machine wrote (a publication's error, a
// channel's alert) told in lang.
func (ps *pageSet) storedDetail(lang, s string) detail {
	t := ps.teller(lang, s)
	t.stored(s)
	return t.d
}
