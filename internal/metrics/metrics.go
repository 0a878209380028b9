// Package metrics declares sanshen's Prometheus metrics in one place, so
// dashboards and docs/operations.md have one list to follow.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the collectors. One is made per process and passed down.
type Metrics struct {
	Registry      *prometheus.Registry
	Transitions   *prometheus.CounterVec   // stage, outcome
	TimeInStage   *prometheus.HistogramVec // stage: from entering a state to leaving it
	HandleSeconds *prometheus.HistogramVec // consumer: worker handling time
	BatchSize     *prometheus.HistogramVec // consumer: messages handled in one transaction
	Handled       *prometheus.CounterVec   // consumer, result (done, noop, retry, dead)
	Redeliveries  *prometheus.CounterVec   // consumer
	DeadLetters   *prometheus.CounterVec   // consumer
	OutboxLag     prometheus.Gauge         // seconds since the oldest unsent outbox row
	OutboxUnsent  prometheus.Gauge
	Relayed       prometheus.Counter
	Swept         prometheus.Counter
	LogSequenced  prometheus.Counter       // audit events given their leaf in the transparency log
	LogHeadSize   prometheus.Gauge         // the size of the newest signed tree head
	HTTPRequests  *prometheus.CounterVec   // method, route, code
	HTTPSeconds   *prometheus.HistogramVec // method, route
	Publications  *prometheus.CounterVec   // channel, status
	// NotificationDeliveries counts the notifications' deliveries by
	// channel (mail, wecom, dingtalk) and outcome (sent, retry, failed,
	// unknown).
	NotificationDeliveries *prometheus.CounterVec
}

// New makes the collectors and registers them, with Go and process metrics.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sanshen_transitions_total",
			Help: "Draft transitions by stage (state left) and outcome (action)."}, []string{"stage", "outcome"}),
		TimeInStage: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sanshen_time_in_stage_seconds",
			Help:    "Time a draft spent in a state before a transition moved it on.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 30, 60, 600, 3600, 86400, 7 * 86400}}, []string{"stage"}),
		HandleSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sanshen_worker_handle_seconds",
			Help: "Time a worker took to handle one message.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"consumer"}),
		BatchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sanshen_worker_batch_size",
			Help:    "Messages a worker handled together, in one transaction (a group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128}}, []string{"consumer"}),
		Handled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sanshen_worker_messages_total",
			Help: "Messages handled by result: done, noop (already done or superseded), retry, dead."}, []string{"consumer", "result"}),
		Redeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sanshen_redeliveries_total",
			Help: "Messages received more than once."}, []string{"consumer"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sanshen_dead_letters_total",
			Help: "Messages moved to the dead-letter table."}, []string{"consumer"}),
		OutboxLag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sanshen_outbox_lag_seconds",
			Help: "Age of the oldest outbox row not yet published to JetStream."}),
		OutboxUnsent: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sanshen_outbox_unsent",
			Help: "Outbox rows not yet published to JetStream."}),
		Relayed: prometheus.NewCounter(prometheus.CounterOpts{Name: "sanshen_relay_published_total",
			Help: "Outbox rows published to JetStream."}),
		Swept: prometheus.NewCounter(prometheus.CounterOpts{Name: "sanshen_sweeper_resent_total",
			Help: "Drafts whose machine step the sweeper re-sent because it had not finished in time."}),
		LogSequenced: prometheus.NewCounter(prometheus.CounterOpts{Name: "sanshen_audit_sequenced_total",
			Help: "Audit events the relay gave their leaf in the transparency log."}),
		LogHeadSize: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sanshen_audit_head_size",
			Help: "Leaves in the newest tree head this process signed."}),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sanshen_http_requests_total",
			Help: "HTTP requests by method, route and status code."}, []string{"method", "route", "code"}),
		HTTPSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sanshen_http_request_seconds",
			Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"method", "route"}),
		Publications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sanshen_publications_total",
			Help: "Channel publications by channel and final status."}, []string{"channel", "status"}),
		NotificationDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sanshen_notification_deliveries_total",
			Help: "Notification deliveries by channel (mail, wecom, dingtalk) and outcome: sent, retry (a retryable error), failed (for good), unknown (a robot post that may or may not have arrived; never resent)."},
			[]string{"channel", "outcome"}),
	}
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Transitions, m.TimeInStage, m.HandleSeconds, m.BatchSize, m.Handled, m.Redeliveries, m.DeadLetters,
		m.OutboxLag, m.OutboxUnsent, m.Relayed, m.Swept, m.LogSequenced, m.LogHeadSize, m.HTTPRequests, m.HTTPSeconds, m.Publications, m.NotificationDeliveries)
	return m
}
