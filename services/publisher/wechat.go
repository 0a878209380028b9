package publisher

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/bodyhtml"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// WeChat publishes to the office's official account with the free-publish
// API (发布): the cover as permanent material, the body's images through
// uploadimg, a draft, a submit, then polls for the outcome.
//
// WeChat takes no idempotency key, so each step's result is recorded
// (publications.steps) before the next call, and a send taken up again,
// after a crash or a retry, continues from there. The one call in doubt is
// the submit: "submitted_at" is recorded before it, so a resumed send that
// finds it without a publish_id asks WeChat whether the draft is still in
// the draft box (then the submit never happened and is made) or gone (then
// it happened, and the article is looked up by its exact title). No submit
// is ever repeated blindly.
type WeChat struct {
	Client    *wechat.Client
	Store     *store.Store
	Blobs     blob.Store
	PublicURL string
	// Poll spaces the freepublish/get polls (default 2s doubling to 60s);
	// Wait bounds one delivery's polling (default 5m), after which the
	// message comes back later and polls the same job again.
	Poll wechat.Backoff
	Wait time.Duration
	// Settle is how long after a submit whose draft left the draft box the
	// article may take to be listed before a person is asked (default 24h).
	Settle time.Duration
	// Events: WeChat's PUBLISHJOBFINISH events are taken (the API records
	// a job's outcome as it comes); while polling, the adapter then also
	// watches the publication and stops as soon as an event settled it.
	Events bool
	// MassPerDay is the account's mass sends a day (default 1: a verified
	// subscription account's; SANSHEN_WECHAT_MASS_PER_DAY).
	MassPerDay int
	Now        func() time.Time
}

// Step keys of a WeChat send (publications.steps).
const (
	wxCover       = "cover_media_id"
	wxImagePrefix = "image:" // + the image's SHA-256: its uploadimg URL
	wxMediaID     = "media_id"
	wxSubmittedAt = "submitted_at"
	wxPublishID   = "publish_id"
	wxMassMsgID   = "mass_msg_id"
	// wxOldDeleted: a correction deleted the earlier revision's article
	// (its id) before publishing the corrected one.
	wxOldDeleted = "earlier_deleted"
	// massPrefix marks a mass send's receipt (publications.external_id).
	massPrefix = "mass:"
)

// UseStore gives the adapter its store when it has none.
func (w *WeChat) UseStore(s *store.Store) {
	if w.Store == nil {
		w.Store = s
	}
}

// UseBlobs gives the adapter the file store when it has none.
func (w *WeChat) UseBlobs(b blob.Store) {
	if w.Blobs == nil {
		w.Blobs = b
	}
}

// Configured is true when there is a client.
func (w *WeChat) Configured() bool { return w.Client != nil }

// Internal is false.
func (w *WeChat) Internal() bool { return false }

// Idempotent is true in the publisher's sense: a send taken up again
// resumes from its recorded steps and reconciles the one in doubt, so it
// publishes at most once.
func (w *WeChat) Idempotent() bool { return true }

// Retryable reports a failure that may pass later unchanged: WeChat busy,
// a quota, a lost connection before any write, or a job still publishing.
func (w *WeChat) Retryable(err error) bool {
	if errors.Is(err, errStillPublishing) {
		return true
	}
	var we *wechat.Error
	return errors.As(err, &we) && (we.Retryable || we.Ambiguous)
}

// errStillPublishing means the publish job had not ended when this
// delivery stopped polling: the message comes back and polls again.
var errStillPublishing = errors.New("the WeChat publish job is still running")

// Deliver publishes the revision and returns the article's URL and id.
func (w *WeChat) Deliver(ctx context.Context, draftID int64, revision int, c domain.Content) (string, string, error) {
	url, id, err := w.deliver(ctx, draftID, revision, c)
	w.health(ctx, err)
	return url, id, chineseFirst(err)
}

// chineseFirst puts a platform error's Chinese explanation first, as the
// publications page shows it; the error stays inspectable with errors.As.
func chineseFirst(err error) error {
	var we *wechat.Error
	if errors.As(err, &we) && we.MessageZH != "" {
		return fmt.Errorf("%s %w", we.MessageZH, err)
	}
	return err
}

func (w *WeChat) deliver(ctx context.Context, draftID int64, revision int, c domain.Content) (string, string, error) {
	steps, err := w.Store.PublicationSteps(ctx, draftID, revision, domain.ChannelWeChat)
	if err != nil {
		return "", "", err
	}
	save := func(k, v string) error {
		steps[k] = v
		return w.Store.SavePublicationStep(ctx, draftID, revision, domain.ChannelWeChat, k, v)
	}
	if c, err = w.correction(ctx, draftID, revision, c, steps, save); err != nil {
		return "", "", err
	}
	if c.Has(domain.OptionWeChatMassSend) {
		return w.massSend(ctx, draftID, revision, c, steps, save)
	}
	if steps[wxPublishID] == "" {
		if err := w.ensureDraft(ctx, draftID, c, steps, save); err != nil {
			return "", "", err
		}
		if at := steps[wxSubmittedAt]; at != "" {
			url, id, done, err := w.reconcile(ctx, c.Title, steps[wxMediaID], at)
			if done || err != nil {
				return url, id, err
			}
		}
		if err := save(wxSubmittedAt, w.now().UTC().Format(time.RFC3339)); err != nil {
			return "", "", err
		}
		publishID, err := w.Client.Submit(ctx, steps[wxMediaID])
		var we *wechat.Error
		if errors.As(err, &we) && we.Ambiguous {
			url, id, _, rerr := w.reconcile(ctx, c.Title, steps[wxMediaID], steps[wxSubmittedAt])
			if rerr == nil && url == "" {
				// The draft is still there: the submit never happened.
				// The message comes back and submits it.
				rerr = err
			}
			return url, id, rerr
		}
		if err != nil {
			return "", "", err
		}
		if err := save(wxPublishID, publishID); err != nil {
			return "", "", err
		}
	}
	return w.await(ctx, draftID, revision, steps[wxPublishID])
}

// correction prepares a correction's send, as its policy says: WeChat
// cannot edit a published article. By default the earlier article is
// deleted (once: recorded) and the corrected one published; with
// OptionWeChatCorrectionNotice, or when the earlier one was a mass send,
// which cannot be deleted, the earlier stays and a correction notice is
// published beside it. A draft new to WeChat is sent as it is.
func (w *WeChat) correction(ctx context.Context, draftID int64, revision int, c domain.Content, steps map[string]string, save func(k, v string) error) (domain.Content, error) {
	e, corrects, err := w.Store.EarlierPublication(ctx, draftID, revision, domain.ChannelWeChat)
	if err != nil || !corrects {
		return c, err
	}
	if c.Has(domain.OptionWeChatCorrectionNotice) || strings.HasPrefix(e.ExternalID, massPrefix) {
		return CorrectionNotice(c, fmt.Sprintf("%s/public/items/%d", strings.TrimSuffix(w.PublicURL, "/"), draftID)), nil
	}
	if steps[wxOldDeleted] != "" {
		return c, nil
	}
	if _, err := w.Withdraw(ctx, draftID, e.Revision, e.ExternalID, "", ""); err != nil {
		return c, err
	}
	if err := w.Store.MarkReplaced(ctx, draftID, e.Revision, revision, domain.ChannelWeChat, false, "deleted before the corrected article: "+e.URL); err != nil {
		return c, err
	}
	return c, save(wxOldDeleted, e.ExternalID)
}

// CorrectionNotice is the article a correction publishes beside the
// uncorrected one (更正说明): the note, and where the corrected text is.
// It keeps the revision's cover (WeChat requires one) and options, but not
// its mass send: a notice is published, never mass-sent.
func CorrectionNotice(c domain.Content, url string) domain.Content {
	n := c
	title := []rune("更正：" + c.Title)
	if len(title) > wechat.MaxTitleRunes {
		title = append(title[:wechat.MaxTitleRunes-1], '…')
	}
	n.Title = string(title)
	n.Digest = ""
	n.Body = "更正说明：" + c.Correction + "\n\n更正后的全文见：" + url
	n.Options = slices.DeleteFunc(slices.Clone(c.Options), func(o domain.ChannelOption) bool { return o == domain.OptionWeChatMassSend })
	return n
}

// ensureDraft makes the article's draft in the draft box, once: its
// media_id is recorded. A lost answer here leaves a second draft in the
// draft box at worst, never a second article.
func (w *WeChat) ensureDraft(ctx context.Context, draftID int64, c domain.Content, steps map[string]string, save func(k, v string) error) error {
	if steps[wxMediaID] != "" {
		return nil
	}
	a, err := w.article(ctx, draftID, c, steps, save)
	if err != nil {
		return err
	}
	mediaID, err := w.Client.AddDraft(ctx, a)
	if err != nil {
		return err
	}
	return save(wxMediaID, mediaID)
}

// massSend sends the article to every follower (群发) instead of
// publishing it, as the author chose and the reviewers approved. Its
// clientmsgid makes a repeat harmless, so a send in doubt is simply made
// again. The account's quota is checked here first (MassPerDay), so a
// refused send costs no call. The receipt is the msg_id ("mass:<id>"):
// a mass send has no permanent URL.
func (w *WeChat) massSend(ctx context.Context, draftID int64, revision int, c domain.Content, steps map[string]string, save func(k, v string) error) (string, string, error) {
	if id := steps[wxMassMsgID]; id != "" {
		return "", massPrefix + id, nil
	}
	if err := w.ensureDraft(ctx, draftID, c, steps, save); err != nil {
		return "", "", err
	}
	sent, err := w.Store.MassSendsOn(ctx, w.now())
	if err != nil {
		return "", "", err
	}
	if limit := max(w.MassPerDay, 1); sent >= limit {
		return "", "", &wechat.Error{Op: "message/mass/sendall", Code: wechat.CodeMassQuota, Retryable: true,
			Message:   fmt.Sprintf("sanshen counted %d mass sends today, the account's limit is %d", sent, limit),
			MessageZH: fmt.Sprintf("今日已群发%d次，达到公众号每日群发上限（%d次），将于次日自动发送。", sent, limit)}
	}
	msgID, err := w.Client.MassSend(ctx, steps[wxMediaID], w.clientMsgID(draftID, revision))
	if err != nil {
		return "", "", err
	}
	if err := save(wxMassMsgID, msgID); err != nil {
		return "", "", err
	}
	return "", massPrefix + msgID, nil
}

// clientMsgID names a mass send for WeChat's deduplication: the
// installation (its public address) and the revision.
func (w *WeChat) clientMsgID(draftID int64, revision int) string {
	sum := sha256.Sum256([]byte(w.PublicURL))
	return fmt.Sprintf("sanshen-%x-%d-%d", sum[:6], draftID, revision)
}

// reconcile settles a submit whose answer was lost. done is true when the
// article was found; a nil error with done false means the draft is still
// in the draft box, so the submit never happened and may be made.
func (w *WeChat) reconcile(ctx context.Context, title, mediaID, submittedAt string) (url, id string, done bool, err error) {
	exists, err := w.Client.DraftExists(ctx, mediaID)
	if err != nil || exists {
		return "", "", false, err
	}
	at, _ := time.Parse(time.RFC3339, submittedAt)
	id, url, found, err := w.Client.FindPublished(ctx, title, at.Add(-10*time.Minute))
	switch {
	case err != nil:
		return "", "", false, err
	case found:
		return url, id, true, nil
	case w.now().Sub(at) < cmp.Or(w.Settle, 24*time.Hour):
		return "", "", false, fmt.Errorf("the draft left the draft box after a submit whose answer was lost; its article is not listed yet: %w", errStillPublishing)
	}
	return "", "", false, errors.New("微信公众号：提交发布后未收到应答，草稿已离开草稿箱，但在已发布列表中未找到该文章。请在公众平台核实是否已发布，再在此记录结果。" +
		" (a submit's answer was lost and its article never appeared in freepublish/batchget: check the account)")
}

// await polls the job until it ends or Wait passes.
func (w *WeChat) await(ctx context.Context, draftID int64, revision int, publishID string) (string, string, error) {
	pctx, cancel := context.WithTimeout(ctx, cmp.Or(w.Wait, 5*time.Minute))
	defer cancel()
	var settled atomic.Bool
	if w.Events {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-pctx.Done():
					return
				case <-t.C:
				}
				if st, err := w.Store.PublicationStatus(pctx, draftID, revision, domain.ChannelWeChat); err == nil && st != store.PubSending && st != store.PubPending {
					settled.Store(true)
					cancel()
					return
				}
			}
		}()
	}
	st, err := w.Client.WaitPublished(pctx, publishID, w.Poll)
	if settled.Load() {
		// The event recorded the outcome: recording it again changes nothing.
		return "", "", nil
	}
	if err != nil {
		if ctx.Err() == nil && pctx.Err() != nil {
			return "", "", fmt.Errorf("publish job %s: %w", publishID, errStillPublishing)
		}
		return "", "", err
	}
	if st.State == wechat.StateSuccess {
		return st.URL(), st.ArticleID, nil
	}
	return "", "", fmt.Errorf("%s (publish job %s: publish_status %d, %s; fail_idx %v)", failureZH(st.State), publishID, int(st.State), st.State, st.FailIdx)
}

// failureZH explains a failed publish job to the office.
func failureZH(s wechat.State) string {
	switch s {
	case wechat.StateOriginalityFailed:
		return "微信公众号发布失败：原创校验未通过。"
	case wechat.StateAuditFailed:
		return "微信公众号发布失败：平台审核未通过。"
	case wechat.StateDeletedByUser:
		return "微信公众号：发布成功后文章已被删除。"
	case wechat.StateBanned:
		return "微信公众号：发布成功后文章已被平台封禁。"
	}
	return "微信公众号发布失败。"
}

// article builds the draft's article, uploading the cover and the body's
// images first, each upload recorded so a resumed send does not repeat it.
func (w *WeChat) article(ctx context.Context, draftID int64, c domain.Content, steps map[string]string, save func(k, v string) error) (wechat.Article, error) {
	cover, ok := c.Cover()
	if !ok {
		return wechat.Article{}, errors.New("微信公众号要求封面图片，本稿件没有封面。(WeChat requires a cover image; the draft has none)")
	}
	if steps[wxCover] == "" {
		data, err := w.read(ctx, cover)
		if err != nil {
			return wechat.Article{}, err
		}
		mediaID, _, err := w.Client.AddMaterialImage(ctx, cover.Name, data)
		if err != nil {
			return wechat.Article{}, err
		}
		if err := save(wxCover, mediaID); err != nil {
			return wechat.Article{}, err
		}
	}
	for _, x := range c.PlacedImages() {
		k := wxImagePrefix + x.SHA256
		if steps[k] != "" {
			continue
		}
		data, err := w.read(ctx, x)
		if err != nil {
			return wechat.Article{}, err
		}
		u, err := w.Client.UploadImage(ctx, x.Name, data)
		if err != nil {
			return wechat.Article{}, err
		}
		if err := save(k, u); err != nil {
			return wechat.Article{}, err
		}
	}
	body := string(bodyhtml.Render(c, func(x domain.Attachment) string { return steps[wxImagePrefix+x.SHA256] }))
	if c.Has(domain.OptionWeChatReadMore) && utf8.RuneCountInString(body) >= wechat.MaxContentRunes {
		body = bodyhtml.Cut(body, wechat.MaxContentRunes-500)
	}
	a := wechat.Article{Title: c.Title, Digest: c.Digest, Content: body, ThumbMediaID: steps[wxCover],
		ContentSourceURL: fmt.Sprintf("%s/public/items/%d", strings.TrimSuffix(w.PublicURL, "/"), draftID)}
	if utf8.RuneCountInString(c.Department) <= wechat.MaxAuthorRunes {
		a.Author = c.Department
	}
	return a, nil
}

// read loads an attachment's bytes from the file store.
func (w *WeChat) read(ctx context.Context, x domain.Attachment) ([]byte, error) {
	r, _, err := w.Blobs.Open(ctx, x.SHA256)
	if err != nil {
		return nil, fmt.Errorf("读取附件「%s」失败，请稍后重试。(error reading %s for WeChat: %w)", x.Name, x.Name, err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Withdraw deletes the article (every article of the publish job), which
// cannot be undone; gone when WeChat no longer knows it.
func (w *WeChat) Withdraw(ctx context.Context, _ int64, _ int, articleID, _, _ string) (bool, error) {
	if strings.HasPrefix(articleID, massPrefix) {
		return false, errors.New("群发消息不能由本系统撤回：请在微信公众平台“已发表—群发”中手工删除，再在此记录。(a mass send is taken back by a person; CHANNELS.md documents no delete for it)")
	}
	err := w.Client.DeleteArticle(ctx, articleID, 0)
	w.health(ctx, err)
	var we *wechat.Error
	if errors.As(err, &we) && we.Code == wechat.CodeInvalidMediaID {
		return true, nil
	}
	return false, chineseFirst(err)
}

// Recheck asks WeChat how the item's publish job stands now: statuses 5
// (every article deleted) and 6 (banned by the platform) after success are
// an alert for the office.
func (w *WeChat) Recheck(ctx context.Context, x store.Recheck) (string, error) {
	id := x.Steps[wxPublishID]
	if id == "" {
		return "", nil // resolved by a person: nothing to ask about
	}
	st, err := w.Client.PublishStatus(ctx, id)
	w.health(ctx, err)
	if err != nil {
		return "", err
	}
	if st.State == wechat.StateDeletedByUser || st.State == wechat.StateBanned {
		return fmt.Sprintf("%s（publish_status %d）", failureZH(st.State), int(st.State)), nil
	}
	return "", nil
}

// health records the call's outcome on the channels page.
func (w *WeChat) health(ctx context.Context, err error) {
	if w.Store == nil || errors.Is(err, errStillPublishing) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	ev := store.ChannelEvent{Success: err == nil}
	var we *wechat.Error
	if errors.As(err, &we) {
		ev.Error, ev.Quota, ev.NotAuthorised = we.Describe(), we.Quota(), we.NotAuthorised()
	} else if err != nil {
		ev.Error = err.Error()
	}
	_ = w.Store.RecordChannel(ctx, domain.ChannelWeChat, ev, w.now())
	if exp := w.Client.TokenExpires(); !exp.IsZero() {
		_ = w.Store.RecordChannelTokens(ctx, domain.ChannelWeChat, &exp, nil)
	}
}

func (w *WeChat) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}
