package portal

import (
	"encoding/json"
	"fmt"
	"time"
)

// Time layouts the portal uses: webhook Timestamps and CreatedAt are RFC 3339
// with fractional seconds and an offset ("2024-04-22T16:38:54.082037+02:00",
// "...Z"); the admin API writes "2023-06-25 13:37" (no zone: UTC assumed)
// and "2023-06-23" for dates.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTime parses a time in one of the portal's formats. A layout without a
// zone is read as UTC.
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want RFC 3339 like 2024-04-22T16:38:54.082037+02:00, or 2023-06-25 13:37)", clamp(s, 64))
}

// Time is a portal time in JSON: a string in one of ParseTime's formats;
// null and "" are the zero time. The portal's own zero, 0001-01-01T00:00:00Z
// (the seed's AccessRequestCreated sample), is the zero time too.
type Time struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time must be a string: %w", err)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// MarshalJSON writes RFC 3339 with nanoseconds, keeping the offset.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.Format(time.RFC3339Nano))
}
