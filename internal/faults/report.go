package faults

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Report is one run's figures; faults/results/<time>.json holds it.
type Report struct {
	Variant               string    `json:"variant"`
	StartedAt             time.Time `json:"startedAt"`
	Seconds               float64   `json:"seconds"`
	CPUs                  int       `json:"cpus"`
	GoVersion             string    `json:"goVersion"`
	RunDir                string    `json:"runDir,omitempty"` // kept logs and data (failed runs, -keep)
	RecoveryTargetSeconds float64   `json:"recoveryTargetSeconds"`

	Load struct {
		Seconds              float64 `json:"seconds"`
		RegistrationRate     float64 `json:"registrationsPerSecond"`
		EventRate            float64 `json:"eventsPerSecond"`
		RegistrationRequests int     `json:"registrationRequests"`
		NewPersons           int     `json:"newPersons"`
		ExactDuplicates      int     `json:"exactDuplicates"`
		CaseVariants         int     `json:"caseVariants"`
		Events               int     `json:"events"`
		Retries              int     `json:"retries"` // attempts after the first (503s, connection errors)
		GaveUp               int     `json:"gaveUp"`  // requests never accepted after 3 min of retries
		Rejected             int     `json:"rejected"`
	} `json:"load"`
	Outage struct {
		From       float64 `json:"fromSecond"`
		To         float64 `json:"toSecond"`
		Answers503 int     `json:"answers503"`
	} `json:"receiverOutage"`
	Kills []Kill `json:"kills"`

	Accepted struct {
		Persons              int `json:"persons"` // distinct addresses (case-insensitive) with a 202
		RegistrationRequests int `json:"registrationRequests"`
		Events               int `json:"events"`
	} `json:"accepted"`
	Users struct {
		ForAccepted   int `json:"forAccepted"`   // accepted persons with a user row
		DuplicateRows int `json:"duplicateRows"` // rows beyond one per person
		NotAccepted   int `json:"notAccepted"`   // users whose requests all failed for the client (accepted by the server anyway)
	} `json:"users"`
	Emails struct {
		LinkEmails       int            `json:"linkEmails"`
		PersonsWithEmail int            `json:"personsWithEmail"`
		WorkingLinks     int            `json:"personsWithWorkingLink"`
		Duplicates       int            `json:"duplicates"`
		Classes          map[string]int `json:"duplicateClasses,omitempty"`
	} `json:"emails"`
	Deliveries struct {
		Expected   int            `json:"expected"`
		Delivered  int            `json:"delivered"` // distinct webhook-ids answered 2xx
		Rows       int            `json:"rows"`
		Duplicates int            `json:"duplicates"` // 2xx answers beyond the first per webhook-id
		Classes    map[string]int `json:"duplicateClasses,omitempty"`
		Requests   int            `json:"requests"` // everything the receiver got for the load
	} `json:"deliveries"`
	DuplicateEvents int `json:"duplicateEvents"` // event rows beyond one per Idempotency-Key
	// DuplicateSamples name the first duplicates: what, which id, when each
	// copy arrived (seconds into the load) and the class.
	DuplicateSamples []string `json:"duplicateSamples,omitempty"`
	Lost             struct {
		Users        int      `json:"users"`
		Emails       int      `json:"emails"`
		WorkingLinks int      `json:"workingLinks"`
		Events       int      `json:"events"`
		Deliveries   int      `json:"deliveries"`
		Total        int      `json:"total"`
		Samples      []string `json:"samples,omitempty"`
	} `json:"lost"`
	Stuck         int            `json:"stuck"`
	StuckByStatus map[string]int `json:"stuckByStatus,omitempty"`
	DrainSeconds  float64        `json:"drainSeconds"`
	Drained       bool           `json:"drained"`
	Failures      []string       `json:"failures,omitempty"`
	Pass          bool           `json:"pass"`

	loadStart time.Time
}

// Kill is one SIGKILL and what followed.
type Kill struct {
	Target          string  `json:"target"`
	AtSecond        float64 `json:"atSecond"`        // into the load
	DownSeconds     float64 `json:"downSeconds"`     // kill to restart
	ReadySeconds    float64 `json:"readySeconds"`    // restart to the process being ready
	RecoverySeconds float64 `json:"recoverySeconds"` // kill to the first probe through the system
	ProbeRounds     int     `json:"probeRounds"`
	Error           string  `json:"error,omitempty"`

	KilledAt    time.Time `json:"killedAt"`
	RecoveredAt time.Time `json:"recoveredAt"`
}

// Why each duplicate class happens; "no kill" marks a bug candidate.
var classReasons = map[string]string{
	"worker":   "the killed worker had sent it, but the completion never reached Temporal; the task ran again on the other worker after its timeout (at least once by design)",
	"temporal": "the server died with the completion (or the task) in flight; the worker's retry sent again",
	"mariadb":  "MySQL died after the send and before the bookkeeping; the retry sent again",
	"gateway":  "gateways send nothing themselves: unexpected",
	"none":     "no kill between the first and the second copy: unexpected",
}

// attribute names the kill that explains a second copy at dup of
// something first seen at first: the latest kill before dup, if the first
// copy came before that kill recovered and the second within 3 minutes.
func (r *Report) attribute(first, dup time.Time) string {
	for i := len(r.Kills) - 1; i >= 0; i-- {
		k := r.Kills[i]
		if k.KilledAt.IsZero() || k.KilledAt.After(dup) {
			continue
		}
		end := k.RecoveredAt
		if end.IsZero() {
			end = k.KilledAt.Add(time.Minute)
		}
		if first.Before(end) && dup.Sub(k.KilledAt) < 3*time.Minute {
			return k.Target
		}
		break
	}
	return "none"
}

func (r *Report) build(o Options, st *stack, l *loader, s *state, broken []string) {
	r.CPUs, r.GoVersion = runtime.NumCPU(), runtime.Version()
	r.Load.RegistrationRate, r.Load.EventRate = o.RegRate, o.EventRate
	l.mu.Lock()
	r.Load.Retries = l.retries
	for _, x := range l.regs {
		r.Load.RegistrationRequests++
		switch x.Kind {
		case "new":
			r.Load.NewPersons++
		case "duplicate":
			r.Load.ExactDuplicates++
		default:
			r.Load.CaseVariants++
		}
		switch {
		case x.accepted():
			r.Accepted.RegistrationRequests++
		case retryable(x.Status) || x.Status == 0:
			r.Load.GaveUp++
		default:
			r.Load.Rejected++
			r.Failures = appendCapped(r.Failures, fmt.Sprintf("registration %s answered %d: %s", x.Email, x.Status, x.Err))
		}
	}
	for _, e := range l.events {
		r.Load.Events++
		switch {
		case e.accepted():
		case retryable(e.Status) || e.Status == 0:
			r.Load.GaveUp++
		default:
			r.Load.Rejected++
			r.Failures = appendCapped(r.Failures, fmt.Sprintf("event %s answered %d: %s", e.ObjectID, e.Status, e.Err))
		}
	}
	l.mu.Unlock()
	r.Accepted.Persons, r.Accepted.Events = len(s.accepted), len(s.acceptedEvents)

	// Users.
	for p := range s.accepted {
		if n := s.users[p]; n > 0 {
			r.Users.ForAccepted++
			r.Users.DuplicateRows += n - 1
		}
	}
	r.Users.NotAccepted = s.phantomUsers

	// Emails, and which kill explains each duplicate.
	r.Emails.Classes = map[string]int{}
	for p, ms := range s.mails {
		r.Emails.LinkEmails += len(ms)
		if !s.accepted[p] {
			continue
		}
		r.Emails.PersonsWithEmail++
		sort.Slice(ms, func(i, j int) bool { return ms[i].At.Before(ms[j].At) })
		for i := 1; i < len(ms); i++ {
			r.Emails.Duplicates++
			how := "link re-issued"
			if ms[i].MessageID != "" && ms[i].MessageID == ms[i-1].MessageID {
				how = "same Message-ID"
			}
			class := r.attribute(ms[0].At, ms[i].At) + " kill: " + how
			r.Emails.Classes[class]++
			r.sample("email to %s: %s then %s (%s; Message-IDs %s, %s)", p, r.second(ms[0].At), r.second(ms[i].At), class, ms[0].MessageID, ms[i].MessageID)
		}
	}
	r.Emails.WorkingLinks = r.Emails.PersonsWithEmail - len(broken)

	// Deliveries at the receiver, by webhook-id.
	arrivals, _ := st.rc.snapshot()
	r.Deliveries.Classes = map[string]int{}
	for _, as := range arrivals {
		for _, a := range as {
			if strings.HasPrefix(a.Path, "/hook/") {
				r.Deliveries.Requests++
				if a.Status == 503 {
					r.Outage.Answers503++
				}
			}
		}
	}
	for id := range s.acceptedEvents {
		for _, d := range st.deliveryIDs(id) {
			r.Deliveries.Expected++
			if _, ok := s.deliveryRows[d]; ok {
				r.Deliveries.Rows++
			}
			var ok []arrival
			for _, a := range arrivals[d] {
				if a.Status < 300 {
					ok = append(ok, a)
				}
			}
			if len(ok) > 0 {
				r.Deliveries.Delivered++
			}
			for i := 1; i < len(ok); i++ {
				r.Deliveries.Duplicates++
				class := r.attribute(ok[0].At, ok[i].At) + " kill"
				r.Deliveries.Classes[class]++
				r.sample("webhook-id %s: 2xx at %s and %s (%s)", d, r.second(ok[0].At), r.second(ok[i].At), class)
			}
		}
	}
	for _, n := range s.eventsPerObject {
		if n > 1 {
			r.DuplicateEvents += n - 1
		}
	}

	// Lost and stuck.
	r.Lost.Users = len(s.missingUsers)
	r.Lost.Emails = len(s.missingEmails)
	r.Lost.WorkingLinks = len(broken)
	r.Lost.Events = len(s.missingEvents)
	lostDeliveries := map[string]bool{}
	for _, d := range s.undelivered {
		lostDeliveries[d] = true
	}
	r.Lost.Deliveries = len(lostDeliveries)
	r.Lost.Total = r.Lost.Users + r.Lost.Emails + r.Lost.WorkingLinks + r.Lost.Events + r.Lost.Deliveries
	for _, list := range []struct {
		what string
		ids  []string
	}{{"no user", s.missingUsers}, {"no link email", s.missingEmails}, {"no working link", broken},
		{"event not stored", s.missingEvents}, {"event not dispatched", s.undispatched}, {"no delivery row", s.missingRows},
		{"not delivered", s.undelivered}} {
		for i, id := range list.ids {
			if i == 5 {
				break
			}
			r.Lost.Samples = append(r.Lost.Samples, list.what+": "+id)
		}
	}
	r.StuckByStatus = s.openDeliveries
	for _, n := range s.openDeliveries {
		r.Stuck += n
	}

	// Verdict.
	if r.Lost.Total > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d accepted items lost", r.Lost.Total))
	}
	if r.Stuck > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d deliveries stuck outside a final state", r.Stuck))
	}
	if r.DuplicateEvents > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d events stored twice under one Idempotency-Key", r.DuplicateEvents))
	}
	if r.Users.DuplicateRows > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d duplicate users", r.Users.DuplicateRows))
	}
	if !r.Drained {
		r.Failures = append(r.Failures, fmt.Sprintf("drain timed out after %s", o.DrainFor))
	}
	for _, k := range r.Kills {
		switch {
		case k.Error != "":
			r.Failures = append(r.Failures, fmt.Sprintf("%s kill: %s", k.Target, k.Error))
		case k.RecoverySeconds > o.RecoveryTarget.Seconds():
			r.Failures = append(r.Failures, fmt.Sprintf("%s kill: recovered after %.1fs (target %s)", k.Target, k.RecoverySeconds, o.RecoveryTarget))
		}
	}
	if len(r.Kills) < 4 {
		r.Failures = append(r.Failures, fmt.Sprintf("only %d of 4 kills ran", len(r.Kills)))
	}
	if r.Accepted.Persons == 0 || r.Accepted.Events == 0 {
		r.Failures = append(r.Failures, "nothing was accepted")
	}
	r.Pass = len(r.Failures) == 0
}

func (r *Report) sample(format string, args ...any) {
	if len(r.DuplicateSamples) < 20 {
		r.DuplicateSamples = append(r.DuplicateSamples, fmt.Sprintf(format, args...))
	}
}

// second is t as seconds into the load, with the wall clock for the logs.
func (r *Report) second(t time.Time) string {
	return fmt.Sprintf("%.2f s (%s)", t.Sub(r.loadStart).Seconds(), t.UTC().Format("15:04:05.000"))
}

func appendCapped(list []string, s string) []string {
	if len(list) < 20 {
		return append(list, s)
	}
	return list
}

// write stores <time>.json and latest.json / latest.md (latest-short.* for
// the short variant, so CI runs do not replace the full run's figures).
func (r *Report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	suffix := ""
	if r.Variant != "full" {
		suffix = "-" + r.Variant
	}
	stamp := r.StartedAt.Format("20060102T150405Z")
	for name, data := range map[string][]byte{
		stamp + suffix + ".json": b, "latest" + suffix + ".json": b, "latest" + suffix + ".md": []byte(r.Markdown()),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Markdown is the run as tables: the figures, then the kills, then the
// duplicate classes with their reasons.
func (r *Report) Markdown() string {
	var b strings.Builder
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "Fault suite, %s run of %s (%d CPUs, %s): **%s**\n\n", r.Variant, r.StartedAt.Format("2006-01-02 15:04 UTC"), r.CPUs, r.GoVersion, verdict)
	b.WriteString("| figure | value |\n| --- | --- |\n")
	row := func(k string, format string, args ...any) {
		fmt.Fprintf(&b, "| %s | %s |\n", k, fmt.Sprintf(format, args...))
	}
	row("load", "%.0f s at %.0f registrations/s + %.0f events/s over 2 gateways; %d registration requests (%d new, %d exact duplicates, %d case variants), %d events; %d retries, %d gave up",
		r.Load.Seconds, r.Load.RegistrationRate, r.Load.EventRate, r.Load.RegistrationRequests, r.Load.NewPersons, r.Load.ExactDuplicates, r.Load.CaseVariants, r.Load.Events, r.Load.Retries, r.Load.GaveUp)
	kills := make([]string, 0, len(r.Kills))
	for _, k := range r.Kills {
		kills = append(kills, fmt.Sprintf("%s at %.0f s", k.Target, k.AtSecond))
	}
	row("kills (SIGKILL, restart after the pause)", "%s", strings.Join(kills, ", "))
	row("receiver outage (503)", "%.0f–%.0f s, %d answers 503", r.Outage.From, r.Outage.To, r.Outage.Answers503)
	row("accepted", "%d persons (%d registration requests), %d events", r.Accepted.Persons, r.Accepted.RegistrationRequests, r.Accepted.Events)
	row("users", "%d of %d accepted persons, %d duplicate rows", r.Users.ForAccepted, r.Accepted.Persons, r.Users.DuplicateRows)
	row("set-password emails", "%d emails; %d persons with an email, %d with a working link; %d duplicates", r.Emails.LinkEmails, r.Emails.PersonsWithEmail, r.Emails.WorkingLinks, r.Emails.Duplicates)
	row("deliveries", "%d of %d delivered (%d rows); %d requests at the receiver; %d duplicates by webhook-id", r.Deliveries.Delivered, r.Deliveries.Expected, r.Deliveries.Rows, r.Deliveries.Requests, r.Deliveries.Duplicates)
	row("duplicate events (same Idempotency-Key)", "%d", r.DuplicateEvents)
	row("lost", "**%d** (users %d, emails %d, working links %d, events %d, deliveries %d)", r.Lost.Total, r.Lost.Users, r.Lost.Emails, r.Lost.WorkingLinks, r.Lost.Events, r.Lost.Deliveries)
	row("stuck deliveries", "**%d**", r.Stuck)
	row("drain", "%.1f s%s", r.DrainSeconds, map[bool]string{true: "", false: " (timed out)"}[r.Drained])
	b.WriteString("\n| kill | at | down | process ready after restart | recovered (kill → probe through) |\n| --- | --- | --- | --- | --- |\n")
	for _, k := range r.Kills {
		rec := fmt.Sprintf("%.1f s", k.RecoverySeconds)
		if k.Error != "" {
			rec = "error: " + k.Error
		}
		fmt.Fprintf(&b, "| %s | %.0f s | %.1f s | %.1f s | %s |\n", k.Target, k.AtSecond, k.DownSeconds, k.ReadySeconds, rec)
	}
	classes := map[string]int{}
	for c, n := range r.Emails.Classes {
		classes["email: "+c] += n
	}
	for c, n := range r.Deliveries.Classes {
		classes["delivery: "+c] += n
	}
	if len(classes) > 0 {
		b.WriteString("\n| duplicate class | count | reason |\n| --- | --- | --- |\n")
		keys := make([]string, 0, len(classes))
		for c := range classes {
			keys = append(keys, c)
		}
		sort.Strings(keys)
		for _, c := range keys {
			fmt.Fprintf(&b, "| %s | %d | %s |\n", c, classes[c], reasonOf(c))
		}
	}
	if len(r.Failures) > 0 {
		b.WriteString("\nFailures:\n")
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "- %s\n", f)
		}
	}
	if len(r.DuplicateSamples) > 0 {
		b.WriteString("\nDuplicates:\n")
		for _, s := range r.DuplicateSamples {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	if len(r.Lost.Samples) > 0 {
		b.WriteString("\nLost or unfinished:\n")
		for _, s := range r.Lost.Samples {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	return b.String()
}

func reasonOf(class string) string {
	_, rest, _ := strings.Cut(class, ": ")
	target, how, _ := strings.Cut(rest, " kill")
	reason := classReasons[target]
	switch {
	case strings.Contains(how, "same Message-ID"):
		reason += "; the same send repeated (same Message-ID)"
	case strings.Contains(how, "link re-issued"):
		reason += "; a new link was issued and the older one revoked"
	}
	return reason
}
