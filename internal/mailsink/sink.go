// Package mailsink is a real SMTP server that keeps what it receives in
// memory: the mailbox of `make dev` (shown at /dev/mail) and the SMTP peer
// of the tests. Production sends to a real relay instead.
package mailsink

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Part is one leaf MIME part of a message.
type Part struct {
	ContentType string            `json:"contentType"` // e.g. "text/calendar; method=REQUEST"
	MediaType   string            `json:"mediaType"`   // e.g. "text/calendar"
	Params      map[string]string `json:"params,omitempty"`
	Filename    string            `json:"filename,omitempty"`
	Body        string            `json:"body"` // decoded
}

// Message is one accepted SMTP transaction.
type Message struct {
	ID         int               `json:"id"`
	ReceivedAt time.Time         `json:"receivedAt"`
	From       string            `json:"from"` // envelope sender
	To         []string          `json:"to"`   // envelope recipients
	Subject    string            `json:"subject"`
	Header     map[string]string `json:"header"`
	Text       string            `json:"text,omitempty"`
	HTML       string            `json:"html,omitempty"`
	Parts      []Part            `json:"parts"`
	Raw        string            `json:"-"`
}

// Part returns the first part with the given media type.
func (m Message) Part(mediaType string) (Part, bool) {
	for _, p := range m.Parts {
		if p.MediaType == mediaType {
			return p, true
		}
	}
	return Part{}, false
}

// RcptRule lets a test answer RCPT TO with an SMTP error (e.g. 450 or 550).
// Returning nil accepts the recipient.
type RcptRule func(rcpt string) *smtp.SMTPError

// Sink is the SMTP server plus its mailbox.
type Sink struct {
	server *smtp.Server
	addr   string

	mu       sync.Mutex
	messages []Message // newest last, at most keep
	nextID   int       // also the number of messages received so far
	keep     int
	changed  chan struct{} // closed and replaced on every new message
	rule     RcptRule
}

// Start listens on addr ("127.0.0.1:0" for a free port) and serves until Close.
func Start(addr string, keep int) (*Sink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mail sink: %w", err)
	}
	s := &Sink{addr: l.Addr().String(), keep: keep, changed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{sink: s}, nil }))
	srv.Domain = "gatehouse-mailsink.localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 25 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	s.server = srv
	go srv.Serve(l) //nolint:errcheck // returns on Close
	return s, nil
}

// Addr is host:port of the listener.
func (s *Sink) Addr() string { return s.addr }

// URL is the GATEHOUSE_SMTP_URL that points at this sink.
func (s *Sink) URL() string { return "smtp://" + s.addr + "?starttls=none" }

// Close stops the server.
func (s *Sink) Close() error { return s.server.Close() }

// SetRcptRule installs (or with nil, removes) a RCPT TO rule.
func (s *Sink) SetRcptRule(r RcptRule) {
	s.mu.Lock()
	s.rule = r
	s.mu.Unlock()
}

// Messages returns a copy of the mailbox, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Message returns one message by id.
func (s *Sink) Message(id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		if m.ID == id {
			return m, true
		}
	}
	return Message{}, false
}

// MessagesTo returns the kept messages whose envelope includes rcpt, oldest first.
func (s *Sink) MessagesTo(rcpt string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if To(rcpt)(m) {
			out = append(out, m)
		}
	}
	return out
}

// Received is how many messages arrived since start, kept or not.
func (s *Sink) Received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextID
}

// Reset empties the mailbox.
func (s *Sink) Reset() {
	s.mu.Lock()
	s.messages = nil
	s.mu.Unlock()
}

// Wait returns the first message (old or new) that match accepts, or the
// context's error.
func (s *Sink) Wait(ctx context.Context, match func(Message) bool) (Message, error) {
	for {
		s.mu.Lock()
		for _, m := range s.messages {
			if match(m) {
				s.mu.Unlock()
				return m, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// To matches messages whose envelope includes rcpt (case-insensitive).
func To(rcpt string) func(Message) bool {
	return func(m Message) bool {
		for _, t := range m.To {
			if strings.EqualFold(t, rcpt) {
				return true
			}
		}
		return false
	}
}

func (s *Sink) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	m.ID = s.nextID
	s.messages = append(s.messages, m)
	if s.keep > 0 && len(s.messages) > s.keep {
		s.messages = s.messages[len(s.messages)-s.keep:]
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

type session struct {
	sink *Sink
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.sink.mu.Lock()
	rule := ss.sink.rule
	ss.sink.mu.Unlock()
	if rule != nil {
		if err := rule(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparseable message: " + err.Error()}
	}
	m.From, m.To, m.ReceivedAt = ss.from, append([]string(nil), ss.to...), time.Now().UTC()
	ss.sink.add(m)
	return nil
}

// Parse decodes a raw RFC 5322 message into headers and leaf parts.
func Parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	dec := new(mime.WordDecoder)
	m := Message{Raw: string(raw), Header: map[string]string{}}
	for k, v := range msg.Header {
		if s, err := dec.DecodeHeader(strings.Join(v, ", ")); err == nil {
			m.Header[k] = s
		}
	}
	m.Subject = m.Header["Subject"]
	if err := walk(&m, msg.Header, msg.Body, 0); err != nil {
		return Message{}, err
	}
	return m, nil
}

// header is what mail.Header and textproto.MIMEHeader share.
type header interface{ Get(string) string }

func walk(m *Message, h header, body io.Reader, depth int) error {
	if depth > 10 {
		return errors.New("MIME nesting too deep")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content-type %q: %w", ct, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(m, p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}
	data, err := decodeBody(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return err
	}
	part := Part{ContentType: ct, MediaType: mediaType, Params: params, Body: string(data)}
	if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
		part.Filename = dp["filename"]
	}
	m.Parts = append(m.Parts, part)
	switch {
	case mediaType == "text/plain" && m.Text == "" && part.Filename == "":
		m.Text = part.Body
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = part.Body
	}
	return nil
}

func decodeBody(encoding string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return io.ReadAll(quotedprintable.NewReader(r))
	case "base64":
		raw, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		return decodeBase64(raw)
	default:
		return io.ReadAll(r)
	}
}

func decodeBase64(raw []byte) ([]byte, error) {
	clean := bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, raw)
	return base64.StdEncoding.DecodeString(string(clean))
}

// ParseID reads a message id from a URL path element.
func ParseID(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil
}
