package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AllowAddress records an event of scope from the client address addr
// and reports whether it is within max in the last per; an event over the
// limit is not recorded. Every replica counts in the same table, under an
// advisory lock of the address, so two requests at once cannot both take
// the last place.
func (s *Store) AllowAddress(ctx context.Context, scope, addr string, max int, per time.Duration) (bool, error) {
	allowed := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('address ' || $1 || ' ' || $2, 0))`, scope, addr); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM address_events WHERE scope = $1 AND addr = $2 AND at > now() - make_interval(secs => $3)`,
			scope, addr, per.Seconds()).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return nil
		}
		allowed = true
		_, err := tx.Exec(ctx, `INSERT INTO address_events (scope, addr) VALUES ($1, $2)`, scope, addr)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("error counting the requests of an address: %w", err)
	}
	return allowed, nil
}

// ForgetAddressEvents deletes the rate limits' events older than a day;
// the lifecycle's daily sweep calls it.
func (s *Store) ForgetAddressEvents(ctx context.Context) (int64, error) {
	ct, err := s.Pool.Exec(ctx, `DELETE FROM address_events WHERE at < now() - interval '1 day'`)
	if err != nil {
		return 0, fmt.Errorf("error forgetting old rate-limit events: %w", err)
	}
	return ct.RowsAffected(), nil
}
