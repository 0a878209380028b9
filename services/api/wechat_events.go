package api

import (
	"crypto/sha1" //nolint:gosec // WeChat's server-configuration signature is SHA-1; it authenticates, it protects no secret
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/channels/wechat"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// wechatEventMaxAge bounds how old a signed event's timestamp may be: a
// captured request cannot be replayed later.
const wechatEventMaxAge = 10 * time.Minute

// wechatEvents answers WeChat's server configuration (服务器配置) for the
// PUBLISHJOBFINISH event, an option for offices that can expose a URL
// (README, "Channels"): GET is WeChat's check of the URL (echostr back),
// POST an event. Both are signed with the configured token:
// signature = SHA-1 of token, timestamp and nonce sorted and joined. Only
// plaintext mode (明文模式) is supported. A finished job is recorded as the
// WeChat publication's outcome, so the publisher need not poll for it.
func (s *Server) wechatEvents(c echo.Context) error {
	if s.WeChatEventToken == "" {
		return fail(http.StatusNotFound, "not_found", "WeChat events are not enabled (SANSHEN_WECHAT_CALLBACK_TOKEN)")
	}
	q := c.Request().URL.Query()
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil || !wechatSignatureOK(s.WeChatEventToken, q.Get("timestamp"), q.Get("nonce"), q.Get("signature")) {
		return fail(http.StatusForbidden, "bad_signature", "the request's signature does not match the configured token")
	}
	if d := time.Since(time.Unix(ts, 0)); d > wechatEventMaxAge || d < -wechatEventMaxAge {
		return fail(http.StatusForbidden, "stale_signature", "the request's timestamp is %s away from now", d.Round(time.Second))
	}
	if c.Request().Method == http.MethodGet {
		return c.String(http.StatusOK, q.Get("echostr"))
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
	if err != nil {
		return err
	}
	var ev struct {
		MsgType string `xml:"MsgType"`
		Event   string `xml:"Event"`
		Info    struct {
			PublishID     string `xml:"publish_id"`
			PublishStatus int    `xml:"publish_status"`
			ArticleID     string `xml:"article_id"`
			Items         []struct {
				Idx        int    `xml:"idx"`
				ArticleURL string `xml:"article_url"`
			} `xml:"article_detail>item"`
			FailIdx []int `xml:"fail_idx"`
		} `xml:"PublishEventInfo"`
	}
	if err := xml.Unmarshal(body, &ev); err != nil {
		return fail(http.StatusBadRequest, "bad_xml", "the event is not WeChat's XML: %v", err)
	}
	if ev.Event != "PUBLISHJOBFINISH" || ev.Info.PublishID == "" {
		return c.String(http.StatusOK, "success") // another event: not ours to act on
	}
	ctx := c.Request().Context()
	id, rev, status, err := s.Store.PublicationByStep(ctx, domain.ChannelWeChat, "publish_id", ev.Info.PublishID)
	if errors.Is(err, store.ErrNotFound) {
		s.Log.Warn("wechat event for a publish job sanshen did not start", "publish_id", ev.Info.PublishID)
		return c.String(http.StatusOK, "success")
	}
	if err != nil {
		return err
	}
	st := wechat.State(ev.Info.PublishStatus)
	if st == wechat.StatePublishing || (status != store.PubPending && status != store.PubSending) {
		return c.String(http.StatusOK, "success")
	}
	o := store.PublicationOutcome{Channel: domain.ChannelWeChat, Status: store.PubDelivered, ExternalID: ev.Info.ArticleID}
	if len(ev.Info.Items) > 0 {
		o.URL = ev.Info.Items[0].ArticleURL
	}
	if st != wechat.StateSuccess {
		o = store.PublicationOutcome{Channel: domain.ChannelWeChat, Status: store.PubFailed,
			Error: fmt.Sprintf("微信公众号发布失败（发布事件 publish_status %d，fail_idx %v）。(WeChat's PUBLISHJOBFINISH: %s)", st, ev.Info.FailIdx, st)}
	}
	err = s.Store.RecordPublication(ctx, work.Item{DraftID: id, Revision: rev, State: domain.StatePublishing}, o)
	if err != nil && !errors.Is(err, store.ErrNothingToDo) {
		return err
	}
	return c.String(http.StatusOK, "success")
}

// wechatSignatureOK checks WeChat's server-configuration signature.
func wechatSignatureOK(token, timestamp, nonce, signature string) bool {
	parts := []string{token, timestamp, nonce}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, ""))) //nolint:gosec // see the import
	return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(strings.ToLower(signature))) == 1
}
