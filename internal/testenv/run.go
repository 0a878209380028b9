package testenv

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Main is every package's TestMain: run the tests, then fail if a goroutine
// of ours is still running (a consumer not stopped, a listener left open).
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	goleak.VerifyTestMain(m, KnownGoroutines()...)
}

// Eventually polls cond every 10 ms until it holds, and fails the test
// naming what it waited for after a generous deadline (30 s: a slow CI
// machine under -race, never a timing assertion).
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
