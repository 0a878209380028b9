package douyin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ScopeCreate is the scope the v1 publish API needs; client_token cannot publish.
const ScopeCreate = "video.create.bind"

// refreshMargin refreshes an access token this long before it expires, so
// a call never starts with a token about to lapse.
const refreshMargin = 5 * time.Minute

// Tokens is one Douyin user's authorisation of the app: what a Store
// persists so that sanshen keeps publishing across restarts.
type Tokens struct {
	AccessToken      string    `json:"access_token"` // "act.…", 15 days
	AccessExpiresAt  time.Time `json:"access_expires_at"`
	RefreshToken     string    `json:"refresh_token"` // 30 days; refreshing does not extend it
	RefreshExpiresAt time.Time `json:"refresh_expires_at"`
	OpenID           string    `json:"open_id"`
	Scope            string    `json:"scope"`
}

// ErrNoTokens is what a Store's Load returns before the first authorisation.
var ErrNoTokens = errors.New("no Douyin authorisation stored")

// Store persists the token set (sanshen will keep it in PostgreSQL), so a
// refreshed token survives a restart and every worker uses the same one.
type Store interface {
	Load(ctx context.Context) (Tokens, error) // ErrNoTokens when there is none
	Save(ctx context.Context, t Tokens) error
}

// MemoryStore is a Store in memory, for tests and demos.
type MemoryStore struct {
	mu sync.Mutex
	t  *Tokens
}

// Load returns the saved tokens, or ErrNoTokens.
func (m *MemoryStore) Load(context.Context) (Tokens, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.t == nil {
		return Tokens{}, ErrNoTokens
	}
	return *m.t, nil
}

// Save replaces the saved tokens.
func (m *MemoryStore) Save(_ context.Context, t Tokens) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.t = &t
	return nil
}

// TokenSource holds the organisation's Douyin authorisation: it exchanges
// the OAuth code, hands out a valid access token and refreshes it, one
// refresh at a time, saving every change to Store.
type TokenSource struct {
	BaseURL      string // default DefaultBaseURL
	ClientKey    string
	ClientSecret string
	Scopes       []string // asked for in AuthorizeURL (default: ScopeCreate)
	Store        Store    // nil: a MemoryStore
	HTTP         *http.Client
	Now          func() time.Time
	Log          *slog.Logger // nil: discard

	mu   sync.Mutex
	once sync.Once
}

// AuthorizeURL is the page an administrator opens (as a QR code) to let
// the app publish on the organisation's account; Douyin then redirects to
// redirectURI with code and state.
func (ts *TokenSource) AuthorizeURL(redirectURI, state string) string {
	scopes := ts.Scopes
	if len(scopes) == 0 {
		scopes = []string{ScopeCreate}
	}
	q := url.Values{"client_key": {ts.ClientKey}, "response_type": {"code"}, "scope": {strings.Join(scopes, ",")},
		"redirect_uri": {redirectURI}, "state": {state}}
	return ts.base() + PathAuthorize + "?" + q.Encode()
}

// Exchange trades the code from the redirect for the user's tokens and
// saves them.
func (ts *TokenSource) Exchange(ctx context.Context, code string) (Tokens, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := ts.now()
	var d tokenData
	if err := ts.post(ctx, "access_token", PathAccessToken, url.Values{"client_key": {ts.ClientKey},
		"client_secret": {ts.ClientSecret}, "code": {code}, "grant_type": {"authorization_code"}}, &d); err != nil {
		return Tokens{}, err
	}
	t := Tokens{AccessToken: d.AccessToken, AccessExpiresAt: now.Add(seconds(d.ExpiresIn, 15*24*time.Hour)),
		RefreshToken: d.RefreshToken, RefreshExpiresAt: now.Add(seconds(d.RefreshExpiresIn, 30*24*time.Hour)),
		OpenID: d.OpenID, Scope: d.Scope}
	if t.AccessToken == "" || t.OpenID == "" {
		return Tokens{}, &Error{Op: "access_token", Description: "answer without access_token or open_id"}
	}
	if err := ts.store().Save(ctx, t); err != nil {
		return Tokens{}, fmt.Errorf("error saving the Douyin tokens: %w", err)
	}
	ts.log().Info("douyin authorised", "open_id", t.OpenID, "scope", t.Scope, "access_expires", t.AccessExpiresAt)
	return t, nil
}

// Refresh gets a new access token with the refresh token and saves it. An
// expired refresh token is a permanent *Error with Code CodeRefreshExpired
// and MessageReauthorize: only a new authorisation helps.
func (ts *TokenSource) Refresh(ctx context.Context) (Tokens, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, err := ts.load(ctx)
	if err != nil {
		return Tokens{}, err
	}
	return ts.refreshLocked(ctx, t)
}

// Token returns a valid token set, refreshing the access token when it is
// expired or about to be.
func (ts *TokenSource) Token(ctx context.Context) (Tokens, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, err := ts.load(ctx)
	if err != nil || ts.now().Before(t.AccessExpiresAt.Add(-refreshMargin)) {
		return t, err
	}
	return ts.refreshLocked(ctx, t)
}

// refreshIfCurrent refreshes after Douyin refused stale as expired, unless
// another call has refreshed it meanwhile.
func (ts *TokenSource) refreshIfCurrent(ctx context.Context, stale string) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, err := ts.load(ctx)
	if err == nil && t.AccessToken == stale {
		_, err = ts.refreshLocked(ctx, t)
	}
	return err
}

func (ts *TokenSource) refreshLocked(ctx context.Context, t Tokens) (Tokens, error) {
	now := ts.now()
	if !t.RefreshExpiresAt.IsZero() && !now.Before(t.RefreshExpiresAt) {
		return Tokens{}, apiError("refresh_token", CodeRefreshExpired, 0, "the refresh token expired at "+t.RefreshExpiresAt.Format(time.RFC3339), "")
	}
	var d tokenData
	if err := ts.post(ctx, "refresh_token", PathRefreshToken, url.Values{"client_key": {ts.ClientKey},
		"grant_type": {"refresh_token"}, "refresh_token": {t.RefreshToken}}, &d); err != nil {
		return Tokens{}, err
	}
	if d.AccessToken == "" {
		return Tokens{}, &Error{Op: "refresh_token", Description: "answer without access_token"}
	}
	// The refresh token's expiry does not move [D refresh-access-token],
	// whatever refresh_expires_in says.
	t.AccessToken, t.AccessExpiresAt = d.AccessToken, now.Add(seconds(d.ExpiresIn, 15*24*time.Hour))
	if d.RefreshToken != "" {
		t.RefreshToken = d.RefreshToken
	}
	if d.Scope != "" {
		t.Scope = d.Scope
	}
	if err := ts.store().Save(ctx, t); err != nil {
		return Tokens{}, fmt.Errorf("error saving the refreshed Douyin tokens: %w", err)
	}
	ts.log().Info("douyin access token refreshed", "open_id", t.OpenID, "access_expires", t.AccessExpiresAt)
	return t, nil
}

// tokenData is the data object of both OAuth token answers.
type tokenData struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	OpenID           string `json:"open_id"`
	Scope            string `json:"scope"`
}

// post sends an OAuth call form-encoded: Douyin's OAuth endpoints do not
// read JSON bodies.
func (ts *TokenSource) post(ctx context.Context, op, path string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.base()+path, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("error building the %s request: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if e := send(ts.HTTP, op, req, out); e != nil {
		return e
	}
	return nil
}

func (ts *TokenSource) load(ctx context.Context) (Tokens, error) {
	t, err := ts.store().Load(ctx)
	if err != nil {
		return Tokens{}, fmt.Errorf("error loading the Douyin tokens: %w", err)
	}
	return t, nil
}

func (ts *TokenSource) store() Store {
	ts.once.Do(func() {
		if ts.Store == nil {
			ts.Store = &MemoryStore{}
		}
	})
	return ts.Store
}

func (ts *TokenSource) base() string {
	if ts.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(ts.BaseURL, "/")
}

func (ts *TokenSource) now() time.Time {
	if ts.Now != nil {
		return ts.Now()
	}
	return time.Now()
}

func (ts *TokenSource) log() *slog.Logger {
	if ts.Log != nil {
		return ts.Log
	}
	return slog.New(slog.DiscardHandler)
}

// seconds turns an expires_in into a duration, def when it is missing.
func seconds(s int64, def time.Duration) time.Duration {
	if s <= 0 {
		return def
	}
	return time.Duration(s) * time.Second
}
