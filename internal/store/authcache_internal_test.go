package store

import (
	"fmt"
	"testing"
	"time"
)

// AuthCacheOn reports whether s's auth cache is in use, for the tests in
// store_test: WatchAuth runs and its LISTEN is in place.
func AuthCacheOn(s *Store) bool {
	c := s.authCacheOf()
	if c == nil {
		return false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.on
}

// A lookup that read the database before a clear must not store what it read.
func TestAuthCacheDropsResultsFromBeforeAClear(t *testing.T) {
	t.Parallel()
	c := &authCache{}
	c.reset(true)
	_, gen, _ := c.get("k")
	c.reset(true) // a notification arrives while the lookup is in the database
	c.put(gen, "k", "old")
	if v, _, ok := c.get("k"); ok {
		t.Fatalf("stale result %v was stored after a clear", v)
	}
	_, gen, _ = c.get("k")
	c.put(gen, "k", "new")
	if v, _, ok := c.get("k"); !ok || v != "new" {
		t.Fatalf("get = %v, %v; want the value just stored", v, ok)
	}
}

func TestAuthCacheOffStoresNothing(t *testing.T) {
	t.Parallel()
	c := &authCache{}
	_, gen, _ := c.get("k")
	c.put(gen, "k", "v")
	if _, _, ok := c.get("k"); ok {
		t.Fatal("a cache never turned on stored an entry")
	}
	c.reset(true)
	_, gen, _ = c.get("k")
	c.put(gen, "k", "v")
	c.reset(false) // the LISTEN connection is lost
	if _, _, ok := c.get("k"); ok {
		t.Fatal("an entry survived the loss of the LISTEN")
	}
	var none *authCache // no WatchAuth
	none.put(0, "k", "v")
	if _, _, ok := none.get("k"); ok {
		t.Fatal("the nil cache returned an entry")
	}
}

func TestAuthCacheBounds(t *testing.T) {
	t.Parallel()
	c := &authCache{}
	c.reset(true)
	_, gen, _ := c.get("old")
	c.put(gen, "old", "v")
	e := c.entries["old"]
	e.at = time.Now().Add(-authMaxAge - time.Second)
	c.entries["old"] = e
	if _, _, ok := c.get("old"); ok {
		t.Fatal("an entry older than authMaxAge was served")
	}
	for i := range authMaxEntries + 1 {
		c.put(gen, fmt.Sprint(i), i)
	}
	if n := len(c.entries); n > authMaxEntries {
		t.Fatalf("%d entries kept, more than %d", n, authMaxEntries)
	}
	if v, _, ok := c.get(fmt.Sprint(authMaxEntries)); !ok || v != authMaxEntries {
		t.Fatalf("the latest entry is missing: %v, %v", v, ok)
	}
}

// SetSearchHitCap sets how many hits a search collects until the test
// ends. Only for tests that do not run in parallel.
func SetSearchHitCap(t *testing.T, n int) {
	was := searchHitCap
	searchHitCap = n
	t.Cleanup(func() { searchHitCap = was })
}

// SetWindowItems sets how many items a search's window spans until the
// test ends. Only for tests that do not run in parallel.
func SetWindowItems(t *testing.T, n float64) {
	was := windowItems
	windowItems = n
	t.Cleanup(func() { windowItems = was })
}

// SetTopicDirect sets how many items a topic may have for a search in it
// to read its hits at once, until the test ends. Only for tests that do
// not run in parallel.
func SetTopicDirect(t *testing.T, n int) {
	was := topicDirect
	topicDirect = n
	t.Cleanup(func() { topicDirect = was })
}

// DayKeys is dayKeys, for the tests.
var DayKeys = dayKeys
