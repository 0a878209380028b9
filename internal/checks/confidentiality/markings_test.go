package confidentiality

import "testing"

func TestMarkings(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []hit
	}{
		// True positives.
		{"secret with period at the head", "秘密★5年\n关于开展2024年度保密自查工作的通知\n各科室：",
			[]hit{{code: codeClassified, text: "秘密★5年"}}},
		{"copy number above the marking", "000123\n机密★10年\n特急\n××市人民政府关于……的通知",
			[]hit{{code: codeClassified, text: "机密★10年"}}},
		{"top secret for the long term mid-text", "附件2：绝密★长期  会议纪要",
			[]hit{{code: codeClassified, text: "绝密★长期"}}},
		{"star without a period", "秘密★\n关于印发《应急预案》的通知",
			[]hit{{code: codeClassified, text: "秘密★"}}},
		{"months and blanks", "机密 ★ 6个月", []hit{{code: codeClassified, text: "机密 ★ 6个月"}}},
		{"declassification date", "机密★2030年12月31日前\n", []hit{{code: codeClassified, text: "机密★2030年12月31日前"}}},
		{"chinese numerals", "秘密★五年", []hit{{code: codeClassified, text: "秘密★五年"}}},
		{"exam paper", "绝密★启用前\n2024年度考试录用公务员笔试试卷", []hit{{code: codeClassified, text: "绝密★启用前"}}},
		{"white star with a period", "秘密☆6个月\n通知", []hit{{code: codeClassified, text: "秘密☆6个月"}}},
		{"asterisk with a period", "机密*10年", []hit{{code: codeClassified, text: "机密*10年"}}},
		{"full-width", "秘密＊５年　关于……", []hit{{code: codeClassified, text: "秘密＊５年"}}},
		{"two markings", "秘密★1年\n……\n附件：机密★10年", []hit{
			{code: codeClassified, text: "秘密★1年"}, {code: codeClassified, text: "机密★10年"}}},
		{"work secret starred is not a state secret", "工作秘密★1年\n关于……",
			[]hit{{code: codeWorkSecret, text: "工作秘密★1年"}}},
		{"bare 内部 heading the text", "内部\n关于调整机关内部工作流程的通知",
			[]hit{{code: codeWorkSecret, text: "内部"}}},
		{"bracketed 内部 opening the title line", "【内部】关于调整机关内部工作流程的通知",
			[]hit{{code: codeWorkSecret, text: "【内部】"}}},
		{"bracketed 内部 alone after blank lines", "\n\n　（内部）　\n通知正文",
			[]hit{{code: codeWorkSecret, text: "（内部）"}}},
		{"bare level word heading the text", "机密\n关于……的请示", []hit{{code: codeClassified, text: "机密"}}},
		{"work secret heading the text", "工作秘密\n关于……", []hit{{code: codeWorkSecret, text: "工作秘密"}}},
		{"internal material keep carefully", "内部资料 注意保存\n2024年第3期",
			[]hit{{code: codeWorkSecret, text: "内部资料 注意保存"}}},
		{"internal use do not pass on, mid-text", "第二页 内部使用 不得外传",
			[]hit{{code: codeWorkSecret, text: "内部使用 不得外传"}}},
		{"comma form opening a line", "正文……\n内部使用，不得外传",
			[]hit{{code: codeWorkSecret, text: "内部使用，不得外传"}}},
		{"仅限 form mid-sentence", "本材料仅限内部使用，不得外传。",
			[]hit{{code: codeWorkSecret, text: "仅限内部使用，不得外传"}}},
		{"bracketed work secret opening a later line", "会议纪要\n【工作秘密】以下内容请勿转发",
			[]hit{{code: codeWorkSecret, text: "【工作秘密】"}}},

		// Prose and near misses.
		{"state secret in prose", "各单位不得泄露国家秘密和工作秘密，严格落实保密审查制度。", nil},
		{"annual report", "二、主动公开政府信息情况\n本机关严格执行保密审查制度。属于内部事务信息、过程性信息的，依法不予公开。", nil},
		{"内部 phrase heading the text", "内部工作流程优化方案\n一、总体要求", nil},
		{"内部 alone on a line anywhere", "一、适用范围\n内部\n外部", []hit{{code: codeWorkSecret, text: "内部"}}},
		{"level word alone but not at the head", "附表\n秘密\n", nil},
		{"footnote asterisk", "涉及国家秘密*的事项按有关规定办理。", nil},
		{"work secret, comma, mid-sentence", "文件中属于工作秘密，不得外传。", nil},
		{"内部 with a comma mid-sentence", "要加强单位内部，注意保密工作。", nil},
		{"trade secret", "不得泄露商业秘密★", nil},
		{"star rating", "评定为★★★级景区", nil},
		{"white star without a period reads as a black star", "秘密☆相关说明", []hit{{code: codeClassified, text: "秘密☆"}}},
		{"empty", "", nil},

		// Signs that a document is not for the public (条例 articles 14-16, 公文 practice).
		{"此件不予公开 in brackets", "（此件不予公开）", []hit{{code: codeNotPublic, text: "此件不予公开"}}},
		{"此件不得上网", "抄送：各科室。\n此件不得上网", []hit{{code: codeNotPublic, text: "此件不得上网"}}},
		{"严禁上网 bracketed", "【严禁上网】关于……", []hit{{code: codeNotPublic, text: "严禁上网"}}},
		{"不得上网 alone on a line", "正文\n不得上网\n", []hit{{code: codeNotPublic, text: "不得上网"}}},
		{"内部明电", "内部明电\n各街道：", []hit{{code: codeNotPublic, text: "内部明电"}}},
		{"labelled level", "密级：秘密\n", []hit{{code: codeClassified, text: "密级：秘密"}}},
		{"labelled level, ASCII colon", "密级:机密", []hit{{code: codeClassified, text: "密级:机密"}}},
		{"labelled period", "保密期限：10年", []hit{{code: codeClassified, text: "保密期限：10年"}}},
		{"工作秘密 line anywhere", "正文……\n工作秘密\n", []hit{{code: codeWorkSecret, text: "工作秘密"}}},
		{"内部资料 line anywhere", "正文……\n内部资料\n", []hit{{code: codeWorkSecret, text: "内部资料"}}},
		{"request close", "……以上请示妥否，请批示。", []hit{{code: codeRequest, text: "妥否，请批示"}}},
		{"quoted marking in prose only warns", "对标注“秘密★”的文件不得公开。", []hit{{code: codeClassified, text: "秘密★", sev: warn}}},
		// Prose of the annual report and of news about secrecy.
		{"依申请公开工作", "做好依申请公开工作。", nil},
		{"三类内部事务信息", "5.属于三类内部事务信息", nil},
		{"内部控制制度", "三、内部控制制度\n健全内部控制制度。", nil},
		{"保密审查机构终审", "保密审查机构终审政治导向、涉密风险。", nil},
		{"不得上网 in a sentence", "学生在校期间不得上网打游戏。", nil},
		{"不予公开 in a sentence", "属于国家秘密的，依法不予公开。", nil},
		{"密级 in a sentence", "密级和保密期限按规定标注，保密期限届满自行解密。", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectHits(t, tc.text, Markings(tc.text), tc.want)
		})
	}
}

// TestMarkingsOffsets pins the offsets of the brief's example by hand, so they
// do not depend on the test's own search.
func TestMarkingsOffsets(t *testing.T) {
	s := "关于做好年度工作的通知（秘密★5年）"
	fs := Markings(s)
	if len(fs) != 1 || fs[0].Start != 12 || fs[0].End != 17 || fs[0].Code != codeClassified {
		t.Fatalf("Markings(%q) = %+v, want one classified_marking at [12,17)", s, fs)
	}
	if fs[0].Field != "" {
		t.Errorf("Field = %q, want it left to the caller", fs[0].Field)
	}
}
