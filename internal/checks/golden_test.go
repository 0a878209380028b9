package checks_test

// The golden test pins what the machine checks find. It runs every draft of
// each corpus file through the three stages, as the stage workers run them
// (Runner.Run with the official calendar, a fixed clock and the word list
// testdata/golden/words.txt), and compares the findings with the expected
// ones kept beside each file:
//
//	testdata/corpus.jsonl      the load benchmark's drafts  → testdata/golden/corpus.golden.json
//	testdata/golden/cases.txt  hand-written hard cases      → testdata/golden/cases.golden.json
//	testdata/fp/*.txt          real documents, no false blocks → testdata/golden/fp.golden.json
//
// A change to a rule shows as a change of these files. When it is intended,
// rewrite them and review the diff as part of the change:
//
//	go test ./internal/checks -run Golden -update
//	git diff internal/checks/testdata/golden
//
// (-update is this package's flag: give the one package, not ./..., whose
// other test binaries do not know it.)

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/checks/words"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden.json with what the checks find now")

// goldenNow is the clock of the golden test: 16:00 in Beijing on the day
// the corpus was generated for, a few days after its drafts were formed.
var goldenNow = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// goldenWordsVersion is the list version the sensitive-word findings name.
const goldenWordsVersion = 1

// stages are the review stages in the order a draft goes through them.
var stages = []domain.Stage{domain.StageCompleteness, domain.StageCompliance, domain.StageConfidentiality}

// goldenSets are the corpus files and the expected findings of each.
var goldenSets = []struct {
	name, corpus, golden string
	read                 func(testing.TB, string) []draft
}{
	{"corpus", "testdata/corpus.jsonl", "testdata/golden/corpus.golden.json", readCorpus},
	{"cases", "testdata/golden/cases.txt", "testdata/golden/cases.golden.json", readCases},
	{"fp", "testdata/fp/*.txt", "testdata/golden/fp.golden.json", readCaseFiles},
}

// readCaseFiles reads every file the pattern matches, each in the format of
// the hard cases (readCases), in the order of their names.
func readCaseFiles(tb testing.TB, pattern string) []draft {
	tb.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		tb.Fatalf("%s: no files (%v)", pattern, err)
	}
	var out []draft
	for _, p := range paths {
		out = append(out, readCases(tb, p)...)
	}
	return out
}

// TestFalsePositives runs the false-positive corpus (testdata/fp): real
// documents that some rule once blocked or could block by mistake. No stage
// may block them; what they warn of is pinned by the golden test.
func TestFalsePositives(t *testing.T) {
	r := goldenRunner(t)
	for _, d := range readCaseFiles(t, "testdata/fp/*.txt") {
		for _, f := range runAll(t, r, d) {
			if f.Severity == string(domain.SeverityBlock) {
				t.Errorf("%s: %s blocks at %s: %s[%d:%d] %q: %s", d.id, f.Code, f.Stage, f.Field, f.Start, f.End, f.Text, f.MessageEN)
			}
		}
	}
}

// draft is one input of the golden test, named so that a difference can
// say where it is.
type draft struct {
	id      string
	content domain.Content
}

// goldenCase and goldenFinding are the golden files' form: every field
// always present, so that the files are regular and diff line by line.
type goldenCase struct {
	ID       string          `json:"id"`
	Findings []goldenFinding `json:"findings"`
}

type goldenFinding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Stage    string `json:"stage"`
	Field    string `json:"field"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
	// Text is what Start and End cover, so that a reviewer of the diff
	// need not count runes.
	Text       string `json:"text"`
	MessageZH  string `json:"message_zh"`
	MessageEN  string `json:"message_en"`
	Suggestion string `json:"suggestion"`
}

func TestGolden(t *testing.T) {
	r := goldenRunner(t)
	for _, set := range goldenSets {
		t.Run(set.name, func(t *testing.T) {
			var got []goldenCase
			for _, d := range set.read(t, set.corpus) {
				got = append(got, goldenCase{ID: d.id, Findings: runAll(t, r, d)})
			}
			if *update {
				writeGolden(t, set.golden, got)
				return
			}
			want := readGolden(t, set.golden)
			if diffs := diffCases(got, want); len(diffs) > 0 {
				const most = 20
				for _, d := range diffs[:min(len(diffs), most)] {
					t.Error(d)
				}
				if len(diffs) > most {
					t.Errorf("(%d more differing cases not shown)", len(diffs)-most)
				}
				t.Errorf("%d cases of %s differ from %s. If the change is intended, run\n"+
					"\tgo test ./internal/checks -run Golden -update\nand review git diff internal/checks/testdata/golden.",
					len(diffs), set.corpus, set.golden)
			}
		})
	}
}

// goldenRunner runs the checks as the stage workers do, on the golden
// test's clock and word list.
func goldenRunner(tb testing.TB) *checks.Runner {
	r := checks.NewRunner()
	r.Now = func() time.Time { return goldenNow }
	r.Words = staticWords{words.NewMatcher(readWords(tb, "testdata/golden/words.txt"), goldenWordsVersion)}
	return r
}

type staticWords struct{ m *words.Matcher }

func (s staticWords) Matchers(context.Context, int64) ([]*words.Matcher, error) {
	return []*words.Matcher{s.m}, nil
}

// runAll returns the findings of every stage on d, in stage order.
func runAll(t *testing.T, r *checks.Runner, d draft) []goldenFinding {
	out := []goldenFinding{}
	for _, st := range stages {
		fs, err := r.Run(context.Background(), st, 1, d.content)
		if err != nil {
			t.Fatalf("case %q, stage %s: %v", d.id, st, err)
		}
		for _, f := range fs {
			g := goldenFinding{Code: f.Code, Severity: string(f.Severity), Stage: string(f.Stage), Field: f.Field,
				Start: f.Start, End: f.End, MessageZH: f.MessageZH, MessageEN: f.MessageEN, Suggestion: f.Suggestion}
			if f.Field != "" {
				text := d.content.Body
				if f.Field == "title" {
					text = d.content.Title
				}
				rs := []rune(text)
				if f.Start < 0 || f.Start > f.End || f.End > len(rs) {
					t.Errorf("case %q: %s at [%d,%d) outside the %s's %d runes", d.id, f.Code, f.Start, f.End, f.Field, len(rs))
					continue
				}
				g.Text = string(rs[f.Start:f.End])
			}
			out = append(out, g)
		}
	}
	return out
}

// diffCases describes each case whose findings differ, naming the case and
// the findings: those only expected, those only found, and those found at
// the expected place with other fields changed.
func diffCases(got, want []goldenCase) []string {
	wantByID := map[string][]goldenFinding{}
	for _, c := range want {
		wantByID[c.ID] = c.Findings
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range got {
		seen[c.ID] = true
		w, ok := wantByID[c.ID]
		if !ok {
			out = append(out, fmt.Sprintf("case %q is new: it has no expected findings yet%s", c.ID, diffFindings(c.Findings, nil)))
			continue
		}
		if d := diffFindings(c.Findings, w); d != "" {
			out = append(out, fmt.Sprintf("case %q:%s", c.ID, d))
		}
	}
	for _, c := range want {
		if !seen[c.ID] {
			out = append(out, fmt.Sprintf("case %q is expected but no longer in the corpus", c.ID))
		}
	}
	return out
}

// diffFindings pairs each finding with an expected one of the same stage,
// code and place, and lists what is left over and what changed; "" when
// got is want.
func diffFindings(got, want []goldenFinding) string {
	var b strings.Builder
	used := make([]bool, len(want))
	for _, g := range got {
		i := -1
		for j, w := range want {
			if !used[j] && w.Stage == g.Stage && w.Code == g.Code && w.Field == g.Field && w.Start == g.Start && w.End == g.End {
				i = j
				break
			}
		}
		if i < 0 {
			fmt.Fprintf(&b, "\n  + found, not expected: %s", describe(g))
			continue
		}
		used[i] = true
		if w := want[i]; g != w {
			fmt.Fprintf(&b, "\n  ~ changed: %s", describe(w))
			for _, f := range []struct{ name, got, want string }{
				{"severity", g.Severity, w.Severity},
				{"message_zh", g.MessageZH, w.MessageZH},
				{"message_en", g.MessageEN, w.MessageEN},
				{"suggestion", g.Suggestion, w.Suggestion},
				{"text", g.Text, w.Text},
			} {
				if f.got != f.want {
					fmt.Fprintf(&b, "\n      %s\n        got  %q\n        want %q", f.name, f.got, f.want)
				}
			}
		}
	}
	for j, w := range want {
		if !used[j] {
			fmt.Fprintf(&b, "\n  - expected, not found: %s", describe(w))
		}
	}
	if b.Len() == 0 && len(got) == len(want) {
		for i := range got {
			if got[i] != want[i] {
				return "\n  the same findings in another order"
			}
		}
	}
	return b.String()
}

func describe(f goldenFinding) string {
	if f.Field == "" {
		return fmt.Sprintf("%s %s (whole draft): %s", f.Stage, f.Code, f.MessageEN)
	}
	return fmt.Sprintf("%s %s %s[%d:%d] %q", f.Stage, f.Code, f.Field, f.Start, f.End, f.Text)
}

func readGolden(t *testing.T, path string) []goldenCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/checks -run Golden -update to write it)", err)
	}
	var cs []goldenCase
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cs
}

// writeGolden writes the cases as indented JSON, non-ASCII as it is, and
// leaves the file alone when nothing changed.
func writeGolden(t *testing.T, path string, cs []goldenCase) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cs); err != nil {
		t.Fatal(err)
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b.Bytes()) {
		return
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// readCorpus reads the load benchmark's drafts (cmd/sanshen/bench), one
// JSON object a line, named by line number and title.
func readCorpus(tb testing.TB, path string) []draft {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []draft
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c struct {
			domain.Content
			FormedOn string `json:"formed_on"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatalf("%s:%d: %v", path, len(out)+1, err)
		}
		formed, err := time.Parse(domain.DateLayout, c.FormedOn)
		if err != nil {
			tb.Fatalf("%s:%d: %v", path, len(out)+1, err)
		}
		c.Content.FormedOn = formed
		out = append(out, draft{fmt.Sprintf("%03d %s", len(out)+1, c.Title), c.Content})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatalf("%s is empty", path)
	}
	return out
}

// The defaults of the cases file's keys; its head says what they are.
const (
	defaultTitle      = "东城区开展春季食品安全专项检查"
	defaultDepartment = "东城区市场监督管理局"
	defaultCategory   = "news"
	defaultFormedOn   = "2026-11-24"
)

// readCases reads the hard cases, in the format the head of the file
// describes: "== id", then "key: value" lines, the body last.
func readCases(tb testing.TB, path string) []draft {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []draft
	ids := map[string]bool{}
	var cur *draft
	fail := func(i int, format string, args ...any) {
		tb.Helper()
		tb.Fatalf("%s:%d: %s", path, i+1, fmt.Sprintf(format, args...))
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "=="):
			id := strings.TrimSpace(line[2:])
			if id == "" || ids[id] {
				fail(i, "case id %q is empty or used before", id)
			}
			ids[id] = true
			out = append(out, draft{id: id, content: domain.Content{Title: defaultTitle, Department: defaultDepartment,
				Category: defaultCategory, Channels: []domain.Channel{domain.ChannelWebsite}}})
			cur = &out[len(out)-1]
			cur.content.FormedOn, _ = time.Parse(domain.DateLayout, defaultFormedOn)
		case strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "":
		case cur == nil:
			fail(i, "text before the first case")
		default:
			key, raw, ok := strings.Cut(line, ":")
			if !ok {
				fail(i, "want key: value")
			}
			raw = strings.TrimSpace(raw)
			if key == "body" && raw == "" { // the body is the block that follows
				j := i + 1
				for j < len(lines) && !strings.HasPrefix(lines[j], "==") && !strings.HasPrefix(lines[j], "#") {
					j++
				}
				k := j
				for k > i+1 && strings.TrimSpace(lines[k-1]) == "" {
					k--
				}
				cur.content.Body = strings.Join(lines[i+1:k], "\n")
				i = j - 1
				continue
			}
			v := raw
			if strings.HasPrefix(raw, `"`) {
				if v, err = strconv.Unquote(raw); err != nil {
					fail(i, "%v", err)
				}
			}
			c := &cur.content
			switch key {
			case "title":
				c.Title = v
			case "body":
				c.Body = v
			case "department":
				c.Department = v
			case "category":
				c.Category = v
			case "channels":
				c.Channels = nil
				for ch := range strings.SplitSeq(v, ",") {
					if ch = strings.TrimSpace(ch); ch != "" {
						c.Channels = append(c.Channels, domain.Channel(ch))
					}
				}
			case "formed_on":
				c.FormedOn = time.Time{}
				if v != "none" {
					if c.FormedOn, err = time.Parse(domain.DateLayout, v); err != nil {
						fail(i, "%v", err)
					}
				}
			default:
				fail(i, "unknown key %q", key)
			}
		}
	}
	if len(out) == 0 {
		tb.Fatalf("%s has no cases", path)
	}
	return out
}

// readWords reads a word list, one word a line; blank lines and lines
// starting with # are not words.
func readWords(tb testing.TB, path string) []string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}
