// Package confidentiality holds the machine checks of stage 3 (终审): markings
// of state secrets and work secrets, and personal data that must not reach a
// public channel. A reviewer with the confidentiality role decides the stage;
// these checks point at what they must look at, with rune offsets the web UI
// can highlight.
//
// Every function is pure: it reads its argument and nothing else, except that
// a resident ID's birth date is compared with today's date in China.
//
// Known limits:
//   - a resident ID's region is checked at province level only (see provinces);
//     15-digit first-generation IDs and the 2023 foreigners' permanent
//     residence numbers are not detected;
//   - a number is recognised as a whole run of ASCII letters and digits, or as
//     groups (6-8-4, 3-4-4, 4-4-4-4[-n]) joined by one space or hyphen that are
//     not joined to further groups; a mobile number glued to letters
//     ("Tel13812345678") or written with other separators is missed;
//   - an 18-digit string that is both a valid ID and a valid credit code is
//     decided by the label before it, else by the credit code's structure;
//   - home addresses are found only after a label and judged by the nearest
//     party named before them (see address.go), so they only warn;
//   - a marking quoted in prose ("标注“秘密★”") is still reported.
//
// The detectors work on a folded copy of the text in which full-width ASCII
// (０-９, Ａ-Ｚ, ：, －, ＊ …) becomes half-width and the ideographic space
// becomes a space. Folding maps one rune to one rune, so an offset into the
// folded copy is the same offset into the original.
package confidentiality

import (
	"cmp"
	"slices"

	"github.com/sanshen-gov/sanshen/internal/checks/runetext"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// The fields of domain.Content that Check reads, in the order it reports them.
const (
	fieldTitle = "title"
	fieldBody  = "body"
)

// Check runs every detector of this package on the title and the body and
// returns findings with Stage = domain.StageConfidentiality, Field = "title"
// or "body", Start/End rune offsets into that field (End exclusive), sorted by
// field (title first, as a reader meets them) then Start. It is the one entry
// point the stage 3 worker calls, so adding a detector here is all it takes to
// put it in front of the reviewer.
func Check(c domain.Content) []domain.Finding {
	var out []domain.Finding
	for _, field := range []struct{ name, text string }{
		{fieldTitle, c.Title},
		{fieldBody, c.Body},
	} {
		t := newText(field.text) // prepared once for both detectors
		for _, detect := range []func(*text) []domain.Finding{markings, personalData} {
			for _, f := range detect(t) {
				f.Stage = domain.StageConfidentiality
				f.Field = field.name
				out = append(out, f)
			}
		}
	}
	slices.SortStableFunc(out, compareFindings)
	return out
}

func fieldRank(field string) int {
	switch field {
	case fieldTitle:
		return 0
	case fieldBody:
		return 1
	}
	return 2
}

func compareFindings(a, b domain.Finding) int {
	return cmp.Or(
		cmp.Compare(fieldRank(a.Field), fieldRank(b.Field)),
		cmp.Compare(a.Start, b.Start),
		cmp.Compare(a.End, b.End),
		cmp.Compare(a.Code, b.Code),
	)
}

// sortByOffset orders one field's findings for the detectors' callers.
func sortByOffset(fs []domain.Finding) []domain.Finding {
	slices.SortStableFunc(fs, compareFindings)
	return fs
}

// text is a field prepared for matching, its runes folded to half-width with
// fold; see runetext.
type text = runetext.Text

func newText(s string) *text { return runetext.Prepare(s, fold) }

// fold maps full-width ASCII variants and unusual spaces to ASCII, one rune
// for one rune, so that "１３８" is matched like "138".
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // ！ … ～
		return r - 0xFEE0
	case r == 0x3000, r == 0x00A0, r == 0x2002, r == 0x2003, r == 0x2009, r == 0x202F:
		return ' '
	case r == 0x2010, r == 0x2011, r == 0x2012, r == 0x2013, r == 0xFE63: // hyphens, en dash
		return '-'
	}
	return r
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isASCIIAlnum(r rune) bool {
	return isDigit(r) || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}

func isBlank(r rune) bool { return r == ' ' || r == '\t' }

func isLineBreak(r rune) bool { return r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029 }

// closers pairs the opening brackets that frame a marking with their closers.
var closers = map[rune]rune{
	'【': '】', '〔': '〕', '[': ']', '(': ')', '〈': '〉', '<': '>',
	'「': '」', '『': '』', '〖': '〗', '{': '}',
}

// lineStart returns the offset of the first rune of the line holding offset i.
func lineStart(rs []rune, i int) int {
	for i > 0 && !isLineBreak(rs[i-1]) {
		i--
	}
	return i
}

// hasPrefixAt reports whether rs[i:] starts with s.
func hasPrefixAt(rs []rune, i int, s string) bool {
	for _, r := range s {
		if i >= len(rs) || rs[i] != r {
			return false
		}
		i++
	}
	return true
}
