package worker_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/work"
	"github.com/sanshen-gov/sanshen/services/relay"
)

// Run consumes its stage's subject: a submission, published by the
// committing process's eager relay, is checked and moved on; a message for
// another stage's state on that subject is dead-lettered at its first
// delivery, not retried.
func TestRunConsumesItsStageSubjectAndDeadLettersWrongStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	srv := testenv.NATS(t)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Declare(ctx, js, testBus); err != nil {
		t.Fatal(err)
	}
	eager := relay.NewEager(js, nc, o.s, testenv.Logger(t), o.m)
	o.s.Announce = eager
	run(t, eager.Run)
	wk := o.worker(domain.StageCompleteness)
	wk.JS, wk.Bus = js, testBus
	run(t, wk.Run)

	id := o.submit(content("关于开展安全生产大检查的通知"))
	testenv.Eventually(t, "the submitted draft to reach compliance", func() bool {
		return o.detail(id).State == domain.StateCompliance
	})

	wrong, _ := json.Marshal(item(id, domain.StateConfidentiality))
	if _, err := js.Publish(ctx, work.StageSubject(domain.StageCompleteness), wrong); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the wrong-state message to be dead-lettered", func() bool {
		return o.count(`SELECT count(*) FROM dead_letters`) == 1
	})
	dls, err := o.s.DeadLetters(ctx, admin, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := dls[0]; d.Deliveries != 1 || d.Consumer != bus.ConsumerName(work.StageSubject(domain.StageCompleteness)) || d.Payload != string(wrong) {
		t.Fatalf("dead letter %+v, want the message at its first delivery on the stage-1 consumer", d)
	}
	if d := o.detail(id); d.State != domain.StateCompliance || d.StepDone {
		t.Fatalf("the wrong-state message moved the draft: %s (checks done %v)", d.State, d.StepDone)
	}
}
