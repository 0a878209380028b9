// Package comparison measures the sensitive-word matcher against the Go
// Aho-Corasick libraries it was chosen over (BobuSumisu, cloudflare, coregx,
// petar-dambovaliev), on the workload of the matcher's own benchmarks
// (package benchcorpus): the figures of docs/performance.md.
//
// It is a module of its own, with a replace directive to the main module, so
// that the libraries are not requirements of the product and go test ./...
// of the main module does not run it. Run it from this directory (the Go
// proxy is all it needs):
//
//	cd internal/checks/words/comparison
//	go test -run=^$ -bench=. -benchmem           # one run takes ~20 s
//	go test -run=^$ -bench=. -benchmem -count=3  # what the table shows
//	go test                                      # TestLibrariesAgree: the comparison is fair
package comparison
