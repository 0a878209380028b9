package completeness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// orgSuffixes end the names of organs whose spelling this package compares,
// longest first so that the longest one a name ends with is found first.
var orgSuffixes = []string{"人民政府", "办事处", "委员会", "政府", "局"}

// maxOrgName is how many Han characters before a suffix are taken as a name.
// A name is cut out of running text without knowing where it starts, so the
// comparison is right-aligned: two names are compared from the suffix back.
const maxOrgName = 16

// minOrgOverlap is the shortest right-aligned stretch two names must share
// (suffix included) before a one-character difference is taken for a typo.
const minOrgOverlap = 6

// distinctChars are characters by which two real organs commonly differ:
// directions, numbers, ordinals and administrative levels (东城区/西城区,
// 第一/第二, 市教育局/区教育局). A difference in one of them is never reported.
const distinctChars = "东西南北中上下前后左右内外新旧老大小高低一二三四五六七八九十百千零〇两甲乙丙丁省市区县镇乡村州旗盟街道"

// orgSuffixRunes are orgSuffixes as runes, for the loops over every rune of
// a text and every pair of names.
var orgSuffixRunes = func() [][]rune {
	out := make([][]rune, len(orgSuffixes))
	for i, s := range orgSuffixes {
		out[i] = []rune(s)
	}
	return out
}()

// endsOrgSuffix reports whether rs ends with s.
func endsOrgSuffix(rs, s []rune) bool {
	return len(rs) >= len(s) && slices.Equal(rs[len(rs)-len(s):], s)
}

// orgSuffixLen returns the length in runes of the longest organ suffix that
// both names end with, 0 if none.
func orgSuffixLen(a, b []rune) int {
	// Names that end with different runes share no suffix: most pairs, and
	// almost every window of the department check, stop here.
	if len(a) == 0 || len(b) == 0 || a[len(a)-1] != b[len(b)-1] {
		return 0
	}
	for _, s := range orgSuffixRunes {
		if endsOrgSuffix(a, s) && endsOrgSuffix(b, s) {
			return len(s)
		}
	}
	return 0
}

// typoDiff compares two names right-aligned. It reports the overlap length
// and the position, counted from the right, of their only difference, when
// they differ in exactly one character in a way that looks like a typo:
//
//   - they end with the same organ suffix and overlap by at least minOrgOverlap;
//   - at least two equal characters stand to the left of the difference within
//     the overlap (otherwise the "difference" is just where the cut-out names
//     happen to start: 经东城区… against 由东城区…);
//   - neither character is a direction, number or level (distinctChars);
//   - the difference is not the first character of the two-character word
//     just before the suffix, where organs of one area differ by design:
//     教育局/体育局, 民政局/财政局, 审计局/统计局, 商务局/税务局, 农业局/林业局.
func typoDiff(a, b []rune) (overlap, at int, ok bool) {
	s := orgSuffixLen(a, b)
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

type orgName struct {
	start, end int
	name       []rune
}

// orgCandidates cuts out, at every organ suffix, the Han characters before it.
func orgCandidates(rs []rune) []orgName {
	var out []orgName
	for end := 1; end <= len(rs); end++ {
		if !orgSuffixEnds.has(rs[end-1]) {
			continue
		}
		// The longest suffix that ends here, as orgSuffixes are longest first.
		for _, s := range orgSuffixRunes {
			if endsOrgSuffix(rs[:end], s) {
				start := hanRunStart(rs, end, maxOrgName)
				if end-start > len(s)+1 {
					out = append(out, orgName{start, end, rs[start:end]})
				}
				break
			}
		}
	}
	return out
}

// orgSuffixEnds are the last runes of orgSuffixes: a cheap test of every rune.
var orgSuffixEnds = func() *runeSet {
	var ends []string
	for _, s := range orgSuffixRunes {
		ends = append(ends, string(s[len(s)-1]))
	}
	return newRuneSet(ends...)
}()

// occurrences returns the start of every occurrence of sub in rs.
func occurrences(rs []rune, sub []rune) []int {
	var out []int
	for i := 0; i+len(sub) <= len(rs); i++ {
		if (len(sub) == 0 || rs[i] == sub[0]) && slices.Equal(rs[i:i+len(sub)], sub) {
			out = append(out, i)
		}
	}
	return out
}

// orgNames reports organisation names that are written two ways in one text,
// a warning since either may be the intended one:
//
//  1. a name that differs from another by one character (see typoDiff); the
//     rarer spelling is reported, the later one on a tie, and the other
//     suggested;
//  2. the short form of a name whose full form the text also uses: X街道办
//     beside X街道办事处, X政府 beside X人民政府;
//  3. a near miss of the drafting department's own name, which is known
//     exactly: the same length, one character different under the rules of
//     typoDiff, the department's name suggested.
//
// Limits: names are found only by their suffix (局, 委员会, 人民政府/政府,
// 办事处) and compared only when one character differs; abbreviations such
// as 发改委 for 发展和改革委员会, and two-character differences, are not seen.
// Two real organs that differ by one character outside the exclusions of
// typoDiff are reported, and the reviewer dismisses the warning.
func orgNames(t *text, department string) []domain.Finding {
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
	cands := orgCandidates(rs)
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
			ov, _, ok := typoDiff(a, b)
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
			if w[n-1] != dept[n-1] {
				continue // no suffix in common (see orgSuffixLen): most windows
			}
			if _, _, ok := typoDiff(dept, w); ok {
				add(i, i+n, string(w), string(dept))
			}
		}
	}
	return fs
}
