package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// ChannelHealth is a channel's health as the metrics report it.
type ChannelHealth struct {
	TokenExpiresAt, RefreshExpiresAt, LastSuccessAt, LastErrorAt time.Time // zero: unknown
	NotAuthorised                                                bool
	QuotaErrorsToday                                             int
}

// ChannelCollector reports each external channel's health from the
// channels' status rows (what the admins' channels page shows), so an
// alert can fire before a token or an authorisation runs out.
type ChannelCollector struct {
	Read                                          func(ctx context.Context) (map[domain.Channel]ChannelHealth, error)
	token, refresh, success, failure, auth, quota *prometheus.Desc
}

// NewChannelCollector makes the collector of the sanshen_channel_* gauges.
func NewChannelCollector(read func(ctx context.Context) (map[domain.Channel]ChannelHealth, error)) *ChannelCollector {
	l := []string{"channel"}
	return &ChannelCollector{Read: read,
		token:   prometheus.NewDesc("sanshen_channel_token_expiry_timestamp_seconds", "When the channel's access token expires (0: unknown).", l, nil),
		refresh: prometheus.NewDesc("sanshen_channel_authorisation_expiry_timestamp_seconds", "When the channel's authorisation (Douyin's refresh token) ends and an admin must authorise again (0: none).", l, nil),
		success: prometheus.NewDesc("sanshen_channel_last_success_timestamp_seconds", "The channel's last successful call (0: none yet).", l, nil),
		failure: prometheus.NewDesc("sanshen_channel_last_error_timestamp_seconds", "The channel's last failed call (0: none yet).", l, nil),
		auth:    prometheus.NewDesc("sanshen_channel_not_authorised", "1 when the platform refused the account (IP whitelist, permission, consent): no send succeeds until an admin acts.", l, nil),
		quota:   prometheus.NewDesc("sanshen_channel_quota_errors_today", "The platform's quota and rate refusals today (Beijing time).", l, nil)}
}

// Describe implements prometheus.Collector.
func (c *ChannelCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.token, c.refresh, c.success, c.failure, c.auth, c.quota} {
		ch <- d
	}
}

// Collect implements prometheus.Collector; every external channel is
// reported, zero included.
func (c *ChannelCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hs, err := c.Read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.auth, err)
		return
	}
	ts := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.Unix())
	}
	for _, info := range domain.ChannelTable {
		if info.Code == domain.ChannelWebsite {
			continue
		}
		h, name := hs[info.Code], string(info.Code)
		auth := 0.0
		if h.NotAuthorised {
			auth = 1
		}
		ch <- prometheus.MustNewConstMetric(c.token, prometheus.GaugeValue, ts(h.TokenExpiresAt), name)
		ch <- prometheus.MustNewConstMetric(c.refresh, prometheus.GaugeValue, ts(h.RefreshExpiresAt), name)
		ch <- prometheus.MustNewConstMetric(c.success, prometheus.GaugeValue, ts(h.LastSuccessAt), name)
		ch <- prometheus.MustNewConstMetric(c.failure, prometheus.GaugeValue, ts(h.LastErrorAt), name)
		ch <- prometheus.MustNewConstMetric(c.auth, prometheus.GaugeValue, auth, name)
		ch <- prometheus.MustNewConstMetric(c.quota, prometheus.GaugeValue, float64(h.QuotaErrorsToday), name)
	}
}
