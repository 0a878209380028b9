package runetext

import "unicode/utf8"

// oldNew is New as it was before it was made to decode once and copy
// unchanged stretches: the oracle the differential tests compare New with.
func oldNew(raw string, fold func(rune) rune) *Text {
	rs := []rune(raw)
	if fold != nil {
		for i, r := range rs {
			rs[i] = fold(r)
		}
	}
	str := string(rs)
	byteAt := make([]int, len(str)+1)
	n := 0
	for b := 0; b < len(str); {
		_, size := utf8.DecodeRuneInString(str[b:])
		for k := range size {
			byteAt[b+k] = n
		}
		b += size
		n++
	}
	byteAt[len(str)] = n
	return &Text{Runes: rs, Str: str, ByteAt: byteAt}
}
