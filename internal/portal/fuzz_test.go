package portal_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"testing"
	"unicode/utf8"

	"gatehouse/internal/portal"
	"gatehouse/internal/testkit/fakeportal"
)

var entityPattern = regexp.MustCompile(`^[0-9a-z-]{1,64}$`)

// FuzzDecode: Decode never panics; an accepted body has a catalogue name, a
// bounded entity id and the same dedup key when sent again re-encoded; a
// refused one names fields. Seeded from the seed's samples (also committed
// under testdata/fuzz/FuzzDecode).
func FuzzDecode(f *testing.F) {
	ss, err := fakeportal.Samples()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range ss {
		f.Add(s.Body)
	}
	f.Add([]byte(`{"Event":"RegisterInvite","Message":{"a":"<&>"},"Timestamp":"2023-06-25 13:37"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := portal.Decode(body)
		if err != nil {
			var inv *portal.InvalidError
			if !errors.As(err, &inv) || len(inv.Problems) == 0 {
				t.Fatalf("error %v is not an InvalidError with problems", err)
			}
			for _, p := range inv.Problems {
				if !slices.Contains([]string{"body", "Event", "Message", "Timestamp"}, p.Field) {
					t.Fatalf("problem field %q", p.Field)
				}
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error is not UTF-8: %q", err)
			}
			return
		}
		if !slices.Contains(portal.EventNames(), ev.Name) {
			t.Fatalf("name %q not in the catalogue", ev.Name)
		}
		if id := ev.EntityID(); !entityPattern.MatchString(id) {
			t.Fatalf("entity id %q", id)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(portal.Envelope{Event: ev.Name, Message: ev.Message, Timestamp: ev.RawTimestamp}); err != nil {
			t.Fatal(err)
		}
		again, err := portal.Decode(buf.Bytes())
		if err != nil {
			t.Fatalf("re-encoded %s refused: %v", buf.Bytes(), err)
		}
		if again.Name != ev.Name || again.DedupKey() != ev.DedupKey() {
			t.Fatalf("re-encoded event differs: %s %s", again.Name, again.EntityID())
		}
	})
}
