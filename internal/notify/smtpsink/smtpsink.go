// Package smtpsink is a real SMTP server (go-smtp) on loopback that keeps
// every mail it accepts, decoded: the mail server of the notification
// tests and of the fault suite, which count what reached people.
package smtpsink

import (
	"encoding/base64"
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one accepted mail, decoded (sanshen's mails are base64 text).
type Mail struct {
	To        []string
	MessageID string
	Subject   string
	Body      string
}

// Sink is the server. Its methods are safe for concurrent use.
type Sink struct {
	Addr string // host:port it listens on
	srv  *smtp.Server
	done chan struct{}

	mu    sync.Mutex
	mails []Mail
}

// Start listens on a free loopback port and serves until Close.
func Start() (*Sink, error) {
	sink := &Sink{done: make(chan struct{})}
	sink.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{sink: sink}, nil }))
	sink.srv.Domain = "mx.test"
	sink.srv.ReadTimeout, sink.srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sink.Addr = l.Addr().String()
	go func() { defer close(sink.done); _ = sink.srv.Serve(l) }()
	return sink, nil
}

// Close stops the server and waits for it.
func (s *Sink) Close() {
	_ = s.srv.Close()
	<-s.done
}

// Mails are the mails accepted so far, in order.
func (s *Sink) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

type session struct {
	sink *Sink
	to   []string
}

func (ss *session) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *session) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	raw, _ := io.ReadAll(m.Body)
	body, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return err
	}
	ss.sink.mu.Lock()
	ss.sink.mails = append(ss.sink.mails, Mail{To: ss.to, MessageID: m.Header.Get("Message-ID"), Subject: subject, Body: string(body)})
	ss.sink.mu.Unlock()
	return nil
}
func (ss *session) Reset()        { ss.to = nil }
func (ss *session) Logout() error { return nil }
