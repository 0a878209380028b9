// Package benchcorpus makes the workload of the sensitive-word benchmarks:
// a list of realistic words and report-style Chinese with some of them
// planted, and the loops that measure on it. The matcher's own benchmarks
// (../bench_test.go) and the comparison with the Aho-Corasick libraries
// (../comparison, a module of its own) use it alike; only tests import it.
package benchcorpus

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// The workload of docs/performance.md: Words(r, WordCount) then
// Text(r, words, TextBytes) from rand.New(rand.NewPCG(Seed, WordCount)).
const (
	Seed      = 20261127
	WordCount = 10000
	TextBytes = 4 << 20
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

// Words makes n distinct realistic words of 2-6 Han characters drawn
// from the characters of the phrases and a list of common characters. Like
// real sensitive words they seldom occur by chance in report prose (a few
// short ones do); Text plants them.
func Words(r *rand.Rand, n int) []string {
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

// Text makes about size bytes of paragraphs of report sentences, with
// figures (some in full-width digits), a little Latin, and listed words
// planted now and then, a tenth of them with noise between the characters.
func Text(r *rand.Rand, words []string, size int) string {
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

// Build benchmarks build: ns/op, and the live heap what it returns holds
// (MB-automaton).
func Build(b *testing.B, build func() any) {
	mb := heapMB(build)
	for b.Loop() {
		build()
	}
	b.ReportMetric(mb, "MB-automaton")
}

// Scan benchmarks scan over size bytes of text: MB/s, and the number of
// matches it returns, to compare between implementations.
func Scan(b *testing.B, size int, scan func() int) {
	b.SetBytes(int64(size))
	n := 0
	for b.Loop() {
		n = scan()
	}
	b.ReportMetric(float64(n), "matches")
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
