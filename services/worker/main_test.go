package worker_test

import (
	"testing"

	"github.com/sanshen-gov/sanshen/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
