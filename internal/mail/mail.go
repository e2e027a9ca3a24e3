// Package mail sends messages over real SMTP with wneessen/go-mail: it does
// STARTTLS policies, auth discovery and MIME assembly, which we would
// otherwise hand-write.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is what Gatehouse sends. Text, HTML and Calendar become parts of
// one multipart/alternative body, so calendar clients show the invitation
// and others show the text.
type Message struct {
	MessageID string // without angle brackets; stable per logical email so resends are recognisable
	From      string // empty: the configured GATEHOUSE_MAIL_FROM
	To        []string
	Cc        []string
	Bcc       []string
	Subject   string
	Text      string
	HTML      string
	Calendar  string // an iCalendar object (METHOD:REQUEST)
	Headers   map[string]string
}

// Sender holds the SMTP settings; it is safe for concurrent use. Each Send
// dials its own connection so one slow send does not queue the others.
type Sender struct {
	host    string
	opts    []gomail.Option
	from    string
	timeout time.Duration
}

// NewSender parses a GATEHOUSE_SMTP_URL (validated by config).
func NewSender(smtpURL, from string) (*Sender, error) {
	u, err := url.Parse(smtpURL)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return nil, fmt.Errorf("smtp port: %w", err)
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(30 * time.Second), gomail.WithHELO("gatehouse")}
	if u.Scheme == "smtps" {
		opts = append(opts, gomail.WithSSL())
	} else {
		switch u.Query().Get("starttls") {
		case "none":
			opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		case "opportunistic":
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		default:
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		}
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return &Sender{host: u.Hostname(), opts: opts, from: from, timeout: 30 * time.Second}, nil
}

// Send delivers one message. The error is a *Failure when the server
// answered with an SMTP status; NotSent tells whether it proves that the
// server took nothing.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return notSent{&Failure{Permanent: true, Reason: err.Error()}}
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return notSent{err}
	}
	// DialAndSendWithContext, with its phases told apart.
	client, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return notSent{classify(fmt.Errorf("dial failed: %w", err))}
	}
	if err = c.SendWithSMTPClient(client, msg); err != nil {
		err = fmt.Errorf("send failed: %w", err)
	}
	if cerr := c.CloseWithSMTPClient(client); cerr != nil {
		err = errors.Join(err, fmt.Errorf("failed to close connection: %w", cerr))
	}
	// Delivered: the server answered the end of the data with success, so
	// the message is queued; an RSET or QUIT failing afterwards changes
	// nothing, and reporting it would make a caller count a sent message
	// as failed (and a retry send it twice).
	if err == nil || msg.IsDelivered() {
		return nil
	}
	if !msg.IsDelivered() && refusedBeforeAccepting(err) {
		return notSent{classify(err)}
	}
	return classify(err)
}

// notSent marks a send error after which the message certainly did not
// reach the server's queue.
type notSent struct{ err error }

func (e notSent) Error() string { return e.err.Error() }
func (e notSent) Unwrap() error { return e.err }

// NotSent reports whether err, from Send, proves that the SMTP server took
// nothing: the message could not be built, the connection (or its TLS or
// AUTH) failed, or the server refused before the message was accepted. Any
// other error may have come after the server queued the message (the answer
// to its end was lost), so a caller that must send at most once cannot
// send it again.
func NotSent(err error) bool {
	var n notSent
	return errors.As(err, &n)
}

// refusedBeforeAccepting: the transaction failed before the message's data
// went out, or the server answered the data with a refusal (RFC 5321: a
// failure reply to the end of data means it did not take the message).
func refusedBeforeAccepting(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrConnCheck, gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded,
		gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData:
		return true
	case gomail.ErrSMTPDataClose:
		return se.ErrorCode() >= 400
	}
	return false
}

func (s *Sender) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	from := m.From
	if from == "" {
		from = s.from
	}
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from %q: %w", from, err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return nil, fmt.Errorf("cc: %w", err)
		}
	}
	if len(m.Bcc) > 0 {
		if err := msg.Bcc(m.Bcc...); err != nil {
			return nil, fmt.Errorf("bcc: %w", err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	for k, v := range m.Headers {
		msg.SetGenHeader(gomail.Header(k), v)
	}
	parts := 0
	add := func(ct gomail.ContentType, body string) {
		if body == "" {
			return
		}
		if parts == 0 {
			msg.SetBodyString(ct, body)
		} else {
			msg.AddAlternativeString(ct, body)
		}
		parts++
	}
	add(gomail.TypeTextPlain, m.Text)
	add(gomail.TypeTextHTML, m.HTML)
	// RFC 6047: the invitation travels as a text/calendar alternative with
	// the method parameter matching the object's METHOD.
	add(gomail.ContentType("text/calendar; method=REQUEST"), m.Calendar)
	if parts == 0 {
		return nil, errors.New("message has no body")
	}
	return msg, nil
}

// Failure is an SMTP refusal with its status code.
type Failure struct {
	Code      int    // SMTP reply code, 0 if none
	Enhanced  string // e.g. 5.1.1
	Permanent bool   // 5xx or a message that cannot be built: retrying will not help
	Reason    string
}

func (f *Failure) Error() string {
	if f.Code == 0 {
		return "smtp: " + f.Reason
	}
	return fmt.Sprintf("smtp %d %s: %s", f.Code, f.Enhanced, f.Reason)
}

// classify turns go-mail's errors into a Failure when the server answered;
// connection problems stay plain errors (temporary).
func classify(err error) error {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return err
	}
	code := se.ErrorCode()
	if code == 0 {
		return err
	}
	return &Failure{
		Code:      code,
		Enhanced:  se.EnhancedStatusCode(),
		Permanent: code >= 500,
		Reason:    strings.TrimSpace(err.Error()),
	}
}
