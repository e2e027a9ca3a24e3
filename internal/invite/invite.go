// Package invite builds the calendar invitation of a registration: an
// RFC 5545 object with METHOD:REQUEST, as RFC 6047 (iMIP) expects, written by
// arran4/golang-ical.
package invite

import (
	"strings"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"
)

// Invitation is one attendee's invitation to the site's event.
type Invitation struct {
	UID         string // stable per registration, so a resend updates, not duplicates
	Sequence    int    // raised on every resend
	Summary     string
	Description string
	URL         string
	Start       time.Time
	End         time.Time // zero: one hour after Start
	Organizer   string    // email address
	OrganizerCN string
	Attendee    string // email address
	AttendeeCN  string
	Stamp       time.Time
}

// Build returns the iCalendar text with CRLF line ends.
func Build(in Invitation) string {
	cal := ics.NewCalendarFor("Gatehouse")
	cal.SetMethod(ics.MethodRequest)
	ev := cal.AddEvent(in.UID)
	ev.SetDtStampTime(in.Stamp.UTC())
	ev.SetSequence(in.Sequence)
	ev.SetStartAt(in.Start.UTC())
	end := in.End
	if end.IsZero() || !end.After(in.Start) {
		end = in.Start.Add(time.Hour)
	}
	ev.SetEndAt(end.UTC())
	ev.SetSummary(in.Summary)
	if in.Description != "" {
		ev.SetDescription(in.Description)
	}
	// A URL is not escaped by the library (it is a URI, not text): one with
	// control characters is not a URL, and would break the line.
	if in.URL != "" && strings.IndexFunc(in.URL, unicode.IsControl) < 0 {
		ev.SetURL(in.URL)
	}
	ev.SetStatus(ics.ObjectStatusConfirmed)
	ev.SetOrganizer("mailto:"+in.Organizer, ics.WithCN(paramText(orDefault(in.OrganizerCN, in.Organizer))))
	ev.AddAttendee("mailto:"+in.Attendee,
		ics.WithCN(paramText(orDefault(in.AttendeeCN, in.Attendee))),
		ics.CalendarUserTypeIndividual,
		ics.ParticipationRoleReqParticipant,
		ics.ParticipationStatusNeedsAction,
		// RFC 5545 booleans are upper case; WithRSVP writes "true".
		&ics.KeyValues{Key: string(ics.ParameterRsvp), Value: []string{"TRUE"}})
	return cal.Serialize(ics.WithNewLineWindows)
}

// paramText makes a name safe as a property parameter value (CN=): RFC 5545
// allows neither control characters nor DQUOTE there, and a line break would
// start a property of the sender's choosing. Text values (SUMMARY,
// DESCRIPTION) are escaped by the library itself.
func paramText(v string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return ' '
		}
		return r
	}, v)
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
