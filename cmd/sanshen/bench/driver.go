package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	mediasample "github.com/sanshen-gov/sanshen/internal/media/sample"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// person is a user of the benchmark's office, with the API token they act with.
type person struct {
	ID    int64
	Name  string
	Token string
}

// cast is everyone the bench acts as.
type cast struct {
	officers  map[string][]*person // by department
	heads     map[string][]*person // by department
	agencyOf  map[string]int64     // department -> its agency
	reviewers map[int64][]*person  // confidentiality, by agency
}

// benchActor sets the installation up, acting for agency agencyID, as the
// CLI does.
func benchActor(agencyID int64) domain.Actor {
	return domain.Actor{Name: "bench", AgencyID: agencyID, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
}

func addPerson(ctx context.Context, s *store.Store, agencyID int64, name string, role domain.Role, depts ...int64) (*person, error) {
	u, token, err := s.AddUser(ctx, benchActor(agencyID), store.NewUser{Name: name, Roles: []domain.Role{role}, Departments: depts})
	if err != nil {
		return nil, fmt.Errorf("error creating user %s: %w", name, err)
	}
	return &person{ID: u.ID, Name: name, Token: token}, nil
}

// tracked is what the bench knows of one submitted draft. The text is not
// kept (the corpus regenerates it), so the bench's own memory stays small
// next to sanshen's in the peak RSS.
type tracked struct {
	index  int // in the corpus
	author *person
	// title and body of the current revision once revised; empty until then.
	title, body string
	// returnedAt is the revision the confidentiality reviewer returned, 0
	// while they have not; a draft is returned at most once.
	returnedAt    int
	machineBlocks int
}

// queueItem is the part of GET /api/v1/queue the reviewers use.
type queueItem struct {
	ID       int64 `json:"id"`
	Revision int   `json:"revision"`
	Blocking int   `json:"blocking_findings"`
}

// driver plays the office: officers submit and revise, department heads and
// confidentiality reviewers work their queues, all through the HTTP API.
// The bench's own SQL only watches for the end and for returned drafts.
type driver struct {
	base   string
	client *http.Client
	db     *store.Store
	corpus *corpus
	cast   *cast
	o      Options

	mu      sync.Mutex
	drafts  map[int64]*tracked
	submitL []time.Duration
	decideL []time.Duration
	blocked map[string]int // finding codes that made stage 1 return a draft
	// returned carries (draft, revision) of returned drafts to their authors;
	// returnSeen makes sure each is revised once.
	returned   chan [2]int64
	returnSeen map[[2]int64]bool

	submitted      atomic.Int64
	bodyBytes      atomic.Int64
	decisions      atomic.Int64
	humanReturns   atomic.Int64
	machineReturns atomic.Int64
	overrides      atomic.Int64
	conflicts      atomic.Int64
	revisions      atomic.Int64
	queuePolls     atomic.Int64

	started, finished time.Time
	// media are the sums of the cover and the video uploaded once, which
	// every WeChat and Douyin draft carries (those channels require them).
	media map[domain.AttachmentRole]string
}

func newDriver(base string, db *store.Store, c *corpus, cs *cast, o Options) *driver {
	conns := 4 * o.Clients
	return &driver{base: base, db: db, corpus: c, cast: cs, o: o,
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}},
		drafts: map[int64]*tracked{}, blocked: map[string]int{},
		returned: make(chan [2]int64, queueLimit), returnSeen: map[[2]int64]bool{}}
}

// run submits every draft and plays the reviewers until every draft is
// published, a service fails, something unexpected is answered, or the
// timeout passes.
func (d *driver) run(ctx context.Context, sysErrs <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	if err := d.uploadMedia(ctx); err != nil {
		if ctx.Err() != nil { // the timeout passed while the files went up
			return d.timeoutError()
		}
		return err
	}
	g := newGroup(ctx)
	d.started = time.Now()

	// Officers.
	next := make(chan int)
	g.spawn(func(ctx context.Context, quit <-chan struct{}) error {
		defer close(next)
		var tick *time.Ticker
		if d.o.Rate > 0 {
			tick = time.NewTicker(time.Duration(float64(time.Second) / d.o.Rate))
			defer tick.Stop()
		}
		for i := range d.o.Drafts {
			if tick != nil {
				select {
				case <-tick.C:
				case <-quit:
					return nil
				}
			}
			select {
			case next <- i:
			case <-quit:
				return nil
			}
		}
		return nil
	})
	for range d.o.Clients {
		g.spawn(func(ctx context.Context, _ <-chan struct{}) error {
			for i := range next {
				if err := d.submit(ctx, i); err != nil {
					return err
				}
			}
			return nil
		})
	}

	// Department heads: each department's first head watches its queue and
	// hands items to the department's heads.
	for _, dep := range d.o.Departments {
		heads := d.cast.heads[dep]
		d.stage(g, domain.StageCompliance, heads[0], dep, heads)
	}
	// Confidentiality reviewers: one queue for every department of their agency.
	for _, revs := range d.cast.reviewers {
		d.stage(g, domain.StageConfidentiality, revs[0], "", revs)
	}
	// Authors of returned drafts.
	d.authors(g)

	// The end: every draft published.
	done := make(chan struct{})
	g.spawn(func(ctx context.Context, quit <-chan struct{}) error { return d.watch(ctx, quit, done, sysErrs) })
	err := g.wait(done)
	d.finished = time.Now()
	if err != nil {
		return err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return d.timeoutError()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("bench interrupted: %w", ctx.Err())
	}
	return nil
}

// submit posts draft i as an officer of its department.
func (d *driver) submit(ctx context.Context, i int) error {
	spec := d.corpus.draft(i)
	officers := d.cast.officers[spec.Department]
	author := officers[(i/len(d.o.Departments))%len(officers)]
	body := map[string]any{"title": spec.Title, "body": spec.Body, "department": spec.Department,
		"category": spec.Category, "channels": spec.Channels, "formed_on": spec.FormedOn, "attachments": d.attachments(spec)}
	var out struct {
		ID int64 `json:"id"`
	}
	start := time.Now()
	status, raw, err := d.call(ctx, http.MethodPost, "/api/v1/drafts", author, body, &out)
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return fmt.Errorf("submitting draft %d: status %d: %s", i, status, raw)
	}
	d.mu.Lock()
	d.submitL = append(d.submitL, time.Since(start))
	d.drafts[out.ID] = &tracked{index: i, author: author}
	d.mu.Unlock()
	d.submitted.Add(1)
	d.bodyBytes.Add(int64(len(spec.Body)))
	return nil
}

// queueLimit is how many items a reviewer's queue page shows.
const queueLimit = 500

// stage runs one queue: a poller reading it as watcher and handing new
// items to one goroutine per decider. The poller reloads only when less
// than a tenth of the page is still being decided, as people work through
// a page before reloading, so the queue query is not run for what they
// already have.
func (d *driver) stage(g *group, stage domain.Stage, watcher *person, department string, deciders []*person) {
	work := make(chan queueItem, queueLimit)
	var outstanding atomic.Int64
	g.spawn(func(ctx context.Context, quit <-chan struct{}) error {
		defer close(work)
		seen := map[[2]int64]bool{}
		q := url.Values{"stage": {string(stage)}, "limit": {fmt.Sprint(queueLimit)}}
		if department != "" {
			q.Set("department", department)
		}
		path := "/api/v1/queue?" + q.Encode()
		var last time.Time
		for !closed(quit) {
			if outstanding.Load() >= queueLimit/10 {
				sleep(quit, 2*time.Millisecond)
				continue
			}
			sleep(quit, pollEvery-time.Since(last))
			last = time.Now()
			var page struct {
				Items []queueItem `json:"items"`
			}
			status, raw, err := d.call(ctx, http.MethodGet, path, watcher, nil, &page)
			if err != nil {
				return err
			}
			if status != http.StatusOK {
				return fmt.Errorf("reading the %s queue: status %d: %s", stage, status, raw)
			}
			d.queuePolls.Add(1)
			fresh := 0
			for _, it := range page.Items {
				key := [2]int64{it.ID, int64(it.Revision)}
				if seen[key] || !d.known(it.ID) {
					continue
				}
				seen[key] = true
				fresh++
				outstanding.Add(1)
				select {
				case work <- it:
				case <-quit:
					return nil
				}
			}
			if fresh == 0 {
				sleep(quit, pollIdle)
			}
		}
		return nil
	})
	for _, p := range deciders {
		g.spawn(func(ctx context.Context, quit <-chan struct{}) error {
			for it := range work {
				err := d.decide(ctx, quit, stage, p, it)
				outstanding.Add(-1)
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func (d *driver) known(id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.drafts[id] != nil
}

// decide approves an item, or returns it once at confidentiality when the
// corpus says so; an item with a blocking finding is approved with the
// override comment the rules require, and counted.
func (d *driver) decide(ctx context.Context, quit <-chan struct{}, stage domain.Stage, p *person, it queueItem) error {
	body := map[string]any{"stage": string(stage), "revision": it.Revision, "decision": string(domain.DecisionApprove)}
	ret := false
	if stage == domain.StageConfidentiality {
		// Marked before the request: the author may see the draft returned
		// before the answer arrives, and must know it was a person's return.
		d.mu.Lock()
		t := d.drafts[it.ID]
		if ret = d.corpus.returns[t.index] && t.returnedAt == 0; ret {
			t.returnedAt = it.Revision
		}
		d.mu.Unlock()
	}
	switch {
	case ret:
		body["decision"] = string(domain.DecisionReturn)
		body["comment"] = "请核实第二段所列数据的统计口径，并补充说明资料来源。"
	case it.Blocking > 0:
		body["comment"] = "已人工核对机器检查的阻断项，确认不涉及不予公开的内容。"
		d.overrides.Add(1)
	}
	start := time.Now()
	status, raw, err := d.call(ctx, http.MethodPost, fmt.Sprintf("/api/v1/drafts/%d/decisions", it.ID), p, body, nil)
	if err != nil {
		return err
	}
	took := time.Since(start)
	if ret && status != http.StatusOK {
		d.mu.Lock()
		d.drafts[it.ID].returnedAt = 0
		d.mu.Unlock()
	}
	switch status {
	case http.StatusOK:
	case http.StatusConflict:
		// The draft moved on meanwhile (a stale queue page): a person would reload.
		d.conflicts.Add(1)
		return nil
	default:
		return fmt.Errorf("deciding draft %d at %s as %s: status %d: %s", it.ID, stage, p.Name, status, raw)
	}
	d.mu.Lock()
	d.decideL = append(d.decideL, took)
	d.mu.Unlock()
	d.decisions.Add(1)
	if ret {
		d.humanReturns.Add(1)
		d.handOver(quit, [2]int64{it.ID, int64(it.Revision)})
	}
	return nil
}

// authors revise their returned drafts. A draft the reviewer returned is
// handed over by the reviewer's goroutine and gets a sentence added; one the
// stage 1 checks returned is found by a slow poll of the database (a
// person noticing it in their list) and has the flagged text removed, as
// its author would, and is counted with the codes that blocked it.
func (d *driver) authors(g *group) {
	g.spawn(func(ctx context.Context, quit <-chan struct{}) error {
		for !closed(quit) {
			sleep(quit, time.Second)
			rows, _ := d.db.Pool.Query(ctx, `SELECT id, revision FROM drafts WHERE state = 'returned'`)
			var ids [][2]int64
			for rows.Next() {
				var k [2]int64
				if err := rows.Scan(&k[0], &k[1]); err != nil {
					rows.Close()
					return fmt.Errorf("error reading returned drafts: %w", err)
				}
				ids = append(ids, k)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("error reading returned drafts: %w", err)
			}
			for _, k := range ids {
				if d.known(k[0]) {
					d.handOver(quit, k)
				}
			}
		}
		return nil
	})
	for range max(2, d.o.Clients/4) {
		g.spawn(func(ctx context.Context, quit <-chan struct{}) error {
			for {
				select {
				case <-quit:
					return nil
				case k := <-d.returned:
					if err := d.revise(ctx, k[0], int(k[1])); err != nil {
						return err
					}
				}
			}
		})
	}
}

// handOver gives a returned draft's revision to its author, once.
func (d *driver) handOver(quit <-chan struct{}, k [2]int64) {
	d.mu.Lock()
	seen := d.returnSeen[k]
	d.returnSeen[k] = true
	d.mu.Unlock()
	if seen {
		return
	}
	select {
	case d.returned <- k:
	case <-quit:
	}
}

// maxMachineBlocks bounds how often stage 1 may return one draft before the
// bench gives up on its corpus: past that the generated text itself fails
// the checks, and the run says which codes.
const maxMachineBlocks = 3

func (d *driver) revise(ctx context.Context, id int64, rev int) error {
	d.mu.Lock()
	t := d.drafts[id]
	human := t.returnedAt == rev
	body, title := t.body, t.title
	d.mu.Unlock()
	spec := d.corpus.draft(t.index)
	if body == "" {
		body, title = spec.Body, spec.Title
	}
	if human {
		body = revised(body, rev)
	} else {
		var det struct {
			Findings []store.Finding `json:"findings"`
		}
		status, raw, err := d.call(ctx, http.MethodGet, fmt.Sprintf("/api/v1/drafts/%d", id), t.author, nil, &det)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("reading returned draft %d: status %d: %s", id, status, raw)
		}
		var codes []string
		var spans [][2]int
		for _, f := range det.Findings {
			if f.Revision != rev || f.Severity != domain.SeverityBlock {
				continue
			}
			codes = append(codes, f.Code)
			switch f.Field {
			case "body":
				spans = append(spans, [2]int{f.Start, f.End})
			case "title":
				title = "街道办事处工作信息公开（修订稿）"
			}
		}
		d.mu.Lock()
		t.machineBlocks++
		blocks := t.machineBlocks
		for _, c := range codes {
			d.blocked[c]++
		}
		d.mu.Unlock()
		d.machineReturns.Add(1)
		if blocks > maxMachineBlocks {
			return fmt.Errorf("draft %d (corpus #%d, %s) was returned by the stage 1 checks %d times; blocking codes %v: the generated text no longer passes the machine checks",
				id, t.index, spec.Category, blocks, codes)
		}
		body = cut(body, spans)
	}
	in := map[string]any{"title": title, "body": body, "department": spec.Department,
		"category": spec.Category, "channels": spec.Channels, "formed_on": spec.FormedOn, "attachments": d.attachments(spec)}
	status, raw, err := d.call(ctx, http.MethodPut, fmt.Sprintf("/api/v1/drafts/%d", id), t.author, in, nil)
	if err != nil {
		return err
	}
	switch status {
	case http.StatusOK:
	case http.StatusConflict:
		d.conflicts.Add(1)
		return nil
	default:
		return fmt.Errorf("revising draft %d: status %d: %s", id, status, raw)
	}
	d.mu.Lock()
	t.body, t.title = body, title
	d.mu.Unlock()
	d.revisions.Add(1)
	return nil
}

// cut removes rune spans from s (a finding's Start/End); overlapping and
// out-of-range spans are tolerated.
func cut(s string, spans [][2]int) string {
	rs := []rune(s)
	drop := make([]bool, len(rs))
	for _, sp := range spans {
		for i := max(sp[0], 0); i < min(sp[1], len(rs)); i++ {
			drop[i] = true
		}
	}
	var b strings.Builder
	for i, r := range rs {
		if !drop[i] {
			b.WriteRune(r)
		}
	}
	if strings.TrimSpace(b.String()) == "" {
		return s
	}
	return b.String()
}

// watch ends the run when every draft is published, and fails it when a
// draft is rejected or withdrawn (the bench never does either) or a service
// stops. It counts published drafts once a second, through their partial
// index, and every state (a scan of the table) only every few seconds, for
// the progress line: the bench's own queries must not weigh on what it
// measures. (The run's times come from the audit trail, so noticing the end
// later changes no figure.)
func (d *driver) watch(ctx context.Context, quit <-chan struct{}, done chan<- struct{}, sysErrs <-chan error) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastReport := time.Now()
	for {
		select {
		case <-quit:
			return nil
		case err := <-sysErrs:
			return fmt.Errorf("a sanshen service stopped during the bench: %w", err)
		case <-tick.C:
		}
		var published int
		if err := d.db.Pool.QueryRow(ctx, `SELECT count(*) FROM drafts WHERE state = 'published'`).Scan(&published); err != nil {
			return fmt.Errorf("error counting published drafts: %w", err)
		}
		if int(d.submitted.Load()) == d.o.Drafts && published == d.o.Drafts {
			close(done)
			return nil
		}
		if time.Since(lastReport) < 5*time.Second {
			continue
		}
		lastReport = time.Now()
		counts, err := d.states(ctx)
		if err != nil {
			return err
		}
		if n := counts[domain.StateRejected] + counts[domain.StateWithdrawn]; n > 0 {
			return fmt.Errorf("%d draft(s) ended rejected or withdrawn, which the bench never asks for", n)
		}
		if d.o.Progress != nil {
			fmt.Fprintf(d.o.Progress, "bench: %5.0fs submitted %d/%d, %s\n", time.Since(d.started).Seconds(),
				d.submitted.Load(), d.o.Drafts, formatStates(counts))
		}
	}
}

// states counts the drafts in each state.
func (d *driver) states(ctx context.Context) (map[domain.State]int, error) {
	rows, _ := d.db.Pool.Query(ctx, `SELECT state, count(*) FROM drafts GROUP BY state`)
	defer rows.Close()
	out := map[domain.State]int{}
	for rows.Next() {
		var s domain.State
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("error counting drafts: %w", err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error counting drafts: %w", err)
	}
	return out, nil
}

func formatStates(counts map[domain.State]int) string {
	var parts []string
	for _, s := range domain.States() {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
		}
	}
	if len(parts) == 0 {
		return "no drafts yet"
	}
	return strings.Join(parts, ", ")
}

func (d *driver) timeoutError() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	counts, err := d.states(ctx)
	where := formatStates(counts)
	if err != nil {
		where = err.Error()
	}
	var dead int
	_ = d.db.Pool.QueryRow(ctx, `SELECT count(*) FROM dead_letters`).Scan(&dead)
	return fmt.Errorf("bench timed out after %s (-timeout): %d of %d drafts submitted, %d published; drafts: %s; dead letters: %d",
		d.o.Timeout, d.submitted.Load(), d.o.Drafts, counts[domain.StatePublished], where, dead)
}

// call sends one API request as who and decodes a 2xx answer into out.
func (d *driver) call(ctx context.Context, method, path string, who *person, body, out any) (int, []byte, error) {
	var rd io.Reader
	ctype := "application/json"
	if raw, ok := body.([]byte); ok {
		rd, ctype = bytes.NewReader(raw), "application/octet-stream"
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("error encoding a request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("error making a request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+who.Token)
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := d.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("error calling %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("error reading the answer to %s %s: %w", method, path, err)
	}
	if out != nil && res.StatusCode/100 == 2 {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, raw, fmt.Errorf("error decoding the answer to %s %s: %w", method, path, err)
		}
	}
	return res.StatusCode, raw, nil
}

// uploadMedia uploads the cover and the video the platform drafts carry,
// once, as an officer of the agency.
func (d *driver) uploadMedia(ctx context.Context) error {
	var who *person
	for _, os := range d.cast.officers {
		if len(os) > 0 {
			who = os[0]
			break
		}
	}
	if who == nil {
		return errors.New("the bench has no officer to upload its media")
	}
	d.media = map[domain.AttachmentRole]string{}
	for role, f := range map[domain.AttachmentRole]struct {
		name string
		data []byte
	}{domain.RoleCover: {"封面.jpg", mediasample.JPEG(900, 383, 90)}, domain.RoleVideo: {"视频.mp4", mediasample.MP4(45*time.Second, 720, 1280, 0)}} {
		var out struct {
			SHA256 string `json:"sha256"`
		}
		status, raw, err := d.call(ctx, http.MethodPost, "/api/v1/files?name="+url.QueryEscape(f.name), who, f.data, &out)
		if err != nil {
			return err
		}
		if status != http.StatusCreated && status != http.StatusOK {
			return fmt.Errorf("uploading the bench's %s: status %d: %s", f.name, status, raw)
		}
		d.media[role] = out.SHA256
	}
	return nil
}

// attachments are a draft's files: the cover for WeChat, the video for
// Douyin, by the names uploadMedia gave them.
func (d *driver) attachments(spec draftSpec) []map[string]string {
	var out []map[string]string
	if slices.Contains(spec.Channels, string(domain.ChannelWeChat)) {
		out = append(out, map[string]string{"name": "封面.jpg", "sha256": d.media[domain.RoleCover], "role": string(domain.RoleCover)})
	}
	if slices.Contains(spec.Channels, string(domain.ChannelDouyin)) {
		out = append(out, map[string]string{"name": "视频.mp4", "sha256": d.media[domain.RoleVideo], "role": string(domain.RoleVideo)})
	}
	return out
}

// pollIdle is how long a queue (or an author's list) rests after a
// reload that showed nothing new: a page refreshing ten times a second.
// pollEvery is the least time between two loads of one queue: a person
// works through what a page shows before reloading, and 4 loads a second
// is still far faster than anyone reads.
const (
	pollIdle  = 100 * time.Millisecond
	pollEvery = 250 * time.Millisecond
)

// sleep waits for d or until quit is closed.
func sleep(quit <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-quit:
	case <-t.C:
	}
}

func closed(quit <-chan struct{}) bool {
	select {
	case <-quit:
		return true
	default:
		return false
	}
}

// group runs the driver's goroutines. Each gets a context for its requests,
// cancelled on the first error or at the timeout, and a quit channel,
// closed as well when the run is done, at which loops stop between
// requests: a finished run lets requests in flight complete instead of
// cutting them off. Errors after quit are not failures and are dropped.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	quit   chan struct{}
	qonce  sync.Once
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

func newGroup(ctx context.Context) *group {
	g := &group{quit: make(chan struct{})}
	g.ctx, g.cancel = context.WithCancel(ctx)
	context.AfterFunc(g.ctx, g.stop)
	return g
}

func (g *group) stop() { g.qonce.Do(func() { close(g.quit) }) }

func (g *group) spawn(fn func(ctx context.Context, quit <-chan struct{}) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(g.ctx, g.quit); err != nil && !closed(g.quit) && g.ctx.Err() == nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

// wait returns when done is closed (success), the context ends, or a
// goroutine fails; it then stops the others and waits for them.
func (g *group) wait(done <-chan struct{}) error {
	select {
	case <-done:
	case <-g.quit:
	}
	g.stop()
	g.wg.Wait()
	g.cancel()
	return g.err
}

// percentiles summarises durations in milliseconds.
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) float64 { // nearest rank
		i := int(math.Ceil(q*float64(len(s)))) - 1
		i = min(max(i, 0), len(s)-1)
		return float64(s[i]) / float64(time.Millisecond)
	}
	return Percentiles{Count: len(s), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: float64(s[len(s)-1]) / float64(time.Millisecond)}
}
