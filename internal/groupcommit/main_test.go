package groupcommit

import (
	"testing"

	"go.uber.org/goleak"
)

// testenv.Main would import the store, which imports this package.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
