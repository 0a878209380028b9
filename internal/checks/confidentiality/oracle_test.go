package confidentiality

// The original implementation of the detectors that were made faster, kept
// as the oracle of the differential tests (differential_test.go): every
// expression runs on the whole text, and each detector prepares the text
// anew. Each function is the original under the name orig…; the helpers that
// did not change are shared.

import (
	"slices"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func origCheck(c domain.Content) []domain.Finding {
	var out []domain.Finding
	for _, field := range []struct{ name, text string }{
		{fieldTitle, c.Title},
		{fieldBody, c.Body},
	} {
		for _, detect := range []func(string) []domain.Finding{origMarkings, origPersonalData} {
			for _, f := range detect(field.text) {
				f.Stage = domain.StageConfidentiality
				f.Field = field.name
				out = append(out, f)
			}
		}
	}
	slices.SortStableFunc(out, compareFindings)
	return out
}

func origMarkings(s string) []domain.Finding {
	t := newText(s)
	var fs []domain.Finding
	add := func(code string, start, end int, variant bool) {
		fs = append(fs, markingFinding(code, string(t.Runes[start:end]), start, end, variant))
	}

	for _, m := range reClassified.FindAllStringIndex(t.Str, -1) {
		if start, end := t.Span(m[0], m[1]); !namedSecret(t.Runes, start) {
			add(codeClassified, start, end, false)
		}
	}
	for _, m := range reClassifiedVariant.FindAllStringIndex(t.Str, -1) {
		if start, end := t.Span(m[0], m[1]); !namedSecret(t.Runes, start) {
			add(codeClassified, start, end, true)
		}
	}
	for _, m := range reWorkSecretStar.FindAllStringIndex(t.Str, -1) {
		start, end := t.Span(m[0], m[1])
		add(codeWorkSecret, start, end, false)
	}
	for _, m := range reKeep.FindAllStringSubmatchIndex(t.Str, -1) {
		start, end := t.Span(m[0], m[1])
		phrase, sep := t.Str[m[2]:m[3]], t.Str[m[4]:m[5]]
		if keepMarking(t.Runes, start, phrase, sep) {
			add(codeWorkSecret, start, end, false)
		}
	}

	head := headLine(t.Runes)
	for a, b := range lines(t.Runes) {
		a, b = trimBlank(t.Runes, a, b)
		if a == b {
			continue
		}
		set := lineMarkings
		if a == head {
			set = append(slices.Clip(lineMarkings), headMarkings...)
			if inner := unbracket(t.Runes[a:b]); slices.Contains(set, inner) {
				add(markingCode(inner), a, b, false)
				continue
			}
		}
		if end, inner, ok := bracketedPrefix(t.Runes[a:b]); ok && slices.Contains(set, inner) {
			add(markingCode(inner), a, a+end, false)
		}
	}
	return sortByOffset(dropOverlaps(fs))
}

func origPersonalData(s string) []domain.Finding {
	t := newText(s)
	sc := &numberScanner{rs: t.Runes, ts: tokenize(t.Runes)}
	sc.scan()
	fs := append(sc.found, origAddresses(t)...)

	var exempt [][2]int
	for _, m := range reIndexNumber.FindAllStringSubmatchIndex(t.Str, -1) {
		a, b := t.Span(m[2], m[3])
		exempt = append(exempt, [2]int{a, b})
	}
	out := fs[:0]
next:
	for _, f := range fs {
		for _, e := range exempt {
			if f.Start < e[1] && e[0] < f.End {
				continue next
			}
		}
		out = append(out, f)
	}
	return sortByOffset(out)
}

func origAddresses(t *text) []domain.Finding {
	var fs []domain.Finding
	for _, m := range reAddressLabel.FindAllStringSubmatchIndex(t.Str, -1) {
		labelStart, valueStart := t.Span(m[0], m[1])
		label := t.Str[m[2]:m[3]]
		start, end := addressValue(t.Runes, valueStart)
		value := string(t.Runes[start:end])
		if !addressLike(value) || !personsAddress(t.Runes, labelStart, slices.Contains(weakLabels, label)) {
			continue
		}
		fs = append(fs, domain.Finding{
			Code: codeAddress, Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Start: start, End: end, Suggestion: maskAddress(t.Runes[start:end]),
			// The messages do not repeat the address: findings are stored and
			// audited, and personal data should not spread there.
			MessageZH: "疑似自然人住址。公开行政处罚决定等文书时应隐去自然人的详细住址（可保留至县级），请核实。",
			MessageEN: "Probable home address of a natural person. A person's detailed address must be hidden in published decisions (the county may stay); please check.",
		})
	}
	return fs
}
