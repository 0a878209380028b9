package confidentiality

import (
	"strconv"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// isMaskRune is a rune that stands for a hidden character of a masked
// number: 110101********1233 (X and x do too inside an ID, where a real one
// has no letter). triggersOf must know the same runes.
func isMaskRune(r rune) bool {
	switch r {
	case '*', '×', '#', '●', '○', '■', '□':
		return true
	}
	return false
}

// maskedIDs judges resident IDs that were masked (18 characters, region
// visible, some hidden), which Check otherwise lets be:
//
//   - a mask that hides only the birth date, beside the birth date itself
//     (110101********1233 next to 1990年3月7日出生), can be rebuilt: when the
//     rebuilt number is a valid ID, it blocks;
//   - a mask that leaves the birth date visible (11010119900307****) hides the
//     wrong part and warns, with the standard mask as the suggestion.
func maskedIDs(rs []rune) []domain.Finding {
	var fs []domain.Finding
	for i := 0; i < len(rs); {
		if !isASCIIAlnum(rs[i]) && !isMaskRune(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && (isASCIIAlnum(rs[j]) || isMaskRune(rs[j])) {
			j++
		}
		if j-i == 18 {
			if f, ok := maskedID(rs, i, j); ok {
				fs = append(fs, f)
			}
		}
		i = j
	}
	return fs
}

// maskedID judges the 18 characters rs[start:end].
func maskedID(rs []rune, start, end int) (domain.Finding, bool) {
	id := rs[start:end]
	hidden := make([]bool, 18)
	nHidden := 0
	for k, r := range id {
		switch {
		case isMaskRune(r), (r == 'X' || r == 'x') && k < 17:
			hidden[k] = true
			nHidden++
		case isDigit(r), (r == 'X' || r == 'x') && k == 17:
		default:
			return domain.Finding{}, false
		}
	}
	if nHidden == 0 || nHidden == 18 {
		return domain.Finding{}, false
	}
	visible := func(a, b int) bool {
		for k := a; k < b; k++ {
			if hidden[k] {
				return false
			}
		}
		return true
	}
	today := time.Now().In(domain.Beijing)
	// The birth date in the clear.
	if visible(6, 14) && validBirthDate(string(id[6:14]), today) && (id[0] < '0' || id[0] > '9' || provinces[string(id[:2])] || hidden[0]) {
		sugg := string(id[:6]) + "********" + string(id[14:])
		return domain.Finding{
			Code: codeMaskedID, Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Start: start, End: end, Suggestion: sugg,
			MessageZH: "身份证号的隐去方式不当：出生日期（第7至14位）仍可见。应隐去第7至14位，如“" + sugg + "”。",
			MessageEN: "The ID number is masked in the wrong place: the birth date (characters 7-14) is still visible. Mask characters 7-14, as in " + strconv.Quote(sugg) + ".",
		}, true
	}
	// Only the birth date hidden, and written nearby.
	if !visible(0, 6) || !visible(14, 18) || !provinces[string(id[:2])] {
		return domain.Finding{}, false
	}
	for _, d := range birthDatesNear(rs, start, end) {
		rebuilt := []rune(string(id[:6]) + d + string(id[14:]))
		agrees := true
		for k := 6; k < 14; k++ {
			if !hidden[k] && id[k] != rebuilt[k] {
				agrees = false
			}
		}
		if agrees && ValidResidentID(string(rebuilt)) {
			return domain.Finding{
				Code: codeMaskedID, Severity: domain.SeverityBlock, Stage: domain.StageConfidentiality,
				Start: start, End: end,
				MessageZH: "隐去的身份证号可被还原：文中写明的出生日期正是被隐去的部分，合起来是一个有效的公民身份号码。请删除出生日期，或隐去更多位数。",
				MessageEN: "The masked ID number can be rebuilt: the birth date written nearby is exactly the hidden part, and together they make a valid citizen ID number. Remove the birth date or hide more of the number.",
			}, true
		}
	}
	return domain.Finding{}, false
}

// birthNear is how far, in runes, a birth date is looked for around a masked ID.
const birthNear = 80

// birthDatesNear returns the dates (yyyymmdd) written as birth dates within
// birthNear runes of [start, end): a full date with 出生, 生于 or 生日 before
// it or 出生 or 生 after it.
func birthDatesNear(rs []rune, start, end int) []string {
	from, to := max(0, start-birthNear), min(len(rs), end+birthNear)
	var out []string
	for i := from; i < to; i++ {
		if !isDigit(rs[i]) || i > 0 && isDigit(rs[i-1]) {
			continue
		}
		ymd, e, ok := readDate(rs, i)
		if !ok || e > to {
			continue
		}
		before := string(rs[max(from, i-8):i])
		after := string(rs[e:min(len(rs), e+3)])
		if strings.Contains(before, "出生") || strings.Contains(before, "生于") || strings.Contains(before, "生日") ||
			strings.HasPrefix(strings.TrimLeft(after, " "), "出生") || strings.HasPrefix(strings.TrimLeft(after, " "), "生") {
			out = append(out, ymd)
		}
	}
	return out
}

// readDate reads a full date at rs[i:]: 1990年3月7日, 1990-03-07, 1990.3.7 or
// 1990/3/7. It returns it as yyyymmdd and where it ends.
func readDate(rs []rune, i int) (string, int, bool) {
	num := func(i, most int) (int, int) {
		v, j := 0, i
		for j < len(rs) && j-i < most && isDigit(rs[j]) {
			v = v*10 + int(rs[j]-'0')
			j++
		}
		return v, j
	}
	skip := func(i int) int {
		for i < len(rs) && rs[i] == ' ' {
			i++
		}
		return i
	}
	y, j := num(i, 4)
	if j-i != 4 || j >= len(rs) {
		return "", 0, false
	}
	sep := rs[j]
	var m, d int
	var k int
	switch sep {
	case '年':
		m, k = num(skip(j+1), 2)
		if k = skip(k); k >= len(rs) || rs[k] != '月' {
			return "", 0, false
		}
		d, k = num(skip(k+1), 2)
		if k = skip(k); k >= len(rs) || rs[k] != '日' {
			return "", 0, false
		}
		k++
	case '-', '.', '/':
		m, k = num(j+1, 2)
		if k >= len(rs) || rs[k] != sep {
			return "", 0, false
		}
		d, k = num(k+1, 2)
	default:
		return "", 0, false
	}
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return "", 0, false
	}
	return pad(y, 4) + pad(m, 2) + pad(d, 2), k, true
}

func pad(v, n int) string {
	s := strconv.Itoa(v)
	for len(s) < n {
		s = "0" + s
	}
	return s
}
