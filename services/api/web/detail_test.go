package web

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
)

// detailFormat is a text the system writes into an audit event (or a
// publication's row) in one of its formats, current or of an earlier
// version, with what the Chinese page must say of it.
type detailFormat struct {
	Where   string // the writer
	Chain   string // "draft", "agency" or "application": the chain the event goes to
	Action  string
	Reason  string
	Comment string
	Want    string // in the Chinese page's text of it
}

// detailFormats enumerate the formats of internal/store, internal/domain
// and the publisher; TestDetailFormats and TestTrailPagesSpeakChinese
// render each. A writer with a new format belongs here.
var detailFormats = []detailFormat{
	// The draft's chain.
	{"batch.go checks", "draft", "checks_block", "", "阻断性问题1项，提示0项 (1 blocking, 0 warning findings)", "阻断性问题1项，提示0项"},
	{"batch.go checks, before", "draft", "checks_done", "", "0 blocking, 2 warning findings", "阻断性问题0项，提示2项"},
	{"drafts.go Explain", "draft", "checks_pass", "", "起草人已提交说明：阻断性问题交下一位审核人核实，须写明理由方可通过", "起草人已提交说明"},
	{"drafts.go Explain, before", "draft", "checks_pass", "", "explained by the author: the blocking findings go to the next person, who must override them", "须写明理由方可通过"},
	{"batch.go, steps.go published", "draft", "published", "", "website=delivered wechat=not_configured douyin=unknown", "政府网站：已发布；微信公众号：未配置，未发布"},
	{"batch.go channelEvent delivered", "draft", "channel_delivered", "website", "http://127.0.0.1:8080/public/default/items/5 5", "地址："},
	{"publisher.go not configured", "draft", "channel_not_configured", "wechat", "channel not configured", "该渠道未配置，未发送"},
	{"publisher.go unknown send", "draft", "channel_unknown", "wechat", "a send was started but its outcome was not recorded; check the channel before sending again", "发送已开始但结果未记录"},
	{"wechat.go no cover", "draft", "channel_failed", "wechat", "微信公众号要求封面图片，本稿件没有封面。(WeChat requires a cover image; the draft has none)", "本稿件没有封面"},
	{"wechat.go job failed", "draft", "channel_failed", "wechat", "微信公众号发布失败：平台审核未通过。 (publish job 2247: publish_status 3, audit_failed; fail_idx [1])", "平台审核未通过"},
	{"a channel's error", "draft", "channel_failed", "douyin", "error calling Douyin: the client has no TokenSource", ""},
	{"douyin.go no video", "draft", "channel_failed", "douyin", "抖音发布的是视频，本稿件没有视频附件。(Douyin posts a video; the draft has none)", "没有视频附件"},
	{"channels.go alert", "draft", "channel_alert", "wechat", "微信公众号：发布成功后文章已被平台封禁。（publish_status 4）", "已被平台封禁"},
	{"channels.go acknowledged", "draft", "channel_alert_acknowledged", "wechat", "已与平台核实", "已与平台核实"},
	{"channels.go MarkReplaced", "draft", "channel_replaced", "portal", "第1版已被替换（replaced）：updated in place: http://portal.example.gov.cn/a/1", "第1版：已被更正后的版本替换"},
	{"channels.go MarkReplaced, WeChat", "draft", "channel_replaced", "wechat", "第1版已被替换（replaced）：deleted before the corrected article: https://mp.weixin.qq.com/s/abc", "已删除原来的"},
	{"channels.go MarkReplaced, before", "draft", "channel_replaced", "douyin", "revision 1 replaced (manual): 抖音账号未授予删除权限：请在抖音App中手工删除旧作品，再在此记录。(the corrected post replaces it; delete the old one by hand) https://www.douyin.com/video/71", "第1版：待人工撤下"},
	{"steps.go ResolvePublication", "draft", "channel_resolved_delivered", "wechat", "https://mp.weixin.qq.com/s/abc 已在公众平台核实发出", "已在公众平台核实发出"},
	{"withdraw.go cannot delete", "draft", "channel_withdraw_manual", "wechat", "https://mp.weixin.qq.com/s/abc 该渠道不能通过接口删除：请在渠道后台手工撤下，再在此记录。(this channel cannot delete through its API)", "请在渠道后台手工撤下"},
	{"withdraw.go cannot delete, before", "draft", "channel_withdraw_manual", "wechat", "this channel cannot delete through its API: remove the item there by hand, then record it here", "请在渠道后台手工撤下"},
	{"withdraw.go removal unknown", "draft", "channel_withdraw_manual", "portal", "撤下操作已开始但结果未记录：请先在渠道后台核实。(a removal was started but its outcome was not recorded)", "撤下操作已开始但结果未记录"},
	{"withdraw.go removal unknown, before", "draft", "channel_withdraw_manual", "portal", "a removal was started but its outcome was not recorded: check the channel", "撤下操作已开始但结果未记录"},
	{"wechat.go mass send", "draft", "channel_withdraw_manual", "wechat", "群发消息不能由本系统撤回：请在微信公众平台“已发表—群发”中手工删除，再在此记录。(a mass send is taken back by a person; CHANNELS.md documents no delete for it)", "群发消息不能由本系统撤回"},
	{"douyin.go no delete", "draft", "channel_withdraw_manual", "douyin", "抖音账号未授予删除权限：请在抖音App中手工删除该作品，再在此记录。(the account has no video.delete scope)", "抖音账号未授予删除权限"},
	{"withdrawals.go done", "draft", "channel_withdraw_done", "portal", "http://portal.example.gov.cn/a/1", "地址："},
	{"withdrawals.go resolved", "draft", "channel_withdraw_resolved", "wechat", "已在后台删除", "已在后台删除"},
	{"lifecycle.go Expire", "draft", "withdraw", "expired", "公开期限已于2025-03-01届满，系统自动撤下。(the publication period ended on 2025-03-01)", "公开期限已于2025-03-01届满"},
	{"drafts.go Withdraw", "draft", "withdraw", "error", "标题有误，撤回后重新发布", "标题有误"},
	{"lifecycle.go ChangeExpiry", "draft", "expiry_set", "2026-12-31", "按文件有效期设置", "公开至2026-12-31；按文件有效期设置"},
	{"lifecycle.go ChangeExpiry, no limit", "draft", "expiry_set", "无期限 (no limit)", "", "公开不设期限"},
	{"review.go SetValidity (domain.ValidityChange)", "draft", "validity_set", "repealed", "repealed since 2025-01-02, superseded by draft 7; 已被新文件替代", "自2025-01-02起已废止；修改或废止文件：稿件7；已被新文件替代"},
	{"review.go SetValidity, no comment", "draft", "validity_set", "valid", "valid since 2025-01-02", "自2025-01-02起现行有效"},
	{"review.go KeepAfterReview", "draft", "review_kept", "2025-06-01", "仍然有效，继续公开", "仍然有效"},
	{"drafts.go refusal", "draft", "denied:decide", "separation_author", "the author may not review their own draft", "起草人不能审核自己的稿件"},
	{"drafts.go refusal of a rule without words", "draft", "denied:view", "no_such_rule", "draft 5: the draft is not yours to read", "稿件5："},
	{"people.go decision", "draft", "return", "", "请核对第二段的数字", "请核对第二段的数字"},
	// The agency's chain.
	{"users.go AddUser", "agency", "user_add", "", "张三 roles=[officer dept_head] departments=[1 2]", "张三：角色 信息员、科室负责人，科室编号 1、2"},
	{"users.go AddUser, no department", "agency", "user_add", "", "wang roles=[auditor] departments=[]", "角色 审计员，科室编号 无"},
	{"users.go SetAccess", "agency", "user_access", "", "张三 角色 [officer]→[officer dept_head] 科室 [1]→[1 2]", "角色 信息员 → 信息员、科室负责人"},
	{"users.go SetAccess, before", "agency", "user_access", "", "张三 roles=[officer]→[auditor] departments=[1]→[]", "角色 信息员 → 审计员，科室编号 1 → 无"},
	{"users.go department", "agency", "department_rename", "", "综合办 → 党政办", "综合办 → 党政办"},
	{"sessions.go CreateSession", "agency", "signin", "", "127.0.0.1 password+totp", "以密码、动态口令登录"},
	{"sessions.go CreateSession, before", "agency", "signin", "", "127.0.0.1", "来自"},
	{"sessions.go RecordSignInFailure", "agency", "signin_failed", "wrong_password", "10.0.0.1", "密码错误"},
	{"sessions.go password", "agency", "password_set", "", "wang", ""},
	{"tokens.go AddToken", "agency", "token_add", "", `张三 token 3 "发布接口"`, "张三的接口令牌3（发布接口）"},
	{"tokens.go RevokeToken", "agency", "token_revoke", "", `wang token 4 "ci-deploy"`, "的接口令牌4"},
	{"notifications.go robot", "agency", "notify_robot_set", "", "dingtalk https://oapi.dingtalk.com/robot/send?access_token=…5f3a (signed)", "钉钉群机器人，地址"},
	{"notifications.go robot removed", "agency", "notify_robot_set", "", "wecom removed", "已删除企业微信群机器人"},
	{"notifications.go queue limit", "agency", "notify_queue_limit_set", "", "days=5", "待审超过5个工作日时提醒"},
	{"assessment.go weights", "agency", "assessment_weights_set", "", "published=1 first_pass=2.5 on_time=1 returned=0.5", "每发布一条：1"},
	{"review.go review policy", "agency", "review_policy_set", "", "months: normative_document=24,regulation=0", "行政规范性文件：24个月；规章：不梳理"},
	{"periods.go", "agency", "periods_set", "", "light=3 months, heavy=36 months, small fine under 10000 yuan; source: 国办发〔2021〕1号", "依据：国办发〔2021〕1号"},
	{"policy.go", "agency", "policy_set", "", "person_stages=completeness", "由人工审核的可选环节：初审"},
	{"policy.go, none", "agency", "policy_set", "", "person_stages=", "由人工审核的可选环节：无"},
	{"public.go SetAgencySite", "agency", "public_site_set", "", `credit_code: "" → "11110000000000000X"; sponsor: "旧办" → "新办"; guide changed; rules changed`, "修改了政府信息公开指南"},
	{"public.go SetAgencySite, nothing", "agency", "public_site_set", "", "no change", "未作修改"},
	{"words.go", "agency", "wordlist_set", "", "第3版，120个词", "第3版，120个词"},
	{"words.go, before", "agency", "wordlist_set", "", "version 2, 10 words", "第2版，10个词"},
	{"expressions.go", "agency", "organ_list_set", "", "第2版，5条", "第2版，5条"},
	{"expressions.go, before", "agency", "leader_list_set", "", "version 1, 4 entries", "第1版，4条"},
	{"expressions.go locality", "agency", "agency_locality", "", "北京市东城区", "北京市东城区"},
	{"deadletters.go", "agency", "deadletter_replay", "", `处理失败的消息 12 sanshen.work.compliance {"draft_id":5}`, "消息12"},
	{"deadletters.go, before", "agency", "deadletter_replay", "", `dead letter 12 sanshen.work.compliance {"draft_id":5}`, "消息12"},
	{"agencies.go AddAgency", "agency", "agency_add", "", "dongcheng 东城区人民政府", "东城区人民政府（标识"},
	{"accounts.go recovery code", "agency", "recovery_code_used", "", "7 left", "剩余7个恢复码"},
	{"accounts.go unlock", "agency", "signin_unlock", "", `name="wang" address="10.0.0.1" failures=3`, "清除失败记录3次"},
	{"calendar.go", "agency", "calendar_year_set", "2026", "off=2026-01-01,2026-02-16 workdays=2026-02-14", "放假：2026-01-01、2026-02-16；调休上班：2026-02-14"},
	{"application_documents.go retention", "agency", "application_retention_set", "", "days=180 was=365", "由办结后365天改为180天"},
	{"people.go refused submission", "agency", "denied:submit", "department_scope", "department 3: the department is not yours", "部门3："},
	// An application's chain.
	{"applications.go intake", "application", "application_received", "", "route=letter applicant_type=natural received_on=2025-03-01", "申请方式：信函申请；申请人类型：自然人"},
	{"application_documents.go added", "application", "application_document_added", "", "document=3 type=image/png size=20480", "材料编号：3"},
	{"application_documents.go read", "application", "application_document_read", "", "document=3 type=image/png size=20480", "材料编号：3"},
	{"application_documents.go expired", "application", "application_document_deleted", "", "document=3 type=application/pdf size=2097152 reason=retention", "保存期限届满"},
	{"applications.go supplement", "application", "application_supplement_requested", "", "received→supplement_requested on=2025-03-03 请补充身份证明", "状态：已收到 → 待补正；日期：2025-03-03；请补充身份证明"},
	{"applications.go supplement received", "application", "application_supplement_received", "", "supplement_requested→processing on=2025-03-05", "待补正 → 办理中"},
	{"applications.go pause", "application", "application_pause_started", "", "reason=third_party on=2025-03-06 征求第三方意见", "原因：征求第三方意见"},
	{"applications.go pause ended", "application", "application_pause_ended", "", "reason=agencies from=2025-03-06 on=2025-03-10", "开始日期：2025-03-06"},
	{"applications.go extension", "application", "application_extended", "", "processing→extended approved_by=李主任 on=2025-03-20 情况复杂", "批准人：李主任"},
	{"applications.go extension, by the head", "application", "application_extended", "", "processing→extended approved_by=7 李主任 on=2025-03-20 requested_by=9 requested_on=2025-03-18 情况复杂", "批准人：李主任"},
	{"applications.go extension requested", "application", "application_extension_requested", "", "on=2025-03-18 需征求第三方意见", "需征求第三方意见"},
	{"applications.go extension declined", "application", "application_extension_declined", "", "requested_by=9 requested_on=2025-03-18 on=2025-03-19 期限内可以答复", "期限内可以答复"},
	{"application_handlers.go intake", "application", "application_handler_assigned", "", "handler=9 zheng intake", "收件时指定"},
	{"application_handlers.go assigned", "application", "application_handler_assigned", "", "handler=9 郑承办", "承办人：郑承办"},
	{"application_handlers.go removed", "application", "application_handler_removed", "", "handler=9 郑承办", "承办人：郑承办"},
	{"applications.go taken", "application", "application_taken", "", "handler=9 郑承办", "承办人：郑承办"},
	{"applications.go outcome", "application", "application_outcome", "", "outcome=partly_disclosed on=2025-03-25", "结果：部分公开"},
	{"applications.go reply", "application", "application_reply_started", "", "processing→reply_in_review draft=9", "答复书稿件编号：9"},
	{"applications.go answered", "application", "application_answered", "", "reply_in_review→answered draft=9", "答复书审核中 → 已答复"},
	{"applications.go delivery", "application", "application_delivered", "", "method=email on=2025-04-01", "送达方式：电子邮件"},
	{"applications.go closed", "application", "application_closed", "", "answered→closed on=2025-04-02 已送达", "已答复 → 已办结"},
	{"applications.go fee notice", "application", "application_fee", "", "notice_on=2025-03-10 amount_fen=12000 按标准收费", "金额：120.00元"},
	{"applications.go fee paid", "application", "application_fee", "", "paid_on=2025-03-12", "缴费日期：2025-03-12"},
	{"applications.go appeal", "application", "application_appeal", "", "kind=review after_review=false filed_on=2025-05-01 outcome=pending 申请人不服", "类别：行政复议；复议后起诉：否"},
	{"applications.go appeal's outcome", "application", "application_appeal", "", "appeal=1 outcome=upheld on=2025-06-01", "结果：维持"},
	{"applications.go refusal", "agency", "denied:application_document_read", "role_required", "application 4: only case handlers read identity documents", "申请4："},
}

// storedFormats are the texts of the publications page: a publication's
// error, a channel's alert, a removal's reason.
var storedFormats = []detailFormat{
	{"publisher.go", "", "", "", "channel not configured", "该渠道未配置"},
	{"publisher.go", "", "", "", "a send was started but its outcome was not recorded; check the channel before sending again", "发送已开始"},
	{"steps.go ResolvePublication", "", "", "", "resolved by admin: 已在公众平台核实", "由"},
	{"wechat.go", "", "", "", "微信公众号：提交发布后未收到应答，草稿已离开草稿箱，但在已发布列表中未找到该文章。请在公众平台核实是否已发布，再在此记录结果。 (a submit's answer was lost and its article never appeared in freepublish/batchget: check the account)", "请在公众平台核实"},
	{"douyin.go", "", "", "", "抖音发布失败：平台审核未通过（作品 7321abc，video_status 4）。(Douyin's review failed)", "平台审核未通过"},
	{"a channel's error", "", "", "", "wechat draft/add: errcode 45009: reach max api daily quota limit", ""},
}

var (
	codeElement = regexp.MustCompile(`(?s)<code[^>]*>.*?</code>`)
	anyTag      = regexp.MustCompile(`<[^>]*>`)
	latinWord   = regexp.MustCompile(`[A-Za-z]{2,}`)
)

// visibleOutsideCode is the text a reader sees of h outside its <code>
// elements (an attribute, a title, is not seen).
func visibleOutsideCode(h string) string {
	return html.UnescapeString(anyTag.ReplaceAllString(codeElement.ReplaceAllString(h, " "), ""))
}

func renderDetail(t *testing.T, ps *pageSet, lang string, d detail) string {
	t.Helper()
	var b bytes.Buffer
	if err := ps.pages[lang][""].ExecuteTemplate(&b, "detail_stored", d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDetailFormats: every format the system writes reads in Chinese on a
// Chinese page, no English word outside <code>, with the stored text
// kept; and on an English page with no key or verb left unformatted.
func TestDetailFormats(t *testing.T) {
	ps, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	check := func(f detailFormat, zh, en detail) {
		t.Helper()
		page := renderDetail(t, ps, langZH, zh)
		seen := visibleOutsideCode(page)
		if w := latinWord.FindString(seen); w != "" {
			t.Errorf("%s: the Chinese page shows %q outside <code>: %s", f.Where, w, page)
		}
		if !strings.Contains(seen, f.Want) {
			t.Errorf("%s: the Chinese page says %q, not %q", f.Where, seen, f.Want)
		}
		if f.Comment != "" && !strings.Contains(html.UnescapeString(anyTag.ReplaceAllString(page, "")), f.Comment) && !zh.Told {
			t.Errorf("%s: the stored text is not on the page: %s", f.Where, page)
		}
		if zh.Told && !strings.Contains(html.UnescapeString(page), `title="`+f.Comment+`"`) && !strings.Contains(page, `title="`+html.EscapeString(f.Comment)+`"`) {
			t.Errorf("%s: a retold text keeps no title: %s", f.Where, page)
		}
		for lang, d := range map[string]detail{langZH: zh, langEN: en} {
			out := renderDetail(t, ps, lang, d)
			if strings.Contains(out, "detail.") || strings.Contains(out, "%!") || strings.Contains(out, codeOpen) {
				t.Errorf("%s in %s: %s", f.Where, lang, out)
			}
		}
	}
	for _, f := range detailFormats {
		check(f, ps.eventDetail(langZH, f.Action, f.Reason, f.Comment), ps.eventDetail(langEN, f.Action, f.Reason, f.Comment))
	}
	for _, f := range storedFormats {
		check(f, ps.storedDetail(langZH, f.Comment), ps.storedDetail(langEN, f.Comment))
	}
	// Every action of the formats has its name.
	for _, f := range detailFormats {
		for _, lang := range languages {
			if name := ps.actionName(lang, f.Action); latinWord.MatchString(name) && lang == langZH {
				t.Errorf("the action %s has no Chinese name: %q", f.Action, name)
			}
		}
	}
}

// TestDetailInEnglish: the known formats read in English on an English
// page.
func TestDetailInEnglish(t *testing.T) {
	ps, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ action, reason, comment, want string }{
		{"checks_block", "", "阻断性问题1项，提示0项 (1 blocking, 0 warning findings)", "1 blocking and 0 warning findings"},
		{"published", "", "website=delivered", "Website: delivered"},
		{"validity_set", "repealed", "repealed since 2025-01-02", "since 2025-01-02"},
		{"user_add", "", "wang roles=[auditor] departments=[]", "roles Auditor, departments none"},
		{"channel_failed", "wechat", "微信公众号要求封面图片，本稿件没有封面。(WeChat requires a cover image; the draft has none)", "WeChat requires a cover image"},
		{"channel_withdraw_manual", "wechat", "this channel cannot delete through its API: remove the item there by hand, then record it here", "This channel cannot delete"},
		{"channel_replaced", "portal", "第1版已被替换（replaced）：updated in place: http://portal.example.gov.cn/a/1", "revision 1: replaced by the correction; updated in place at"},
		{"application_received", "", "route=letter applicant_type=natural received_on=2025-03-01", "received on: 2025-03-01"},
	} {
		d := ps.eventDetail(langEN, c.action, c.reason, c.comment)
		if got := visibleOutsideCode(renderDetail(t, ps, langEN, d)); !strings.Contains(got, c.want) || strings.ContainsFunc(got, func(r rune) bool { return r >= 0x3000 }) {
			t.Errorf("%s %q in English: %q, want %q", c.action, c.comment, got, c.want)
		}
	}
}

// A notification's English lines, written for mail, stay off Chinese
// pages; an English page shows the text as written.
func TestNoticeIn(t *testing.T) {
	text := "您的稿件《通知》在复审被李科长退回修改。\n意见：please check 第3段\n请到“发布情况”页处理。 / A channel send failed.\nYour draft was returned for revision."
	want := "您的稿件《通知》在复审被李科长退回修改。\n意见：please check 第3段\n请到“发布情况”页处理。"
	if got := noticeIn("zh", text); got != want {
		t.Errorf("zh: %q, want %q", got, want)
	}
	if got := noticeIn("en", text); got != text {
		t.Errorf("en: %q", got)
	}
}
