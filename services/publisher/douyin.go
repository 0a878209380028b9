package publisher

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/totp"
)

// Douyin posts the draft's video on the organisation's account with the v1
// video API: upload (chunked above 50 MB), create_video with the title as
// its text, then polls the platform's review until it ends.
//
// Douyin takes no idempotency key and a video_id is single-use, so a
// create whose answer was lost would post twice if made again. The
// adapter records "created_at" before the create and the item_id after;
// a send taken up again that finds created_at without an item_id first
// looks for a post with exactly the same text in video_list, and posts
// again only if none appears within Settle.
type Douyin struct {
	Client    *douyin.Client
	Store     *store.Store
	Blobs     blob.Store
	PublicURL string
	// CanDelete: the account granted scope video.delete, so a withdrawal
	// deletes the post (the legacy endpoint); otherwise a withdrawal is a
	// person's task in the Douyin app (douyin.CanDelete explains why).
	CanDelete bool
	// Poll is the first wait between review polls (doubling to a minute;
	// default 5s); Wait bounds one delivery's polling (default 5m), after
	// which the message comes back and polls the same post again.
	Poll, Wait time.Duration
	// Settle is how long after a create whose answer was lost the post may
	// take to be listed before it is created again (default 2m).
	Settle time.Duration
	Now    func() time.Time
}

// Step keys of a Douyin send.
const (
	dyCreatedAt = "created_at"
	// dyEarlierDone: a correction took the earlier revision's post down
	// (or left it to a person) before posting the corrected one.
	dyEarlierDone = "earlier_done"
	dyItemID      = "item_id"
)

// UseStore gives the adapter its store when it has none.
func (d *Douyin) UseStore(s *store.Store) {
	if d.Store == nil {
		d.Store = s
	}
}

// UseBlobs gives the adapter the file store when it has none.
func (d *Douyin) UseBlobs(b blob.Store) {
	if d.Blobs == nil {
		d.Blobs = b
	}
}

// Configured is true when there is a client.
func (d *Douyin) Configured() bool { return d.Client != nil }

// Internal is false.
func (d *Douyin) Internal() bool { return false }

// Idempotent is true in the publisher's sense: a send taken up again
// resumes from its recorded steps and looks for a post in doubt before
// posting.
func (d *Douyin) Idempotent() bool { return true }

// Retryable reports a failure that may pass later: busy, rate or quota,
// a lost answer being reconciled, a review still running.
func (d *Douyin) Retryable(err error) bool {
	if errors.Is(err, errStillPublishing) {
		return true
	}
	var de *douyin.Error
	return errors.As(err, &de) && (de.Retryable || de.Ambiguous || dyQuota(de))
}

// Deletes reports whether a withdrawal can delete the post.
func (d *Douyin) Deletes() bool { return d.CanDelete }

func dyQuota(e *douyin.Error) bool {
	return e.Code == douyin.CodeQuota || e.Code == douyin.CodeRate || e.Code == douyin.CodeDailyCap
}

func dyNotAuthorised(e *douyin.Error) bool {
	switch e.Code {
	case douyin.CodeScope, douyin.CodeNoCapability, douyin.CodeOldCapability, douyin.CodeRefreshExpired, douyin.CodeTokenMismatch:
		return true
	}
	return errors.Is(e, douyin.ErrNoTokens)
}

// Deliver posts the video and returns its share URL and item_id once the
// platform's review passed.
func (d *Douyin) Deliver(ctx context.Context, draftID int64, revision int, c domain.Content) (string, string, error) {
	url, id, err := d.deliver(ctx, draftID, revision, c)
	d.health(ctx, err)
	var de *douyin.Error
	if errors.As(err, &de) && de.MessageZH != "" {
		err = fmt.Errorf("%s %w", de.MessageZH, err)
	}
	if errors.Is(err, douyin.ErrNoTokens) {
		err = fmt.Errorf("抖音账号尚未授权：请管理员在“渠道”页面连接抖音账号。 %w", err)
	}
	return url, id, err
}

func (d *Douyin) deliver(ctx context.Context, draftID int64, revision int, c domain.Content) (string, string, error) {
	steps, err := d.Store.PublicationSteps(ctx, draftID, revision, domain.ChannelDouyin)
	if err != nil {
		return "", "", err
	}
	save := func(k, v string) error {
		steps[k] = v
		return d.Store.SavePublicationStep(ctx, draftID, revision, domain.ChannelDouyin, k, v)
	}
	text := douyin.PostText(c.Title, c.Digest)
	if steps[dyItemID] == "" && steps[dyEarlierDone] == "" {
		if err := d.replaceEarlier(ctx, draftID, revision, save); err != nil {
			return "", "", err
		}
	}
	if steps[dyItemID] == "" {
		if at := steps[dyCreatedAt]; at != "" {
			found, err := d.reconcile(ctx, text, at, save)
			if err != nil {
				return "", "", err
			}
			if !found {
				// Nothing was posted: upload and create again.
				d.clientLog(draftID, "no Douyin post found after a create in doubt; creating again")
			}
		}
		if steps[dyItemID] == "" {
			if err := d.create(ctx, c, text, save); err != nil {
				return "", "", err
			}
		}
	}
	return d.await(ctx, steps[dyItemID])
}

// replaceEarlier takes a correction's earlier post down before the
// corrected one is posted (a Douyin post cannot be edited): deleted where
// the account may delete, else left to a person on the publications page,
// as a withdrawal would be. Recorded, so it is done once.
func (d *Douyin) replaceEarlier(ctx context.Context, draftID int64, revision int, save func(k, v string) error) error {
	e, corrects, err := d.Store.EarlierPublication(ctx, draftID, revision, domain.ChannelDouyin)
	if err != nil || !corrects {
		return err
	}
	note := "deleted before the corrected post: " + e.URL
	if d.CanDelete {
		if _, err := d.Withdraw(ctx, draftID, e.Revision, e.ExternalID, "", ""); err != nil {
			return err
		}
	} else {
		note = "抖音账号未授予删除权限：请在抖音App中手工删除旧作品，再在此记录。(the corrected post replaces it; delete the old one by hand) " + e.URL
	}
	if err := d.Store.MarkReplaced(ctx, draftID, e.Revision, revision, domain.ChannelDouyin, !d.CanDelete, note); err != nil {
		return err
	}
	return save(dyEarlierDone, e.ExternalID)
}

// create uploads the video and posts it, recording created_at before the
// post and the item_id after. A lost answer is looked up at once.
func (d *Douyin) create(ctx context.Context, c domain.Content, text string, save func(k, v string) error) error {
	var video *domain.Attachment
	for i, x := range c.Attachments {
		if x.Role == domain.RoleVideo {
			video = &c.Attachments[i]
			break
		}
	}
	if video == nil {
		return errors.New("抖音发布的是视频，本稿件没有视频附件。(Douyin posts a video; the draft has none)")
	}
	r, info, err := d.Blobs.Open(ctx, video.SHA256)
	if err != nil {
		return fmt.Errorf("读取视频「%s」失败，请稍后重试。(error reading %s for Douyin: %w)", video.Name, video.Name, err)
	}
	videoID, err := d.Client.UploadVideo(ctx, video.Name, r, info.Size)
	r.Close()
	if err != nil {
		return err
	}
	at := d.now().UTC().Format(time.RFC3339)
	if err := save(dyCreatedAt, at); err != nil {
		return err
	}
	itemID, err := d.Client.CreateVideo(ctx, douyin.CreateRequest{VideoID: videoID, Text: text})
	var de *douyin.Error
	if errors.As(err, &de) && de.Ambiguous {
		found, rerr := d.reconcile(ctx, text, at, save)
		if rerr != nil || !found {
			return errors.Join(err, rerr)
		}
		return nil
	}
	if err != nil {
		// A definite refusal posted nothing: no create is in doubt.
		_ = save(dyCreatedAt, "")
		return err
	}
	return save(dyItemID, itemID)
}

// reconcile looks for the post of a create in doubt. found false with no
// error means it was not posted and Settle has passed: create again.
func (d *Douyin) reconcile(ctx context.Context, text, createdAt string, save func(k, v string) error) (bool, error) {
	at, _ := time.Parse(time.RFC3339, createdAt)
	itemID, _, found, err := d.Client.FindByText(ctx, text, at.Add(-10*time.Minute))
	switch {
	case err != nil:
		return false, err
	case found:
		return true, save(dyItemID, itemID)
	case d.now().Sub(at) < d.settle():
		return false, fmt.Errorf("a Douyin create's answer was lost and its post is not listed yet: %w", errStillPublishing)
	}
	return false, nil
}

// await polls the post's review until it ends or Wait passes.
func (d *Douyin) await(ctx context.Context, itemID string) (string, string, error) {
	wait := cmp.Or(d.Wait, 5*time.Minute)
	deadline := d.now().Add(wait)
	pause := cmp.Or(d.Poll, 5*time.Second)
	for {
		p, found, err := d.Client.PostStatus(ctx, itemID)
		switch {
		case err != nil:
			return "", "", err
		case !found:
			return "", "", fmt.Errorf("抖音：作品 %s 在审核结束前已不在账号的作品列表中（可能已被删除）。(the post left the account before its review ended)", itemID)
		case p.IsReviewed && p.VideoStatus == douyin.StatusReviewFailed:
			return "", "", fmt.Errorf("抖音发布失败：平台审核未通过（作品 %s，video_status %d）。(Douyin's review failed)", itemID, p.VideoStatus)
		case p.IsReviewed:
			return p.ShareURL, itemID, nil
		case !d.now().Add(pause).Before(deadline):
			return "", "", fmt.Errorf("post %s is still under Douyin's review: %w", itemID, errStillPublishing)
		}
		select {
		case <-ctx.Done():
			return "", "", ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Minute)
	}
}

// Withdraw deletes the post where the account allows it.
func (d *Douyin) Withdraw(ctx context.Context, _ int64, _ int, itemID, _, _ string) (bool, error) {
	if !d.CanDelete {
		return false, errors.New("抖音账号未授予删除权限：请在抖音App中手工删除该作品，再在此记录。(the account has no video.delete scope)")
	}
	err := d.Client.DeleteVideo(ctx, itemID)
	d.health(ctx, err)
	var de *douyin.Error
	if errors.As(err, &de) && (de.Code == douyin.CodeOldBadParams || de.Code == douyin.CodeBadParams) {
		// The post is not there any more (the fake's answer; UNVERIFIED).
		return true, nil
	}
	return false, err
}

// Recheck asks Douyin whether the post is still on the account: one
// removed after its review passed (by the account holder, or by the
// platform) is an alert for the office.
func (d *Douyin) Recheck(ctx context.Context, x store.Recheck) (string, error) {
	p, found, err := d.Client.PostStatus(ctx, x.ExternalID)
	d.health(ctx, err)
	switch {
	case err != nil:
		return "", err
	case !found:
		return fmt.Sprintf("抖音：作品 %s 已不在本单位账号的作品列表中（被删除或被平台下架）。", x.ExternalID), nil
	case p.IsReviewed && p.VideoStatus == douyin.StatusReviewFailed:
		return fmt.Sprintf("抖音：作品 %s 审核状态变为未通过（video_status %d）。", x.ExternalID, p.VideoStatus), nil
	}
	return "", nil
}

// health records the call's outcome and the authorisation's lifetime.
func (d *Douyin) health(ctx context.Context, err error) {
	if d.Store == nil || errors.Is(err, errStillPublishing) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	ev := store.ChannelEvent{Success: err == nil}
	var de *douyin.Error
	switch {
	case errors.As(err, &de):
		ev.Error, ev.Quota, ev.NotAuthorised = strings.TrimSpace(de.MessageZH+" ("+de.Error()+")"), dyQuota(de), dyNotAuthorised(de)
	case errors.Is(err, douyin.ErrNoTokens):
		ev.Error, ev.NotAuthorised = "抖音账号尚未授权 (no Douyin account connected)", true
	case err != nil:
		ev.Error = err.Error()
	}
	_ = d.Store.RecordChannel(ctx, domain.ChannelDouyin, ev, d.now())
	if t, err := d.Client.Tokens.Store.Load(ctx); err == nil {
		_ = d.Store.RecordChannelTokens(ctx, domain.ChannelDouyin, &t.AccessExpiresAt, &t.RefreshExpiresAt)
	}
}

func (d *Douyin) clientLog(draftID int64, msg string) {
	if d.Client != nil && d.Client.Log != nil {
		d.Client.Log.Warn(msg, "draft", draftID)
	}
}

func (d *Douyin) settle() time.Duration { return cmp.Or(d.Settle, 2*time.Minute) }

func (d *Douyin) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// channelTokenUser is the sealer's user id for channel credentials: no
// person has id 0, so a person's sealed secret never opens as a channel's.
const channelTokenUser = 0

// DouyinTokens keeps the organisation's Douyin authorisation in PostgreSQL,
// sealed with the installation's key, so that every replica uses and
// refreshes the same tokens and they survive restarts.
type DouyinTokens struct {
	Store  *store.Store
	Sealer *totp.Sealer
}

// Load returns the stored tokens, or douyin.ErrNoTokens before an admin
// connected the account.
func (t *DouyinTokens) Load(ctx context.Context) (douyin.Tokens, error) {
	sealed, err := t.Store.ChannelToken(ctx, domain.ChannelDouyin)
	if errors.Is(err, store.ErrNotFound) {
		return douyin.Tokens{}, douyin.ErrNoTokens
	}
	if err != nil {
		return douyin.Tokens{}, err
	}
	plain, err := t.Sealer.Open(sealed, channelTokenUser)
	if err != nil {
		return douyin.Tokens{}, fmt.Errorf("error opening the stored Douyin tokens (was SANSHEN_TOTP_KEY changed?): %w", err)
	}
	var out douyin.Tokens
	if err := json.Unmarshal(plain, &out); err != nil {
		return douyin.Tokens{}, fmt.Errorf("error decoding the stored Douyin tokens: %w", err)
	}
	return out, nil
}

// Save seals and stores the tokens, and notes their lifetimes for the
// channels page.
func (t *DouyinTokens) Save(ctx context.Context, tok douyin.Tokens) error {
	plain, err := json.Marshal(tok)
	if err != nil {
		return fmt.Errorf("error encoding the Douyin tokens: %w", err)
	}
	sealed, err := t.Sealer.Seal(plain, channelTokenUser)
	if err != nil {
		return err
	}
	if err := t.Store.SaveChannelToken(ctx, domain.ChannelDouyin, sealed); err != nil {
		return err
	}
	return t.Store.RecordChannelTokens(ctx, domain.ChannelDouyin, &tok.AccessExpiresAt, &tok.RefreshExpiresAt)
}
