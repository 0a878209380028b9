package notify

// The client is the standard library's net/smtp rather than go-smtp's:
// it is frozen but complete for one plain-text mail per connection, it
// adds no dependency to the product (go-smtp serves only as the tests'
// server), and its PlainAuth refuses to send a password over an
// unencrypted connection to anything but localhost, the check we want in
// front of an office's mail account (Send makes it first, to say so in
// Chinese). Its lack of a context is made up for by dialling with one and
// bounding the session by a deadline.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// StartTLSPolicy says whether a Mailer encrypts the connection with
// STARTTLS.
type StartTLSPolicy int

const (
	// StartTLSOpportunistic, the default, encrypts when the server offers
	// STARTTLS and sends in clear otherwise. Credentials are still never
	// sent in clear except to localhost (net/smtp refuses).
	StartTLSOpportunistic StartTLSPolicy = iota
	// StartTLSRequired refuses to send unless the server offers STARTTLS.
	StartTLSRequired
	// StartTLSNone never encrypts, for a relay on the same host or network
	// that offers a broken STARTTLS.
	StartTLSNone
)

// DefaultMailTimeout bounds one Send when Mailer.Timeout is zero.
const DefaultMailTimeout = 30 * time.Second

// Mailer sends plain-text mail through one SMTP submission server. It
// holds no connection between sends, so it is safe for concurrent use.
type Mailer struct {
	Addr     string // host:port of the submission server, e.g. "smtp.example.gov.cn:587"
	From     string // RFC 5322 address, e.g. "三审系统 <sanshen@example.gov.cn>"
	Username string // empty: no AUTH
	Password string // never logged
	StartTLS StartTLSPolicy
	// TLSConfig is used for STARTTLS; nil means the defaults with the
	// host of Addr as ServerName.
	TLSConfig *tls.Config
	Timeout   time.Duration // the whole session; zero: DefaultMailTimeout
	// Hostname names this sender in EHLO and is the right side of every
	// Message-ID; empty means the domain of From. Keep it the same on every
	// worker: a resend from another machine must carry the same Message-ID.
	Hostname string
}

// Send delivers m to the recipients as one mail in one SMTP transaction:
// if the server refuses any recipient, nothing is sent, so the outcome is
// all or nothing. Failures are *Error: a 5xx reply is Permanent, a 4xx
// reply or a lost connection is retryable, and a connection lost once the
// end of the data was sent is Ambiguous (the mail may be delivered; a
// resend is harmless because its Message-ID is the same).
func (mr *Mailer) Send(ctx context.Context, to []string, m Message) error {
	from, rcpts, data, err := mr.compose(to, m)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(mr.Addr)
	if err != nil {
		return mailConfigError(fmt.Sprintf("bad server address %q: %v", mr.Addr, err), "邮件服务器地址配置有误")
	}

	timeout := mr.Timeout
	if timeout <= 0 {
		timeout = DefaultMailTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", mr.Addr)
	if err != nil {
		return mailTransportError(ctx, "connect", err, false)
	}
	defer conn.Close()
	// net/smtp takes no context: the deadline bounds every read and write,
	// and a cancelled ctx moves it to now.
	dl, _ := ctx.Deadline()
	if err := conn.SetDeadline(dl); err != nil {
		return mailTransportError(ctx, "connect", err, false)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return mailStepError(ctx, "greeting", err, false)
	}
	defer c.Close()
	if err := c.Hello(mr.hostname(from)); err != nil {
		return mailStepError(ctx, "EHLO", err, false)
	}
	if err := mr.startTLS(ctx, c, host); err != nil {
		return err
	}
	if mr.Username != "" {
		if _, encrypted := c.TLSConnectionState(); !encrypted && !isLocalhost(host) {
			return mailConfigError("refusing to send the password over an unencrypted connection", "未建立加密连接，拒绝以明文发送邮箱密码；请启用STARTTLS")
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return mailConfigError("the server offers no AUTH but a username is configured", "邮件服务器不支持身份认证，请检查邮件配置")
		}
		if err := c.Auth(smtp.PlainAuth("", mr.Username, mr.Password, host)); err != nil {
			return mailStepError(ctx, "AUTH", err, false)
		}
	}
	if err := c.Mail(from); err != nil {
		return mailStepError(ctx, "MAIL FROM", err, false)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return mailStepError(ctx, "RCPT TO <"+r+">", err, false)
		}
	}
	w, err := c.Data()
	if err != nil {
		return mailStepError(ctx, "DATA", err, false)
	}
	// Until the final "." is sent the server cannot take the mail, so a
	// failed write is retryable; from Close on (which sends the "." and
	// reads the answer) a lost connection leaves the outcome unknown.
	if _, err := w.Write(data); err != nil {
		return mailStepError(ctx, "DATA", err, false)
	}
	if err := w.Close(); err != nil {
		return mailStepError(ctx, "end of DATA", err, true)
	}
	c.Quit() // the mail is accepted; a failed QUIT changes nothing
	return nil
}

// startTLS applies the StartTLS policy.
func (mr *Mailer) startTLS(ctx context.Context, c *smtp.Client, host string) error {
	if mr.StartTLS == StartTLSNone {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		if mr.StartTLS == StartTLSRequired {
			return mailConfigError("the server does not offer STARTTLS, which is required", "邮件服务器不支持STARTTLS加密，按配置不以明文发送")
		}
		return nil
	}
	cfg := &tls.Config{}
	if mr.TLSConfig != nil {
		cfg = mr.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if err := c.StartTLS(cfg); err != nil {
		if _, bad := errors.AsType[*tls.CertificateVerificationError](err); bad {
			return &Error{Channel: ChannelMail, Permanent: true, Message: "STARTTLS: the server's certificate is not trusted", Err: err,
				MessageZH: "邮件服务器的证书校验失败，请检查邮件服务器地址或证书配置"}
		}
		return mailStepError(ctx, "STARTTLS", err, false)
	}
	return nil
}

// hostname is Mailer.Hostname, or the domain of the sender's address.
func (mr *Mailer) hostname(from string) string {
	if mr.Hostname != "" {
		return mr.Hostname
	}
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		return from[i+1:]
	}
	return "localhost"
}

// compose checks the addresses and builds the mail: the envelope sender,
// the envelope recipients and the RFC 5322 message with CRLF line ends.
func (mr *Mailer) compose(to []string, m Message) (string, []string, []byte, error) {
	from, err := mail.ParseAddress(mr.From)
	if err != nil {
		return "", nil, nil, mailConfigError(fmt.Sprintf("bad From address %q: %v", mr.From, err), "发件人地址配置有误")
	}
	if len(to) == 0 {
		return "", nil, nil, mailConfigError("no recipients", "没有收件人")
	}
	rcpts := make([]string, len(to))
	heads := make([]string, len(to))
	for i, t := range to {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return "", nil, nil, mailConfigError(fmt.Sprintf("bad recipient address %q: %v", t, err), "收件人地址有误："+t)
		}
		rcpts[i], heads[i] = a.Address, address(a)
	}
	if m.ID == "" {
		return "", nil, nil, &Error{Channel: ChannelMail, Permanent: true, Message: "message without ID", MessageZH: "通知缺少事件编号，无法生成稳定的邮件标识"}
	}

	body := m.Text
	if m.Link != "" {
		body += "\n\n" + m.Link
	}
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n") + "\r\n"

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("Date", m.when().Format(time.RFC1123Z))
	header("From", address(from))
	header("To", strings.Join(heads, ",\r\n "))
	header("Subject", encodeWords(m.Subject))
	header("Message-ID", MessageID(m.ID, mr.hostname(from.Address)))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "base64")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no vacation auto-replies
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 { // RFC 2045's line length
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return from.Address, rcpts, b.Bytes(), nil
}

// encodeWords encodes a non-ASCII header text as RFC 2047 Base64 words
// (shorter than Q for Chinese), each of at most 39 bytes of whole runes so
// that every folded line stays under 78 characters; a decoder joins
// adjacent words without the folding space. It is done here rather than by
// mime.BEncoding, which neither bounds the line nor encodes an ASCII chunk,
// and a bare chunk would keep the folding space as a real one.
func encodeWords(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' }) {
		return s
	}
	var words []string
	for s != "" {
		n := len(cut(s, 39))
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, "\r\n ")
}

// address formats a for a header, its display name encoded when not ASCII.
func address(a *mail.Address) string {
	if a.Name == "" || encodeWords(a.Name) == a.Name {
		return a.String()
	}
	return encodeWords(a.Name) + " <" + a.Address + ">"
}

// MessageID returns the Message-ID header value for an event id: a readable
// form of the id, a hash of it (so ids that read alike stay distinct) and
// host. The same id and host give the same Message-ID on every send.
func MessageID(id, host string) string {
	local := make([]byte, 0, 64+17)
	for i := 0; i < len(id) && len(local) < 64; i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			local = append(local, c)
		case len(local) > 0 && local[len(local)-1] != '.':
			local = append(local, '.') // one dot for any run of other bytes keeps it a dot-atom
		}
	}
	if len(local) > 0 && local[len(local)-1] != '.' {
		local = append(local, '.')
	}
	sum := sha256.Sum256([]byte(id))
	return "<" + string(hex.AppendEncode(local, sum[:8])) + "@" + host + ">"
}

// isLocalhost is net/smtp's test for where PlainAuth may go unencrypted.
func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// mailConfigError is a Permanent error found before or outside the SMTP
// dialogue: the configuration or the addresses must change.
func mailConfigError(msg, zh string) *Error {
	return &Error{Channel: ChannelMail, Permanent: true, Message: msg, MessageZH: zh}
}

// mailStepError classifies a failure of one SMTP step: the server's reply
// by its code, anything else as a lost connection, which is Ambiguous when
// afterData (the end of the data may have reached the server).
func mailStepError(ctx context.Context, step string, err error, afterData bool) *Error {
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		e := &Error{Channel: ChannelMail, Code: te.Code, Message: fmt.Sprintf("%s: server answered %d %s", step, te.Code, te.Msg)}
		if te.Code >= 500 {
			e.Permanent = true
			e.MessageZH = fmt.Sprintf("邮件服务器拒绝了此邮件（%d），请检查收件地址和邮件配置", te.Code)
		} else {
			e.MessageZH = fmt.Sprintf("邮件服务器暂时无法接收（%d），稍后重试", te.Code)
		}
		return e
	}
	return mailTransportError(ctx, step, err, afterData)
}

// mailTransportError is a lost or timed-out connection. When ctx ended,
// its error is the one wrapped, so errors.Is finds context.Canceled or
// context.DeadlineExceeded.
func mailTransportError(ctx context.Context, step string, err error, afterData bool) *Error {
	ctxErr := ctx.Err()
	if ctxErr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		ctxErr = context.DeadlineExceeded // the conn's deadline is ctx's, whose timer may not have fired yet
	}
	if ctxErr != nil {
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	e := &Error{Channel: ChannelMail, Message: step + ": connection failed", Err: err, Ambiguous: afterData,
		MessageZH: "无法连接邮件服务器或连接中断，稍后重试"}
	if afterData {
		e.MessageZH = "邮件已提交但未收到服务器确认，可能已送达"
	}
	return e
}
