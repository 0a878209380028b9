package confidentiality

import (
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// idWeights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 of GB 11643's
// first 17 digits; idCheck is the check character for each remainder.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheck = "10X98765432"

// provinces are the province-level codes that open a resident ID number
// (GB/T 2260). Only the first two digits are checked: a table of the ~3,000
// county-level codes changes every year and a stale one would miss real IDs,
// while the check digit and birth date already let a random 18-digit number
// pass less than once in 50,000 tries. 83 (Taiwan residents' residence
// permits, like 81 and 82 for Hong Kong and Macao) is included because those
// numbers identify a person just the same.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// ValidResidentID reports whether s is an 18-character citizen ID number
// (公民身份号码, GB 11643-1999) that could have been issued: a known province
// code, a real birth date from 1900 up to today, and the right MOD 11-2 check
// character (X or x for 10). Checking rather than pattern-matching is what
// keeps serial numbers and amounts out of the reviewer's way.
func ValidResidentID(s string) bool {
	return validResidentIDAt(s, time.Now().In(domain.Beijing))
}

func validResidentIDAt(s string, today time.Time) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := range 17 {
		if !isDigit(rune(s[i])) {
			return false
		}
		sum += int(s[i]-'0') * idWeights[i]
	}
	if last := s[17]; last != idCheck[sum%11] && !(last == 'x' && idCheck[sum%11] == 'X') {
		return false
	}
	if !provinces[s[:2]] {
		return false
	}
	return validBirthDate(s[6:14], today)
}

// validBirthDate reports whether the eight digits yyyymmdd are a calendar
// date from 1900 to today.
func validBirthDate(ymd string, today time.Time) bool {
	birth, ok := calendarDate(ymd)
	if !ok || birth.Year() < 1900 {
		return false
	}
	ty, tm, td := today.Date()
	return !birth.After(time.Date(ty, tm, td, 0, 0, 0, 0, domain.Beijing))
}

// calendarDate parses eight digits yyyymmdd as a date that exists.
func calendarDate(ymd string) (time.Time, bool) {
	if len(ymd) != 8 {
		return time.Time{}, false
	}
	v := [3]int{}
	for i, part := range []string{ymd[:4], ymd[4:6], ymd[6:]} {
		for _, c := range part {
			if !isDigit(c) {
				return time.Time{}, false
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	y, m, d := v[0], v[1], v[2]
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	date := time.Date(y, time.Month(m), d, 0, 0, 0, 0, domain.Beijing)
	return date, date.Day() == d // 0229 of a common year, 0431 … roll over
}

// MaskResidentID returns the ID with everything but the first six and the
// last four characters replaced by asterisks (110105********123X): the
// region and the check tail stay for the reader to recognise the record, the
// birth date and sequence number, which identify the person, go. Input of ten
// runes or fewer is masked entirely, so that nothing leaks from a fragment.
func MaskResidentID(id string) string {
	rs := []rune(id)
	if len(rs) <= 10 {
		return strings.Repeat("*", len(rs))
	}
	for i := 6; i < len(rs)-4; i++ {
		rs[i] = '*'
	}
	return string(rs)
}

// creditChars is the character set of GB 32100-2015 (no I, O, Z, S, V); a
// character's value is its index.
const creditChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are 3^(i-1) mod 31 for i = 1..17.
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ValidCreditCode reports whether s is a unified social credit code
// (统一社会信用代码, GB 32100-2015): 18 upper-case characters of the code's
// set whose check character matches. Organisations' codes are public, so a
// valid one is never reported as personal data.
func ValidCreditCode(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(creditChars, s[i])
		if v < 0 {
			return false
		}
		sum += v * creditWeights[i]
	}
	c := (31 - sum%31) % 31
	return s[17] == creditChars[c]
}

// plausibleCreditCode is ValidCreditCode plus the structure of GB 32100: a
// registration authority and a category, a region code whose first two digits
// are a province (or 10, the central level), and an organisation code
// (GB 11714) whose own check character is right. It breaks the tie when an
// 18-digit string passes both ValidCreditCode and ValidResidentID, which one
// resident ID in 31 does by chance.
func plausibleCreditCode(s string) bool {
	if !ValidCreditCode(s) || !strings.ContainsRune("123456789ANY", rune(s[0])) || s[1] == '0' {
		return false
	}
	for i := 2; i < 8; i++ {
		if !isDigit(rune(s[i])) {
			return false
		}
	}
	if !provinces[s[2:4]] && s[2:4] != "10" {
		return false
	}
	return validOrgCode(s[8:17])
}

// validOrgCode checks the 9-character organisation code of GB 11714-1997:
// weights 3 7 9 10 5 8 4 2, check 11 - sum mod 11, with X for 10 and 0 for 11.
func validOrgCode(s string) bool {
	if len(s) != 9 {
		return false
	}
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 8 {
		var v int
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return false
		}
		sum += v * weights[i]
	}
	want := byte('0' + (11-sum%11)%11)
	if (11-sum%11)%11 == 10 {
		want = 'X'
	}
	return s[8] == want
}

// Luhn reports whether digits, ASCII digits only and at least two of them,
// pass the Luhn (mod 10) check of ISO/IEC 7812 that payment card numbers
// carry. It is the bank-card detector's filter: a random 16-19 digit serial
// passes only one time in ten.
func Luhn(digits string) bool {
	if len(digits) < 2 {
		return false
	}
	sum := 0
	for i := range len(digits) {
		c := digits[len(digits)-1-i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
