package system_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin/fakedouyin"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// douyinHarness is sanshen configured, as an office would, with a Douyin
// app (SANSHEN_DOUYIN_*) pointed at a contract server, and the account
// connected with an authorisation code, as the channels page does.
func douyinHarness(t *testing.T, opts fakedouyin.Options, more ...func(*system.Options)) (*harness, *fakedouyin.Server) {
	t.Helper()
	opts.ClientKey, opts.ClientSecret = "dy-key", "dy-secret"
	fake := fakedouyin.New(opts)
	ds := httptest.NewServer(fake)
	t.Cleanup(ds.Close)
	var cfg config.Config
	h := start(t, func(c *config.Config, o *system.Options) {
		c.DouyinClientKey, c.DouyinClientSecret, c.DouyinURL = opts.ClientKey, opts.ClientSecret, ds.URL
		o.ClaimTimeout = 500 * time.Millisecond
		for _, m := range more {
			m(o)
		}
		cfg = *c
	})
	sealer, err := system.ChannelSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := system.DouyinClient(cfg, h.sys.Store, sealer, testenv.Logger(t)).Tokens.Exchange(context.Background(), fake.IssueCode()); err != nil {
		t.Fatalf("connecting the Douyin account: %v", err)
	}
	return h, fake
}

// TestDouyinPublishAmbiguousCreateAndWithdraw: a draft with a video is
// posted on Douyin (upload, create, review), with the share URL and
// item_id as the receipt. The first create's answer is lost after Douyin
// posted it: sanshen finds the post by its text and never posts twice.
// Withdrawing it leaves a person's task, since the account has no delete
// scope; the admin records it, and the trail verifies.
func TestDouyinPublishAmbiguousCreateAndWithdraw(t *testing.T) {
	t.Parallel()
	h, fake := douyinHarness(t, fakedouyin.Options{})
	fake.DropAnswerAfterCommit(1)
	id := h.submitTo("冬季消防安全提示", "website", "douyin")
	h.approveThrough(id)
	d := h.waitFor(id, domain.StatePublished)
	p := publication(d, domain.ChannelDouyin)
	if p.Status != store.PubDelivered || !strings.Contains(p.URL, "iesdouyin.com") || p.ExternalID == "" {
		t.Fatalf("the Douyin publication: %+v", p)
	}
	if fake.Creates() != 1 || len(fake.Items()) != 1 {
		t.Fatalf("%d creates, %d posts: want exactly one", fake.Creates(), len(fake.Items()))
	}
	if health := h.channelHealth(domain.ChannelDouyin); health.RefreshExpiresAt.IsZero() || health.LastSuccessAt.IsZero() {
		t.Errorf("the channel's health: %+v", health)
	}

	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", id), "admin", map[string]any{"reason": "活动取消"}), http.StatusOK)
	testenv.Eventually(t, "the Douyin removal to become a person's task", func() bool {
		d, err := h.sys.Store.Detail(context.Background(), id)
		return err == nil && d.StepDone && publication(d, domain.ChannelDouyin).WithdrawStatus == store.WithdrawManual
	})
	if fake.Items()[0].Deleted {
		t.Error("the post was deleted without the delete scope")
	}
	h.verifyAudit()
}

// TestDouyinReviewFailedAndTokenExpired: the access token expires before
// the send (refreshed once, no post lost), and the platform's review of
// the post fails: the publication ends failed with the reason in Chinese.
func TestDouyinReviewFailedAndTokenExpired(t *testing.T) {
	t.Parallel()
	h, fake := douyinHarness(t, fakedouyin.Options{ReviewFails: true})
	fake.ExpireAccessTokens()
	id := h.submitTo("社区志愿服务活动回顾", "website", "douyin")
	h.approveThrough(id)
	d := h.waitFor(id, domain.StatePublished)
	if p := publication(d, domain.ChannelDouyin); p.Status != store.PubFailed || !strings.Contains(p.Error, "平台审核未通过") {
		t.Fatalf("the Douyin publication of a post whose review failed: %+v", p)
	}
	if fake.Creates() != 1 || fake.Calls("/oauth/refresh_token/") != 1 {
		t.Errorf("%d creates, %d refreshes", fake.Creates(), fake.Calls("/oauth/refresh_token/"))
	}
}

// TestDouyinBusyQuotaAndTakenDown: Douyin answers "busy" to the upload,
// then accepts: the post is made once. The day's publish cap refuses the
// next create: the send waits, counted on the channels page. A post the
// account later loses becomes an alert at the next recheck.
func TestDouyinBusyQuotaAndTakenDown(t *testing.T) {
	t.Parallel()
	h, fake := douyinHarness(t, fakedouyin.Options{DailyCap: 1}, func(o *system.Options) { o.RecheckEvery = 100 * time.Millisecond })
	id := h.submitTo("辖区冬季供暖服务提示", "website", "douyin")
	h.waitFor(id, domain.StateCompliance)
	fake.FailNext(1, douyin.CodeBusy)
	h.approveFrom(id)
	p := publication(h.waitFor(id, domain.StatePublished), domain.ChannelDouyin)
	if p.Status != store.PubDelivered || fake.Creates() != 1 {
		t.Fatalf("after a busy answer: %+v, %d creates", p, fake.Creates())
	}

	second := h.submitTo("辖区冬季供暖服务提示（二）", "website", "douyin")
	h.waitFor(second, domain.StateCompliance)
	h.approveFrom(second)
	testenv.Eventually(t, "the day's cap to be counted", func() bool { return h.channelHealth(domain.ChannelDouyin).QuotaErrorsToday > 0 })
	if fake.Creates() != 1 {
		t.Errorf("%d creates past the day's cap", fake.Creates())
	}

	fake.TakeDown(p.ExternalID)
	testenv.Eventually(t, "the recheck to find the post gone", func() bool {
		as, err := h.sys.Store.ChannelAlerts(context.Background(), 1)
		return err == nil && len(as) == 1 && as[0].DraftID == id && strings.Contains(as[0].Alert, "已不在")
	})
	h.verifyAudit()
}
