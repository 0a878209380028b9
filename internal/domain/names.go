package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The names the trail gives the machine and the shell's operator. No
// person, department or agency may take a name that reads like one of
// them: the trail's reader must never mistake a person for the machine.
const (
	// SystemName is the workers', relay's and publisher's name (store.SystemActor).
	SystemName = "sanshen"
	// CLIName is an operation run from the shell; "cli:<login>" names the operator.
	CLIName = "cli"
)

// CLIActorName is the trail's name of the shell's operator with login user.
func CLIActorName(user string) string {
	if user == "" {
		return CLIName
	}
	return CLIName + ":" + user
}

// MaxNameRunes bounds the name of a person, department or agency.
const MaxNameRunes = 100

// ValidName reports whether name (already trimmed) may name a person, a
// department or an agency: 1 to MaxNameRunes characters, nothing invisible
// (controls, format characters such as zero-width spaces and bidi
// overrides, fillers, unassigned or private-use code points), spaces only
// single and between words, and not confusable with the system's own
// actors (SystemName, CLIName, "system"), however it is spelled: case,
// full-width forms, Cyrillic or Greek look-alikes, digits for letters,
// spaces or dashes between the letters.
func ValidName(name string) error {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > MaxNameRunes || !utf8.ValidString(name) {
		return refuse(RuleInvalidName, "a name has 1 to %d characters", MaxNameRunes)
	}
	if strings.TrimSpace(name) != name {
		return refuse(RuleInvalidName, "a name does not start or end with a space")
	}
	prev, marks := ' ', 0
	for i, r := range name {
		switch {
		case r == ' ':
			if prev == ' ' {
				return refuse(RuleInvalidName, "a name has single spaces between words only")
			}
		case invisible(r):
			return refuse(RuleInvalidName, "the name holds an invisible or control character (U+%04X at byte %d)", r, i)
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
			if marks++; marks > 2 || prev == ' ' || i == 0 {
				return refuse(RuleInvalidName, "the name stacks combining marks (U+%04X at byte %d)", r, i)
			}
		}
		if !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Me, r) {
			marks = 0
		}
		prev = r
	}
	sk := skeleton(name)
	for _, reserved := range reservedSkeletons {
		if sk == reserved {
			return refuse(RuleReservedName, "%q reads like the name the trail gives the system itself", name)
		}
	}
	if strings.HasPrefix(sk, cliSkeleton+":") {
		return refuse(RuleReservedName, "%q reads like the name the trail gives an operator at the shell (%s:…)", name, CLIName)
	}
	return nil
}

// invisible reports whether r shows nothing of itself or changes how the
// text around it is shown: every space but U+0020, controls, format
// characters (zero-width, joiners, BOM, bidi controls), private use,
// surrogates, unassigned code points, variation selectors, and the Hangul
// fillers that Unicode counts as letters.
func invisible(r rune) bool {
	if r == ' ' {
		return false
	}
	if unicode.IsSpace(r) || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp, unicode.Zs, unicode.Variation_Selector) {
		return true
	}
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800', '\u180E', '\uFFFC', '\uFFFD':
		return true
	}
	// Unassigned: in none of the categories a character is given.
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
}

// lookAlike maps characters that look like a Latin letter or a colon to
// it; letters a reader cannot tell apart from l (I, i, 1, |) all become l.
var lookAlike = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'ё': 'e', 'һ': 'h', 'н': 'h', 'і': 'l', 'ї': 'l', 'ӏ': 'l', 'ј': 'j',
	'к': 'k', 'м': 'm', 'п': 'n', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'г': 'r', 'ѕ': 's', 'т': 't', 'и': 'u', 'ѵ': 'v', 'ԝ': 'w',
	'х': 'x', 'у': 'y',
	// Greek
	'α': 'a', 'β': 'b', 'ϲ': 'c', 'ε': 'e', 'η': 'n', 'ι': 'l', 'κ': 'k', 'μ': 'u', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'σ': 'o',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y',
	// Latin variants and digits
	'ı': 'l', 'i': 'l', '1': 'l', '|': 'l', 'ǀ': 'l', 'ɩ': 'l', 'ɑ': 'a', 'ʜ': 'h', 'ɴ': 'n', 'ꜱ': 's', 'ѡ': 'w', '0': 'o', '5': 's',
	'ǃ': 'l', '׃': ':', '˸': ':', '꞉': ':', '∶': ':',
	// Chinese numerals and forms that read like the system's name
	'叁': '三', '參': '三', '参': '三', '審': '审',
}

// skeleton is how name reads: NFKC (full-width and compatibility forms
// folded), lower case, look-alikes mapped, and the separators a reader
// skips (spaces, dashes, dots, underscores, middle dots) dropped.
func skeleton(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(norm.NFKC.String(name)) {
		if m, ok := lookAlike[r]; ok {
			r = m
		}
		switch {
		case r == ':':
		case unicode.IsSpace(r), unicode.Is(unicode.Pd, r), r == '.', r == '_', r == '·', r == '・', r == '•', invisible(r):
			continue
		case unicode.Is(unicode.Mn, r):
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var (
	cliSkeleton       = skeleton(CLIName)
	reservedSkeletons = []string{skeleton(SystemName), skeleton("三审"), skeleton("system"), cliSkeleton}
)
