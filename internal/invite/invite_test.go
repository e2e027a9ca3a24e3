package invite

import (
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

func TestBuildIsAValidRequest(t *testing.T) {
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	out := Build(Invitation{
		UID: "registration-u1@gatehouse", Summary: "Summit, 2026; day 1", Description: "Line one\nLine two",
		Start: start, End: start.Add(2 * time.Hour), Organizer: "events@example.test", OrganizerCN: "Events",
		Attendee: "ann@example.test", AttendeeCN: "Ann Lee", Stamp: start.Add(-time.Hour),
	})
	if strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
		t.Fatal("bare LF line end")
	}
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	for _, want := range []string{"METHOD:REQUEST\r\n", "UID:registration-u1@gatehouse\r\n", "DTSTART:20261201T150000Z\r\n",
		"DTEND:20261201T170000Z\r\n", "ORGANIZER;CN=Events:mailto:events@example.test\r\n", "mailto:ann@example.test\r\n",
		"SUMMARY:Summit\\, 2026\\; day 1\r\n", "RSVP=TRUE"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// It parses back.
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	if err != nil || len(cal.Events()) != 1 {
		t.Fatalf("reparse: %v", err)
	}
	if got := cal.Events()[0].GetProperty(ics.ComponentPropertyDescription).Value; got != "Line one\nLine two" {
		t.Errorf("description %q", got)
	}
}

// A name with a line break or a quote cannot add a property or an attendee.
func TestNamesCannotInjectProperties(t *testing.T) {
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	out := Build(Invitation{UID: "u1@gatehouse", Summary: "S", Start: start, Organizer: "events@example.test",
		OrganizerCN: "Events\r\nATTENDEE:mailto:evil@x.test", Attendee: "ann@example.test",
		AttendeeCN: "Ann\";X=1\nDESCRIPTION:phish", Stamp: start})
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	for _, line := range strings.Split(unfolded, "\r\n") {
		if strings.HasPrefix(line, "DESCRIPTION") || strings.HasPrefix(line, "ATTENDEE:mailto:evil") {
			t.Fatalf("injected line %q in\n%s", line, out)
		}
	}
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	if err != nil || len(cal.Events()) != 1 || len(cal.Events()[0].Attendees()) != 1 {
		t.Fatalf("reparse: %v\n%s", err, out)
	}
}

// Any names and texts a registrant or an administrator can send give an
// invitation that parses back with one event and one attendee.
func FuzzBuild(f *testing.F) {
	f.Add("Summit, 2026; day 1", "Line one\nLine two", "Ann Lee", "Events", "https://x.test/e?a=1")
	f.Add("", "", "", "", "")
	f.Add("\r\nBEGIN:VEVENT", "\\n;,:", "Ann\";X=1\nDESCRIPTION:p", "\x00\xff", "javascript:alert(1)")
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, summary, description, attendeeCN, organizerCN, url string) {
		out := Build(Invitation{UID: "u1@gatehouse", Summary: summary, Description: description, URL: url,
			Start: start, Organizer: "events@example.test", OrganizerCN: organizerCN,
			Attendee: "ann@example.test", AttendeeCN: attendeeCN, Stamp: start})
		if strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
			t.Fatal("bare LF")
		}
		unfolded := strings.ReplaceAll(out, "\r\n ", "")
		if strings.Count(unfolded, "\r\nBEGIN:VEVENT\r\n") != 1 || strings.Count(unfolded, "\r\nATTENDEE") != 1 ||
			strings.Count(unfolded, "\r\nORGANIZER") != 1 {
			t.Fatalf("structure changed:\n%s", out)
		}
	})
}
