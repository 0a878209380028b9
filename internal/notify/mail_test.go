package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"go.uber.org/goleak"

	"github.com/sanshen-gov/sanshen/internal/notify"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// mailServer is a real go-smtp server on loopback whose backend records
// every accepted mail and can be told to refuse or stall.
type mailServer struct {
	addr       string
	user, pass string    // when set, AUTH PLAIN is required
	rcptErr    error     // answered to every RCPT
	dataErr    error     // answered at the end of DATA
	stall      chan bool // when set, DATA records the mail and then waits for it

	mu    sync.Mutex
	mails []envelope
}

// envelope is one mail as the server accepted it.
type envelope struct {
	From string
	To   []string
	User string // who authenticated, if anyone
	Data []byte
}

func (s *mailServer) Mails() []envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]envelope(nil), s.mails...)
}

type mailSession struct {
	srv *mailServer
	env envelope
}

func (ss *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.srv.user || pass != ss.srv.pass {
			return smtp.ErrAuthFailed
		}
		ss.env.User = user
		return nil
	}), nil
}

func (ss *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && ss.env.User == "" {
		return smtp.ErrAuthRequired
	}
	ss.env.From = from
	return nil
}

func (ss *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.srv.rcptErr != nil {
		return ss.srv.rcptErr
	}
	ss.env.To = append(ss.env.To, to)
	return nil
}

func (ss *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.srv.dataErr != nil {
		return ss.srv.dataErr
	}
	ss.env.Data = data
	ss.srv.mu.Lock()
	ss.srv.mails = append(ss.srv.mails, ss.env)
	ss.srv.mu.Unlock()
	if ss.srv.stall != nil {
		<-ss.srv.stall
	}
	return nil
}

func (ss *mailSession) Reset()        { ss.env = envelope{User: ss.env.User} }
func (ss *mailSession) Logout() error { return nil }

// startMail runs srv on host (an address of the loopback range) until the
// test ends; tlsConfig, when set, makes it offer STARTTLS.
func startMail(t *testing.T, srv *mailServer, host string, tlsConfig *tls.Config) {
	t.Helper()
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{srv: srv}, nil }))
	s.Domain = "mx.test"
	s.AllowInsecureAuth = true
	s.TLSConfig = tlsConfig
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	srv.addr = l.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(l) }()
	t.Cleanup(func() {
		if srv.stall != nil {
			close(srv.stall)
		}
		s.Close()
		<-done
	})
}

var (
	shanghai = time.FixedZone("CST", 8*3600)
	// subject is long enough to be folded into several encoded words.
	subject = "【三审】稿件《关于做好2026年防汛工作的通知》已通过终审，请及时发布 / Draft approved"
	sample  = notify.Message{
		ID:      "sanshen:notif:123",
		Subject: subject,
		Text:    "稿件已通过三审，可以发布。\nThe draft passed its three reviews.",
		Link:    "https://sanshen.example.gov.cn/drafts/42",
		At:      time.Date(2026, 5, 1, 14, 3, 0, 0, shanghai),
	}
)

func mailerFor(srv *mailServer) *notify.Mailer {
	return &notify.Mailer{Addr: srv.addr, From: "三审系统 <sanshen@example.gov.cn>", Timeout: 5 * time.Second}
}

func asError(t *testing.T, err error) *notify.Error {
	t.Helper()
	ne, ok := errors.AsType[*notify.Error](err)
	if !ok {
		t.Fatalf("want a *notify.Error, got %T: %v", err, err)
	}
	if ne.MessageZH == "" || !strings.Contains(ne.Error(), ne.MessageZH) || ne.Permanent && ne.Ambiguous {
		t.Errorf("malformed error: %+v", ne)
	}
	return ne
}

func TestMailOneMailWithHeaders(t *testing.T) {
	srv := &mailServer{}
	startMail(t, srv, "127.0.0.1", nil)
	if err := mailerFor(srv).Send(t.Context(), []string{"王主任 <wang@example.gov.cn>", "li@example.gov.cn"}, sample); err != nil {
		t.Fatal(err)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	got := mails[0]
	if got.From != "sanshen@example.gov.cn" || strings.Join(got.To, " ") != "wang@example.gov.cn li@example.gov.cn" {
		t.Errorf("envelope %s -> %v", got.From, got.To)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	var dec mime.WordDecoder
	if s, err := dec.DecodeHeader(h.Get("Subject")); err != nil || s != subject {
		t.Errorf("Subject decodes to %q (%v), want %q", s, err, subject)
	}
	if !strings.Contains(string(got.Data), "\r\n =?") {
		t.Errorf("long subject not folded:\n%s", got.Data)
	}
	for _, line := range strings.Split(string(got.Data), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
	}
	if d, err := h.Date(); err != nil || !d.Equal(sample.At) {
		t.Errorf("Date %v (%v), want %v", d, err, sample.At)
	}
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "三审系统" || from[0].Address != "sanshen@example.gov.cn" {
		t.Errorf("From %v (%v)", from, err)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 2 || to[0].Name != "王主任" || to[1].Address != "li@example.gov.cn" {
		t.Errorf("To %v (%v)", to, err)
	}
	want := map[string]string{
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=UTF-8",
		"Content-Transfer-Encoding": "base64",
		"Message-ID":                "<sanshen.notif.123." + idHash(t, got.Data) + "@example.gov.cn>",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
	if !regexp.MustCompile(`^<[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*@example\.gov\.cn>$`).MatchString(h.Get("Message-ID")) {
		t.Errorf("Message-ID %q is not a dot-atom msg-id", h.Get("Message-ID"))
	}
	body, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
	wantBody := "稿件已通过三审，可以发布。\r\nThe draft passed its three reviews.\r\n\r\nhttps://sanshen.example.gov.cn/drafts/42\r\n"
	if err != nil || string(body) != wantBody {
		t.Errorf("body %q (%v), want %q", body, err, wantBody)
	}
}

// idHash is the hash part of the Message-ID in data, checked against
// notify.MessageID.
func idHash(t *testing.T, data []byte) string {
	t.Helper()
	id := notify.MessageID(sample.ID, "example.gov.cn")
	if !strings.Contains(string(data), "Message-ID: "+id+"\r\n") {
		t.Fatalf("no Message-ID %s in\n%s", id, data)
	}
	return strings.TrimSuffix(strings.TrimPrefix(id, "<sanshen.notif.123."), "@example.gov.cn>")
}

func TestMailMessageIDStablePerEventID(t *testing.T) {
	srv := &mailServer{}
	startMail(t, srv, "127.0.0.1", nil)
	mr := mailerFor(srv)
	resend := sample
	resend.At = time.Time{} // even a resend built anew, at another time
	other := sample
	other.ID = "sanshen:notif:124"
	alike := sample
	alike.ID = "sanshen.notif.123" // reads the same once sanitised
	for _, m := range []notify.Message{sample, resend, other, alike} {
		if err := mr.Send(t.Context(), []string{"wang@example.gov.cn"}, m); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, m := range srv.Mails() {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.Header.Get("Message-ID"))
	}
	if len(ids) != 4 || ids[0] == "" || ids[0] != ids[1] || ids[2] == ids[0] || ids[3] == ids[0] || ids[3] == ids[2] {
		t.Errorf("Message-IDs %q: want the first two equal and the others distinct", ids)
	}
}

func TestMailAuthPlain(t *testing.T) {
	srv := &mailServer{user: "sanshen", pass: "口令-123"}
	startMail(t, srv, "127.0.0.1", nil)
	mr := mailerFor(srv)
	mr.Username, mr.Password = "sanshen", "口令-123"
	if err := mr.Send(t.Context(), []string{"wang@example.gov.cn"}, sample); err != nil {
		t.Fatal(err)
	}
	if m := srv.Mails(); len(m) != 1 || m[0].User != "sanshen" {
		t.Fatalf("mails %+v, want one sent as sanshen", m)
	}

	mr.Password = "wrong"
	ne := asError(t, mr.Send(t.Context(), []string{"wang@example.gov.cn"}, sample))
	if !ne.Permanent || ne.Code != 535 || strings.Contains(ne.Error(), "wrong") {
		t.Errorf("bad password: %v", ne)
	}
	mr.Username = ""
	if ne := asError(t, mr.Send(t.Context(), []string{"wang@example.gov.cn"}, sample)); !ne.Permanent || ne.Code != 502 {
		t.Errorf("no credentials: %v", ne)
	}
	if n := len(srv.Mails()); n != 1 {
		t.Errorf("%d mails, want still 1", n)
	}
}

func TestMailNoPasswordInClearToRemoteHost(t *testing.T) {
	srv := &mailServer{user: "sanshen", pass: "secret"}
	startMail(t, srv, "127.0.0.2", nil) // loopback, but not a name net/smtp trusts
	mr := mailerFor(srv)
	mr.Username, mr.Password = "sanshen", "secret"
	if ne := asError(t, mr.Send(t.Context(), []string{"wang@example.gov.cn"}, sample)); !ne.Permanent || ne.Code != 0 {
		t.Errorf("got %v, want a permanent refusal before AUTH", ne)
	}
}

func TestMailRefusals(t *testing.T) {
	for _, tc := range []struct {
		name      string
		srv       *mailServer
		permanent bool
		code      int
	}{
		{"550 at RCPT", &mailServer{rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}}, true, 550},
		{"451 at end of DATA", &mailServer{dataErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}}, false, 451},
		{"554 at end of DATA", &mailServer{dataErr: &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "content rejected"}}, true, 554},
	} {
		t.Run(tc.name, func(t *testing.T) {
			startMail(t, tc.srv, "127.0.0.1", nil)
			ne := asError(t, mailerFor(tc.srv).Send(t.Context(), []string{"wang@example.gov.cn"}, sample))
			if ne.Permanent != tc.permanent || ne.Retryable() == tc.permanent || ne.Ambiguous || ne.Code != tc.code || ne.Channel != notify.ChannelMail {
				t.Errorf("got %+v", ne)
			}
			if n := len(tc.srv.Mails()); n != 0 {
				t.Errorf("%d mails accepted", n)
			}
		})
	}
}

func TestMailConnectionRefusedIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	mr := &notify.Mailer{Addr: addr, From: "sanshen@example.gov.cn"}
	if ne := asError(t, mr.Send(t.Context(), []string{"wang@example.gov.cn"}, sample)); !ne.Retryable() {
		t.Errorf("got %v", ne)
	}
}

func TestMailLostAnswerAfterDataIsAmbiguous(t *testing.T) {
	srv := &mailServer{stall: make(chan bool)}
	startMail(t, srv, "127.0.0.1", nil)
	mr := mailerFor(srv)
	mr.Timeout = 300 * time.Millisecond
	ne := asError(t, mr.Send(t.Context(), []string{"wang@example.gov.cn"}, sample))
	if !ne.Ambiguous || ne.Permanent || !errors.Is(ne, context.DeadlineExceeded) {
		t.Errorf("got %v, want ambiguous after the deadline", ne)
	}
	if n := len(srv.Mails()); n != 1 {
		t.Errorf("%d mails recorded, want 1", n)
	}
}

func TestMailCancelledContext(t *testing.T) {
	srv := &mailServer{stall: make(chan bool)}
	startMail(t, srv, "127.0.0.1", nil)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	ne := asError(t, mailerFor(srv).Send(ctx, []string{"wang@example.gov.cn"}, sample))
	if !ne.Ambiguous || !errors.Is(ne, context.Canceled) {
		t.Errorf("got %v, want ambiguous and cancelled", ne)
	}
}

func TestMailStartTLS(t *testing.T) {
	serverTLS, roots := testCert(t)
	srv := &mailServer{user: "sanshen", pass: "secret"}
	startMail(t, srv, "127.0.0.1", serverTLS)
	mr := mailerFor(srv)
	mr.Username, mr.Password, mr.StartTLS = "sanshen", "secret", notify.StartTLSRequired
	if ne := asError(t, mr.Send(t.Context(), []string{"wang@example.gov.cn"}, sample)); !ne.Permanent || ne.Code != 0 {
		t.Errorf("untrusted certificate: got %v, want permanent", ne)
	}
	mr.TLSConfig = &tls.Config{RootCAs: roots}
	if err := mr.Send(t.Context(), []string{"wang@example.gov.cn"}, sample); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Mails()); n != 1 {
		t.Errorf("%d mails, want 1", n)
	}

	plain := &mailServer{}
	startMail(t, plain, "127.0.0.1", nil)
	mr = mailerFor(plain)
	mr.StartTLS = notify.StartTLSRequired
	if ne := asError(t, mr.Send(t.Context(), []string{"wang@example.gov.cn"}, sample)); !ne.Permanent {
		t.Errorf("no STARTTLS offered: got %v, want permanent", ne)
	}
	if n := len(plain.Mails()); n != 0 {
		t.Errorf("%d mails sent in clear", n)
	}
}

func TestMailBadInput(t *testing.T) {
	mr := &notify.Mailer{Addr: "127.0.0.1:1", From: "sanshen@example.gov.cn"}
	noID := sample
	noID.ID = ""
	for name, err := range map[string]error{
		"no recipient": mr.Send(t.Context(), nil, sample),
		"bad address":  mr.Send(t.Context(), []string{"not an address"}, sample),
		"injection":    mr.Send(t.Context(), []string{"a@example.gov.cn>\r\nRCPT TO:<b@example.gov.cn"}, sample),
		"no id":        mr.Send(t.Context(), []string{"a@example.gov.cn"}, noID),
	} {
		if ne := asError(t, err); !ne.Permanent {
			t.Errorf("%s: got %v, want permanent", name, ne)
		}
	}
}

// testCert makes a self-signed certificate for 127.0.0.1: the server's
// TLS config and the pool that trusts it.
func testCert(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, roots
}
