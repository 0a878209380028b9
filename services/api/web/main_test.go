package web_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/sanshen-gov/sanshen/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, testenv.KnownGoroutines()...)
}
