package completeness

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks/runetext"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Field is one thing a category's text must state. It is data, not code, so
// that an administrator can read — and a later version load — what is
// required of each kind of publication without reading Go.
//
// A field is present when the title or the body has one of its Labels
// followed by a colon (：or :, an optional unit in brackets between, as in
// 预算金额（万元）：) and a value on the same line or, when the line ends at the
// colon, on the next one; or when its Pattern matches anywhere. A label with a
// colon and nothing after it counts as empty, which is reported as such.
type Field struct {
	// Key names the field in code and in logs.
	Key string `json:"key"`
	// NameZH and NameEN name the field in findings.
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	// Labels are the words that introduce the field in the text, e.g. 当事人.
	Labels []string `json:"labels"`
	// Pattern, optional, is a regular expression that recognises the value
	// itself, for texts that state the field without a label (经查，… for the
	// facts; a document number for 文号). It may use the placeholders {date},
	// {docno}, {law} and {organ}. An invalid pattern is ignored.
	Pattern string `json:"pattern,omitempty"`
	// When, optional, is a regular expression on the title: the field is
	// required only when it matches, so that an announcement and a result
	// notice of the same category can require different things.
	When string `json:"when,omitempty"`
}

// Patterns used by more than one category.
const (
	effectivePattern = `(?:自|从)[^。\n]{0,30}(?:起|之日)[^。\n]{0,8}(?:施行|实施|生效|执行)|有效期(?:至|为|自|：|:|[0-9一二三四五六七八九十]+年)`
	organLinePattern = `(?m:^` + blankPattern + `{organ}` + blankPattern + `$)`
	// ownNumberPattern is a document's own number: one that opens or ends a
	// line (the line under the heading, or the title's end), not one cited in
	// the middle of a sentence (根据国办发〔2023〕12号精神).
	ownNumberPattern = `(?m:^` + blankPattern + `{docno}|{docno}` + blankPattern + `[）)]?` + blankPattern + `$)`
	recruitTitle     = `(?:招考|招录|考录|招聘|遴选|选调|考试录用)[^\n]*(?:公告|简章)` + blankPattern + `$`
	publicityTitle   = `公示` + blankPattern + `$`
)

// RequiredFields is the declarative table of what each category's text must
// state before it may be published, keyed by category code
// (domain.Categories). A category without an entry requires nothing beyond
// the basic checks: news, plans, statistics, budgets and reports vary too
// much in form for a fixed list to help more than it hinders.
//
// The sets follow what the disclosure rules ask each kind of item to show:
// a penalty decision the decision number, the party, the violation, the legal
// basis, the penalty, the deciding organ and the date (the items of
// 行政处罚法 article 59 that a published decision keeps); a licence its
// number, holder, content, organ, date and term; a procurement notice the
// project, the purchaser and the money; a recruitment announcement when and
// how to apply and who may.
var RequiredFields = map[string][]Field{
	"penalty": {
		{Key: "decision_number", NameZH: "决定书文号", NameEN: "decision number",
			Labels:  []string{"决定书文号", "行政处罚决定书文号", "处罚决定书文号", "文书号", "文号"},
			Pattern: ownNumberPattern},
		{Key: "party", NameZH: "当事人", NameEN: "party",
			Labels: []string{"当事人", "当事人名称", "当事人姓名", "被处罚人", "被处罚单位", "被处罚人姓名或名称", "行政相对人名称"}},
		{Key: "violation", NameZH: "违法行为", NameEN: "type of violation",
			Labels:  []string{"违法行为", "违法行为类型", "违法事实", "主要违法事实", "案由"},
			Pattern: `经查明?` + blankPattern + `[，,：:]|(?:上述|以上|该|其)(?:违法)?行为(?:已)?(?:违反|构成)|违反了《`},
		{Key: "legal_basis", NameZH: "处罚依据", NameEN: "legal basis",
			Labels:  []string{"依据", "法律依据", "处罚依据", "行政处罚依据", "处罚的依据"},
			Pattern: `{law}`},
		{Key: "penalty", NameZH: "处罚内容", NameEN: "penalty imposed",
			Labels:  []string{"处罚内容", "处罚决定", "处罚种类", "处罚结果", "行政处罚内容", "行政处罚决定"},
			Pattern: `(?:决定[^书日机文]|处罚如下)[^。]{0,60}?(?:警告|通报批评|罚款|没收|暂扣|吊销|降低资质等级|责令停产停业|责令关闭|限制开展生产经营活动|限制从业|行政拘留)`},
		{Key: "authority", NameZH: "处罚机关", NameEN: "deciding authority",
			Labels:  []string{"处罚机关", "作出处罚决定的机关", "作出处罚决定机关", "处罚决定机关", "作出决定机关", "执法机关"},
			Pattern: organLinePattern + `|{signature}`},
		{Key: "decision_date", NameZH: "决定日期", NameEN: "decision date",
			Labels:  []string{"决定日期", "处罚决定日期", "作出处罚决定日期", "作出处罚决定的日期", "作出决定日期", "处罚日期"},
			Pattern: `{date}[^。\n]{0,6}作出|(?m:^` + blankPattern + `{date}` + blankPattern + `$)|{signature}`},
	},
	"license": {
		{Key: "decision_number", NameZH: "许可决定文号", NameEN: "licence decision number",
			Labels:  []string{"许可决定文号", "许可决定书文号", "行政许可决定书文号", "决定书文号", "许可文书号", "文号", "许可证编号", "许可证号", "证书编号"},
			Pattern: ownNumberPattern},
		{Key: "licensee", NameZH: "被许可人", NameEN: "licensee",
			Labels: []string{"被许可人", "被许可人名称", "被许可人姓名", "申请人", "申请人名称", "行政相对人", "行政相对人名称"}},
		{Key: "content", NameZH: "许可内容", NameEN: "content of the licence",
			Labels: []string{"许可内容", "许可事项", "许可范围", "许可项目", "经营范围", "许可种类"}},
		{Key: "authority", NameZH: "许可机关", NameEN: "licensing authority",
			Labels:  []string{"许可机关", "许可决定机关", "作出许可决定的机关", "发证机关", "审批机关", "颁发机关"},
			Pattern: organLinePattern + `|{signature}`},
		{Key: "decision_date", NameZH: "许可日期", NameEN: "licence date",
			Labels:  []string{"许可日期", "许可决定日期", "决定日期", "发证日期", "审批日期", "批准日期"},
			Pattern: `{date}[^。\n]{0,6}(?:作出|批准|准予)|(?m:^` + blankPattern + `{date}` + blankPattern + `$)`},
		{Key: "validity", NameZH: "有效期", NameEN: "term of validity",
			Labels:  []string{"有效期", "有效期限", "有效期至", "有效期自", "有效日期"},
			Pattern: `有效期限?(?:自|至|为)|长期有效`},
	},
	"procurement": {
		{Key: "project_name", NameZH: "项目名称", NameEN: "project name",
			Labels: []string{"项目名称", "采购项目名称"}},
		{Key: "purchaser", NameZH: "采购人", NameEN: "purchaser",
			Labels:  []string{"采购人", "采购人名称", "采购单位", "采购单位名称"},
			Pattern: `采购人信息\s*名` + blankPattern + `称` + blankPattern + `[：:]`},
		// A result notice states the awarded amount instead of the budget;
		// either answers "how much public money".
		{Key: "amount", NameZH: "预算金额", NameEN: "budget amount",
			Labels:  []string{"预算金额", "采购预算", "采购预算金额", "项目预算", "项目预算金额", "预算", "中标金额", "成交金额", "中标（成交）金额", "合同金额"},
			Pattern: `预算(?:金额)?(?:为|是)` + blankPattern + `(?:人民币)?` + blankPattern + `[0-9][0-9,.]*` + blankPattern + `万?元`},
	},
	"civil_service": {
		{Key: "apply_time", NameZH: "报名时间", NameEN: "application period",
			Labels: []string{"报名时间", "报名日期", "报名起止时间", "网上报名时间"},
			When:   recruitTitle},
		{Key: "apply_method", NameZH: "报名方式", NameEN: "how to apply",
			Labels:  []string{"报名方式", "报名办法", "报名途径", "报名地点", "报名网址", "报名网站"},
			Pattern: `(?:登录|通过)[^。\n]{0,40}报名`,
			When:    recruitTitle},
		{Key: "requirements", NameZH: "报考条件", NameEN: "eligibility",
			Labels:  []string{"报考条件", "报考资格", "报名条件", "资格条件", "招聘条件", "应聘条件"},
			Pattern: `(?:报考|应聘|报名)(?:人员)?(?:应当|须|需)?具备(?:下列|以下)`,
			When:    recruitTitle},
		{Key: "publicity_period", NameZH: "公示期", NameEN: "publicity period",
			Labels:  []string{"公示期", "公示时间", "公示期限", "公示日期"},
			Pattern: `公示期(?:为|自|：|:)|公示时间`,
			When:    publicityTitle},
		{Key: "contact", NameZH: "监督电话", NameEN: "telephone for objections",
			Labels:  []string{"监督电话", "举报电话", "联系电话", "咨询电话", "监督举报电话"},
			Pattern: `电话[：:]?` + blankPattern + `[0-9][0-9\-（）()]{6,}`,
			When:    publicityTitle},
	},
	"normative_document": {
		{Key: "document_number", NameZH: "文号", NameEN: "document number",
			Labels:  []string{"文号", "发文字号", "发文号"},
			Pattern: ownNumberPattern},
		{Key: "effective_date", NameZH: "施行日期", NameEN: "effective date",
			Labels:  []string{"施行日期", "实施日期", "生效日期", "有效期"},
			Pattern: effectivePattern},
	},
	"regulation": {
		{Key: "order_number", NameZH: "令号", NameEN: "order number",
			Labels:  []string{"令号"},
			Pattern: `令\s*[（(]?\s*第\s*[0-9〇一二三四五六七八九十百]+\s*号|第\s*[0-9〇一二三四五六七八九十百]+\s*号令`},
		{Key: "effective_date", NameZH: "施行日期", NameEN: "effective date",
			Labels:  []string{"施行日期", "实施日期", "生效日期"},
			Pattern: effectivePattern},
	},
	// Fees are often published as a table whose header has no colon, so the
	// header words themselves count.
	"fee": {
		{Key: "fee_item", NameZH: "收费项目", NameEN: "fee item",
			Labels: []string{"收费项目", "收费项目名称"}, Pattern: `收费项目`},
		{Key: "fee_rate", NameZH: "收费标准", NameEN: "fee rate",
			Labels: []string{"收费标准"}, Pattern: `收费标准|[0-9]+(?:\.[0-9]+)?` + blankPattern + `元` + blankPattern + `/`},
		{Key: "fee_basis", NameZH: "收费依据", NameEN: "legal basis of the fee",
			Labels: []string{"收费依据", "政策依据", "依据"}, Pattern: `收费依据|{law}|{docno}`},
	},
}

// categoryNames are the categories' names in findings, where one is needed.
var categoryNames = map[string][2]string{
	"penalty":            {"行政处罚决定", "penalty decision"},
	"license":            {"行政许可决定", "licence decision"},
	"procurement":        {"政府采购信息", "procurement notice"},
	"civil_service":      {"公务员招录信息", "civil-service recruitment notice"},
	"normative_document": {"行政规范性文件", "normative document"},
	"regulation":         {"政府规章", "government regulation"},
	"fee":                {"收费信息", "fee notice"},
}

var placeholders = strings.NewReplacer("{date}", datePattern, "{docno}", docnoPattern, "{law}", lawPattern, "{organ}", organPattern,
	"{signature}", signaturePattern)

// compiled caches the regular expressions of the table, built on first use
// because the table is a variable an administrator's configuration may change.
var compiled sync.Map // source string -> *regexp.Regexp, nil when invalid

func compile(src string) *regexp.Regexp {
	if v, ok := compiled.Load(src); ok {
		return v.(*regexp.Regexp)
	}
	re, err := regexp.Compile(src)
	if err != nil {
		re = nil
	}
	compiled.Store(src, re)
	return re
}

// patternRE is a field's Pattern with its placeholders filled in.
func patternRE(p string) *regexp.Regexp {
	if p == "" {
		return nil
	}
	return compile(placeholders.Replace(p))
}

// labelRE matches any of the labels followed by a colon.
func labelRE(labels []string) *regexp.Regexp {
	ls := slices.Clone(labels)
	ls = slices.DeleteFunc(ls, func(s string) bool { return strings.TrimSpace(s) == "" })
	if len(ls) == 0 {
		return nil
	}
	// Longest first, so that 处罚决定日期 is not read as 处罚决定 + 日期.
	slices.SortStableFunc(ls, func(a, b string) int { return utf8.RuneCountInString(b) - utf8.RuneCountInString(a) })
	for i, l := range ls {
		ls[i] = regexp.QuoteMeta(l)
	}
	return compile(`(?:` + strings.Join(ls, "|") + `)` + blankPattern +
		`(?:（[^（）\n]{0,12}）|\([^()\n]{0,12}\))?` + blankPattern + `[：:]`)
}

// The sieves of the table's expressions (see runetext.Sieve), cached by the
// Pattern and the labels as written: filling in the placeholders and sorting
// the labels anew for every draft would cost more than the matching.
var (
	patternSieves sync.Map // Pattern -> *runetext.Sieve, nil when invalid
	labelSieves   sync.Map // labelsKey(Labels) -> *runetext.Sieve, nil when none
)

func cachedSieve(cache *sync.Map, key string, build func() *regexp.Regexp) *runetext.Sieve {
	if v, ok := cache.Load(key); ok {
		return v.(*runetext.Sieve)
	}
	var s *runetext.Sieve
	if re := build(); re != nil {
		s = runetext.AutoSieve(re)
	}
	cache.Store(key, s)
	return s
}

// patternSieve is patternRE as a sieve, nil when there is no valid pattern.
func patternSieve(p string) *runetext.Sieve {
	if p == "" {
		return nil
	}
	return cachedSieve(&patternSieves, p, func() *regexp.Regexp { return patternRE(p) })
}

// labelSieve is labelRE as a sieve, nil when there are no labels.
func labelSieve(labels []string) *runetext.Sieve {
	return cachedSieve(&labelSieves, labelsKey(labels), func() *regexp.Regexp { return labelRE(labels) })
}

// labelsKey tells every list of labels from every other: each label is
// preceded by its length.
func labelsKey(labels []string) string {
	var b strings.Builder
	for _, l := range labels {
		b.WriteString(strconv.Itoa(len(l)))
		b.WriteByte(':')
		b.WriteString(l)
	}
	return b.String()
}

// reLabelLike is a line that starts with a label of its own (项目名称：),
// which is not the value of the label on the line before.
var reLabelLike = regexp.MustCompile(`^[^：:\n]{1,12}[：:]`)

// restOfLine is t from rune i to the end of its line, and the next line,
// each cut at valueScan runes: enough to see whether a value is there.
func restOfLine(t *text, i int) (rest, next string) {
	const valueScan = 64
	e := i
	for e < len(t.Runes) && e-i < valueScan && !isLineBreak(t.Runes[e]) {
		e++
	}
	rest = t.slice(i, e)
	if e-i == valueScan {
		return rest, ""
	}
	for e < len(t.Runes) && isLineBreak(t.Runes[e]) {
		e++
	}
	n := e
	for n < len(t.Runes) && n-e < valueScan && !isLineBreak(t.Runes[n]) {
		n++
	}
	return rest, t.slice(e, n)
}

// fieldState is what the text says about one required field.
type fieldState int

const (
	fieldMissing fieldState = iota
	fieldEmpty
	fieldPresent
)

// locate finds a required field in the texts; for an empty label it returns
// where the label is.
func locate(f Field, texts ...*text) (state fieldState, where *text, start, end int) {
	if re := patternSieve(f.Pattern); re != nil {
		for _, t := range texts {
			if re.MatchString(t.Str) {
				return fieldPresent, t, 0, 0
			}
		}
	}
	re := labelSieve(f.Labels)
	if re == nil {
		return fieldMissing, nil, 0, 0
	}
	for _, t := range texts {
		for _, m := range re.FindAllStringIndex(t.Str, -1) {
			s, e := t.Span(m[0], m[1])
			rest, next := restOfLine(t, e)
			if strings.TrimFunc(rest, func(r rune) bool { return isSpace(r) || strings.ContainsRune("；;。，,、", r) }) != "" ||
				(blank(rest) && !blank(next) && !reLabelLike.MatchString(strings.TrimLeftFunc(next, isSpace))) {
				return fieldPresent, t, 0, 0
			}
			if state == fieldMissing {
				state, where, start, end = fieldEmpty, t, s, e
			}
		}
	}
	return state, where, start, end
}

// applies reports whether a field is required of a draft with this title.
func applies(f Field, title string) bool {
	if f.When == "" {
		return true
	}
	re := compile(f.When)
	return re == nil || re.MatchString(title) // an unreadable condition requires the field
}

// requiredFields checks the fields RequiredFields lists for the category. A
// missing or empty field blocks: a decision published without its party or
// its legal basis is not the decision, and stage 1 exists to send it back.
func requiredFields(category string, title, body *text) []domain.Finding {
	var fs []domain.Finding
	cat, ok := categoryNames[category]
	if !ok {
		cat = [2]string{"本类信息", "this category"}
	}
	for _, f := range RequiredFields[category] {
		if !applies(f, title.Str) {
			continue
		}
		label := f.NameZH
		if len(f.Labels) > 0 {
			label = f.Labels[0]
		}
		switch state, t, s, e := locate(f, title, body); state {
		case fieldMissing:
			fs = append(fs, wholeDraft("required_field_missing", domain.SeverityBlock,
				fmt.Sprintf("%s缺少必备要素“%s”（%s），请写明，例如以“%s：”开头。", cat[0], f.NameZH, f.NameEN, label),
				fmt.Sprintf("The %s does not state its %s (%s); add it, e.g. introduced by \"%s：\".", cat[1], f.NameEN, f.NameZH, label)))
		case fieldEmpty:
			fs = append(fs, newFinding("required_field_empty", domain.SeverityBlock, t.name, s, e,
				fmt.Sprintf("%s的必备要素“%s”（%s）只有标签，没有内容。", cat[0], f.NameZH, f.NameEN),
				fmt.Sprintf("The %s names its %s (%s) but gives no value.", cat[1], f.NameEN, f.NameZH), ""))
		}
	}
	return fs
}
