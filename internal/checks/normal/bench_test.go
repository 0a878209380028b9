package normal

// The normaliser alone, on the word matcher's 4 MB of report-style Chinese
// (package benchcorpus: full-width commas and digits, some Latin, noise and
// zero-width spaces planted in words):
//
//	go test -run '^$' -bench . -benchmem ./internal/checks/normal/

import (
	"math/rand/v2"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/checks/words/benchcorpus"
)

func BenchmarkNew(b *testing.B) {
	r := rand.New(rand.NewPCG(benchcorpus.Seed, benchcorpus.WordCount))
	text := benchcorpus.Text(r, benchcorpus.Words(r, benchcorpus.WordCount), benchcorpus.TextBytes)
	loadTables()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		New(text)
	}
}
