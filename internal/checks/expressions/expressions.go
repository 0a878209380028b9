// Package expressions checks the authoritative expressions a government
// site must get right (the 2019 检查指标's 严重表述错误, a single-veto
// item): organ names replaced in the 2018 机构改革 and after, and leaders
// named by a title they no longer hold. Both are dated tables: a name is
// outdated only in a text formed on or after the day its table says, and
// an organ's day depends on the place (central bodies in 2018, a district
// later), which the agency's locality picks.
//
// The national organ entries ship in organs.json with their source; the
// leaders' table ships empty, because a wrong entry would itself be a
// 严重表述错误: admins add what they can verify, each entry with its source
// and who added it.
package expressions

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Organ is one organ name replaced by another.
type Organ struct {
	Old    string `json:"old"`    // 工商行政管理局
	New    string `json:"new"`    // 市场监督管理局
	Place  string `json:"place"`  // 全国, or a locality such as 北京市 or 北京市东城区
	From   string `json:"from"`   // YYYY-MM-DD: the old name is outdated from this day on
	Source string `json:"source"` // the document that made the change
	// AddedBy is who put the entry in the table (empty for the shipped ones).
	AddedBy string `json:"added_by,omitempty"`
}

// Leader is a title a person no longer holds.
type Leader struct {
	Name  string `json:"name"`  // 李克强
	Title string `json:"title"` // 国务院总理
	Until string `json:"until"` // YYYY-MM-DD: the last day in the title
	// Now is how to name them after it ("" suggests 时任 + the old title).
	Now     string `json:"now,omitempty"`
	Source  string `json:"source"`
	AddedBy string `json:"added_by,omitempty"`
}

// National is the place of entries that hold everywhere.
const National = "全国"

//go:embed organs.json
var organsJSON []byte

// ShippedOrgans are the national entries that come with sanshen (a copy:
// callers append to it).
func ShippedOrgans() []Organ { return slices.Clone(shipped()) }

var shipped = sync.OnceValue(func() []Organ {
	var out []Organ
	if err := json.Unmarshal(organsJSON, &out); err != nil {
		panic(fmt.Sprintf("organs.json: %v", err)) // embedded, checked by the tests
	}
	return out
})

// Tables is what the check reads for one agency: the organ entries (the
// shipped ones, the platform's and the agency's), the leaders (the
// platform's and the agency's), and the agency's locality.
type Tables struct {
	Organs   []Organ
	Leaders  []Leader
	Locality string
}

// Validate checks an entry's fields before it is stored; its messages are
// for the admins who keep the table.
func (o Organ) Validate() error {
	switch {
	case strings.TrimSpace(o.Old) == "" || strings.TrimSpace(o.New) == "" || o.Old == o.New:
		return fmt.Errorf("需要原名称和不同的新名称")
	case strings.TrimSpace(o.Place) == "":
		return fmt.Errorf("“%s”缺少适用地域（%s，或如“北京市东城区”）", o.Old, National)
	case strings.TrimSpace(o.Source) == "":
		return fmt.Errorf("“%s”缺少依据", o.Old)
	}
	if _, err := time.Parse(domain.DateLayout, o.From); err != nil {
		return fmt.Errorf("“%s”的起始日期“%s”应为YYYY-MM-DD", o.Old, o.From)
	}
	return nil
}

// Validate checks an entry's fields before it is stored.
func (l Leader) Validate() error {
	switch {
	case strings.TrimSpace(l.Name) == "" || strings.TrimSpace(l.Title) == "":
		return fmt.Errorf("需要姓名和原职务")
	case strings.TrimSpace(l.Source) == "":
		return fmt.Errorf("“%s”缺少依据", l.Name)
	}
	if _, err := time.Parse(domain.DateLayout, l.Until); err != nil {
		return fmt.Errorf("“%s”的任职截止日期“%s”应为YYYY-MM-DD", l.Name, l.Until)
	}
	return nil
}

// The tables as text, one entry a line, fields split by ｜ (or |): what the
// admin page and `sanshen expressions` read and write.
//
//	organs:  原名称｜新名称｜适用地域｜起始日期｜依据
//	leaders: 姓名｜原职务｜任职截止日期｜现称谓（可空）｜依据

// ParseOrgans reads organ entries from text; an error names its line.
func ParseOrgans(text string) ([]Organ, error) {
	var out []Organ
	err := eachLine(text, 5, func(f []string) error {
		o := Organ{Old: f[0], New: f[1], Place: f[2], From: f[3], Source: f[4]}
		out = append(out, o)
		return o.Validate()
	})
	return out, err
}

// ParseLeaders reads leader entries from text; an error names its line.
func ParseLeaders(text string) ([]Leader, error) {
	var out []Leader
	err := eachLine(text, 5, func(f []string) error {
		l := Leader{Name: f[0], Title: f[1], Until: f[2], Now: f[3], Source: f[4]}
		out = append(out, l)
		return l.Validate()
	})
	return out, err
}

// FormatOrgans writes organ entries as ParseOrgans reads them.
func FormatOrgans(os []Organ) string {
	var b strings.Builder
	for _, o := range os {
		b.WriteString(strings.Join([]string{o.Old, o.New, o.Place, o.From, o.Source}, "｜") + "\n")
	}
	return b.String()
}

// FormatLeaders writes leader entries as ParseLeaders reads them.
func FormatLeaders(ls []Leader) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(strings.Join([]string{l.Name, l.Title, l.Until, l.Now, l.Source}, "｜") + "\n")
	}
	return b.String()
}

// eachLine splits text into non-empty lines of n fields.
func eachLine(text string, n int, fn func(fields []string) error) error {
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue // blank, or a comment such as the version `sanshen expressions show` prints
		}
		fields := strings.Split(strings.ReplaceAll(line, "|", "｜"), "｜")
		if len(fields) != n {
			return fmt.Errorf("第%d行：应有%d项，以“｜”分隔，实有%d项", i+1, n, len(fields))
		}
		for k := range fields {
			fields[k] = strings.TrimSpace(fields[k])
		}
		if err := fn(fields); err != nil {
			return fmt.Errorf("第%d行：%v", i+1, err)
		}
	}
	return nil
}

// Finding codes.
const (
	CodeOrgan  = "organ_name_outdated"
	CodeLeader = "leader_title_outdated"
)

// Check returns a blocking finding for every outdated organ name and
// leader's title in the title and the body of a text formed on c.FormedOn.
// These pass: a name preceded by 原, 时任 or 前, and a name inside 《》 (the
// title of a cited instrument).
func Check(t Tables, c domain.Content) []domain.Finding {
	if c.FormedOn.IsZero() {
		return nil
	}
	formed := c.FormedOn.Format(domain.DateLayout)
	organs := applicable(t.Organs, t.Locality)
	var out []domain.Finding
	for _, field := range [...]struct{ name, text string }{{"title", c.Title}, {"body", c.Body}} {
		for _, o := range organs {
			if formed < o.From {
				continue
			}
			for _, at := range occurrences(field.text, o.Old) {
				out = append(out, domain.Finding{Code: CodeOrgan, Severity: domain.SeverityBlock, Field: field.name,
					Start: at, End: at + utf8.RuneCountInString(o.Old), Suggestion: o.New,
					MessageZH: fmt.Sprintf("机构名称“%s”已于%s起改为“%s”（%s；适用地域：%s）。如指原机构，请写作“原%s”。", o.Old, o.From, o.New, o.Source, o.Place, o.Old),
					MessageEN: fmt.Sprintf("the organ %q is called %q since %s (%s; place: %s). For the former body write 原%s.", o.Old, o.New, o.From, o.Source, o.Place, o.Old)})
			}
		}
		for _, l := range t.Leaders {
			if formed <= l.Until {
				continue
			}
			named := l.Title + l.Name
			suggest := "时任" + named
			if l.Now != "" {
				suggest = l.Now + l.Name
			}
			for _, at := range occurrences(field.text, named) {
				out = append(out, domain.Finding{Code: CodeLeader, Severity: domain.SeverityBlock, Field: field.name,
					Start: at, End: at + utf8.RuneCountInString(named), Suggestion: suggest,
					MessageZH: fmt.Sprintf("%s任%s至%s，此后不应再以该职务称呼（%s）。建议写作“%s”。", l.Name, l.Title, l.Until, l.Source, suggest),
					MessageEN: fmt.Sprintf("%s was %s until %s and is not called so since (%s). Suggested: %s.", l.Name, l.Title, l.Until, l.Source, suggest)})
			}
		}
	}
	return out
}

// applicable keeps, for each old name, the entry of the most specific place
// that covers locality: its own place or a prefix of it (北京市 covers
// 北京市东城区), or the national one.
func applicable(organs []Organ, locality string) []Organ {
	best := map[string]Organ{}
	var order []string
	for _, o := range organs {
		if o.Place != National && !strings.HasPrefix(locality, o.Place) {
			continue
		}
		cur, seen := best[o.Old]
		if !seen {
			order = append(order, o.Old)
		}
		if !seen || specificity(o.Place) > specificity(cur.Place) {
			best[o.Old] = o
		}
	}
	out := make([]Organ, 0, len(order))
	for _, old := range order {
		out = append(out, best[old])
	}
	return out
}

func specificity(place string) int {
	if place == National {
		return 0
	}
	return utf8.RuneCountInString(place)
}

// occurrences are the rune offsets where name occurs in text and counts: not
// after 原, 前 or 时任 (with at most a place name between, as in
// 原北京市工商行政管理局), and not inside 《》.
func occurrences(text, name string) []int {
	var out []int
	var runes []rune // made at the first match: most texts hold no name
	for from := 0; ; {
		i := strings.Index(text[from:], name)
		if i < 0 {
			return out
		}
		if runes == nil {
			runes = []rune(text)
		}
		byteAt := from + i
		from = byteAt + len(name)
		at := utf8.RuneCountInString(text[:byteAt])
		if former(runes, at) || quoted(runes, at) {
			continue
		}
		out = append(out, at)
	}
}

// former reports whether the name at rune offset at is marked as former: 原,
// 前 or 时任 right before it, or before the place name that leads it (as in
// 原北京市东城区工商行政管理局: CJK text up to the name that ends in a place
// suffix such as 市, 区 or 县).
func former(runes []rune, at int) bool {
	for k := at - 1; k >= 0 && at-k <= 16; k-- {
		r := runes[k]
		if r == '原' || r == '前' || (r == '任' && k > 0 && runes[k-1] == '时') {
			between := runes[k+1 : at]
			return len(between) == 0 || strings.ContainsRune(placeSuffixes, between[len(between)-1])
		}
		if !(r >= 0x4E00 && r <= 0x9FFF) {
			return false // punctuation, a space, a digit: another phrase
		}
	}
	return false
}

// placeSuffixes end the place names that may stand between 原 and an organ.
const placeSuffixes = "省市区县州盟旗镇乡道"

// quoted reports whether rune offset at is inside 《》: an open 《 before it
// with no 》 between.
func quoted(runes []rune, at int) bool {
	for k := at - 1; k >= 0; k-- {
		switch runes[k] {
		case '》', '\n':
			return false
		case '《':
			return true
		}
	}
	return false
}
