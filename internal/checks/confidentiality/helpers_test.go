package confidentiality

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// The helpers below compute check characters from the standards'
// definitions, not from this package's tables, so that a wrong table makes a
// test fail.

// idWith appends the GB 11643 check character to 17 digits: ISO 7064
// MOD 11-2, position i from the right (the check is i = 1) weighs 2^(i-1) mod
// 11, and the check is (12 - sum mod 11) mod 11, with X for 10.
func idWith(body string) string {
	if len(body) != 17 {
		panic("idWith needs 17 digits: " + body)
	}
	sum, w := 0, 2
	for k := 16; k >= 0; k-- {
		sum += int(body[k]-'0') * w
		w = w * 2 % 11
	}
	c := (12 - sum%11) % 11
	if c == 10 {
		return body + "X"
	}
	return body + string(rune('0'+c))
}

// creditAlphabet is 0-9 and A-Z without I, O, Z, S and V.
func creditAlphabet() string {
	var b strings.Builder
	for c := '0'; c <= '9'; c++ {
		b.WriteRune(c)
	}
	for c := 'A'; c <= 'Z'; c++ {
		if !strings.ContainsRune("IOZSV", c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// creditWith appends the GB 32100 check character to 17 characters: weights
// 3^(i-1) mod 31, check 31 - sum mod 31, with 31 meaning 0.
func creditWith(body string) string {
	if len(body) != 17 {
		panic("creditWith needs 17 characters: " + body)
	}
	alpha := creditAlphabet()
	sum, w := 0, 1
	for i := range 17 {
		v := strings.IndexByte(alpha, body[i])
		if v < 0 {
			panic("not a credit code character: " + body)
		}
		sum += v * w
		w = w * 3 % 31
	}
	return body + string(alpha[(31-sum%31)%31])
}

// luhnWith appends the Luhn check digit: from the right of the payload every
// other digit, starting with the last, is doubled and its digits summed.
func luhnWith(body string) string {
	sum := 0
	for p := 0; p < len(body); p++ {
		d := int(body[len(body)-1-p] - '0')
		if p%2 == 0 {
			d *= 2
			d = d/10 + d%10
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

// fullWidth writes ASCII as its full-width forms, as some drafts do.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0x20 && r < 0x7F {
			return r + 0xFEE0
		}
		return r
	}, s)
}

// wrongCheck replaces an ID's check character with another one.
func wrongCheck(id string) string {
	c := id[17]
	next := map[byte]byte{'X': '0', 'x': '0', '9': '0'}[c]
	if next == 0 {
		next = c + 1
	}
	return id[:17] + string(next)
}

// runeSpan returns the rune offsets of the nth (0-based) occurrence of sub in
// s, found by plain string search.
func runeSpan(s, sub string, nth int) (int, int) {
	off := 0
	for range nth {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			panic(fmt.Sprintf("%q has fewer than %d occurrences of %q", s, nth+1, sub))
		}
		off += i + len(sub)
	}
	i := strings.Index(s[off:], sub)
	if i < 0 {
		panic(fmt.Sprintf("%q not found in %q", sub, s))
	}
	start := utf8.RuneCountInString(s[:off+i])
	return start, start + utf8.RuneCountInString(sub)
}

// hit is an expected finding: its code and the text it covers; nth picks a
// later occurrence of the text.
type hit struct {
	code string
	text string
	nth  int
	sugg string          // checked when not empty
	sev  domain.Severity // when not the code's usual one
}

// expectHits compares findings with expected hits, in order.
func expectHits(t *testing.T, s string, got []domain.Finding, want []hit) {
	t.Helper()
	checkOffsets(t, s, got)
	rs := []rune(s)
	describe := func() string {
		var b strings.Builder
		for _, f := range got {
			fmt.Fprintf(&b, "\n\t%s [%d,%d) %q sugg=%q", f.Code, f.Start, f.End, string(rs[f.Start:f.End]), f.Suggestion)
		}
		return b.String()
	}
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d:%s", len(got), len(want), describe())
	}
	for i, w := range want {
		f := got[i]
		start, end := runeSpan(s, w.text, w.nth)
		if f.Code != w.code || f.Start != start || f.End != end {
			t.Errorf("finding %d = %s [%d,%d), want %s [%d,%d) %q:%s", i, f.Code, f.Start, f.End, w.code, start, end, w.text, describe())
		}
		if w.sugg != "" && f.Suggestion != w.sugg {
			t.Errorf("finding %d suggestion = %q, want %q", i, f.Suggestion, w.sugg)
		}
		if want := severityOf[f.Code]; w.sev != "" && f.Severity != w.sev || w.sev == "" && f.Severity != want[0] {
			t.Errorf("finding %d (%s) severity = %q, want %q", i, f.Code, f.Severity, cmp.Or(w.sev, want[0]))
		}
		if f.MessageZH == "" || f.MessageEN == "" {
			t.Errorf("finding %d (%s) lacks a message", i, f.Code)
		}
	}
}

// severityOf gives the severities a code may have, the usual one first.
var severityOf = map[string][]domain.Severity{
	codeClassified:    {block, warn}, // warn: quoted in prose
	codeWorkSecret:    {block, warn},
	codeNotPublic:     {block},
	codeRequest:       {warn},
	codeConsultation:  {warn},
	codeResidentID:    {block},
	codeMistypedID:    {warn},
	codeMaskedID:      {block, warn},
	codeMobile:        {block, warn},
	codeBankCard:      {warn},
	codeAddress:       {warn},
	codeInvisibleChar: {warn, block},
}

const (
	block = domain.SeverityBlock
	warn  = domain.SeverityWarn
)

// checkOffsets holds for every detector on every input: offsets inside the
// text, Start <= End, sorted by Start, and a known code.
func checkOffsets(t testing.TB, s string, fs []domain.Finding) {
	t.Helper()
	n := utf8.RuneCountInString(s)
	for i, f := range fs {
		if f.Start < 0 || f.Start > f.End || f.End > n {
			t.Fatalf("finding %d %s: offsets [%d,%d) outside [0,%d] of %q", i, f.Code, f.Start, f.End, n, s)
		}
		if i > 0 && fs[i-1].Field == f.Field && fs[i-1].Start > f.Start {
			t.Fatalf("findings not sorted by Start: %+v before %+v", fs[i-1], f)
		}
		if sevs, ok := severityOf[f.Code]; !ok || !slices.Contains(sevs, f.Severity) {
			t.Fatalf("finding %d has unknown code %q or severity %q", i, f.Code, f.Severity)
		}
		if f.Stage != domain.StageConfidentiality {
			t.Fatalf("finding %d has stage %q", i, f.Stage)
		}
	}
}
