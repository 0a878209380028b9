package system_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// publishAll takes a draft through both human stages to published.
func (h *harness) publishAll(id int64) {
	h.t.Helper()
	h.waitFor(id, domain.StateCompliance)
	h.mustStatus(h.decide(id, "head", "compliance", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StatePublished)
}

// exactlyOnce checks the invariants every fault test ends with: one event
// per machine step, one publication per channel, a verifying trail.
func (h *harness) exactlyOnce(id int64) {
	h.t.Helper()
	for action, want := range map[string]int{"submit": 1, "checks_pass": 1, "checks_done": 2, "published": 1, "channel_delivered": 1, "channel_not_configured": 1} {
		if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = $2`, id, action); n != want {
			h.t.Errorf("draft %d: %d %q events, want %d", id, n, action, want)
		}
	}
	if n := h.count(`SELECT count(*) FROM publications WHERE draft_id = $1`, id); n != 2 {
		h.t.Errorf("draft %d: %d publication rows, want 2", id, n)
	}
	if n := h.count(`SELECT count(*) FROM findings WHERE draft_id = $1 AND stage = 'completeness'`, id); n != h.count(`SELECT count(DISTINCT (code, start_rune)) FROM findings WHERE draft_id = $1 AND stage = 'completeness'`, id) {
		h.t.Errorf("draft %d: stage-1 findings stored twice", id)
	}
	h.verifyAudit()
}

func TestWorkerDiesAfterCommitBeforeAck(t *testing.T) {
	t.Parallel()
	var killed atomic.Int32
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.WorkerBeforeAck = func(_ domain.Stage, _ work.Item) error {
			// Every stage's first message: the transaction committed, the ack never happens.
			if killed.Add(1) <= 3 {
				return errors.New("worker killed before ack")
			}
			return nil
		}
	})
	id := h.submit("关于调整办事大厅工作时间的公告")
	h.publishAll(id)
	if killed.Load() < 3 {
		t.Fatalf("the fault was injected %d times", killed.Load())
	}
	// The redeliveries happened and were no-ops.
	if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = 'checks_pass'`, id); n != 1 {
		t.Fatalf("checks_pass events: %d", n)
	}
	h.exactlyOnce(id)
}

func TestDuplicateMessagesChangeNothing(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	id := h.submit("街道党工委理论学习中心组学习情况")
	h.publishAll(id)
	before := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1`, id)
	// Every step's message again, twice, without a Nats-Msg-Id so JetStream keeps them.
	ctx := context.Background()
	for range 2 {
		for _, st := range []domain.State{domain.StateCompleteness, domain.StateCompliance, domain.StateConfidentiality, domain.StatePublishing} {
			subject, _ := work.Subject(st)
			b, _ := json.Marshal(work.Item{DraftID: id, Revision: 1, State: st})
			if _, err := h.sys.JS.Publish(ctx, subject, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.waitConsumed()
	if after := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1`, id); after != before {
		t.Fatalf("duplicates added %d audit events", after-before)
	}
	h.exactlyOnce(id)
}

// waitConsumed waits until every consumer has nothing pending or unacked.
func (h *harness) waitConsumed() {
	h.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		busy := false
		for _, subject := range work.Subjects() {
			c, err := h.sys.JS.Consumer(ctx, bus.StreamName, bus.ConsumerName(subject))
			if err != nil {
				h.t.Fatal(err)
			}
			info, err := c.Info(ctx)
			if err != nil {
				h.t.Fatal(err)
			}
			if info.NumPending > 0 || info.NumAckPending > 0 {
				busy = true
			}
		}
		if !busy {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatal("consumers did not drain")
}

func TestRelayDiesBetweenPublishAndMark(t *testing.T) {
	t.Parallel()
	var failed atomic.Int32
	h := start(t, func(_ *config.Config, o *system.Options) {
		// Fails the committing process's eager publish, then the relay
		// service's first retry: the relay sends the rows again.
		o.RelayAfterPublish = func([]int64) error {
			if failed.Add(1) <= 2 {
				return errors.New("relay killed after publishing, before marking sent")
			}
			return nil
		}
		o.RelayGrace = 200 * time.Millisecond
	})
	id := h.submit("辖区重点企业安全生产检查结果")
	h.publishAll(id)
	h.waitRelayed()
	if failed.Load() < 2 {
		t.Fatalf("fault injected %d times", failed.Load())
	}
	// The re-sent message was dropped by JetStream as a duplicate: the
	// stage-1 consumer saw exactly one message.
	c, err := h.sys.JS.Consumer(context.Background(), bus.StreamName, bus.ConsumerName(work.StageSubject(domain.StageCompleteness)))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := c.Info(context.Background())
	if info.Delivered.Consumer != 1 {
		t.Fatalf("stage-1 consumer delivered %d messages, want 1 (deduplicated)", info.Delivered.Consumer)
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`); n != 0 {
		t.Fatalf("%d outbox rows left unsent", n)
	}
	h.exactlyOnce(id)
}

func TestSweeperRecoversMessageLostByNATS(t *testing.T) {
	t.Parallel()
	// First no stage-1 worker, so the message sits in the stream.
	h := start(t, func(c *config.Config, o *system.Options) {
		o.Components.Stages = []domain.Stage{domain.StageCompliance, domain.StageConfidentiality}
		c.SweepAfter = 500 * time.Millisecond
	})
	id := h.submit("关于公布2026年度政务服务事项清单的通知")
	h.waitRelayed()
	// NATS loses the acknowledged message.
	stream, err := h.sys.JS.Stream(context.Background(), bus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Purge(context.Background(), jetstream.WithPurgeSubject(work.StageSubject(domain.StageCompleteness))); err != nil {
		t.Fatal(err)
	}
	// A stage-1 worker comes up; only the sweeper can give it the work.
	h.startSystem(func(c *config.Config, o *system.Options) {
		o.Components = system.Components{Stages: []domain.Stage{domain.StageCompleteness}}
	})
	h.publishAll(id)
	if n := h.count(`SELECT count(*) FROM outbox WHERE payload->>'state' = 'completeness'`); n < 2 {
		t.Fatalf("the sweeper did not re-send: %d stage-1 outbox rows", n)
	}
	h.exactlyOnce(id)
}

func TestPoisonMessageDeadLetteredAndReplayed(t *testing.T) {
	t.Parallel()
	var broken atomic.Bool
	broken.Store(true)
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.WorkerBeforeStep = func(st domain.Stage, _ work.Item) error {
			if st == domain.StageCompliance && broken.Load() {
				return errors.New("compliance checks crashed")
			}
			return nil
		}
	})
	id := h.submit("关于征集社区微更新项目意见的公告")
	deadline := time.Now().Add(30 * time.Second)
	for h.count(`SELECT count(*) FROM dead_letters`) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	dl := h.mustStatus(h.do("GET", "/api/v1/deadletters", "admin", nil), http.StatusOK)
	list := dl.body["dead_letters"].([]any)
	if len(list) != 1 {
		t.Fatalf("dead letters: %s", dl.raw)
	}
	first := list[0].(map[string]any)
	if first["consumer"] != "stage-compliance" || first["deliveries"].(float64) != 3 || first["last_error"] != "compliance checks crashed" {
		t.Fatalf("dead letter: %v", first)
	}
	d, err := h.sys.Store.Detail(context.Background(), id)
	if err != nil || d.State != domain.StateCompliance || d.StepDone {
		t.Fatalf("draft moved on despite the poison: %s done=%v err=%v", d.State, d.StepDone, err)
	}
	if m := h.metrics(); !strings.Contains(m, "sanshen_dead_letters_open 1") || !strings.Contains(m, `sanshen_dead_letters_total{consumer="stage-compliance"} 1`) {
		t.Fatalf("dead letter not in the metrics")
	}
	// Only admins replay.
	if r := h.do("POST", "/api/v1/deadletters/1/replay", "head", nil); r.status != http.StatusForbidden {
		t.Fatalf("non-admin replay: %d", r.status)
	}
	broken.Store(false)
	h.mustStatus(h.do("POST", "/api/v1/deadletters/"+jsonNum(first["id"])+"/replay", "admin", nil), http.StatusOK)
	h.publishAll(id)
	if r := h.mustStatus(h.do("GET", "/api/v1/deadletters", "admin", nil), http.StatusOK); r.body["dead_letters"].([]any)[0].(map[string]any)["replayed_at"] == nil {
		t.Fatalf("dead letter not marked replayed: %s", r.raw)
	}
	h.exactlyOnce(id)
}

func jsonNum(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestSweeperRecoversLostMessageBehindABacklog(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *config.Config, o *system.Options) {
		o.Components.Stages = []domain.Stage{domain.StageCompliance, domain.StageConfidentiality}
		c.SweepAfter = 200 * time.Millisecond
	})
	lost := h.submit("关于征集老旧小区改造意见的公告")
	other := h.submit("关于开展垃圾分类入户宣传的通知")
	h.waitRelayed()
	// NATS loses one message; the other stays pending, so stage 1 never looks idle.
	ctx := context.Background()
	stream, err := h.sys.JS.Stream(ctx, bus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := stream.Info(ctx)
	deleted := false
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		var w work.Item
		if json.Unmarshal(m.Data, &w) == nil && w.DraftID == lost {
			if err := stream.DeleteMsg(ctx, seq); err != nil {
				t.Fatal(err)
			}
			deleted = true
		}
	}
	if !deleted {
		t.Fatal("the message to lose was not in the stream")
	}
	// The long bound sweeps it anyway.
	deadline := time.Now().Add(20 * time.Second)
	for h.count(`SELECT count(*) FROM outbox WHERE (payload->>'draft_id')::bigint = $1`, lost) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE (payload->>'draft_id')::bigint = $1`, lost); n < 2 {
		t.Fatalf("the lost draft was not re-sent behind the backlog (%d outbox rows)", n)
	}
	h.startSystem(func(c *config.Config, o *system.Options) {
		o.Components = system.Components{Stages: []domain.Stage{domain.StageCompleteness}}
	})
	h.publishAll(lost)
	h.publishAll(other)
	h.exactlyOnce(lost)
	h.exactlyOnce(other)
}

// waitRelayed waits until the relay has sent every outbox row.
func (h *harness) waitRelayed() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.count(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`) > 0 {
		if time.Now().After(deadline) {
			h.t.Fatal("the relay did not send the outbox")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
