package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Depth is one state's queue as QueueCollector reports it.
type Depth struct {
	State  string
	Count  int64
	Oldest time.Duration
}

// Problems is what waits for a person outside the queues.
type Problems struct {
	DeadLetters  int64
	Publications map[[2]string]int64 // (channel, status) -> count, for failed and unknown
}

// QueueCollector reads the queues from Postgres at scrape time, so the
// depth is the truth, not a counter that drifts across replicas.
type QueueCollector struct {
	Read     func(ctx context.Context) ([]Depth, error)
	Problems func(ctx context.Context) (Problems, error)
	depth    *prometheus.Desc
	oldest   *prometheus.Desc
	dead     *prometheus.Desc
	pubs     *prometheus.Desc
}

// NewQueueCollector makes the collector of sanshen_queue_depth and sanshen_queue_oldest_seconds.
func NewQueueCollector(read func(ctx context.Context) ([]Depth, error), problems func(ctx context.Context) (Problems, error)) *QueueCollector {
	return &QueueCollector{Read: read, Problems: problems,
		dead:   prometheus.NewDesc("sanshen_dead_letters_open", "Dead letters not yet replayed.", nil, nil),
		pubs:   prometheus.NewDesc("sanshen_publications_open", "Publications that failed or whose outcome is unknown, waiting for a person.", []string{"channel", "status"}, nil),
		depth:  prometheus.NewDesc("sanshen_queue_depth", "Drafts in a state that waits: a stage's (its machine step and its queue) or publishing.", []string{"stage"}, nil),
		oldest: prometheus.NewDesc("sanshen_queue_oldest_seconds", "Age of the oldest draft waiting in a state.", []string{"stage"}, nil)}
}

// Describe implements prometheus.Collector.
func (q *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- q.depth
	ch <- q.oldest
	ch <- q.dead
	ch <- q.pubs
}

// Collect implements prometheus.Collector; every waiting state is reported, zero included.
func (q *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ds, err := q.Read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(q.depth, err)
		return
	}
	seen := map[string]Depth{}
	for _, d := range ds {
		seen[d.State] = d
	}
	for _, state := range domain.MachineStates() {
		st := string(state)
		d := seen[st]
		ch <- prometheus.MustNewConstMetric(q.depth, prometheus.GaugeValue, float64(d.Count), st)
		ch <- prometheus.MustNewConstMetric(q.oldest, prometheus.GaugeValue, d.Oldest.Seconds(), st)
	}
	p, err := q.Problems(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(q.dead, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(q.dead, prometheus.GaugeValue, float64(p.DeadLetters))
	for _, channel := range domain.Channels {
		c := string(channel)
		for _, st := range []string{"failed", "unknown"} {
			ch <- prometheus.MustNewConstMetric(q.pubs, prometheus.GaugeValue, float64(p.Publications[[2]string{c, st}]), c, st)
		}
	}
}
