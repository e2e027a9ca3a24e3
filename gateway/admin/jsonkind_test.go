package admin

import (
	"reflect"
	"testing"
	"time"
)

func TestJSONKind(t *testing.T) {
	type header struct{ Name, Value string }
	for _, c := range []struct {
		v    any
		want string
	}{
		{[]header{}, "a list of objects"},
		{[]string{}, "a list of strings"},
		{[]int{}, "a list of whole numbers"},
		{[]bool{}, "a list of true/false values"},
		{[][]string{}, "a list of lists"},
		{map[string]string{}, "an object"},
		{&header{}, "an object"},
		{"", "a string"},
		{[]byte{}, "a string"},
		{0, "a whole number"},
		{1.5, "a number"},
		{true, "true or false"},
		{time.Time{}, "an RFC 3339 time string"},
	} {
		if got := jsonKind(reflect.TypeOf(c.v)); got != c.want {
			t.Errorf("%T: %q, want %q", c.v, got, c.want)
		}
	}
}
