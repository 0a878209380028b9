// Package assessment is the officers' assessment (考核): per officer and
// per department, for a month, a quarter or a year, what they submitted
// and published, what was returned, how fast the reviews went, whether
// publications kept the legal clocks, and a score by a formula whose
// weights each agency sets. It is pure: the store counts, this package
// adds up, scores and ranks.
package assessment

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Weights are an agency's weights of the score formula (Formula).
type Weights struct {
	Published float64 `json:"published"`  // per item published
	FirstPass float64 `json:"first_pass"` // times the first-pass rate (0 to 1)
	OnTime    float64 `json:"on_time"`    // times the on-time rate (0 to 1)
	Returned  float64 `json:"returned"`   // taken off per return, a reviewer's or the machine checks' at stage 1
}

// DefaultWeights are the weights of an agency that set none: an item
// published is worth a point, a clean record of first passes or of
// timeliness 20 points each, and a return costs 2.
var DefaultWeights = Weights{Published: 1, FirstPass: 20, OnTime: 20, Returned: 2}

// MaxWeight bounds a weight.
const MaxWeight = 1000

// FormulaZH and FormulaEN write the score down, as the page shows it.
const (
	FormulaZH = "得分 = 发布条数 × 发布权重 + 一次通过率 × 一次通过权重 + 按时公开率 × 按时权重 − 被退回次数（含机器检查退回）× 退回权重（通过率、按时率按0至1计，本期没有发布的为0）"
	FormulaEN = "score = items published × the publication weight + first-pass rate × its weight + on-time rate × its weight − returns (the machine checks' included) × the return weight (rates from 0 to 1; 0 with nothing published)"
)

// ErrInvalidWeights is a weight outside 0 to MaxWeight.
var ErrInvalidWeights = errors.New("invalid weights")

// Check refuses a weight that is negative, above MaxWeight or not a number.
func (w Weights) Check() error {
	if name, v := w.invalid(); name != "" {
		return fmt.Errorf("%w: each weight is from 0 to %d, not %v (%s)", ErrInvalidWeights, MaxWeight, v, name)
	}
	return nil
}

// Invalid is the name of the first weight Check refuses (published,
// first_pass, on_time, returned: the form's and the API's), "" for none.
func (w Weights) Invalid() string {
	name, _ := w.invalid()
	return name
}

func (w Weights) invalid() (string, float64) {
	for _, f := range []struct {
		name string
		v    float64
	}{{"published", w.Published}, {"first_pass", w.FirstPass}, {"on_time", w.OnTime}, {"returned", w.Returned}} {
		if math.IsNaN(f.v) || f.v < 0 || f.v > MaxWeight {
			return f.name, f.v
		}
	}
	return "", 0
}

// Period is the span assessed: a month, a quarter or a year, in Beijing.
type Period struct {
	Label    string    // as given: 2025, 2025-Q1 or 2025-03
	From, To time.Time // [From, To), midnight in Beijing
}

var periodPattern = regexp.MustCompile(`^(20[0-9]{2})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$`)

// ErrInvalidPeriod is a period that is not YYYY, YYYY-Qn or YYYY-MM.
var ErrInvalidPeriod = errors.New("invalid period")

// ParsePeriod reads YYYY (a year), YYYY-Qn (a quarter) or YYYY-MM (a month).
func ParsePeriod(s string) (Period, error) {
	m := periodPattern.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fmt.Errorf("%w: %q is not YYYY, YYYY-Qn or YYYY-MM", ErrInvalidPeriod, s)
	}
	y, _ := strconv.Atoi(m[1])
	from := time.Date(y, 1, 1, 0, 0, 0, 0, domain.Beijing)
	to := from.AddDate(1, 0, 0)
	switch {
	case m[2] != "":
		q, _ := strconv.Atoi(m[2])
		from = from.AddDate(0, 3*(q-1), 0)
		to = from.AddDate(0, 3, 0)
	case m[3] != "":
		mo, _ := strconv.Atoi(m[3])
		from = from.AddDate(0, mo-1, 0)
		to = from.AddDate(0, 1, 0)
	}
	return Period{Label: s, From: from, To: to}, nil
}

// Line is one officer's or one department's figures for the period.
type Line struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Department is an officer's department (several joined by 、).
	Department string `json:"department,omitempty"`
	Submitted  int    `json:"submitted"` // drafts first submitted in the period (a saved draft counts when submitted)
	Published  int    `json:"published"` // drafts first published in the period
	// FirstPass: of those published, the ones never returned, by a
	// reviewer or by stage 1's machine checks.
	FirstPass int `json:"first_pass"`
	// Returned counts the returns in the period by stage (stage 1's
	// machine returns under completeness); ReturnReasons the same returns
	// by why: a reviewer's return reason code (domain.ReturnReasons,
	// ReasonUnstated without one) or ReasonMachine. Rejected counts the
	// rejections by their reason code.
	Returned      map[string]int `json:"returned"`
	ReturnReasons map[string]int `json:"return_reasons"`
	Rejected      map[string]int `json:"rejected"`
	Article26     Clock          `json:"article26"`        // the items published on the Article 26 clock
	DoublePub     Clock          `json:"double_publicity"` // the penalty and licence decisions (双公示)
	StageHours    map[string]Avg `json:"stage_hours"`      // the time from a revision's arrival to each stage's decision
	Channels      map[string]int `json:"channels"`         // items published per channel
	Score         float64        `json:"score"`
	Rank          int            `json:"rank"`
}

// Clock counts publications on a legal clock and those in time.
type Clock struct {
	Published int `json:"published"`
	OnTime    int `json:"on_time"`
}

// Avg is a mean built from its parts, so that lines add up.
type Avg struct {
	Sum   float64 `json:"-"`
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
}

func (a Avg) add(o Avg) Avg {
	a.Sum, a.Count = a.Sum+o.Sum, a.Count+o.Count
	if a.Count > 0 {
		a.Mean = math.Round(a.Sum/float64(a.Count)*10) / 10
	}
	return a
}

// NewAvg is a mean of count values adding up to sum.
func NewAvg(sum float64, count int) Avg { return Avg{}.add(Avg{Sum: sum, Count: count}) }

// ReturnedTotal is every return of the line.
func (l Line) ReturnedTotal() int {
	n := 0
	for _, v := range l.Returned {
		n += v
	}
	return n
}

// FirstPassRate is FirstPass over Published (0 with nothing published:
// no score for what was not done).
func (l Line) FirstPassRate() float64 { return rate(l.FirstPass, l.Published) }

// OnTimeRate is the share of publications on either clock made in time.
func (l Line) OnTimeRate() float64 {
	return rate(l.Article26.OnTime+l.DoublePub.OnTime, l.Article26.Published+l.DoublePub.Published)
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Add adds o's figures to l's.
func (l *Line) Add(o Line) {
	l.Submitted += o.Submitted
	l.Published += o.Published
	l.FirstPass += o.FirstPass
	l.Article26.Published += o.Article26.Published
	l.Article26.OnTime += o.Article26.OnTime
	l.DoublePub.Published += o.DoublePub.Published
	l.DoublePub.OnTime += o.DoublePub.OnTime
	l.Returned = addCounts(l.Returned, o.Returned)
	l.ReturnReasons = addCounts(l.ReturnReasons, o.ReturnReasons)
	l.Rejected = addCounts(l.Rejected, o.Rejected)
	l.Channels = addCounts(l.Channels, o.Channels)
	if l.StageHours == nil {
		l.StageHours = map[string]Avg{}
	}
	for k, v := range o.StageHours {
		l.StageHours[k] = l.StageHours[k].add(v)
	}
}

func addCounts(a, b map[string]int) map[string]int {
	if a == nil {
		a = map[string]int{}
	}
	for k, v := range b {
		a[k] += v
	}
	return a
}

// Score is the line's score by w (Formula), to two decimals.
func (w Weights) Score(l Line) float64 {
	s := w.Published*float64(l.Published) + w.FirstPass*l.FirstPassRate() + w.OnTime*l.OnTimeRate() - w.Returned*float64(l.ReturnedTotal())
	return math.Round(s*100) / 100
}

// Assessment is a period's ranking of officers and departments.
type Assessment struct {
	Period      Period  `json:"-"`
	Weights     Weights `json:"weights"`
	Officers    []Line  `json:"officers"`
	Departments []Line  `json:"departments"`
}

// Rank scores the lines by w and orders them best first (ties by name),
// numbering the ranks (equal scores share one).
func Rank(w Weights, lines []Line) []Line {
	for i := range lines {
		lines[i].Score = w.Score(lines[i])
	}
	slices.SortStableFunc(lines, func(a, b Line) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	for i := range lines {
		lines[i].Rank = i + 1
		if i > 0 && lines[i].Score == lines[i-1].Score {
			lines[i].Rank = lines[i-1].Rank
		}
	}
	return lines
}

// The return reasons besides domain.ReturnReasons: a reviewer's return
// without a code, and stage 1's machine checks.
const (
	ReasonUnstated = "unstated"
	ReasonMachine  = "machine_checks"
)

// ReturnReasonNames are the return reasons' Chinese names, as the
// ranking prints them.
var ReturnReasonNames = map[string]string{"inaccurate": "内容不准确", "incomplete": "要素不全", "nonstandard": "表述或格式不规范",
	"sensitive": "涉及敏感内容", "personal_data": "含未处理的个人信息", "other": "其他", ReasonUnstated: "未注明原因", ReasonMachine: "未通过机器检查"}

// ReturnReasonsText is the line's returns by reason, the most frequent
// first: "内容不准确2、未通过机器检查1".
func (l Line) ReturnReasonsText() string {
	keys := make([]string, 0, len(l.ReturnReasons))
	for k, n := range l.ReturnReasons {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := l.ReturnReasons[b] - l.ReturnReasons[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := ReturnReasonNames[k]
		if name == "" {
			name = k
		}
		parts[i] = name + strconv.Itoa(l.ReturnReasons[k])
	}
	return strings.Join(parts, "、")
}
