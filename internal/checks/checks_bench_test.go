package checks_test

// BenchmarkRunAllStages measures the machine checks of all three stages on
// the drafts of the load benchmark's generator (cmd/sanshen/bench), written
// to testdata/corpus.jsonl (100 drafts, seed 7, as of 2026-11-27): ~1.5 KB
// report-style Chinese bodies of every category. One op is one draft through
// the three stages, run as the stage workers run them (Runner.Run with the
// golden test's clock and word list); the sub-benchmarks run one stage each.
//
//	go test -run XXX -bench . -benchmem ./internal/checks/

import (
	"context"
	"syscall"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func BenchmarkRunAllStages(b *testing.B) {
	corpus := readCorpus(b, "testdata/corpus.jsonl")
	r := goldenRunner(b)
	ctx := context.Background()
	runs := []struct {
		name   string
		stages []domain.Stage
	}{
		{"all", stages},
		{"completeness", []domain.Stage{domain.StageCompleteness}},
		{"compliance", []domain.Stage{domain.StageCompliance}},
		{"confidentiality", []domain.Stage{domain.StageConfidentiality}},
	}
	for _, s := range runs {
		b.Run(s.name, func(b *testing.B) {
			bytes := 0
			for _, d := range corpus {
				bytes += len(d.content.Title) + len(d.content.Body)
			}
			b.SetBytes(int64(bytes / len(corpus)))
			b.ReportAllocs()
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				c := corpus[i%len(corpus)].content
				i++
				for _, st := range s.stages {
					if _, err := r.Run(ctx, st, 1, c); err != nil {
						b.Fatal(err)
					}
				}
			}
			// The process's CPU time, GC included, is steadier than ns/op on
			// a machine shared with other work.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
