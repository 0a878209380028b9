package store

import (
	"context"
	"slices"
	"sync"
	"time"
)

// AuthChannel is notified (by triggers, migrations 006 and 009) whenever
// users, api_tokens, departments or the policy change, however they are
// changed.
const AuthChannel = "sanshen_auth"

const (
	// authMaxAge bounds how long an entry is trusted, should a LISTEN
	// connection die without the client noticing.
	authMaxAge = 5 * time.Minute
	// authMaxEntries bounds memory: past it the cache starts over.
	authMaxEntries = 10_000
)

// authCache remembers token hash → User, department name → Department and
// the policy.
// It is only trusted while a LISTEN on AuthChannel is in place; every
// notification, and the loss of that connection, clears it.
type authCache struct {
	mu      sync.RWMutex
	on      bool   // a LISTEN is in place
	gen     uint64 // bumped on every clear
	entries map[string]authEntry
}

type authEntry struct {
	val any // User, Department or domain.Policy
	at  time.Time
}

// WatchAuth enables the cache of UserByToken and DepartmentByName and keeps
// it current by listening on AuthChannel until ctx ends. The cache is off,
// and every lookup goes to the database, whenever that LISTEN is not in place.
func (s *Store) WatchAuth(ctx context.Context) {
	c := &authCache{}
	if !s.auth.CompareAndSwap(nil, c) {
		s.log.Warn("WatchAuth is already running for this store")
		return
	}
	defer s.auth.Store(nil)
	// Cleared when the LISTEN comes up too: what was read before it may
	// have changed unannounced.
	s.listen(ctx, AuthChannel, nil, c.reset, func(string) { c.reset(true) })
}

// authCacheOf is s's cache, or nil (which caches nothing) when no
// WatchAuth runs: a cache exists only as long as its WatchAuth.
func (s *Store) authCacheOf() *authCache { return s.auth.Load() }

// reset forgets everything and turns the cache on or off. Bumping gen stops
// lookups already under way from storing what they read before.
func (c *authCache) reset(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on, c.gen, c.entries = on, c.gen+1, nil
}

// get returns the entry for key if there is a fresh one, and the generation
// to hand to put after reading the database.
func (c *authCache) get(key string) (val any, gen uint64, ok bool) {
	if c == nil {
		return nil, 0, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[key]
	if !ok || !c.on || time.Since(e.at) > authMaxAge {
		return nil, c.gen, false
	}
	return e.val, c.gen, true
}

// put stores val unless the cache was cleared (or turned off) since the
// get that returned gen: then val may predate a change.
func (c *authCache) put(gen uint64, key string, val any) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on || c.gen != gen {
		return
	}
	if c.entries == nil || len(c.entries) >= authMaxEntries {
		c.entries = make(map[string]authEntry)
	}
	c.entries[key] = authEntry{val: val, at: time.Now()}
}

// clone copies the slices, so a caller that edits its User cannot edit
// the cached one.
func (u User) clone() User {
	u.Roles = slices.Clone(u.Roles)
	u.Departments = slices.Clone(u.Departments)
	return u
}
