package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client is what an office's client does: every request carries an
// Idempotency-Key, and a request that timed out, failed to connect or got
// a 5xx or a 409 "still in flight" is sent again with the same key, to
// the other api replica.
type client struct {
	apis              []string // base URLs
	http              *http.Client
	run               string // makes the keys of this run unique
	next              atomic.Uint64
	retries, timeouts atomic.Int64
	inFlight          atomic.Int64 // answers 409 idempotency_key_in_flight
	longest           atomic.Int64 // the longest a request took to be answered, in ms
}

type answer struct {
	status int
	body   []byte
}

// call sends the request until it gets an answer that is not worth
// retrying, or ctx ends.
func (c *client) call(ctx context.Context, method, path, token, key string, body any) (answer, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return answer{}, err
		}
	}
	start := time.Now()
	defer func() {
		ms := time.Since(start).Milliseconds()
		for {
			old := c.longest.Load()
			if ms <= old || c.longest.CompareAndSwap(old, ms) {
				return
			}
		}
	}()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.retries.Add(1)
			select {
			case <-ctx.Done():
				return answer{}, ctx.Err()
			case <-time.After(min(time.Duration(attempt)*200*time.Millisecond, 2*time.Second)):
			}
		}
		base := c.apis[c.next.Add(1)%uint64(len(c.apis))]
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(raw))
		if err != nil {
			return answer{}, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", c.run+"-"+key)
		}
		res, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return answer{}, ctx.Err()
			}
			var ue *url.Error
			if errors.As(err, &ue) && ue.Timeout() {
				c.timeouts.Add(1)
			}
			continue
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			continue
		}
		a := answer{status: res.StatusCode, body: b}
		if res.StatusCode == http.StatusConflict && bytes.Contains(b, []byte("idempotency_key_in_flight")) {
			// The first request holds the key: still running, or its
			// process died (then a retry takes the key over once its lease lapses, store.LeaseLost).
			c.inFlight.Add(1)
			continue
		}
		if res.StatusCode >= 500 {
			continue
		}
		return a, nil
	}
}

// driver submits drafts as an officer and decides them as the department
// head and the confidentiality reviewer, through the API, and remembers
// every answer 2xx: what the system promised.
type driver struct {
	c                  *client
	officer, head, sec string // tokens
	mu                 sync.Mutex
	accepted           map[int64]int // draft id -> index submitted
	acceptedAt         map[int64]time.Time
	decided            map[[2]int64]bool // (draft, stage number) answered 200
	lost               map[int64]bool    // drafts answered 2xx that the system no longer knows
	// refused counts the 409s per (draft, stage, revision): a person who
	// is told the draft moved reloads and decides again on a new form,
	// with a new Idempotency-Key (the old key keeps its 409).
	refused map[[3]int64]int
	// conflictCodes counts the 409s by their error code.
	conflictCodes        map[string]int
	submitted, conflicts atomic.Int64
	scheduled            atomic.Int64
	// scheduleAhead: every tenth draft asks to be published this long
	// after its submission (定时发布), released by the schedulers of the
	// two relays.
	scheduleAhead time.Duration
	unexpected    []string
	// returned are the drafts the head returned (answered 200), which
	// the officer revises (revise).
	returned map[int64]bool
	revise   chan int64
	revised  atomic.Int64
}

func newDriver(c *client, officer, head, sec string) *driver {
	return &driver{c: c, officer: officer, head: head, sec: sec,
		accepted: map[int64]int{}, acceptedAt: map[int64]time.Time{}, decided: map[[2]int64]bool{}, lost: map[int64]bool{}, refused: map[[3]int64]int{}, conflictCodes: map[string]int{},
		returned: map[int64]bool{}, revise: make(chan int64, 1024)}
}

func (d *driver) fail(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.unexpected) < 50 {
		d.unexpected = append(d.unexpected, fmt.Sprintf(format, args...))
	}
}

func draftBody(i int) map[string]any {
	return map[string]any{
		"title":      fmt.Sprintf("关于辖区环境整治专项检查情况的通报（第%d期）", i+1),
		"body":       fmt.Sprintf("为进一步做好辖区环境整治工作，街道办事处于本月组织开展了第%d次专项检查，现将有关情况通报如下。各社区要对照问题清单逐项整改，按时报送整改情况。", i+1),
		"department": "综合办", "category": "news", "channels": []string{"website"}, "formed_on": time.Now().Format(time.DateOnly),
	}
}

// submit submits n drafts, paced over the given time, conc at once.
func (d *driver) submit(ctx context.Context, n, conc int, over time.Duration) {
	d.submitFrom(ctx, 0, n, conc, over)
}

// submitFrom submits drafts first to first+n-1; a request already sent
// when ctx ends is still answered (its retries are bounded by the client).
func (d *driver) submitFrom(ctx context.Context, first, n, conc int, over time.Duration) {
	idx := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				body := draftBody(i)
				if i%10 == 9 && d.scheduleAhead > 0 {
					body["publish_at"] = time.Now().Add(d.scheduleAhead).Format(time.RFC3339)
				}
				a, err := d.c.call(ctx, http.MethodPost, "/api/v1/drafts", d.officer, fmt.Sprintf("draft-%d", i), body)
				if err != nil {
					return
				}
				// A fault can hold the client's retries of one request past
				// the publication time it asked for; the server is right to
				// refuse it then, and the officer would pick a new time and
				// submit again, as a new request.
				for try := 1; a.status == http.StatusUnprocessableEntity && body["publish_at"] != nil &&
					strings.Contains(string(a.body), `"invalid_publish_at"`) && try <= 3; try++ {
					body["publish_at"] = time.Now().Add(d.scheduleAhead).Format(time.RFC3339)
					if a, err = d.c.call(ctx, http.MethodPost, "/api/v1/drafts", d.officer, fmt.Sprintf("draft-%d-again-%d", i, try), body); err != nil {
						return
					}
				}
				if a.status != http.StatusCreated {
					d.fail("submitting draft %d: %d %s", i, a.status, a.body)
					continue
				}
				var out struct {
					ID int64 `json:"id"`
				}
				if err := json.Unmarshal(a.body, &out); err != nil || out.ID == 0 {
					d.fail("submitting draft %d: no id in %s", i, a.body)
					continue
				}
				d.mu.Lock()
				d.accepted[out.ID] = i
				d.acceptedAt[out.ID] = time.Now()
				d.mu.Unlock()
				d.submitted.Add(1)
				if body["publish_at"] != nil {
					d.scheduled.Add(1)
				}
			}
		}()
	}
	every := over / time.Duration(max(n, 1))
	t := time.NewTicker(max(every, time.Millisecond))
	for i := range n {
		select {
		case <-ctx.Done():
		case idx <- first + i:
			<-t.C
			continue
		}
		break
	}
	t.Stop()
	close(idx)
	wg.Wait()
}

type queueItem struct {
	ID       int64 `json:"id"`
	Revision int   `json:"revision"`
}

// review works one stage's queue until ctx ends: it reads the queue and
// approves what it finds.
func (d *driver) review(ctx context.Context, stage string, stageNo int64, token string, deciders int) {
	work := make(chan queueItem)
	var wg sync.WaitGroup
	for range deciders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				body := map[string]any{"stage": stage, "revision": it.Revision, "decision": "approve"}
				returning := stageNo == 2 && it.Revision == 1 && it.ID%returnEvery == 0
				if returning {
					body["decision"], body["comment"] = "return", "请补充整改时限。"
				}
				form := [3]int64{it.ID, stageNo, int64(it.Revision)}
				d.mu.Lock()
				n := d.refused[form]
				d.mu.Unlock()
				a, err := d.c.call(ctx, http.MethodPost, fmt.Sprintf("/api/v1/drafts/%d/decisions", it.ID), token,
					fmt.Sprintf("decide-%d-%s-%d-%d", it.ID, stage, it.Revision, n), body)
				if err != nil {
					continue
				}
				switch a.status {
				case http.StatusOK:
					d.mu.Lock()
					if returning {
						d.returned[it.ID] = true
					} else {
						d.decided[[2]int64{it.ID, stageNo}] = true
					}
					d.mu.Unlock()
					if returning {
						// Sent twice (a draft returned again after the
						// restore), the revision's key replays its answer.
						d.revise <- it.ID
					}
				case http.StatusConflict:
					// Stale: the draft was elsewhere (a machine step lost in a
					// database crash and redone, say). Seen again in the
					// queue, it is decided again on a new form.
					d.conflicts.Add(1)
					var e struct {
						Error struct {
							Code string `json:"code"`
						} `json:"error"`
					}
					_ = json.Unmarshal(a.body, &e)
					d.mu.Lock()
					d.refused[form]++
					d.conflictCodes[e.Error.Code]++
					d.mu.Unlock()
				case http.StatusNotFound:
					d.mu.Lock()
					d.lost[it.ID] = true
					d.mu.Unlock()
				default:
					d.fail("deciding draft %d at %s: %d %s", it.ID, stage, a.status, a.body)
				}
			}
		}()
	}
	path := "/api/v1/queue?" + url.Values{"stage": {stage}, "limit": {"200"}}.Encode()
	for ctx.Err() == nil {
		a, err := d.c.call(ctx, http.MethodGet, path, token, "", nil)
		if err != nil {
			break
		}
		var page struct {
			Items []queueItem `json:"items"`
		}
		if a.status != http.StatusOK || json.Unmarshal(a.body, &page) != nil {
			d.fail("reading the %s queue: %d %s", stage, a.status, a.body)
			time.Sleep(time.Second)
			continue
		}
		for _, it := range page.Items {
			select {
			case work <- it:
			case <-ctx.Done():
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
	close(work)
	wg.Wait()
}

// reviseReturned has the officer revise each draft the head returned:
// the same title, the body completed as asked, as revision 2.
func (d *driver) reviseReturned(ctx context.Context) {
	for {
		var id int64
		select {
		case <-ctx.Done():
			return
		case id = <-d.revise:
		}
		// The submission's answer may still be on its way (a retried
		// request): its index names the draft's text.
		var i int
		for wait := 0; ; wait++ {
			d.mu.Lock()
			n, ok := d.accepted[id]
			d.mu.Unlock()
			if ok {
				i = n
				break
			}
			if wait == 600 || ctx.Err() != nil {
				d.fail("revising draft %d: its submission was never answered", id)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		body := draftBody(i)
		body["body"] = body["body"].(string) + "整改时限为本月底前。"
		a, err := d.c.call(ctx, http.MethodPut, fmt.Sprintf("/api/v1/drafts/%d", id), d.officer, fmt.Sprintf("revise-%d", id), body)
		if err != nil {
			return
		}
		if a.status != http.StatusOK && a.status != http.StatusCreated {
			d.fail("revising returned draft %d: %d %s", id, a.status, a.body)
			continue
		}
		d.revised.Add(1)
	}
}

func (d *driver) ids() []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]int64, 0, len(d.accepted))
	for id := range d.accepted {
		out = append(out, id)
	}
	return out
}
