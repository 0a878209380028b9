package confidentiality

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/sanshen-gov/sanshen/internal/checks/runetext"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// The home-address detector is a heuristic. It reads an address only after a
// label (住址, 家住, 住所地 …), judges whose address it is from the nearest
// party named in the 120 runes before (当事人：张三 is a person, 当事人：某某
// 有限公司 is not), and takes the value up to the next punctuation or label.
// It does not see addresses without a label ("张三在东城区XX路12号经营…"),
// tables flattened without punctuation, or a person named far from their
// address; and it cannot know that a person-like name is a shop's. Hence it
// only warns.

// reAddressLabel lists the labels longest first, as the first alternative
// that matches at a position wins.
var reAddressLabel = regexp.MustCompile(`(家庭住址|家庭住所|现住址|现住所|现居住地|居住地址|户籍地址|户籍所在地|户籍地|暂住地|住址|家住|现住|住所地|住所)[ \t]*(?::[ \t]*)?`)

// sieveAddressLabel runs reAddressLabel only around a 住 or a 户, one of
// which every label holds (see runetext.Sieve).
var sieveAddressLabel = runetext.NewSieve(reAddressLabel, "住户")

// weakLabels are used for organisations too (a company's 住所 is its
// registered seat, which is public); the others are a person's.
var weakLabels = []string{"住所地", "住所"}

// reParty finds a party and its name: 当事人：张三, 被处罚人 李某某.
var reParty = regexp.MustCompile(`(当事人|被处罚人|被申请人|申请人|被检查人|违法行为人|行为人|姓名|被告人|被告|原告|第三人|投诉人|举报人|被执行人|经营者|法定代表人|负责人|名称)[ \t]*:?[ \t]*([^\s,，。；;:()、]{1,30})`)

var (
	reOrgHint    = regexp.MustCompile(`法定代表人|负责人|统一社会信用代码|有限公司|有限责任|注册资本|股份`)
	rePersonHint = regexp.MustCompile(`性别|[,，][男女][,，]|出生|身份证|公民身份号码|民族|汉族`)
)

// Words that end an address value: the next field of a party's description.
var addressStops = []string{"电话", "联系", "身份证", "手机", "邮编", "邮政编码", "法定代表人",
	"性别", "出生", "职业", "工作单位", "公民身份"}

// Parts of an address finer than a county: with none of them (or a digit) a
// value is not precise enough to identify a home.
var fineParts = []string{"路", "街", "巷", "弄", "号", "栋", "幢", "楼", "室", "村", "组", "屯", "庄", "苑",
	"胡同", "小区", "社区", "单元"}

// Runes that show a value was already redacted. 某 and X also stand for a
// redacted name (张某, 某某路, XX村); beside a party named in full they are
// taken for a placeholder of the draft, not a redaction.
const (
	redactions     = "*×○□■"
	nameRedactions = "某Xx"
)

type partyKind int

const (
	partyUnknown partyKind = iota
	partyPerson
	partyOrg
)

func addresses(t *text) []domain.Finding {
	var fs []domain.Finding
	for _, m := range sieveAddressLabel.FindAllStringSubmatchIndex(t.Str, -1) {
		labelStart, valueStart := t.Span(m[0], m[1])
		label := t.Str[m[2]:m[3]]
		start, end := addressValue(t.Runes, valueStart)
		value := string(t.Runes[start:end])
		person, named := personsAddress(t.Runes, labelStart, slices.Contains(weakLabels, label))
		if !person || !addressLike(value, named) {
			continue
		}
		fs = append(fs, domain.Finding{
			Code: codeAddress, Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Start: start, End: end, Suggestion: maskAddress(t.Runes[start:end]),
			// The messages do not repeat the address: findings are stored and
			// audited, and personal data should not spread there.
			MessageZH: "疑似自然人住址。公开行政处罚决定等文书时应隐去自然人的详细住址（可保留至县级），请核实。",
			MessageEN: "Probable home address of a natural person. A person's detailed address must be hidden in published decisions (the county may stay); please check.",
		})
	}
	return fs
}

// addressValue returns the range of the address after a label at i.
func addressValue(rs []rune, i int) (int, int) {
	if i < len(rs) && (rs[i] == '在' || rs[i] == '于') { // 家住在…
		i++
	}
	start, depth := i, 0
	for ; i < len(rs) && i-start < 60; i++ {
		r := rs[i]
		if isLineBreak(r) || strings.ContainsRune(" \t,，。；;、!！?？:\"“”", r) {
			break
		}
		if r == '(' {
			depth++
		}
		if r == ')' {
			if depth == 0 {
				break
			}
			depth--
		}
		if slices.ContainsFunc(addressStops, func(w string) bool { return hasPrefixAt(rs, i, w) }) {
			break
		}
	}
	return start, i
}

// addressLike reports whether a value names a place precisely enough to find
// a home, and has not been redacted already. named says the party is named
// in full, so that 某 and X in the value are not a redaction.
func addressLike(v string, named bool) bool {
	if len([]rune(v)) < 4 || strings.Contains(v, "的") { // 家住农村的学生: prose
		return false
	}
	hasDigit := strings.ContainsFunc(v, func(r rune) bool { return isDigit(r) })
	if !hasDigit && (strings.ContainsAny(v, redactions) || !named && strings.ContainsAny(v, nameRedactions)) {
		return false
	}
	return hasDigit || slices.ContainsFunc(fineParts, func(p string) bool { return strings.Contains(v, p) })
}

// personsAddress decides whose address follows the label at labelStart. A
// person's label (住址, 家住) counts unless the nearest party is an
// organisation; 住所 counts only with a person in view and no organisation.
// named reports whether the nearest party is a person named in full (张三,
// not 张某).
func personsAddress(rs []rune, labelStart int, weak bool) (person, named bool) {
	window := string(rs[max(0, labelStart-120):labelStart])
	nearest, anyOrg, name := partyUnknown, false, ""
	for _, m := range reParty.FindAllStringSubmatch(window, -1) {
		k := kindOf(m[1], m[2])
		nearest, name = k, m[2]
		anyOrg = anyOrg || k == partyOrg
	}
	named = nearest == partyPerson && !strings.ContainsAny(name, redactions+nameRedactions)
	if !weak {
		return nearest != partyOrg, named
	}
	if anyOrg || reOrgHint.MatchString(window) {
		return false, false
	}
	return nearest == partyPerson || rePersonHint.MatchString(window), named
}

// Endings and words of organisations' names.
var (
	orgWords = []string{"公司", "有限", "集团", "合作社", "事务所", "委员会", "中心", "协会", "医院", "学校",
		"银行", "商行", "经营部", "门市", "超市", "酒店", "宾馆", "饭店", "幼儿园", "大学", "学院", "工作室"}
	orgEnds = "厂店局院所部社会行馆站处队场"
)

func kindOf(label, name string) partyKind {
	if label == "名称" || slices.ContainsFunc(orgWords, func(w string) bool { return strings.Contains(name, w) }) {
		return partyOrg
	}
	rs := []rune(name)
	allHan := !slices.ContainsFunc(rs, func(r rune) bool {
		return !unicode.Is(unicode.Han, r) && !strings.ContainsRune("*×X", r)
	})
	switch {
	case len(rs) >= 3 && strings.ContainsRune(orgEnds, rs[len(rs)-1]):
		return partyOrg
	case allHan && len(rs) >= 2 && len(rs) <= 4:
		return partyPerson
	}
	return partyUnknown
}

// maskAddress keeps an address down to its county (区, 县, 旗) or, lacking
// one, its city, which published decisions may show, and hides the rest.
func maskAddress(rs []rune) string {
	keep := 0
	for i, r := range rs {
		if i >= 2 && strings.ContainsRune("区县旗", r) && !strings.ContainsRune("小社园校景片厂矿", rs[i-1]) {
			keep = i + 1
			break
		}
	}
	if keep == 0 {
		for i, r := range rs {
			if i >= 1 && r == '市' {
				keep = i + 1
				break
			}
		}
	}
	return string(rs[:keep]) + "****"
}
