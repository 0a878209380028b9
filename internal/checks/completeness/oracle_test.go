package completeness

// The original implementation of the rules that were made faster, kept as
// the oracle of the differential tests (differential_test.go): the regular
// expressions run on the whole text, the organs' suffixes are looked up as
// strings, every rune goes through strings.ContainsRune and the maps. Each
// function is the original under the name orig…; the helpers that did not
// change are shared.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func origCheck(c domain.Content, today time.Time) []domain.Finding {
	today = civilDay(today)
	title, body := newText(fieldTitle, c.Title), newText(fieldBody, c.Body)

	fs := basic(c, title, body, today)
	if domain.ValidCategory(c.Category) {
		fs = append(fs, origRequiredFields(c.Category, title, body)...)
	}

	bodyDates := origFindDates(body)
	decision := -1
	if c.Category == "penalty" {
		if d, ok := origDecisionDate(body, bodyDates); ok {
			decision = d.start
			fs = append(fs, decisionDateFindings(c, d, today)...)
		}
	}
	for _, t := range []*text{title, body} {
		dates, skip := bodyDates, decision
		if t == title {
			dates, skip = origFindDates(title), -1
		}
		fs = append(fs, origDocNumbersIn(t, c.Category)...)
		fs = append(fs, dateFindings(t, dates, today, skip)...)
		fs = append(fs, origBrackets(t)...)
		fs = append(fs, origRepeatedPunctuation(t)...)
		fs = append(fs, origOrgNames(t, c.Department)...)
	}
	fs = dedupe(fs)
	for i := range fs {
		fs[i].Stage = domain.StageCompleteness
	}
	sortFindings(fs)
	return fs
}

func origFindDates(t *text) []dateMention {
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

	for _, m := range reDateYMD.FindAllStringSubmatchIndex(t.Str, -1) {
		if digitBefore(m[0]) {
			continue
		}
		y, _ := strconv.Atoi(t.Str[m[2]:m[3]])
		mo, _ := strconv.Atoi(t.Str[m[4]:m[5]])
		d, _ := strconv.Atoi(t.Str[m[6]:m[7]])
		s, e := t.Span(m[0], m[1])
		add(mention(t, s, e, y, mo, d))
	}
	for _, m := range reDateCN.FindAllStringSubmatchIndex(t.Str, -1) {
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
	for _, m := range reDateSep.FindAllStringSubmatchIndex(t.Str, -1) {
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
	for _, m := range reDateMD.FindAllStringSubmatchIndex(t.Str, -1) {
		s, e := t.Span(m[0], m[1])
		if digitBefore(m[0]) || overlaps(s, e) {
			continue
		}
		mo, _ := strconv.Atoi(t.Str[m[2]:m[3]])
		d, _ := strconv.Atoi(t.Str[m[4]:m[5]])
		add(mention(t, s, e, 0, mo, d))
	}
	for _, m := range reDateCMD.FindAllStringSubmatchIndex(t.Str, -1) {
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

func origExportedDecisionDate(body string) (date time.Time, start, end int, ok bool) {
	t := newText(fieldBody, body)
	if d, found := origDecisionDate(t, origFindDates(t)); found {
		return d.date(), d.start, d.end, true
	}
	return time.Time{}, -1, -1, false
}

func origDecisionDate(t *text, dates []dateMention) (dateMention, bool) {
	var full []dateMention
	for _, d := range dates {
		if d.full() {
			full = append(full, d)
		}
	}
	// 1. A labelled date.
	for _, m := range reDecisionLabel.FindAllStringIndex(t.Str, -1) {
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
		if blank(t.slice(ls, d.start)) && blank(t.slice(d.end, le)) {
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

func origDocumentNumbers(t *text, limit int) []domain.Finding {
	var fs []domain.Finding
	for _, m := range reDocNumber.FindAllStringSubmatchIndex(t.Str, limit) {
		prefix := t.Str[m[2]:m[3]]
		pStart := m[2]
		for _, w := range prefixStops {
			if i := strings.LastIndex(prefix, w); i >= 0 && m[2]+i+len(w) > pStart {
				pStart = m[2] + i + len(w)
			}
		}
		prefix = t.Str[pStart:m[3]]
		open, year, closing, di, serial := t.Str[m[4]:m[5]], t.Str[m[6]:m[7]], t.Str[m[8]:m[9]], t.Str[m[10]:m[11]], t.Str[m[12]:m[13]]
		start, end := t.Span(pStart, m[1])
		written := t.slice(start, end)

		fixedYear := year
		switch len(year) {
		case 2:
			fixedYear = "20" + year
		case 3:
			fixedYear = "" // no safe guess
		}
		fixedSerial := strings.TrimLeft(serial, "0")
		if fixedSerial == "" {
			fixedSerial = "0"
		}
		suggestion := ""
		if fixedYear != "" {
			suggestion = prefix + "〔" + fixedYear + "〕" + fixedSerial + "号"
		}
		add := func(code, zh, en string) {
			fs = append(fs, newFinding(code, domain.SeverityWarn, t.name, start, end,
				fmt.Sprintf("发文字号“%s”%s（GB/T 9704-2012 第7.2.4条）。", written, zh),
				fmt.Sprintf("Document number %q: %s (GB/T 9704-2012 §7.2.4).", written, en), suggestion))
		}
		if open != "〔" || closing != "〕" {
			add("docno_brackets", "的年份应使用六角括号“〔〕”，不用"+open+closing,
				"the year goes in hexagonal brackets 〔〕, not "+open+closing)
		}
		if len(year) != 4 {
			add("docno_year", "的年份应标全称（四位数字）",
				"the year must be written in full, with four digits")
		}
		if di != "" {
			add("docno_serial_di", "的发文顺序号前不加“第”字",
				"the serial number takes no 第 before it")
		}
		if len(serial) > 1 && serial[0] == '0' {
			add("docno_leading_zero", "的发文顺序号不编虚位（1不编为01）",
				"the serial number has no leading zeros (1, not 01)")
		}
		if strings.ContainsFunc(t.Str[m[4]:m[1]], isSpace) {
			add("docno_spacing", "中间不应有空格",
				"it must not contain spaces")
		}
	}
	return fs
}

func origDocNumbersIn(t *text, category string) []domain.Finding {
	fs := origDocumentNumbers(t, maxPerRule)
	for i := range fs {
		if category == "normative_document" {
			fs[i].Severity = domain.SeverityBlock
		}
	}
	return fs
}

func origOrgSuffixLen(a, b []rune) int {
	for _, s := range orgSuffixes {
		if hasSuffixAt(a, len(a), s) && hasSuffixAt(b, len(b), s) {
			return utf8.RuneCountInString(s)
		}
	}
	return 0
}

func origTypoDiff(a, b []rune) (overlap, at int, ok bool) {
	s := origOrgSuffixLen(a, b)
	if s == 0 {
		return 0, 0, false
	}
	overlap = min(len(a), len(b))
	if overlap < minOrgOverlap {
		return 0, 0, false
	}
	at = -1
	for k := range overlap {
		if a[len(a)-1-k] != b[len(b)-1-k] {
			if at >= 0 {
				return 0, 0, false
			}
			at = k
		}
	}
	if at < s || overlap-1-at < 2 || at == s+1 {
		return 0, 0, false
	}
	ra, rb := a[len(a)-1-at], b[len(b)-1-at]
	if !isHan(ra) || !isHan(rb) || strings.ContainsRune(distinctChars, ra) || strings.ContainsRune(distinctChars, rb) {
		return 0, 0, false
	}
	return overlap, at, true
}

func origOrgCandidates(rs []rune) []orgName {
	var out []orgName
	seen := map[int]bool{}
	for end := 1; end <= len(rs); end++ {
		for _, s := range orgSuffixes {
			if !seen[end] && hasSuffixAt(rs, end, s) {
				seen[end] = true
				start := hanRunStart(rs, end, maxOrgName)
				if end-start > utf8.RuneCountInString(s)+1 {
					out = append(out, orgName{start, end, rs[start:end]})
				}
			}
		}
	}
	return out
}

func origOrgNames(t *text, department string) []domain.Finding {
	rs := t.Runes
	var fs []domain.Finding
	add := func(start, end int, written, want string) {
		if len(fs) >= maxPerRule {
			return
		}
		fs = append(fs, newFinding("org_name_inconsistent", domain.SeverityWarn, t.name, start, end,
			fmt.Sprintf("机构名称“%s”与文中的“%s”不一致，请核对并统一使用规范全称。", written, want),
			fmt.Sprintf("The organisation name %q is inconsistent with %q elsewhere; check it and use the full official name throughout.", written, want),
			want))
	}

	// 1. One-character differences between names of the text.
	cands := origOrgCandidates(rs)
	if len(cands) > 300 {
		cands = cands[:300]
	}
	distinct := map[string][]rune{}
	var order []string
	for _, c := range cands {
		if _, ok := distinct[string(c.name)]; !ok {
			distinct[string(c.name)] = c.name
			order = append(order, string(c.name))
		}
	}
	for i := range order {
		for j := i + 1; j < len(order); j++ {
			a, b := distinct[order[i]], distinct[order[j]]
			ov, _, ok := origTypoDiff(a, b)
			if !ok {
				continue
			}
			va, vb := a[len(a)-ov:], b[len(b)-ov:]
			oa, ob := occurrences(rs, va), occurrences(rs, vb)
			if len(oa) == 0 || len(ob) == 0 {
				continue
			}
			rare, common, at := vb, va, ob
			if len(oa) < len(ob) || (len(oa) == len(ob) && oa[0] > ob[0]) {
				rare, common, at = va, vb, oa
			}
			for _, p := range at {
				add(p, p+len(rare), string(rare), string(common))
			}
		}
	}

	// 2. Short forms beside full forms.
	for _, sf := range []struct{ full, short, notAfter string }{
		{"街道办事处", "街道办", "事公"},
		{"人民政府", "政府", ""},
	} {
		full, short := []rune(sf.full), []rune(sf.short)
		var areas [][]rune
		for _, p := range occurrences(rs, full) {
			if a := rs[hanRunStart(rs, p, 10):p]; len(a) >= 2 {
				areas = append(areas, a)
			}
		}
		if len(areas) == 0 {
			continue
		}
		for _, p := range occurrences(rs, short) {
			end := p + len(short)
			if sf.full == "人民政府" && hasSuffixAt(rs, p, "人民") {
				continue
			}
			if end < len(rs) && (hasPrefixAt(rs, end, "事处") || strings.ContainsRune(sf.notAfter, rs[end])) {
				continue
			}
			// 政府 is also the first half of 政府采购, 政府信息 …: only a 政府
			// that ends the word (followed by no Han or by a particle) is a name.
			if sf.full == "人民政府" && end < len(rs) && isHan(rs[end]) && !strings.ContainsRune("的和与及同对在已将要", rs[end]) {
				continue
			}
			mine := rs[hanRunStart(rs, p, 10):p]
			for _, a := range areas {
				l := 0
				for l < len(a) && l < len(mine) && a[len(a)-1-l] == mine[len(mine)-1-l] {
					l++
				}
				if l >= 2 {
					area := string(a[len(a)-l:])
					add(p-l, end, area+sf.short, area+sf.full)
					break
				}
			}
		}
	}

	// 3. Near misses of the department's own name.
	dept := []rune(strings.TrimSpace(department))
	if n := len(dept); n >= minOrgOverlap && n <= 40 {
		for i := 0; i+n <= len(rs); i++ {
			w := rs[i : i+n]
			if _, _, ok := origTypoDiff(dept, w); ok {
				add(i, i+n, string(w), string(dept))
			}
		}
	}
	return fs
}

func origLocate(f Field, texts ...*text) (state fieldState, where *text, start, end int) {
	if re := patternRE(f.Pattern); re != nil {
		for _, t := range texts {
			if re.MatchString(t.Str) {
				return fieldPresent, t, 0, 0
			}
		}
	}
	re := labelRE(f.Labels)
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

func origRequiredFields(category string, title, body *text) []domain.Finding {
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
		switch state, t, s, e := origLocate(f, title, body); state {
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

func origBrackets(t *text) []domain.Finding {
	type open struct {
		r   rune
		pos int
	}
	var fs []domain.Finding
	var stack []open
	count := 0
	report := func(r rune, pos int, zh, en string) {
		if count >= maxPerRule {
			return
		}
		count++
		code, zhKind, enKind := "unbalanced_bracket", "括号", "bracket"
		if isQuote(r) {
			code, zhKind, enKind = "unbalanced_quote", "引号", "quotation mark"
		}
		fs = append(fs, newFinding(code, domain.SeverityWarn, t.name, pos, pos+1,
			fmt.Sprintf(zh, zhKind, string(r)), fmt.Sprintf(en, enKind, string(r)), ""))
	}
	rs := t.Runes
	for i, r := range rs {
		if _, ok := pairs[r]; ok {
			stack = append(stack, open{r, i})
			continue
		}
		o, ok := openerOf[r]
		if !ok {
			continue
		}
		if r == '’' && i > 0 && i+1 < len(rs) && isASCIILetter(rs[i-1]) && isASCIILetter(rs[i+1]) {
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].r == o {
			stack = stack[:n-1]
			continue
		}
		if n := len(stack); n > 0 && otherWidth[stack[n-1].r] == o {
			want := pairs[stack[n-1].r]
			if count < maxPerRule {
				count++
				fs = append(fs, newFinding("bracket_width_mismatch", domain.SeverityWarn, t.name, i, i+1,
					fmt.Sprintf("括号全角半角混用：“%s”与“%s”不配对，应为“%s”。", string(stack[n-1].r), string(r), string(want)),
					fmt.Sprintf("Mixed-width brackets: %q does not close %q; use %q.", string(r), string(stack[n-1].r), string(want)),
					string(want)))
			}
			stack = stack[:n-1]
			continue
		}
		// A closer deeper in the stack closes it there; whatever was opened
		// above it was never closed.
		k := -1
		for j := len(stack) - 1; j >= 0; j-- {
			if stack[j].r == o {
				k = j
				break
			}
		}
		if k >= 0 {
			for _, u := range stack[k+1:] {
				report(u.r, u.pos, "%s“%s”没有对应的后半部分。", "The %s %q is opened but never closed.")
			}
			stack = stack[:k]
			continue
		}
		if enumerator(rs, i) {
			continue
		}
		report(r, i, "%s“%s”没有对应的前半部分。", "The %s %q closes nothing that was opened.")
	}
	for _, u := range stack {
		report(u.r, u.pos, "%s“%s”没有对应的后半部分。", "The %s %q is opened but never closed.")
	}
	return fs
}

func origRepeatedPunctuation(t *text) []domain.Finding {
	var fs []domain.Finding
	rs := t.Runes
	for i := 0; i < len(rs); {
		j := i + 1
		if strings.ContainsRune(repeatable, rs[i]) {
			for j < len(rs) && rs[j] == rs[i] {
				j++
			}
		}
		if j-i >= 2 && len(fs) < maxPerRule {
			run := string(rs[i:j])
			sug := string(rs[i])
			if j-i >= 3 && (rs[i] == '。' || rs[i] == '、') {
				sug = "……"
			}
			fs = append(fs, newFinding("repeated_punctuation", domain.SeverityWarn, t.name, i, j,
				fmt.Sprintf("标点符号“%s”重复使用，应为“%s”。", run, sug),
				fmt.Sprintf("The punctuation mark is repeated (%q); write %q.", run, sug), sug))
		}
		i = j
	}
	return fs
}
