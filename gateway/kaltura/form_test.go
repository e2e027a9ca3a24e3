package kaltura

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, raw string) *formNode {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", raw, err)
	}
	n, err := parseForm(v)
	if err != nil {
		t.Fatalf("Parse(%q): %v", raw, err)
	}
	return n
}

func TestParseKalturaTemplate(t *testing.T) {
	form := url.Values{
		"eventNotificationTemplate[objectType]":                      {"KalturaHttpNotificationTemplate"},
		"eventNotificationTemplate[eventConditions][0][field][code]": {"in_array({event.object.status},array(2))"},
		"eventNotificationTemplate[eventConditions][0][objectType]":  {"KalturaEventFieldCondition"},
		"eventNotificationTemplate[customHeaders][0][key]":           {"X-Custom-Header"},
		"eventNotificationTemplate[customHeaders][0][value][value]":  {"abc"},
		"eventNotificationTemplate[userParameters][1][value][value]": {"Content_Workflow"},
		"eventNotificationTemplate[userParameters][0][key]":          {"metadata_field"},
		"filter[typeEqual]": {"httpNotification.Http"},
		"pager[pageSize]":   {"50"},
		"id":                {"5"},
		"eventNotificationTemplate[eventConditions][-]":                   nil, // no value: ignored
		"eventNotificationTemplate[contentParameters][-]":                 {""},
		"eventNotificationTemplate[userParameters][1][key]":               {"workflow"},
		"eventNotificationTemplate[userParameters][1][value][objectType]": {"KalturaStringValue"},
	}
	root, err := parseForm(form)
	if err != nil {
		t.Fatal(err)
	}

	strTests := []struct {
		path []string
		want string
		ok   bool
	}{
		{[]string{"id"}, "5", true},
		{[]string{"pager", "pageSize"}, "50", true},
		{[]string{"filter", "typeEqual"}, "httpNotification.Http", true},
		{[]string{"eventNotificationTemplate", "objectType"}, "KalturaHttpNotificationTemplate", true},
		{[]string{"eventNotificationTemplate", "eventConditions", "0", "field", "code"}, "in_array({event.object.status},array(2))", true},
		{[]string{"eventNotificationTemplate", "customHeaders", "0", "key"}, "X-Custom-Header", true},
		{[]string{"eventNotificationTemplate", "userParameters", "0", "key"}, "metadata_field", true},
		{[]string{"eventNotificationTemplate", "userParameters", "1", "value", "value"}, "Content_Workflow", true},
		{[]string{"eventNotificationTemplate", "contentParameters", "-"}, "", true},
		// containers and missing paths are not strings
		{[]string{"eventNotificationTemplate"}, "", false},
		{[]string{"eventNotificationTemplate", "customHeaders"}, "", false},
		{[]string{"eventNotificationTemplate", "customHeaders", "1", "key"}, "", false},
		{[]string{"id", "deeper"}, "", false},
		{[]string{"nope"}, "", false},
	}
	for _, tt := range strTests {
		got, ok := root.String(tt.path...)
		if got != tt.want || ok != tt.ok {
			t.Errorf("String(%v) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
		}
		if has := root.Has(tt.path...); tt.ok && !has {
			t.Errorf("Has(%v) = false, want true", tt.path)
		}
	}

	if got := len(root.Get("eventNotificationTemplate", "userParameters").Items); got != 2 {
		t.Errorf("userParameters has %d items, want 2", got)
	}
	if root.Get("eventNotificationTemplate", "objectType").Items != nil {
		t.Error("a leaf has no items")
	}
	if root.Get("eventNotificationTemplate", "contentParameters").Items != nil {
		t.Error("an object has no items")
	}
	wantKeys := []string{"contentParameters", "customHeaders", "eventConditions", "objectType", "userParameters"}
	if got := root.Get("eventNotificationTemplate").Keys(); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("Keys() = %v, want %v", got, wantKeys)
	}
	if got := root.Keys(); !reflect.DeepEqual(got, []string{"eventNotificationTemplate", "filter", "id", "pager"}) {
		t.Errorf("root Keys() = %v", got)
	}
}

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name string
		form string
		want any
	}{
		{"empty", "", map[string]any{}},
		{"flat", "id=5&name=x", map[string]any{"id": "5", "name": "x"}},
		{"empty value", "a=", map[string]any{"a": ""}},
		{"nested", "a[b][c]=1", map[string]any{"a": map[string]any{"b": map[string]any{"c": "1"}}}},
		{"list ordered by index not by arrival", "a[2]=z&a[0]=x&a[1]=y", map[string]any{"a": []any{"x", "y", "z"}}},
		{"numeric order not lexical", "a[10]=ten&a[9]=nine&a[2]=two", map[string]any{"a": []any{"two", "nine", "ten"}}},
		{"gaps close up", "a[0]=x&a[5]=y", map[string]any{"a": []any{"x", "y"}}},
		{"list of objects", "a[1][k]=b&a[0][k]=a", map[string]any{"a": []any{map[string]any{"k": "a"}, map[string]any{"k": "b"}}}},
		{"list of lists", "m[0][1]=b&m[0][0]=a&m[1][0]=c", map[string]any{"m": []any{[]any{"a", "b"}, []any{"c"}}}},
		{"leading zero is a name", "a[01]=x&a[b]=y", map[string]any{"a": map[string]any{"01": "x", "b": "y"}}},
		{"top-level digits stay fields", "0=a&1=b", map[string]any{"0": "a", "1": "b"}},
		{"last value wins", "a=1&a=2&a=3", map[string]any{"a": "3"}},
		{"max index allowed", "a[1000]=x", map[string]any{"a": []any{"x"}}},
		{"clear marker is just a field", "a[-]=", map[string]any{"a": map[string]any{"-": ""}}},
		{"colon keys are plain names", "a:objectType=X", map[string]any{"a:objectType": "X"}},
		{"encoded brackets", "a%5Bb%5D=1", map[string]any{"a": map[string]any{"b": "1"}}},
		{"value with brackets untouched", "a=x[0]", map[string]any{"a": "x[0]"}},
		{"dots in segment", "filter[typeEqual]=httpNotification.Http", map[string]any{"filter": map[string]any{"typeEqual": "httpNotification.Http"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.form).JSON()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("JSON() = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		wantSub string // the error must name the offending key
	}{
		{"value then container", url.Values{"a": {"2"}, "a[b]": {"1"}}, `"a[b]"`},
		{"deep value then container", url.Values{"a[b]": {"2"}, "a[b][c]": {"1"}}, `"a[b][c]"`},
		{"container at leaf position", url.Values{"a[b][c]": {"1"}, "a[b]": {"2"}}, `"a[b]"`},
		{"mixed list and object", url.Values{"a[0]": {"x"}, "a[k]": {"y"}}, "a mixes"},
		{"mixed deeper", url.Values{"t[l][0][x]": {"1"}, "t[l][n][x]": {"1"}}, "t[l] mixes"},
		{"index too large", url.Values{"a[1001]": {"x"}}, `"a[1001]"`},
		{"huge index", url.Values{"a[99999999999999999999]": {"x"}}, "exceeds"},
		{"unterminated", url.Values{"a[b": {"x"}}, `"a[b"`},
		{"stray close", url.Values{"a]": {"x"}}, `"a]"`},
		{"text after bracket", url.Values{"a[b]c": {"x"}}, `"a[b]c"`},
		{"nested open", url.Values{"a[b[c]]": {"x"}}, `"a[b[c]]"`},
		{"empty brackets", url.Values{"a[]": {"x"}}, `"a[]"`},
		{"no name", url.Values{"[a]": {"x"}}, `"[a]"`},
		{"empty key", url.Values{"": {"x"}}, `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := parseForm(tt.form)
			if err == nil {
				t.Fatalf("Parse(%v) = %v, want error", tt.form, n.JSON())
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("error %q does not contain %q", err, tt.wantSub)
			}
		})
	}
}

func TestGetNavigation(t *testing.T) {
	root := mustParse(t, "a[0][b]=x&a[1][b]=y&s=v")
	tests := []struct {
		path []string
		want any // JSON of the node, nil when absent
	}{
		{nil, map[string]any{"a": []any{map[string]any{"b": "x"}, map[string]any{"b": "y"}}, "s": "v"}},
		{[]string{"a", "1", "b"}, "y"},
		{[]string{"a", "2"}, nil},
		{[]string{"a", "-1"}, nil},
		{[]string{"a", "01"}, nil}, // non-canonical indices do not address lists
		{[]string{"a", "b"}, nil},
		{[]string{"s", "x"}, nil},
		{[]string{"missing", "deeper", "still"}, nil},
	}
	for _, tt := range tests {
		got := root.Get(tt.path...)
		if !reflect.DeepEqual(got.JSON(), tt.want) {
			t.Errorf("Get(%v) = %#v, want %#v", tt.path, got.JSON(), tt.want)
		}
		if root.Has(tt.path...) != (tt.want != nil) {
			t.Errorf("Has(%v) = %v", tt.path, !(tt.want != nil))
		}
	}
}

func TestNilNodeIsSafe(t *testing.T) {
	var n *formNode
	if n.Get("a") != nil || n.Has() || n.Keys() != nil || n.JSON() != nil {
		t.Error("nil node should answer with zero values")
	}
	if s, ok := n.String(); s != "" || ok {
		t.Error("nil node String should be empty, false")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	root := mustParse(t, "t[objectType]=X&t[headers][0][key]=k&t[headers][0][value]=v")
	b, err := json.Marshal(root.JSON())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"t":{"headers":[{"key":"k","value":"v"}],"objectType":"X"}}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}

// JSON converts the tree to plain map[string]any / []any / string values,
// for comparing trees.
func (n *formNode) JSON() any {
	switch {
	case n == nil:
		return nil
	case n.IsLeaf:
		return n.Value
	case n.Items != nil:
		out := make([]any, len(n.Items))
		for i, it := range n.Items {
			out[i] = it.JSON()
		}
		return out
	default:
		out := make(map[string]any, len(n.Fields))
		for k, f := range n.Fields {
			out[k] = f.JSON()
		}
		return out
	}
}
