// Package notifications tells people what needs them (issue 18 point 8).
//
// Notifications come from two producers, and both write them in a
// transaction that also records that the event was handled, so an event
// never notifies a person twice:
//
//   - the audit trail, read in the transparency log's order from a cursor of
//     its own (as the outgoing webhooks read it): a draft returned or
//     rejected (to its author), a channel's send failed, unknown, or taken
//     down by the platform (to the agency's admins). The submission and
//     decision transactions do no work for it.
//   - a periodic scan, a job of the durable scheduler every ScanEvery (15
//     minutes) that schedules its next run in its own transaction: drafts
//     waiting in a review queue longer than the agency's limit, Article 26
//     and 双公示 deadlines near or passed, penalty decisions coming down
//     within 7 days, a channel's authorisation running out, dead letters,
//     and a calendar year missing. Each event has a key (a draft's stay in a
//     queue, a deadline's date), so a scan that finds it again adds nothing.
//
// store.Notify writes each notification with its deliveries (mail, digest,
// robots) as the person chose; the Dispatcher sends them.
package notifications

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/assessment"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/schedule"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// KindScan is the scheduler's job that runs the periodic scan.
const KindScan = "notify_scan"

// DefaultScanEvery is how often the scan runs.
const DefaultScanEvery = 15 * time.Minute

// How near is near, in working days (deadlines) and days (expiry, tokens).
const (
	DeadlineNearWorkingDays = 2
	ExpiryNearDays          = 7
	TokenNearDays           = 7
)

// Notifier produces the notifications.
type Notifier struct {
	Store    *store.Store
	Calendar *calendar.Calendar
	// PublicURL is where the pages are reached, for links.
	PublicURL string
	Now       func() time.Time // nil: time.Now
	ScanEvery time.Duration    // 0: DefaultScanEvery
	Poll      time.Duration    // how often the trail is read (0: a second)
	Log       *slog.Logger
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

func (n *Notifier) log() *slog.Logger {
	if n.Log != nil {
		return n.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Handlers are the notifier's scheduler jobs.
func (n *Notifier) Handlers() map[string]schedule.Handler {
	return map[string]schedule.Handler{KindScan: n.scanJob}
}

// Start places the trail's cursor (the first time) and schedules a scan
// now, so one runs at every start.
func (n *Notifier) Start(ctx context.Context) error {
	if err := n.Store.StartNotifications(ctx); err != nil {
		return err
	}
	return schedule.Schedule(ctx, n.Store.Pool, KindScan, "all", n.now(), nil)
}

// RunTrail reads the trail until ctx ends.
func (n *Notifier) RunTrail(ctx context.Context) error {
	poll := n.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		for ctx.Err() == nil {
			_, got, err := n.Store.NotificationRound(ctx, 100, n.fromTrail)
			if err != nil {
				if ctx.Err() == nil {
					n.log().Warn("reading the trail for notifications failed", "err", err)
				}
				break
			}
			if got == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}

// fromTrail turns the events that concern people into notifications.
func (n *Notifier) fromTrail(tx pgx.Tx, evs []store.WebhookEvent) error {
	ctx := context.Background()
	var out []store.NewNotification
	for _, e := range evs {
		idText, ok := strings.CutPrefix(e.Chain, "draft/")
		if !ok {
			continue
		}
		kind, subject, text := n.describe(e)
		if kind == "" {
			continue
		}
		id, _ := strconv.ParseInt(idText, 10, 64)
		d, err := store.BriefOf(ctx, tx, id)
		if err != nil {
			return err
		}
		subject, text = fmt.Sprintf(subject, d.Title), fmt.Sprintf(text, d.Title)
		var to []int64
		if kind == store.KindChannelProblem {
			if to, err = store.NotifyRecipients(ctx, tx, d.AgencyID, domain.RoleAdmin, 0); err != nil {
				return err
			}
		} else {
			to = []int64{d.AuthorID}
		}
		for _, u := range to {
			out = append(out, store.NewNotification{AgencyID: d.AgencyID, UserID: u, Kind: kind, DraftID: d.ID,
				Key: "trail:" + strconv.FormatInt(e.Seq, 10), Subject: subject, Text: text, Link: n.draftLink(d.ID), At: e.At})
		}
	}
	_, err := store.Notify(ctx, tx, out)
	return err
}

// describe is an event's kind and its subject and text, each with one %s
// for the draft's title; "" for an event that notifies no one.
func (n *Notifier) describe(e store.WebhookEvent) (store.NotificationKind, string, string) {
	who := escapePercent(e.Actor) // the texts below are formats, filled with the title next
	switch {
	case e.Action == string(domain.ActionReturn):
		t := fmt.Sprintf("您的稿件《%%s》在%s被%s退回修改。", stageZH(e.Stage), who)
		if name := assessment.ReturnReasonNames[e.Reason]; name != "" {
			t += "\n退回原因：" + name
		}
		if e.Comment != "" {
			t += "\n意见：" + escapePercent(e.Comment)
		}
		return store.KindReturned, "稿件被退回：《%s》", t + "\nYour draft was returned for revision."
	case e.Action == string(domain.ActionChecksBlock):
		return store.KindReturned, "稿件被退回：《%s》", "您的稿件《%s》未通过初审的机器检查，已退回修改，请在稿件页查看需要修改的问题。\nYour draft was returned by stage 1's checks."
	case e.Action == string(domain.ActionReject):
		t := fmt.Sprintf("您的稿件《%%s》在%s被%s决定不予公开。理由：%s", stageZH(e.Stage), who, reasonZH(e.Reason))
		if e.Comment != "" {
			t += "\n说明：" + escapePercent(e.Comment)
		}
		return store.KindRejected, "稿件不予公开：《%s》", t + "\nYour draft was rejected."
	case e.Action == "channel_failed":
		return store.KindChannelProblem, "发布失败：《%s》", "《%s》发布到" + channelZH(e.Reason) + "失败：" + escapePercent(e.Comment) +
			"\n请到“发布情况”页处理。 / A channel send failed."
	case e.Action == "channel_unknown":
		return store.KindChannelProblem, "发布结果未知：《%s》", "《%s》发布到" + channelZH(e.Reason) + "的结果未知，系统不会自动重发，请到该平台核实后在“发布情况”页记录结果。" +
			"\nThe outcome of a channel send is unknown; it is not resent."
	case e.Action == "channel_alert":
		return store.KindChannelProblem, "平台下架提醒：《%s》", "已发布的《%s》在" + channelZH(e.Reason) + "已不可见：" + escapePercent(e.Comment) +
			"\nThe platform took a published item down."
	case e.Action == "channel_withdraw_manual":
		return store.KindChannelProblem, "需要人工撤下：《%s》", "《%s》需要在" + channelZH(e.Reason) + "人工撤下，请到“发布情况”页处理。" +
			"\nA withdrawal needs a person on a channel."
	}
	return "", "", ""
}

func escapePercent(s string) string { return strings.ReplaceAll(s, "%", "%%") }

func (n *Notifier) draftLink(id int64) string {
	return strings.TrimSuffix(n.PublicURL, "/") + "/web/drafts/" + strconv.FormatInt(id, 10)
}

func (n *Notifier) link(path string) string { return strings.TrimSuffix(n.PublicURL, "/") + path }

// stageZH names a stage as the office does.
func stageZH(s string) string {
	switch domain.Stage(s) {
	case domain.StageCompleteness:
		return "初审"
	case domain.StageCompliance:
		return "复审"
	case domain.StageConfidentiality:
		return "终审"
	}
	return s
}

// reasonZH names a reject's reason code (the pages' locale has the same).
func reasonZH(r string) string {
	switch r {
	case "state_secret":
		return "涉及国家秘密"
	case "law_prohibited":
		return "法律法规禁止公开"
	case "security_stability":
		return "危及国家安全、公共安全、经济安全、社会稳定"
	case "third_party_rights":
		return "涉及商业秘密、个人隐私等第三方合法权益"
	case "internal_affairs":
		return "内部事务信息"
	case "process_info":
		return "过程性信息"
	case "enforcement_file":
		return "行政执法案卷信息"
	case "admin_inquiry":
		return "行政查询事项"
	}
	return r
}

// channelZH names a channel.
func channelZH(c string) string {
	switch domain.Channel(c) {
	case domain.ChannelWebsite:
		return "政府网站"
	case domain.ChannelPortal:
		return "区政府门户网站"
	case domain.ChannelWeChat:
		return "微信公众号"
	case domain.ChannelDouyin:
		return "抖音"
	}
	return c
}

// scanJob runs the scan in the job's transaction and schedules the next.
func (n *Notifier) scanJob(ctx context.Context, tx pgx.Tx, _ schedule.Job) error {
	now := n.now()
	if err := n.Scan(ctx, tx, now); err != nil {
		return err
	}
	every := n.ScanEvery
	if every <= 0 {
		every = DefaultScanEvery
	}
	return schedule.Schedule(ctx, tx, KindScan, "all", now.Add(every), nil)
}

// Scan writes in tx the notifications that the state of things at now
// calls for. The keys make it idempotent: a scan run twice adds nothing.
func (n *Notifier) Scan(ctx context.Context, tx pgx.Tx, now time.Time) error {
	today := store.DigestDay(now) // the civil date in Beijing
	var out []store.NewNotification
	add := func(agency int64, users []int64, kind store.NotificationKind, draft int64, key, subject, text, link string) {
		for _, u := range users {
			out = append(out, store.NewNotification{AgencyID: agency, UserID: u, Kind: kind, DraftID: draft, Key: key,
				Subject: subject, Text: text, Link: link, At: now})
		}
	}
	platformAdmins, err := store.NotifyRecipients(ctx, tx, 0, domain.RolePlatformAdmin, 0)
	if err != nil {
		return err
	}
	// Platform admins belong to an agency too: notify each in their own.
	platform := func(kind store.NotificationKind, key, subject, text, link string) error {
		for _, u := range platformAdmins {
			var agency int64
			if err := tx.QueryRow(ctx, `SELECT agency_id FROM users WHERE id = $1`, u).Scan(&agency); err != nil {
				return err
			}
			add(agency, []int64{u}, kind, 0, key, subject, text, link)
		}
		return nil
	}

	limits, err := n.Store.QueueLimits(ctx)
	if err != nil {
		return err
	}
	drafts, err := n.Store.OpenDrafts(ctx)
	if err != nil {
		return err
	}
	missing := map[int]bool{}
	for _, d := range drafts {
		limit := limits[d.AgencyID]
		if limit == 0 {
			limit = 2
		}
		waited := n.Calendar.WorkingDaysBetween(store.DigestDay(d.StateEnteredAt), today)
		left := n.Calendar.WorkingDaysBetween(today, d.Deadline)
		if !n.Calendar.Covers(d.Deadline) {
			missing[d.Deadline.Year()] = true
		}
		if !(d.AwaitsPerson && waited > limit) && left > DeadlineNearWorkingDays {
			continue // nothing to tell: the reviewers are not looked up
		}
		reviewers, err := n.reviewers(ctx, tx, d)
		if err != nil {
			return err
		}
		link := n.draftLink(d.ID)
		// Waiting in a queue longer than the office's limit.
		if d.AwaitsPerson && waited > limit && len(reviewers) > 0 {
			key := fmt.Sprintf("queue:%d:%d:%s:%d", d.ID, d.Revision, d.State, d.StateEnteredAt.Unix())
			add(d.AgencyID, reviewers, store.KindQueueWaiting, d.ID, key, fmt.Sprintf("待审稿件超时：《%s》", d.Title),
				fmt.Sprintf("《%s》在%s队列中已等待%d个工作日，超过本机关规定的%d个工作日，请尽快审核。\nA draft has waited in your queue longer than the office's limit.",
					d.Title, stageZH(string(d.State)), waited, limit), link)
		}
		// The deadline (Article 26 or 双公示, whichever is earlier: stored
		// at submission), to the author and the queue's reviewers.
		to := append([]int64{d.AuthorID}, reviewers...)
		due := d.Deadline.Format(domain.DateLayout)
		switch {
		case left < 0:
			add(d.AgencyID, to, store.KindDeadlinePassed, d.ID, fmt.Sprintf("deadline_passed:%d:%s", d.ID, due),
				fmt.Sprintf("已超过公开期限：《%s》", d.Title),
				fmt.Sprintf("《%s》的公开期限是%s，已经超过，请尽快处理。\nThe publication deadline has passed.", d.Title, due), link)
		case left <= DeadlineNearWorkingDays:
			add(d.AgencyID, to, store.KindDeadlineNear, d.ID, fmt.Sprintf("deadline_near:%d:%s", d.ID, due),
				fmt.Sprintf("临近公开期限：《%s》", d.Title),
				fmt.Sprintf("《%s》的公开期限是%s，还剩%d个工作日。\nThe publication deadline is near.", d.Title, due, left), link)
		}
	}

	// Applications whose Article 33 deadline is near or passed, to the
	// case's handlers (承办人; the agency's case handlers while it has
	// none); once near, once passed, per deadline (an extension or a pause
	// moves it, and the new one is told again).
	apps, err := n.Store.OpenApplications(ctx)
	if err != nil {
		return err
	}
	for _, a := range apps {
		dl := n.Calendar.ApplicationDeadline(a.Clock(), today)
		left := n.Calendar.WorkingDaysBetween(today, dl.Due)
		if dl.Due.IsZero() || left > DeadlineNearWorkingDays {
			continue
		}
		to, err := store.NotifyRecipients(ctx, tx, a.AgencyID, domain.RoleCaseHandler, 0)
		if err != nil {
			return err
		}
		if mine := a.HandlerIDs(); len(mine) > 0 {
			to = slices.DeleteFunc(to, func(u int64) bool { return !slices.Contains(mine, u) })
		}
		due, link := dl.Due.Format(domain.DateLayout), n.link("/web/applications/"+strconv.FormatInt(a.ID, 10))
		if left < 0 {
			add(a.AgencyID, to, store.KindApplicationDue, 0, fmt.Sprintf("application_passed:%d:%s", a.ID, due),
				fmt.Sprintf("依申请公开已超过答复期限：%s的申请", a.ApplicantName),
				fmt.Sprintf("%s的政府信息公开申请（第%d号）答复期限是%s，已经超过，请尽快处理。\nAn application's reply deadline has passed.", a.ApplicantName, a.ID, due), link)
			continue
		}
		add(a.AgencyID, to, store.KindApplicationDue, 0, fmt.Sprintf("application_near:%d:%s", a.ID, due),
			fmt.Sprintf("依申请公开临近答复期限：%s的申请", a.ApplicantName),
			fmt.Sprintf("%s的政府信息公开申请（第%d号）答复期限是%s，还剩%d个工作日。\nAn application's reply deadline is near.", a.ApplicantName, a.ID, due, left), link)
	}

	// Items coming down within 7 days: a penalty decision's publication
	// period, a notice's 有效期, as stage 2 or a reviewer settled it.
	soon, err := n.Store.ExpiringSoon(ctx, today, today.AddDate(0, 0, ExpiryNearDays))
	if err != nil {
		return err
	}
	for _, d := range soon {
		admins, err := store.NotifyRecipients(ctx, tx, d.AgencyID, domain.RoleAdmin, 0)
		if err != nil {
			return err
		}
		last := d.LastDay.Format(domain.DateLayout)
		add(d.AgencyID, append([]int64{d.AuthorID}, admins...), store.KindExpirySoon, d.ID, fmt.Sprintf("expiry:%d:%s", d.ID, last),
			fmt.Sprintf("公开期限即将届满：《%s》", d.Title),
			fmt.Sprintf("《%s》的公开期限（公示期或有效期）至%s届满，届满次日系统将从各渠道撤下。\nAn item's public period ends soon.", d.Title, last),
			n.draftLink(d.ID))
	}

	// Periodic reviews (定期梳理) due within 7 days, or overdue, to the
	// heads of each item's department.
	ags, err := n.Store.Agencies(ctx)
	if err != nil {
		return err
	}
	for _, a := range ags {
		due, err := n.Store.ReviewsDue(ctx, a.ID, today.AddDate(0, 0, ExpiryNearDays))
		if err != nil {
			return err
		}
		var items []ReviewDue
		for _, it := range due {
			if it.ReviewDueOn != nil {
				items = append(items, ReviewDue{AgencyID: a.ID, DraftID: it.ID, DepartmentID: it.DepartmentID, Title: it.Title, DueOn: *it.ReviewDueOn})
			}
		}
		if err := n.NotifyReviewDue(ctx, tx, items); err != nil {
			return err
		}
	}

	// A channel's authorisation running out (the channels are the installation's).
	st, err := n.Store.ChannelStatuses(ctx, now)
	if err != nil {
		return err
	}
	for ch, c := range st {
		end := c.RefreshExpiresAt
		if end.IsZero() {
			end = c.TokenExpiresAt
		}
		if end.IsZero() || end.Sub(now) > TokenNearDays*24*time.Hour {
			continue
		}
		day := end.In(domain.Beijing).Format(domain.DateLayout)
		if err := platform(store.KindTokenExpiring, fmt.Sprintf("token:%s:%s", ch, day), "渠道授权即将到期："+channelZH(string(ch)),
			fmt.Sprintf("%s的授权将于%s到期，到期后无法发布，请在“渠道”页重新授权。\nA channel's authorisation runs out soon.", channelZH(string(ch)), day),
			n.link("/web/admin/channels")); err != nil {
			return err
		}
	}

	// Dead letters of the last week, to their agency's admins (the platform's to platform admins).
	dls, err := n.Store.OpenDeadLetters(ctx, now.Add(-7*24*time.Hour))
	if err != nil {
		return err
	}
	for _, dl := range dls {
		key := "dead_letter:" + strconv.FormatInt(dl.ID, 10)
		subject := "出现死信：" + dl.Consumer
		text := fmt.Sprintf("消息处理多次失败，已转为死信（编号%d）：%s\n请到“死信”页查看并重放。 / A message became a dead letter.", dl.ID, dl.LastError)
		if dl.AgencyID == 0 {
			if err := platform(store.KindDeadLetter, key, subject, text, n.link("/web/admin/deadletters")); err != nil {
				return err
			}
			continue
		}
		admins, err := store.NotifyRecipients(ctx, tx, dl.AgencyID, domain.RoleAdmin, 0)
		if err != nil {
			return err
		}
		add(dl.AgencyID, admins, store.KindDeadLetter, 0, key, subject, text, n.link("/web/admin/deadletters"))
	}

	// The calendar: next year missing from 1 December, or a deadline in an uncovered year.
	if b := now.In(domain.Beijing); b.Month() == time.December && !n.Calendar.Covers(time.Date(b.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)) {
		missing[b.Year()+1] = true
	}
	for y := range missing {
		if err := platform(store.KindCalendarMissing, fmt.Sprintf("calendar:%d", y), fmt.Sprintf("节假日安排缺少%d年", y),
			fmt.Sprintf("工作日日历尚未录入%d年的国务院节假日安排，落在该年的期限只按周末计算，可能不准确。请在“节假日”页录入。\nThe calendar lacks %d.", y, y),
			n.link("/web/platform/calendar")); err != nil {
			return err
		}
	}
	_, err = store.Notify(ctx, tx, out)
	return err
}

// reviewers are the people whose queue d waits in (none when it waits for
// no person): the stage's deciders within its scope, never its author.
func (n *Notifier) reviewers(ctx context.Context, tx pgx.Tx, d store.DraftBrief) ([]int64, error) {
	st, ok := domain.StageOf(d.State)
	if !ok || !d.AwaitsPerson {
		return nil, nil
	}
	spec, _ := domain.Spec(st)
	dept := d.DepartmentID
	if spec.Scope == domain.ScopeAgency {
		dept = 0
	}
	ids, err := store.NotifyRecipients(ctx, tx, d.AgencyID, spec.Decider, dept)
	if err != nil {
		return nil, err
	}
	out := ids[:0]
	for _, id := range ids {
		if id != d.AuthorID {
			out = append(out, id)
		}
	}
	return out, nil
}

// ReviewDue is a published item due for periodic review (定期梳理).
type ReviewDue struct {
	AgencyID     int64
	DraftID      int64
	DepartmentID int64
	Title        string
	DueOn        time.Time // a civil date
}

// NotifyReviewDue notifies the department heads of each item's department
// that it is due for review, in tx; the scan calls it for the items due
// within ExpiryNearDays (store.ReviewsDue). Each item and due date
// notifies once.
func (n *Notifier) NotifyReviewDue(ctx context.Context, tx pgx.Tx, items []ReviewDue) error {
	now := n.now()
	var out []store.NewNotification
	for _, it := range items {
		heads, err := store.NotifyRecipients(ctx, tx, it.AgencyID, domain.RoleDeptHead, it.DepartmentID)
		if err != nil {
			return err
		}
		due := it.DueOn.Format(domain.DateLayout)
		for _, u := range heads {
			out = append(out, store.NewNotification{AgencyID: it.AgencyID, UserID: u, Kind: store.KindReviewDue, DraftID: it.DraftID,
				Key: fmt.Sprintf("review_due:%d:%s", it.DraftID, due), Subject: fmt.Sprintf("到期梳理：《%s》", it.Title),
				Text: fmt.Sprintf("已公开的《%s》应于%s前完成定期梳理（保留、更正或撤下）。\nA published item is due for periodic review.", it.Title, due),
				Link: n.draftLink(it.DraftID), At: now})
		}
	}
	_, err := store.Notify(ctx, tx, out)
	return err
}
