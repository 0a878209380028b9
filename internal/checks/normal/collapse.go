package normal

// The second pass of New: the rules that look at the runes around (steps 6
// and 7 of the package comment). Each marks runes to delete.

// maxGap is the longest run of whitespace collapsed inside a marking.
const maxGap = 8

// collapse returns which runes of the first pass's output to delete, nil if
// none.
func collapse(rs []rune, marking, group bool) []bool {
	var del []bool
	mark := func(i int) {
		if del == nil {
			del = make([]bool, len(rs))
		}
		del[i] = true
	}
	if marking {
		collapseMarkings(rs, mark)
	}
	if group {
		collapseGroups(rs, mark)
	}
	return del
}

// collapseMarkings deletes the whitespace between the characters of a level
// word and its star (秘 密 ★), and of 工作秘密★.
func collapseMarkings(rs []rune, mark func(int)) {
	// back returns the offset of the rune before i past at most maxGap
	// whitespace runes, and whether there was any; -1 if none.
	back := func(i int) (int, bool) {
		j := i - 1
		for j >= 0 && i-1-j < maxGap && isSpace(rs[j]) {
			j--
		}
		if j >= 0 && isSpace(rs[j]) {
			return -1, false
		}
		return j, j < i-1
	}
	gap := func(j, i int) { // delete the whitespace strictly between j and i
		for k := j + 1; k < i; k++ {
			mark(k)
		}
	}
	for i, r := range rs {
		if r != '★' {
			continue
		}
		mi, _ := back(i)
		if mi < 0 || rs[mi] != '密' {
			continue
		}
		li, _ := back(mi)
		if li < 0 || (rs[li] != '秘' && rs[li] != '机' && rs[li] != '绝') {
			continue
		}
		gap(mi, i)
		gap(li, mi)
		if rs[li] != '秘' {
			continue
		}
		// 工作秘密★
		if zi, _ := back(li); zi >= 0 && rs[zi] == '作' {
			if gi, _ := back(zi); gi >= 0 && rs[gi] == '工' {
				gap(zi, li)
				gap(gi, zi)
			}
		}
	}
}

type token struct{ start, end int }

// idGroupings are the ways an 18-character resident ID is grouped.
var idGroupings = [][]int{{6, 8, 4}, {6, 4, 4, 4}, {4, 4, 4, 4, 2}}

// collapseGroups deletes the separators inside an ID-shaped or phone-shaped
// grouping.
func collapseGroups(rs []rune, mark func(int)) {
	var ts []token
	for i := 0; i < len(rs); {
		if !isAlnum(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && isAlnum(rs[j]) {
			j++
		}
		ts = append(ts, token{i, j})
		i = j
	}
	// link is the separator joining token k to k+1, 0 if none.
	link := func(k int) rune {
		if k < 0 || k+1 >= len(ts) || ts[k+1].start != ts[k].end+1 {
			return 0
		}
		if r := rs[ts[k].end]; isSep(r) {
			return r
		}
		return 0
	}
	// shaped reports whether tokens k.. have the lengths, are joined by one
	// separator and are digits (the last may end in X when x is true).
	shaped := func(k int, x bool, lens ...int) bool {
		if k+len(lens) > len(ts) || link(k+len(lens)-1) != 0 {
			return false
		}
		sep := link(k)
		for n, l := range lens {
			t := ts[k+n]
			if t.end-t.start != l || n < len(lens)-1 && link(k+n) != sep {
				return false
			}
			for p := t.start; p < t.end; p++ {
				if c := rs[p]; !(c >= '0' && c <= '9') && !(x && n == len(lens)-1 && p == t.end-1 && (c == 'X' || c == 'x')) {
					return false
				}
			}
		}
		return sep != 0
	}
	joined := func(k, n int) []rune {
		var out []rune
		for _, t := range ts[k : k+n] {
			out = append(out, rs[t.start:t.end]...)
		}
		return out
	}
	drop := func(k, n int) {
		for _, t := range ts[k : k+n-1] {
			mark(t.end)
		}
	}
	for k := 0; k < len(ts); k++ {
		if link(k) == 0 {
			continue
		}
		n := 0 // tokens of the grouping at k
		for _, lens := range idGroupings {
			if link(k-1) == 0 && shaped(k, true, lens...) && idShaped(joined(k, len(lens))) {
				n = len(lens)
				break
			}
		}
		if n == 0 && (link(k-1) == 0 || prefix86(rs, ts, k, link)) && shaped(k, false, 3, 4, 4) && mobileShaped(joined(k, 3)) {
			n = 3
		}
		if n > 0 {
			drop(k, n)
			k += n - 1
		}
	}
}

// prefix86 reports whether token k follows a country code that joins it
// without making it part of a longer number: +86 138…, 86-138….
func prefix86(rs []rune, ts []token, k int, link func(int) rune) bool {
	p := ts[k-1]
	if string(rs[p.start:p.end]) != "86" || link(k-2) != 0 {
		return false
	}
	return p.start > 0 && rs[p.start-1] == '+' || link(k-1) == '-'
}

// idShaped reports whether 18 characters read like a resident ID: a province
// code (first digit 1-8) and a month and a day where the birth date stands.
func idShaped(s []rune) bool {
	if len(s) != 18 || s[0] < '1' || s[0] > '8' {
		return false
	}
	m := (s[10]-'0')*10 + s[11] - '0'
	d := (s[12]-'0')*10 + s[13] - '0'
	y := (s[6]-'0')*10 + s[7] - '0'
	return (y == 18 || y == 19 || y == 20) && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// mobileShaped reports whether 11 digits read like a mobile number: 13-19.
func mobileShaped(s []rune) bool {
	return len(s) == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9'
}
