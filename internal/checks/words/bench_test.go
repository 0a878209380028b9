package words

// Benchmarks of the sensitive-word matcher against a naive strings.Index
// loop and the Go Aho-Corasick libraries, on ~4 MB of generated
// report-style Chinese and a 10,000-word list, all in one run:
//
//	go test -run=^$ -bench=. -benchmem ./internal/checks/words/
//
// BenchmarkBuild/* reports build time (ns/op) and the automaton's memory
// (MB-automaton: live heap after build minus before, with GC). BenchmarkScan/*
// reports MB/s. The libraries are test dependencies only: they scan the
// normalised text (their best case; they could not normalise or map offsets
// back), while ours scans the original text, normalisation and offset
// mapping included.

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	bobu "github.com/BobuSumisu/aho-corasick"
	cloudflare "github.com/cloudflare/ahocorasick"
	coregx "github.com/coregx/ahocorasick"
	petar "github.com/petar-dambovaliev/aho-corasick"
)

const (
	benchWords     = 10000
	benchTextBytes = 4 << 20
	naiveTextBytes = 256 << 10 // the naive loop is ~1000x slower: a slice keeps it short
)

// phrases are the stuff of a government work report.
var phrases = []string{
	"深入贯彻落实", "党的二十大精神", "坚持稳中求进工作总基调", "完整准确全面贯彻新发展理念",
	"加快构建新发展格局", "着力推动高质量发展", "全面深化改革开放", "持续优化营商环境",
	"扎实推进乡村振兴", "巩固拓展脱贫攻坚成果", "加强基层治理体系建设", "提升政务服务效能",
	"推进数字政府建设", "保障和改善民生", "稳定和扩大就业", "完善社会保障体系",
	"加强生态环境保护", "打好污染防治攻坚战", "推动绿色低碳发展", "统筹发展和安全",
	"防范化解重大风险", "维护社会大局稳定", "落实安全生产责任制", "加强食品药品监管",
	"深化教育综合改革", "推进健康中国建设", "繁荣发展文化事业", "加快建设交通强国",
	"实施创新驱动发展战略", "培育壮大新兴产业", "促进消费持续恢复", "扩大有效投资",
	"推进新型城镇化", "实施区域协调发展战略", "加强耕地保护和粮食安全", "深化财税金融体制改革",
	"全年地区生产总值", "一般公共预算收入", "城镇新增就业", "居民人均可支配收入",
	"同比增长", "比上年提高", "超额完成年度目标任务", "各项工作取得新成效",
	"市政府常务会议研究决定", "各区县人民政府", "市直各部门", "认真抓好贯彻落实",
	"现将有关事项通知如下", "请结合实际认真执行", "本办法自发布之日起施行", "依法依规公开政府信息",
	"主动接受人大监督", "认真办理代表建议和政协提案", "加强政府自身建设", "坚持依法行政",
	"推进政务公开标准化规范化", "严格落实中央八项规定精神", "持之以恒正风肃纪", "强化审计监督",
	"建立健全长效机制", "压紧压实工作责任", "形成工作合力", "确保各项任务落到实处",
	"开展专项整治行动", "加强督查检查", "及时回应群众关切", "切实维护群众合法权益",
	"老旧小区改造", "城市更新行动", "保障性住房建设", "农村人居环境整治",
	"义务教育优质均衡发展", "医疗卫生服务体系", "养老服务体系建设", "公共文化服务",
	"科技成果转化", "高新技术企业", "专精特新中小企业", "营商环境评价",
}

// extraChars widen the alphabet of generated words beyond the phrases.
const extraChars = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理世车"

type benchCorpus struct {
	words     []string // the list, as admins would type it
	normWords []string // the list normalised, for the libraries and the naive loop
	text      string   // ~4 MB of report-style Chinese
	normText  []byte   // its normalised form, for the libraries
}

var (
	corpusOnce sync.Once
	corpus     benchCorpus
)

// genWords makes n distinct realistic words of 2-6 Han characters drawn
// from the characters of the phrases and a list of common characters. Like
// real sensitive words they seldom occur by chance in report prose (a few
// short ones do); genText plants them.
func genWords(r *rand.Rand, n int) []string {
	var pool []rune
	seen := map[rune]bool{}
	for _, s := range append(append([]string(nil), phrases...), extraChars) {
		for _, c := range s {
			if !seen[c] {
				seen[c] = true
				pool = append(pool, c)
			}
		}
	}
	lengths := []int{2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 6}
	set := map[string]bool{}
	var out []string
	for len(out) < n {
		l := lengths[r.IntN(len(lengths))]
		rs := make([]rune, l)
		for i := range rs {
			rs[i] = pool[r.IntN(len(pool))]
		}
		w := string(rs)
		if !set[w] {
			set[w] = true
			out = append(out, w)
		}
	}
	return out
}

// genText makes about size bytes of paragraphs of report sentences, with
// figures (some in full-width digits), a little Latin, and listed words
// planted now and then, a tenth of them with noise between the characters.
func genText(r *rand.Rand, words []string, size int) string {
	var b strings.Builder
	b.Grow(size + 256)
	noise := []string{"*", " ", "·", "\u200b", "-"}
	for b.Len() < size {
		for range 3 + r.IntN(4) { // sentences
			for k := range 2 + r.IntN(5) { // clauses
				if k > 0 {
					b.WriteString("，")
				}
				b.WriteString(phrases[r.IntN(len(phrases))])
				switch r.IntN(40) {
				case 0:
					fmt.Fprintf(&b, "%d.%d%%", r.IntN(30), r.IntN(10))
				case 1:
					b.WriteString("２０２６年")
				case 2:
					b.WriteString("GDP")
				case 3:
					w := words[r.IntN(len(words))]
					if r.IntN(10) == 0 {
						rs := []rune(w)
						sep := noise[r.IntN(len(noise))]
						for i, c := range rs {
							if i > 0 {
								b.WriteString(sep)
							}
							b.WriteRune(c)
						}
					} else {
						b.WriteString(w)
					}
				}
			}
			b.WriteString("。")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func loadCorpus() *benchCorpus {
	corpusOnce.Do(func() {
		r := rand.New(rand.NewPCG(20261127, 10000))
		corpus.words = genWords(r, benchWords)
		corpus.text = genText(r, corpus.words, benchTextBytes)
		for _, w := range corpus.words {
			corpus.normWords = append(corpus.normWords, string(normalizeWord(w)))
		}
		n, _ := Normalize(corpus.text)
		corpus.normText = []byte(n)
		loadTables()
	})
	return &corpus
}

// heapMB reports how much live heap build leaves behind, in MB (1e6 bytes):
// the memory of the automaton it returns, garbage of the build excluded.
func heapMB(build func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := build()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(x)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / 1e6
}

// impl is one contender: how to build its automaton from the list.
type impl struct {
	name  string
	build func(c *benchCorpus) any
}

var impls = []impl{
	{"ours", func(c *benchCorpus) any { return NewMatcher(c.words, 1) }},
	{"naive-strings.Index", func(c *benchCorpus) any {
		ws := make([]string, len(c.words))
		for i, w := range c.words {
			ws[i] = string(normalizeWord(w))
		}
		return ws
	}},
	{"BobuSumisu-v1.0.3", func(c *benchCorpus) any {
		return bobu.NewTrieBuilder().AddStrings(c.normWords).Build()
	}},
	{"petar-dambovaliev-DFA", func(c *benchCorpus) any {
		b := petar.NewAhoCorasickBuilder(petar.Opts{MatchKind: petar.StandardMatch, DFA: true})
		return b.Build(c.normWords)
	}},
	{"coregx-v0.3.1", func(c *benchCorpus) any {
		a, err := coregx.NewBuilder().AddStrings(c.normWords).Build()
		if err != nil {
			panic(err)
		}
		return a
	}},
	{"cloudflare", func(c *benchCorpus) any { return cloudflare.NewStringMatcher(c.normWords) }},
}

func BenchmarkBuild(b *testing.B) {
	c := loadCorpus()
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			mb := heapMB(func() any { return im.build(c) })
			for b.Loop() {
				im.build(c)
			}
			b.ReportMetric(mb, "MB-automaton")
		})
	}
}

// byteMatch is a library's match: pattern and byte offsets in the normalised text.
type byteMatch struct{ pattern, start, end int }

// scanners scan with each automaton; all but ours and cloudflare return
// every overlapping match, as ours does.
var scanners = map[string]func(a any, c *benchCorpus, text []byte) int{
	"naive-strings.Index": func(a any, _ *benchCorpus, text []byte) int {
		var out []byteMatch
		s := string(text)
		for p, w := range a.([]string) {
			for off := 0; ; {
				i := strings.Index(s[off:], w)
				if i < 0 {
					break
				}
				out = append(out, byteMatch{p, off + i, off + i + len(w)})
				_, sz := utf8.DecodeRuneInString(s[off+i:])
				off += i + sz
			}
		}
		return len(out)
	},
	"BobuSumisu-v1.0.3": func(a any, _ *benchCorpus, text []byte) int {
		var out []byteMatch
		a.(*bobu.Trie).Walk(text, func(end, n, pattern int64) bool {
			out = append(out, byteMatch{int(pattern), int(end - n + 1), int(end + 1)})
			return true
		})
		return len(out)
	},
	"petar-dambovaliev-DFA": func(a any, _ *benchCorpus, text []byte) int {
		var out []byteMatch
		it := a.(petar.AhoCorasick).IterOverlappingByte(text)
		for m := it.Next(); m != nil; m = it.Next() {
			out = append(out, byteMatch{m.Pattern(), m.Start(), m.End()})
		}
		return len(out)
	},
	"coregx-v0.3.1": func(a any, _ *benchCorpus, text []byte) int {
		return len(a.(*coregx.Automaton).FindAllOverlapping(text))
	},
	"cloudflare": func(a any, _ *benchCorpus, text []byte) int {
		return len(a.(*cloudflare.Matcher).Match(text)) // which words occur; no positions
	},
}

func BenchmarkScan(b *testing.B) {
	c := loadCorpus()
	b.Run("ours", func(b *testing.B) {
		m := NewMatcher(c.words, 1)
		b.SetBytes(int64(len(c.text)))
		n := 0
		for b.Loop() {
			n = len(m.FindAll(c.text))
		}
		b.ReportMetric(float64(n), "matches")
	})
	b.Run("ours-Normalize-only", func(b *testing.B) {
		b.SetBytes(int64(len(c.text)))
		for b.Loop() {
			Normalize(c.text)
		}
	})
	// The automaton alone, over the normalised runes held in memory: the
	// like-for-like comparison with the libraries below.
	b.Run("ours-automaton-only", func(b *testing.B) {
		m := NewMatcher(c.words, 1)
		var nz normalizer
		nz.reset(c.text)
		nz.fill(int(^uint(0) >> 1))
		b.SetBytes(int64(len(c.normText)))
		n := 0
		for b.Loop() {
			_, ms := m.scan(&nz, 0, 0, nil)
			n = len(ms)
		}
		b.ReportMetric(float64(n), "matches")
	})
	// The best library wrapped behind our API: what adopting it would cost.
	b.Run("coregx-wrapped-FindAll", func(b *testing.B) {
		w := newCoregxMatcher(c.words)
		b.SetBytes(int64(len(c.text)))
		n := 0
		for b.Loop() {
			n = len(w.FindAll(c.text))
		}
		b.ReportMetric(float64(n), "matches")
	})
	for _, im := range impls[1:] {
		b.Run(im.name, func(b *testing.B) {
			a := im.build(c)
			text := c.normText
			if im.name == "naive-strings.Index" {
				text = cutRunes(text, naiveTextBytes)
			}
			scan := scanners[im.name]
			b.SetBytes(int64(len(text)))
			n := 0
			for b.Loop() {
				n = scan(a, c, text)
			}
			b.ReportMetric(float64(n), "matches")
		})
	}
}

// cutRunes returns a prefix of at most n bytes of s ending on a rune boundary.
func cutRunes(s []byte, n int) []byte {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// coregxMatcher is coregx wrapped behind our API: normalise, scan the
// normalised bytes, map byte offsets back to rune offsets of the original.
type coregxMatcher struct {
	a       *coregx.Automaton
	words   []string
	runeLen []int
}

func newCoregxMatcher(words []string) *coregxMatcher {
	c := &coregxMatcher{}
	var pats []string
	seen := map[string]bool{}
	for _, w := range words {
		nw := normalizeWord(w)
		if len(nw) == 0 || seen[string(nw)] {
			continue
		}
		seen[string(nw)] = true
		pats = append(pats, string(nw))
		c.words = append(c.words, w)
		c.runeLen = append(c.runeLen, len(nw))
	}
	a, err := coregx.NewBuilder().AddStrings(pats).Build()
	if err != nil {
		panic(err)
	}
	c.a = a
	return c
}

func (c *coregxMatcher) FindAll(text string) []Match {
	size := utf8.RuneCountInString(text)
	nz := normalizer{runes: make([]rune, 0, size), starts: make([]int, 0, size), ends: make([]int, 0, size)}
	nz.reset(text)
	nz.fill(int(^uint(0) >> 1))
	buf := make([]byte, 0, len(text))
	for _, r := range nz.runes {
		buf = utf8.AppendRune(buf, r)
	}
	ms := c.a.FindAllOverlapping(buf)
	out := make([]Match, 0, len(ms))
	bpos, ri := 0, 0 // matches come by end: count runes up to each end
	for _, m := range ms {
		for bpos < m.End {
			_, sz := utf8.DecodeRune(buf[bpos:])
			bpos += sz
			ri++
		}
		out = append(out, Match{c.words[m.PatternID], nz.starts[ri-c.runeLen[m.PatternID]], nz.ends[ri-1]})
	}
	if nz.multi {
		out = dedupe(out)
	}
	return out
}

// TestLibrariesAgree checks that the comparison is fair: on the normalised
// text, every library that reports overlapping matches finds exactly as many
// as ours does on the original text.
func TestLibrariesAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	c := &benchCorpus{words: genWords(r, 1000)}
	c.text = genText(r, c.words, 200<<10)
	for _, w := range c.words {
		c.normWords = append(c.normWords, string(normalizeWord(w)))
	}
	n, _ := Normalize(c.text)
	c.normText = []byte(n)
	want := len(NewMatcher(c.words, 1).FindAll(c.text))
	t.Logf("%d matches in %d bytes", want, len(c.text))
	if want == 0 {
		t.Fatal("the generated text contains no listed word")
	}
	for _, im := range impls[1:] {
		if im.name == "cloudflare" {
			continue
		}
		if got := scanners[im.name](im.build(c), c, c.normText); got != want {
			t.Errorf("%s finds %d matches, ours %d", im.name, got, want)
		}
	}
	ours := NewMatcher(c.words, 1).FindAll(c.text)
	sortMatches(ours)
	if d := diffMatches(newCoregxMatcher(c.words).FindAll(c.text), ours); d != "" {
		t.Errorf("coregx wrapped differs from ours:\n%.500s", d)
	}
}
