package mail_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"gatehouse/internal/mail"
	"gatehouse/internal/mailsink"
)

func sink(t *testing.T) *mailsink.Sink {
	s, err := mailsink.Start("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSendsAlternativesOverSMTP(t *testing.T) {
	s := sink(t)
	sender, err := mail.NewSender(s.URL(), "Gatehouse <no-reply@example.test>")
	if err != nil {
		t.Fatal(err)
	}
	ics := "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
	err = sender.Send(context.Background(), mail.Message{
		MessageID: "reg-1@gatehouse", To: []string{"Ann@Example.test"}, Subject: "Zaproszenie – ünïcode",
		Text: "hello", HTML: "<p>hello</p>", Calendar: ics,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := s.Wait(ctx, mailsink.To("ann@example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Zaproszenie – ünïcode" || m.Text != "hello" || m.HTML != "<p>hello</p>" {
		t.Fatalf("message %+v", m)
	}
	cal, ok := m.Part("text/calendar")
	if !ok || cal.Params["method"] != "REQUEST" || cal.Body != ics {
		t.Fatalf("calendar part %+v", cal)
	}
	if m.Header["Message-Id"] != "<reg-1@gatehouse>" {
		t.Fatalf("message id %q", m.Header["Message-Id"])
	}
}

func TestRefusalsAreClassified(t *testing.T) {
	s := sink(t)
	s.SetRcptRule(func(rcpt string) *smtp.SMTPError {
		switch {
		case strings.HasPrefix(rcpt, "full@"):
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
		case strings.HasPrefix(rcpt, "gone@"):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	})
	sender, err := mail.NewSender(s.URL(), "no-reply@example.test")
	if err != nil {
		t.Fatal(err)
	}
	for rcpt, permanent := range map[string]bool{"full@example.test": false, "gone@example.test": true} {
		err := sender.Send(context.Background(), mail.Message{To: []string{rcpt}, Subject: "x", Text: "x"})
		var f *mail.Failure
		if !errors.As(err, &f) || f.Permanent != permanent {
			t.Fatalf("%s: %v (%#v)", rcpt, err, f)
		}
	}
	if err := sender.Send(context.Background(), mail.Message{To: []string{"not an address"}, Text: "x"}); err == nil {
		t.Fatal("invalid address accepted")
	}
}

// STARTTLS=required must refuse a server that does not offer TLS rather than
// send credentials and mail in the clear.
func TestStartTLSRequiredRefusesPlainServer(t *testing.T) {
	s := sink(t)
	sender, err := mail.NewSender("smtp://"+s.Addr()+"?starttls=required", "no-reply@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(context.Background(), mail.Message{To: []string{"a@example.test"}, Text: "x"}); err == nil {
		t.Fatal("sent without TLS")
	}
	if len(s.Messages()) != 0 {
		t.Fatal("message reached a plain server")
	}
}

// NotSent holds only for failures that prove the server took nothing: a
// refusal before the data, or no connection at all. The refusal stays a
// classified *Failure.
func TestNotSent(t *testing.T) {
	s := sink(t)
	s.SetRcptRule(func(rcpt string) *smtp.SMTPError {
		if strings.HasPrefix(rcpt, "later@") {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	})
	sender, err := mail.NewSender(s.URL(), "no-reply@example.test")
	if err != nil {
		t.Fatal(err)
	}
	err = sender.Send(context.Background(), mail.Message{To: []string{"later@example.test"}, Subject: "x", Text: "x"})
	var f *mail.Failure
	if !mail.NotSent(err) || !errors.As(err, &f) || f.Code != 451 || f.Permanent {
		t.Fatalf("refused recipient: %v (not sent %v, %#v)", err, mail.NotSent(err), f)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	nobody, err := mail.NewSender("smtp://"+closed+"?starttls=none", "no-reply@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := nobody.Send(context.Background(), mail.Message{To: []string{"a@example.test"}, Text: "x"}); !mail.NotSent(err) {
		t.Fatalf("connection refused: %v, not sent %v", err, mail.NotSent(err))
	}
	if err := sender.Send(context.Background(), mail.Message{To: []string{"a@example.test"}, Text: "x"}); err != nil || mail.NotSent(err) {
		t.Fatalf("accepted: %v", err)
	}
	if len(s.Messages()) != 1 {
		t.Fatalf("%d messages, want 1", len(s.Messages()))
	}
}

// A server that accepts the message and then drops the connection at RSET
// (the step after the data) has the message: Send reports success.
func TestAcceptedThenDroppedIsSent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
		buf := make([]byte, 64*1024)
		var line strings.Builder
		inData := false
		write := func(s string) { conn.Write([]byte(s + "\r\n")) } //nolint:errcheck
		write("220 drop.test ESMTP")
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			line.WriteString(string(buf[:n]))
			for {
				text := line.String()
				i := strings.Index(text, "\r\n")
				if i < 0 {
					break
				}
				cmd := text[:i]
				line.Reset()
				line.WriteString(text[i+2:])
				switch up := strings.ToUpper(cmd); {
				case inData && cmd == ".":
					inData = false
					write("250 queued")
					accepted <- struct{}{}
				case inData:
				case strings.HasPrefix(up, "EHLO"), strings.HasPrefix(up, "HELO"):
					write("250 drop.test")
				case strings.HasPrefix(up, "MAIL"), strings.HasPrefix(up, "RCPT"), up == "NOOP":
					write("250 ok")
				case up == "DATA":
					inData = true
					write("354 go ahead")
				default: // RSET, QUIT: the connection drops
					return
				}
			}
		}
	}()
	sender, err := mail.NewSender("smtp://"+l.Addr().String()+"?starttls=none", "Gatehouse <no-reply@example.test>")
	if err != nil {
		t.Fatal(err)
	}
	err = sender.Send(context.Background(), mail.Message{To: []string{"ann@example.test"}, Subject: "s", Text: "t"})
	select {
	case <-accepted:
	default:
		t.Fatalf("the server never accepted the message (send error %v)", err)
	}
	if err != nil {
		t.Fatalf("accepted message reported as failed: %v", err)
	}
}
