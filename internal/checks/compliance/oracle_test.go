package compliance

// The original implementation of the rules that were made faster, kept as
// the oracle of the differential tests (differential_test.go): reAnchor runs
// on the whole body. Each function is the original under the name orig…; the
// helpers that did not change are shared.

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/checks/completeness"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

func origCheck(c domain.Content) []domain.Finding {
	fs := channelFit(c)
	if c.Category == "penalty" {
		fs = append(fs, origPenaltyFindings(c)...)
	}
	for i := range fs {
		fs[i].Stage = domain.StageCompliance
	}
	slices.SortStableFunc(fs, func(a, b domain.Finding) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Start, b.Start),
			cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)), cmp.Compare(a.Code, b.Code))
	})
	return fs
}

func origPenaltyExpiry(c domain.Content) (expiry time.Time, ok bool) {
	e, ok := origComputeExpiry(c)
	if !ok {
		return time.Time{}, false
	}
	return e.until, true
}

func origPenaltyFindings(c domain.Content) []domain.Finding {
	var fs []domain.Finding
	t := newText(c.Body)

	// The legal basis.
	if !reLaw.MatchString(t.Str) {
		if m := reLawNoArticle.FindStringIndex(t.Str); m != nil {
			s, e := t.Span(m[0], m[1])
			fs = append(fs, newFinding("penalty_no_legal_basis", domain.SeverityBlock, "body", s, e,
				"处罚依据只写了法律名称，未写明具体条款（应为“依据《……》第×条”）。",
				"The legal basis names a law but no article; cite it as 依据《…》第X条.", ""))
		} else {
			fs = append(fs, wholeDraft("penalty_no_legal_basis", domain.SeverityBlock,
				"行政处罚决定未引用法律依据（应为“依据《……》第×条”）。",
				"The penalty decision cites no legal basis; cite the law and article, as 依据《…》第X条."))
		}
	}

	e, ok := origComputeExpiry(c)
	p := e.facts
	if !ok {
		p = origAnalyse(c.Body)
	}

	// A warning alone.
	if len(p.kinds) == 1 && kinds[p.kinds[0]].name == "警告" {
		s := p.firstAt[0]
		fs = append(fs, newFinding("penalty_warning_only", domain.SeverityWarn, "body", s[0], s[1],
			"本决定仅给予警告处罚，此类决定一般不予公开，请确认是否确需公开。",
			"The decision imposes a warning only; such decisions are normally not published. Confirm it must be.", ""))
	}

	// The publication period.
	if !ok {
		fs = append(fs, wholeDraft("penalty_expiry_unknown", domain.SeverityWarn,
			"无法确定处罚决定日期，公示期限（3个月或3年）需人工确定并设置撤下日期。",
			"The decision date cannot be found, so the publication period (3 months or 3 years) must be set by hand."))
		return fs
	}
	fs = append(fs, expiryFinding(e))
	return fs
}

func origComputeExpiry(c domain.Content) (expiry, bool) {
	if c.Category != "penalty" {
		return expiry{}, false
	}
	e := expiry{facts: origAnalyse(c.Body)}
	if d, _, _, ok := completeness.DecisionDate(c.Body); ok {
		e.decided = d
	} else if !c.FormedOn.IsZero() {
		y, m, d := c.FormedOn.Date()
		e.decided, e.fromFormed = time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
	} else {
		return e, false
	}
	e.months = longPeriod
	if light(e.facts) {
		e.months = shortPeriod
	}
	e.until = addMonths(e.decided, e.months)
	return e, true
}

func origAnalyse(body string) penaltyFacts {
	t := newText(body)
	segs := origSegments(t)
	if len(segs) == 0 {
		segs = [][2]int{{0, len(t.Str)}}
	}
	var p penaltyFacts
	for i, re := range kindREs {
		for _, sg := range segs {
			if m := re.FindStringIndex(t.Str[sg[0]:sg[1]]); m != nil {
				p.kinds = append(p.kinds, i)
				p.firstAt = append(p.firstAt, [2]int{t.Rune(sg[0] + m[0]), t.Rune(sg[0] + m[1])})
				break
			}
		}
	}
	var total float64
	read := 0
	for _, sg := range segs {
		seg := t.Str[sg[0]:sg[1]]
		for _, m := range kindREs[2].FindAllStringIndex(seg, -1) { // 罚款
			before := lastRunes(seg[:m[0]], 14)
			if reRange.MatchString(lastRunes(before, 6)) && strings.Contains(before, "元") {
				continue // …以上…以下罚款: the law's range, not a fine imposed
			}
			amount, ok := 0.0, false
			if loc := reAmountBefore.FindStringIndex(before); loc != nil {
				amount, ok = parseAmount(strings.TrimRight(before[loc[0]:], "元整的 \t\u3000"))
			} else {
				after := firstRunes(seg[m[1]:], 24)
				if j := strings.IndexAny(after, "。；;\n"); j >= 0 {
					after = after[:j]
				}
				if am := reAmount.FindStringSubmatchIndex(after); am != nil {
					if am[2] >= 0 {
						if reRange.MatchString(firstRunes(after[am[1]:], 2)) {
							continue
						}
						amount, ok = parseNumber(after[am[2]:am[3]])
						if ok && am[4] >= 0 {
							amount *= 10000
						}
					} else {
						amount, ok = parseNumber(after[am[6]:am[7]])
					}
				}
			}
			if !ok {
				continue // 缴纳罚款 and the like: the fine again, not a new one
			}
			read++
			if strings.Contains(lastRunes(before, 4), "合计") || strings.Contains(lastRunes(before, 4), "共计") {
				total = amount // a stated total replaces the items before it
				continue
			}
			total += amount
		}
	}
	p.fine = total
	p.fineUnread = p.has("罚款") && read == 0
	return p
}

func origSegments(t *text) [][2]int {
	var out [][2]int
	lineEnd := func(b int) int {
		if i := strings.IndexByte(t.Str[b:], '\n'); i >= 0 {
			return b + i
		}
		return len(t.Str)
	}
	for _, m := range reAnchor.FindAllStringIndex(t.Str, -1) {
		if n := len(out); n > 0 && m[0] < out[n-1][1] {
			continue // already inside the segment before
		}
		s, e := m[0], lineEnd(m[0])
		for e < len(t.Str) {
			line := strings.TrimRight(t.Str[s:e], " \t\r\u3000")
			next := e + 1
			ne := lineEnd(next)
			nextLine := t.Str[next:ne]
			if strings.TrimSpace(nextLine) == "" {
				break
			}
			if !strings.HasSuffix(line, "：") && !strings.HasSuffix(line, ":") && !reListItem.MatchString(nextLine) {
				break
			}
			e = ne
		}
		out = append(out, [2]int{s, e})
	}
	return out
}
