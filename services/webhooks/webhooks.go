// Package webhooks sends the drafts' state changes to another system (an
// OA system, a records system) as signed HTTP POSTs, in the order of the
// transparency log, each until it is accepted. An event's id is stable, so
// a receiver that deduplicates by it gets each event exactly once; the
// contract is the OpenAPI document's webhook stateChange.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/store"
)

// Event is what a receiver gets: one state change of a draft.
type Event struct {
	ID       string    `json:"id"`   // stable: the installation's log origin and the event's sequence number
	Type     string    `json:"type"` // "draft." + the action: draft.submit, draft.approve, draft.channel_delivered…
	Leaf     int64     `json:"leaf"` // its place in the transparency log: the events come in this order
	DraftID  int64     `json:"draft_id"`
	AgencyID int64     `json:"agency_id,omitempty"`
	Revision int       `json:"revision"`
	Stage    string    `json:"stage,omitempty"`
	Action   string    `json:"action"`
	Reason   string    `json:"reason,omitempty"`
	Actor    string    `json:"actor"`
	Role     string    `json:"role"`
	At       time.Time `json:"at"`
}

// Dispatcher delivers the events to URL, signed with Secret.
type Dispatcher struct {
	Store  *store.Store
	URL    string
	Secret []byte
	// Origin names the installation in event ids (the transparency log's
	// origin).
	Origin string
	HTTP   *http.Client  // nil: a client with a 10 s timeout
	Poll   time.Duration // how often to look for new events (default 1 s)
	Log    *slog.Logger
}

// maxBackoff bounds the wait between attempts while the receiver fails.
const maxBackoff = 5 * time.Minute

// Run delivers until ctx ends. While the receiver fails, the same event is
// tried again after a backoff doubling from the poll interval to five
// minutes; the events after it wait, so the order holds.
func (d *Dispatcher) Run(ctx context.Context) error {
	if err := d.Store.StartWebhooks(ctx); err != nil {
		return err
	}
	poll := d.Poll
	if poll <= 0 {
		poll = time.Second
	}
	wait := poll
	d.Log.Info("webhooks started", "url", redact(d.URL))
	for {
		_, failed, err := d.Round(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			d.Log.Warn("webhook round failed", "err", err)
			wait = min(2*wait, maxBackoff)
		case failed:
			wait = min(2*wait, maxBackoff)
		default:
			wait = poll
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// Round delivers the next events, up to 50; failed reports that the
// receiver refused or could not be reached.
func (d *Dispatcher) Round(ctx context.Context) (delivered int, failed bool, err error) {
	_, n, err := d.Store.WebhookRound(ctx, 50, func(evs []store.WebhookEvent) (int, []store.WebhookDelivery) {
		var log []store.WebhookDelivery
		for i, e := range evs {
			id, ok := strings.CutPrefix(e.Chain, "draft/")
			if !ok {
				continue // not a draft's: nothing to send, passed over
			}
			ev := Event{ID: fmt.Sprintf("%s:%d", d.Origin, e.Seq), Type: "draft." + e.Action, Leaf: e.Leaf, Revision: e.Revision,
				Stage: e.Stage, Action: e.Action, Reason: e.Reason, Actor: e.Actor, Role: e.Role, At: e.At.UTC()}
			ev.DraftID, _ = strconv.ParseInt(id, 10, 64)
			if e.AgencyID != nil {
				ev.AgencyID = *e.AgencyID
			}
			status, err := d.post(ctx, ev)
			rec := store.WebhookDelivery{Leaf: e.Leaf, EventID: ev.ID, EventType: ev.Type, URL: redact(d.URL), Status: status, OK: err == nil}
			if err != nil {
				rec.Error = err.Error()
				failed = true
				return i, append(log, rec)
			}
			log = append(log, rec)
		}
		return len(evs), log
	})
	return n, failed, err
}

// post sends one event, signed: X-Sanshen-Signature is "sha256=" and the
// hex HMAC-SHA256, keyed by the secret, of the timestamp, a dot and the
// body. Only a 2xx answer counts as delivered.
func (d *Dispatcher) post(ctx context.Context, ev Event) (int, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("error making the webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Sanshen-Event-Id", ev.ID)
	req.Header.Set("X-Sanshen-Timestamp", ts)
	req.Header.Set("X-Sanshen-Signature", "sha256="+Sign(d.Secret, ts, body))
	hc := d.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("error sending the webhook: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return res.StatusCode, fmt.Errorf("the receiver answered %s", res.Status)
	}
	return res.StatusCode, nil
}

// Sign is the signature of a webhook request: the hex HMAC-SHA256 of the
// timestamp, a dot and the body, keyed by the secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// redact drops a URL's query and user info, which may hold a credential.
func redact(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if at := strings.Index(u, "@"); at >= 0 {
		if s := strings.Index(u, "://"); s >= 0 && s < at {
			u = u[:s+3] + u[at+1:]
		}
	}
	return u
}
