package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/testenv"
)

func TestCheckSchemaRefusesOldSchema(t *testing.T) {
	t.Parallel()
	s := testenv.Store(t)
	ctx := context.Background()
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("migrated database refused: %v", err)
	}
	// Pretend the last migration was never applied.
	if _, err := s.Pool.Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	err := s.CheckSchema(ctx)
	if err == nil || !strings.Contains(err.Error(), "sanshen migrate") {
		t.Fatalf("old schema accepted or unclear: %v", err)
	}
}
