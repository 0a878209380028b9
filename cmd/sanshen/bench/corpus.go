package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// DefaultDepartments are the units of the benchmark's subdistrict office.
// Their names end the way organ names do in a signature, so the completeness
// checks read them as the office's own.
var DefaultDepartments = []string{
	"党政综合办公室", "城市管理办公室", "社区建设办公室", "民生保障办公室",
	"平安建设办公室", "社区服务中心", "综合行政执法队", "财政所",
}

// draftSpec is one generated submission: what an officer would type into the
// form, and whether the confidentiality reviewer will send it back once.
type draftSpec struct {
	Title      string
	Body       string
	Department string
	Category   string
	Channels   []string
	FormedOn   string
	// ReturnOnce makes the confidentiality reviewer return the draft the
	// first time it reaches them, so its author revises it.
	ReturnOnce bool
}

// corpus generates the benchmark's drafts. Draft i depends only on the seed,
// i and the day, never on the order in which clients ask for drafts, so two
// runs with the same flags on the same day submit the same texts.
type corpus struct {
	seed        uint64
	departments []string
	today       time.Time // Beijing calendar day at midnight UTC
	returns     map[int]bool
	// portalShare of the drafts also go to the portal (drawn apart from
	// the text, so the texts are the same with or without it).
	portalShare float64
}

// newCorpus prepares n drafts; exactly round(n × returnShare) of them, chosen
// by the seed, are returned once at confidentiality.
func newCorpus(seed uint64, departments []string, n int, returnShare float64, now time.Time) *corpus {
	c := &corpus{seed: seed, departments: departments, today: beijingDay(now), returns: map[int]bool{}}
	k := int(float64(n)*returnShare + 0.5)
	perm := rand.New(rand.NewPCG(seed, 0x5e1ec7)).Perm(n)
	for _, i := range perm[:min(max(k, 0), n)] {
		c.returns[i] = true
	}
	return c
}

func beijingDay(t time.Time) time.Time {
	y, m, d := t.In(time.FixedZone("CST", 8*3600)).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// categoryWeights is the mix of kinds of item, after the reference office's
// year: mostly work news and public services, a steady flow of penalty
// decisions, and every other category of domain.Categories now and then.
var categoryWeights = []struct {
	category string
	weight   int
}{
	{"news", 280}, {"public_service", 120}, {"penalty", 120}, {"inspection", 50},
	{"procurement", 45}, {"agency_info", 40}, {"license", 40}, {"plan", 35},
	{"statistics", 35}, {"budget", 30}, {"normative_document", 30}, {"emergency", 30},
	{"enforcement", 25}, {"fee", 20}, {"civil_service", 20}, {"major_project", 20},
	{"other", 20}, {"annual_report", 10}, {"regulation", 10},
}

func pickCategory(r *rand.Rand) string {
	total := 0
	for _, w := range categoryWeights {
		total += w.weight
	}
	n := r.IntN(total)
	for _, w := range categoryWeights {
		if n < w.weight {
			return w.category
		}
		n -= w.weight
	}
	return "news"
}

// The phrase pools. Report-style prose of a subdistrict office: no person's
// data, no telephone or ID numbers, no classification markings, dates only
// in the past, document numbers in the GB/T 9704 form.
var (
	focuses = []string{"垃圾分类", "接诉即办", "背街小巷环境整治", "老旧小区综合整治", "冬季供暖保障", "安全生产",
		"消防安全", "防汛准备", "社区养老服务", "就业帮扶", "文明城区创建", "优化营商环境", "基层治理",
		"城市精细化管理", "物业管理提升", "便民商业网点建设", "文化惠民", "平安社区建设", "燃气安全", "违法建设治理"}
	subjects = []string{"街道办事处", "各社区居委会", "城市管理办公室", "综合行政执法队", "社区服务中心", "民生保障办公室",
		"辖区物业服务企业", "志愿服务队伍", "相关职能科室", "平安建设办公室", "街道工委", "各网格工作人员"}
	verbs = []string{"组织开展了", "持续推进", "全面落实", "认真部署", "深入开展", "统筹做好", "扎实推进",
		"着力加强", "协调推动", "牵头组织"}
	objects = []string{"专项检查行动", "入户走访和政策宣传", "隐患排查和整改工作", "居民议事协商活动", "重点点位巡查",
		"便民服务项目建设", "矛盾纠纷排查化解", "环境卫生清理整治", "应急演练", "问题台账梳理", "联合执法检查",
		"社区公共空间改造", "服务窗口规范化建设"}
	resultsFmt = []string{"累计出动工作人员%d人次", "排查各类点位%d处", "发现并督促整改问题%d项", "惠及辖区居民%d户",
		"开展宣传活动%d场", "发放宣传材料%d份", "清理堆物堆料%d处", "走访商户%d家", "召开协调会%d次"}
	outcomes = []string{"群众满意度明显提升", "取得了阶段性成效", "辖区环境面貌持续改善", "工作机制进一步健全",
		"居民的获得感不断增强", "重点难点问题得到有效解决", "各项任务按计划有序推进"}
	openings = []string{
		"为深入贯彻落实区委区政府关于%s工作的部署要求，进一步提升辖区治理水平，",
		"根据上级有关工作安排，结合辖区实际，围绕%s这一重点任务，",
		"为切实做好%s工作，保障辖区居民的合法权益，",
		"按照年度重点工作计划，聚焦%s领域的突出问题，",
	}
	ordinals = []string{"一是", "二是", "三是", "四是", "五是", "六是"}
	closings = []string{
		"下一步，街道将继续坚持以人民为中心的发展思想，进一步压实工作责任，完善长效机制，不断提升辖区居民的获得感、幸福感、安全感。",
		"下一步，街道将认真总结经验做法，针对工作中发现的问题逐项建立台账、限时整改，确保各项工作落到实处、取得实效。",
		"街道将持续跟踪工作进展，及时向社会公开有关情况，欢迎辖区居民和单位通过政务服务渠道提出意见建议。",
	}
	companies = []string{"某某餐饮管理有限公司", "某某商贸有限责任公司", "某某建筑工程有限公司", "某某物业管理有限公司",
		"某某便利店", "某某汽车维修服务部", "某某装饰工程有限公司", "某某物流有限公司"}
	violations = []struct{ act, law, article, penalty string }{
		{"未按规定分类投放餐厨垃圾", "《北京市生活垃圾管理条例》", "第七十二条", "罚款人民币%d元"},
		{"在道路上擅自设置户外广告设施", "《北京市市容环境卫生条例》", "第五十七条", "责令限期改正，并处罚款人民币%d元"},
		{"施工工地未采取有效扬尘防治措施", "《中华人民共和国大气污染防治法》", "第一百一十五条", "罚款人民币%d元"},
		{"擅自占用城市道路堆放物料", "《城市道路管理条例》", "第四十二条", "责令限期改正，并处罚款人民币%d元"},
		{"露天焚烧落叶等产生烟尘污染的物质", "《中华人民共和国大气污染防治法》", "第一百一十九条", "罚款人民币%d元"},
	}
	licenseContents = []string{"临时占用道路设置施工围挡", "设置户外招牌", "城市道路挖掘施工", "临时占用公共场地举办便民活动"}
	procurements    = []string{"社区公共空间改造", "老旧小区楼道照明更新", "街道政务服务大厅设备购置", "社区养老驿站运营服务",
		"背街小巷环境提升设计服务", "垃圾分类宣传物资采购"}
	chineseDigits = []string{"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
)

// draft generates draft i.
func (c *corpus) draft(i int) draftSpec {
	r := rand.New(rand.NewPCG(c.seed, uint64(i)+1))
	d := draftSpec{Department: c.departments[i%len(c.departments)], Category: pickCategory(r),
		ReturnOnce: c.returns[i]}
	formed := c.today.AddDate(0, 0, -(2 + r.IntN(5)))
	d.FormedOn = formed.Format(domain.DateLayout)
	d.Channels = []string{string(domain.ChannelWebsite)}
	wechat := r.IntN(10) < 6 // added below if the title fits WeChat's limit
	if r.IntN(10) == 0 {
		d.Channels = append(d.Channels, string(domain.ChannelDouyin))
	}
	if c.portalShare > 0 && rand.New(rand.NewPCG(c.seed^0x706f7274616c, uint64(i)+1)).Float64() < c.portalShare {
		d.Channels = append(d.Channels, string(domain.ChannelPortal))
	}
	focus := pick(r, focuses)
	act := ""         // the violation, for a penalty decision's statement of facts
	var head []string // the labelled fields a category requires, above the prose
	title := ""
	switch d.Category {
	case "penalty":
		v := violations[r.IntN(len(violations))]
		act = v.act
		party := pick(r, companies)
		decided := formed.AddDate(0, 0, -r.IntN(3))
		title = fmt.Sprintf("关于%s%s的行政处罚决定", party, v.act)
		head = []string{
			fmt.Sprintf("决定书文号：街执罚字〔%d〕%d号", formed.Year(), 1+r.IntN(300)),
			"当事人：" + party,
			"违法行为：" + v.act,
			fmt.Sprintf("处罚依据：依据%s%s", v.law, v.article),
			"处罚内容：" + fmt.Sprintf(v.penalty, 500*(1+r.IntN(20))),
			"处罚机关：街道综合行政执法队",
			"决定日期：" + cnDate(decided),
		}
	case "license":
		what := pick(r, licenseContents)
		granted := formed.AddDate(0, 0, -r.IntN(2))
		title = fmt.Sprintf("关于准予%s%s的行政许可决定", pick(r, companies), what)
		head = []string{
			fmt.Sprintf("许可决定文号：街许字〔%d〕%d号", formed.Year(), 1+r.IntN(200)),
			"被许可人：" + pick(r, companies),
			"许可内容：" + what,
			"许可机关：" + d.Department,
			"许可日期：" + cnDate(granted),
			"有效期：自许可之日起六个月",
		}
	case "procurement":
		p := pick(r, procurements)
		title = fmt.Sprintf("%s项目采购公告", p)
		head = []string{
			"项目名称：" + p + "项目",
			"采购人：街道办事处" + d.Department,
			fmt.Sprintf("预算金额：%d.%d万元", 10+r.IntN(90), r.IntN(10)),
		}
	case "normative_document":
		title = fmt.Sprintf("关于进一步加强%s管理工作的实施办法", focus)
		head = []string{
			fmt.Sprintf("文号：街发〔%d〕%d号", formed.Year(), 1+r.IntN(60)),
			"施行日期：自印发之日起施行",
		}
	case "regulation":
		title = fmt.Sprintf("%s管理办法实施细则", focus)
		head = []string{
			fmt.Sprintf("令号：第%d号", 1+r.IntN(20)),
			"施行日期：自公布之日起施行",
		}
	case "fee":
		title = fmt.Sprintf("关于%s相关服务项目收费标准的说明", focus)
		head = []string{
			"收费项目：社区便民服务场地使用费",
			fmt.Sprintf("收费标准：%d元/小时", 20+r.IntN(80)),
			"收费依据：依据《北京市定价目录》第十二条",
		}
	case "civil_service":
		title = fmt.Sprintf("%d年街道社区工作者招聘公告", formed.Year())
		head = []string{
			"报名时间：自本公告发布之日起十个工作日内",
			"报名方式：登录区人力资源和社会保障局网站在线报名",
			"报考条件：具有中华人民共和国国籍，遵守宪法和法律，具有大学专科及以上学历",
		}
	case "budget":
		title = fmt.Sprintf("街道办事处%d年部门预算情况说明", formed.Year()+1)
	case "statistics":
		title = fmt.Sprintf("街道%d年前三季度%s工作统计情况", formed.Year(), focus)
	case "plan":
		title = fmt.Sprintf("街道%s三年行动计划", focus)
	case "agency_info":
		title = fmt.Sprintf("街道办事处%s主要职责和内设机构", d.Department)
	case "public_service":
		title = fmt.Sprintf("关于做好%d月份%s服务工作的通知", int(formed.Month()), focus)
	case "emergency":
		title = fmt.Sprintf("关于做好近期%s应急准备工作的提示", focus)
	case "inspection":
		title = fmt.Sprintf("街道%s监督检查情况通报", focus)
	case "enforcement":
		title = fmt.Sprintf("街道%s行政强制执行情况说明", focus)
	case "major_project":
		title = fmt.Sprintf("街道%s重点建设项目进展情况", focus)
	case "annual_report":
		title = fmt.Sprintf("街道办事处%d年政府信息公开工作年度报告", formed.Year()-1)
	case "other":
		title = fmt.Sprintf("关于征集%s意见建议的公告", focus)
	default: // news
		title = fmt.Sprintf("%s召开%s工作推进会", pick(r, subjects), focus)
	}
	d.Title = fitTitle(title)
	if wechat && utf8.RuneCountInString(d.Title) <= domain.ChannelWeChat.Info().MaxTitle {
		d.Channels = slices.Insert(d.Channels, 1, string(domain.ChannelWeChat))
	}

	var b strings.Builder
	for _, h := range head {
		b.WriteString(h)
		b.WriteString("\n")
	}
	if len(head) > 0 {
		b.WriteString("\n")
	}
	if d.Category == "penalty" {
		b.WriteString(fmt.Sprintf("经查，当事人于%s存在%s的行为。上述行为违反了有关规定，本机关依法予以立案调查，并已告知当事人依法享有的陈述、申辩权利。\n",
			cnDate(formed.AddDate(0, 0, -20-r.IntN(20))), act))
	}
	if d.Category == "penalty" {
		b.WriteString("当事人如不服本决定，可以在收到本决定书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院提起行政诉讼。\n")
	}
	target := 1350 + r.IntN(400) // bytes: about 1.5 KB of UTF-8
	b.WriteString(fmt.Sprintf(pick(r, openings), focus))
	b.WriteString(fmt.Sprintf("%s%s%s%s，现将有关情况通报如下。\n", pick(r, subjects), pick(r, verbs), focus, pick(r, objects)))
	for p := 0; b.Len() < target-300 && p < len(ordinals); p++ {
		b.WriteString(ordinals[p])
		b.WriteString(sentence(r, focus))
		for b.Len() < target-300 && r.IntN(3) > 0 {
			b.WriteString(sentence(r, focus))
		}
		b.WriteString("\n")
	}
	b.WriteString(pick(r, closings))
	b.WriteString("\n")
	b.WriteString(d.Department)
	b.WriteString("\n")
	b.WriteString(cnDateFull(formed))
	d.Body = b.String()
	return d
}

// sentence is one clause of the report: who did what, with a count and an outcome.
func sentence(r *rand.Rand, focus string) string {
	return fmt.Sprintf("%s围绕%s%s%s，%s，%s。", pick(r, subjects), focus, pick(r, verbs), pick(r, objects),
		fmt.Sprintf(pick(r, resultsFmt), 12+r.IntN(900)), pick(r, outcomes))
}

// revised is the author's new revision after a return: the same text with a
// sentence saying what changed, as an officer would add.
func revised(body string, round int) string {
	return body + fmt.Sprintf("\n（已根据审核意见补充完善有关内容，第%s次修订。）", chineseNumber(round))
}

// fitTitle keeps a title between 10 and 40 runes, as real titles are.
func fitTitle(t string) string {
	if utf8.RuneCountInString(t) < 10 {
		t = "街道办事处" + t
	}
	if rs := []rune(t); len(rs) > 40 {
		t = string(rs[:40])
	}
	return t
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// cnDate writes a date as 2026年11月20日.
func cnDate(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// cnDateFull writes a signature date in Chinese numerals, 二〇二六年十一月二十日,
// as GB/T 9704 documents of the office do.
func cnDateFull(t time.Time) string {
	var y strings.Builder
	for _, ch := range fmt.Sprint(t.Year()) {
		y.WriteString(chineseDigits[ch-'0'])
	}
	return y.String() + "年" + chineseNumber(int(t.Month())) + "月" + chineseNumber(t.Day()) + "日"
}

// chineseNumber writes 1-99 in Chinese numerals (十一, 二十, 二十三).
func chineseNumber(n int) string {
	switch {
	case n < 10:
		return chineseDigits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + chineseDigits[n%10]
	case n%10 == 0:
		return chineseDigits[n/10] + "十"
	}
	return chineseDigits[n/10] + "十" + chineseDigits[n%10]
}
