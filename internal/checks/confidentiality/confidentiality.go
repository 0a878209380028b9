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
//   - a number is recognised as a whole run of ASCII letters and digits (the
//     normaliser has joined an ID's or a mobile number's groups, 6-8-4,
//     6-4-4-4, 4-4-4-4-2 and 3-4-4, written with one space, dot or hyphen), or
//     as a card's groups (4-4-4-4[-n]) joined by one space or hyphen, not
//     joined to further groups; a mobile number glued to letters
//     ("Tel13812345678"), with every digit spaced out, or split across lines
//     is missed;
//   - a masked ID is rebuilt only from a birth date written as one (出生,
//     生于 …) within 80 runes of it, and only when the rebuilt number is valid;
//   - a mobile number is an official's duty line (a warning) only by the
//     words before it on its line or heading its list (网格员, 值班电话 …);
//   - an 18-digit string that is both a valid ID and a valid credit code is
//     decided by the label before it, else by the credit code's structure;
//   - home addresses are found only after a label and judged by the nearest
//     party named before them (see address.go), so they only warn;
//   - a marking in quotation marks inside a sentence ("标注“秘密★”") only
//     warns: prose that mentions a marking is not marked, and a marked
//     document does not quote its own marking.
//
// The detectors work on the text as package normal reads it (NFKC, invisible
// characters removed, traditional characters simplified, star look-alikes
// folded, ID and phone groupings and markings collapsed), so 祕\u200b密☆ is
// found like 秘密★. Their offsets are into that text; Check and the exported
// detectors map them back to the original with the normaliser's offset map,
// so a finding highlights what the drafter typed, invisible characters inside
// it included. An invisible character is a finding of its own: a warning
// anywhere, a block inside a marking, an ID number or a mobile number.
package confidentiality

import (
	"cmp"
	"slices"

	"github.com/sanshen-gov/sanshen/internal/checks/normal"
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
	return CheckPrepared(normal.New(c.Title), normal.New(c.Body))
}

// CheckPrepared is Check on the title and the body already normalised.
func CheckPrepared(title, body *normal.Text) []domain.Finding {
	trTitle, trBody := triggersOf(title.Runes), triggersOf(body.Runes)
	consultation := publicConsultation(title, body, trTitle|trBody)
	var out []domain.Finding
	for _, field := range []struct {
		name string
		t    *text
		tr   uint
	}{{fieldTitle, title, trTitle}, {fieldBody, body, trBody}} {
		fs := append(markings(field.t, field.tr), personalData(field.t, field.tr)...)
		if !consultation {
			fs = append(fs, consultationDrafts(field.t, field.tr)...)
		}
		fs = toOriginal(field.t, fs)
		fs = append(fs, invisibles(field.t, fs)...)
		for _, f := range fs {
			f.Stage = domain.StageConfidentiality
			f.Field = field.name
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, compareFindings)
	return out
}

// PersonalDataPrepared returns the personal-data findings of the title and
// the body, already normalised, with Field set and offsets into the
// original, as Check reports them. Stage 1 shows them early, as warnings.
func PersonalDataPrepared(title, body *normal.Text) []domain.Finding {
	var out []domain.Finding
	for _, field := range []struct {
		name string
		t    *text
	}{{fieldTitle, title}, {fieldBody, body}} {
		for _, f := range toOriginal(field.t, personalData(field.t, triggersOf(field.t.Runes))) {
			f.Stage = domain.StageConfidentiality
			f.Field = field.name
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, compareFindings)
	return out
}

// toOriginal maps the offsets of findings made on t's normalised text to
// offsets into the original.
func toOriginal(t *text, fs []domain.Finding) []domain.Finding {
	for i := range fs {
		fs[i].Start, fs[i].End = t.Source(fs[i].Start, fs[i].End)
	}
	return fs
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

// text is a field as package normal reads it: Runes and Str are the
// normalised text, and Span gives rune offsets into it.
type text = normal.Text

func newText(s string) *text { return normal.New(s) }

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
