package faults

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/mailsink"
)

// linkRE finds the set-password link in an email's text.
var linkRE = regexp.MustCompile(`https?://[^\s"'<>]+/set-password\?token=[^\s"'<>&]+`)

// linkEmail is one set-password email the sink received.
type linkEmail struct {
	At        time.Time
	MessageID string
	Link      string
}

// state is what MySQL, the sink and the receiver hold about the load's
// accepted work at one moment.
type state struct {
	// registrations (per person = lower-case address)
	accepted        map[string]bool // persons with at least one 202
	users           map[string]int  // user rows per person
	userStatus      map[string]string
	mails           map[string][]linkEmail
	phantomUsers    int // users of addresses never accepted (a request that failed for the client but reached the server)
	missingUsers    []string
	missingEmails   []string
	acceptedEvents  map[string]*eventSend // by event id
	eventRows       map[string]bool       // event ids in MySQL
	eventsPerObject map[string]int        // event rows per objectId: >1 is a duplicate event
	undispatched    []string              // accepted events whose dispatched_at is NULL
	deliveryRows    map[string]string     // delivery id -> status
	openDeliveries  map[string]int        // every non-final delivery row, by status
	missingRows     []string              // expected delivery ids without a row
	undelivered     []string              // expected delivery ids never answered 2xx
	missingEvents   []string              // accepted event ids without a row
}

// pending is the work the drain still waits for.
func (s *state) pending() int {
	n := len(s.missingUsers) + len(s.missingEmails) + len(s.undispatched) + len(s.missingRows) + len(s.undelivered) + len(s.missingEvents)
	for _, c := range s.openDeliveries {
		n += c
	}
	return n
}

func (s *state) summary() string {
	open := 0
	for _, c := range s.openDeliveries {
		open += c
	}
	return fmt.Sprintf("users missing %d, emails missing %d, events missing %d, undispatched %d, delivery rows missing %d, not delivered %d, open deliveries %d",
		len(s.missingUsers), len(s.missingEmails), len(s.missingEvents), len(s.undispatched), len(s.missingRows), len(s.undelivered), open)
}

// observe reads the current state.
func observe(ctx context.Context, db *sql.DB, st *stack, l *loader) (*state, error) {
	s := &state{accepted: map[string]bool{}, users: map[string]int{}, userStatus: map[string]string{}, mails: map[string][]linkEmail{},
		acceptedEvents: map[string]*eventSend{}, eventRows: map[string]bool{}, eventsPerObject: map[string]int{},
		deliveryRows: map[string]string{}, openDeliveries: map[string]int{}}
	l.mu.Lock()
	for _, r := range l.regs {
		if r.accepted() {
			s.accepted[r.Norm] = true
		}
	}
	for _, e := range l.events {
		if e.accepted() {
			s.acceptedEvents[e.EventID] = e
		}
	}
	l.mu.Unlock()

	rows, err := db.QueryContext(ctx, "SELECT LOWER(email), status FROM users WHERE site_id = ?", st.siteID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var email, status string
		if err := rows.Scan(&email, &status); err != nil {
			rows.Close()
			return nil, err
		}
		s.users[email]++
		s.userStatus[email] = status
		if !s.accepted[email] {
			s.phantomUsers++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, m := range st.sink.Messages() {
		link := linkRE.FindString(m.Text)
		if link == "" {
			link = linkRE.FindString(m.HTML)
		}
		if link == "" {
			continue
		}
		for _, to := range m.To {
			to = strings.ToLower(to)
			if strings.HasSuffix(to, "@"+loadDomain) {
				s.mails[to] = append(s.mails[to], linkEmail{At: m.ReceivedAt, MessageID: m.Header["Message-Id"], Link: strings.ReplaceAll(link, "&amp;", "&")})
			}
		}
	}
	for p := range s.accepted {
		if s.users[p] == 0 {
			s.missingUsers = append(s.missingUsers, p)
		}
		if len(s.mails[p]) == 0 {
			s.missingEmails = append(s.missingEmails, p)
		}
	}

	rows, err = db.QueryContext(ctx, "SELECT id, object_id, dispatched_at IS NOT NULL FROM events WHERE event_type = ?", loadEventType)
	if err != nil {
		return nil, err
	}
	dispatched := map[string]bool{}
	for rows.Next() {
		var id, obj string
		var d bool
		if err := rows.Scan(&id, &obj, &d); err != nil {
			rows.Close()
			return nil, err
		}
		s.eventRows[id] = true
		s.eventsPerObject[obj]++
		dispatched[id] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, "SELECT id, status FROM deliveries")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			rows.Close()
			return nil, err
		}
		s.deliveryRows[id] = status
		if !finalStatus(status) {
			s.openDeliveries[status]++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for id := range s.acceptedEvents {
		if !s.eventRows[id] {
			s.missingEvents = append(s.missingEvents, id)
			continue
		}
		if !dispatched[id] {
			s.undispatched = append(s.undispatched, id)
		}
		for _, d := range st.deliveryIDs(id) {
			if _, ok := s.deliveryRows[d]; !ok {
				s.missingRows = append(s.missingRows, d)
			}
			if _, ok := st.rc.delivered(d); !ok {
				s.undelivered = append(s.undelivered, d)
			}
		}
	}
	for _, list := range [][]string{s.missingUsers, s.missingEmails, s.missingEvents, s.undispatched, s.missingRows, s.undelivered} {
		sort.Strings(list)
	}
	return s, nil
}

// finalStatus mirrors domain.Finished: delivered, failed, cancelled, targetGone.
func finalStatus(s string) bool {
	switch s {
	case "delivered", "failed", "cancelled", "targetGone":
		return true
	}
	return false
}

// drain waits until the accepted work is done (or limit passes) and nothing
// new has arrived at the sink or the receiver for quiet.
func drain(ctx context.Context, db *sql.DB, st *stack, l *loader, limit, quiet time.Duration, logf func(string, ...any)) (*state, bool, error) {
	deadline := time.Now().Add(limit)
	lastCount, lastChange := -1, time.Now()
	lastLog := time.Time{}
	for {
		s, err := observe(ctx, db, st, l)
		if err != nil {
			logf("drain: reading state: %v", err)
		}
		count := st.sink.Received() + st.rc.total()
		if count != lastCount {
			lastCount, lastChange = count, time.Now()
		}
		if s != nil && s.pending() == 0 && time.Since(lastChange) >= quiet {
			return s, true, nil
		}
		if time.Now().After(deadline) {
			if s == nil {
				return nil, false, fmt.Errorf("drain: no state: %w", err)
			}
			return s, false, nil
		}
		if s != nil && time.Since(lastLog) >= 10*time.Second {
			logf("draining: %s", s.summary())
			if n := s.pending(); n > 0 && n <= 5 {
				logOpen(ctx, db, logf)
			}
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return s, false, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// workingLinks GETs the newest link of each person until one shows the
// set-password page (200); GET only shows the form, it never uses the
// token. It returns the persons without a working link.
func workingLinks(ctx context.Context, mails map[string][]linkEmail, persons map[string]bool) []string {
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var (
		mu     sync.Mutex
		broken []string
		wg     sync.WaitGroup
	)
	work := make(chan string)
	for range 8 {
		wg.Go(func() {
			for p := range work {
				ok := false
				ms := mails[p]
				for i := len(ms) - 1; i >= 0 && !ok; i-- {
					req, err := http.NewRequestWithContext(ctx, "GET", ms[i].Link, nil)
					if err != nil {
						continue
					}
					res, err := c.Do(req)
					if err != nil {
						continue
					}
					res.Body.Close()
					ok = res.StatusCode == http.StatusOK
				}
				if !ok {
					mu.Lock()
					broken = append(broken, p)
					mu.Unlock()
				}
			}
		})
	}
	for p := range persons {
		if len(mails[p]) > 0 {
			work <- p
		}
	}
	close(work)
	wg.Wait()
	sort.Strings(broken)
	return broken
}

// messagesTo is the sink's messages for one domain (probe emails included
// in the sink counts, excluded from the load's).
func messagesTo(sink *mailsink.Sink, domain string) int {
	n := 0
	for _, m := range sink.Messages() {
		for _, to := range m.To {
			if strings.HasSuffix(strings.ToLower(to), "@"+domain) {
				n++
				break
			}
		}
	}
	return n
}

// logOpen shows the last few open deliveries: what holds the drain up.
func logOpen(ctx context.Context, db *sql.DB, logf func(string, ...any)) {
	rows, err := db.QueryContext(ctx, `SELECT id, status, attempts, COALESCE(last_status, 0), COALESCE(last_error, ''), next_attempt_at
		FROM deliveries WHERE status NOT IN ('delivered', 'failed', 'cancelled', 'targetGone') ORDER BY created_at LIMIT 5`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, status, lastErr string
		var attempts, lastStatus int
		var next sql.NullTime
		if rows.Scan(&id, &status, &attempts, &lastStatus, &lastErr, &next) == nil {
			logf("  open: %s %s attempts=%d last=%d next=%v err=%s", id, status, attempts, lastStatus, next.Time.Format(time.RFC3339), truncate(lastErr, 160))
		}
	}
}
