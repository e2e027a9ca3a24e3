package condition

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

// objectJSON decodes like the service does, so numbers arrive as float64.
func objectJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

func obj(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func TestBool(t *testing.T) {
	tests := []struct {
		name string
		code string
		env  Env
		want bool
	}{
		// in_array with PHP loose comparison
		{"in_array float status", `in_array({event.object.status},array(2))`, Env{Object: obj("status", 2.0)}, true},
		{"in_array string status", `in_array({event.object.status},array(2))`, Env{Object: obj("status", "2")}, true},
		{"in_array int status", `in_array({event.object.status},array(2))`, Env{Object: obj("status", 2)}, true},
		{"in_array other status", `in_array({event.object.status},array(2))`, Env{Object: obj("status", 3.0)}, false},
		{"in_array missing status", `in_array({event.object.status},array(2))`, Env{Object: obj()}, false},
		{"in_array nil object", `in_array({event.object.status},array(2))`, Env{}, false},
		{"in_array two options hit", `in_array({event.object.status},array(5,6))`, Env{Object: obj("status", 6.0)}, true},
		{"in_array two options miss", `in_array({event.object.status},array(5,6))`, Env{Object: obj("status", 2.0)}, false},
		{"in_array spaced", `in_array( {event.object.status} , array( 5 , 6 ) )`, Env{Object: obj("status", "5")}, true},
		{"in_array trailing comma", `in_array({event.object.status}, array(5, 6,),)`, Env{Object: obj("status", 5.0)}, true},
		{"in_array empty array", `in_array({event.object.status}, array())`, Env{Object: obj("status", 5.0)}, false},
		{"in_array strict", `in_array({event.object.status}, array("2"), true)`, Env{Object: obj("status", 2.0)}, false},
		{"in_array strict hit", `in_array({event.object.status}, array(2), true)`, Env{Object: obj("status", 2.0)}, true},
		{"in_array field as haystack", `in_array("b", {event.object.tags})`, Env{Object: objectJSON(t, `{"tags":["a","b"]}`)}, true},
		{"IN_ARRAY case-insensitive", `IN_ARRAY({event.object.status}, Array(2))`, Env{Object: obj("status", 2.0)}, true},
		{"not in_array", `!in_array({event.object.role}, array("adminRole","viewerRole"))`, Env{Object: obj("role", "editorRole")}, true},
		{"not in_array hit", `!in_array({event.object.role}, array("adminRole","viewerRole"))`, Env{Object: obj("role", "viewerRole")}, false},
		{"in_array single quotes", `in_array({event.object.role}, array('adminRole', 'viewerRole'))`, Env{Object: obj("role", "adminRole")}, true},

		// == and != are loose
		{"eq float", `{event.object.status}==2`, Env{Object: obj("status", 2.0)}, true},
		{"eq string", `{event.object.status}==2`, Env{Object: obj("status", "2")}, true},
		{"eq int", `{event.object.status}==2`, Env{Object: obj("status", 2)}, true},
		{"eq literal float", `{event.object.status}==2.0`, Env{Object: obj("status", 2)}, true},
		{"eq numeric strings", `{event.object.status}=="2.0"`, Env{Object: obj("status", "2")}, true},
		{"eq leading zero string", `{event.object.status}==2`, Env{Object: obj("status", "02")}, true},
		{"eq whitespace string", `{event.object.status}==2`, Env{Object: obj("status", " 2 ")}, true},
		{"eq non-numeric string", `{event.object.status}==2`, Env{Object: obj("status", "2abc")}, false},
		{"eq missing", `{event.object.status}==2`, Env{Object: obj()}, false},
		{"ne", `{event.object.status} != 2`, Env{Object: obj("status", 3.0)}, true},
		{"ne equal string", `{event.object.status} != 2`, Env{Object: obj("status", "2")}, false},
		{"ne diamond", `{event.object.status} <> 2`, Env{Object: obj("status", 2.0)}, false},
		{"eq strings", `{event.object.name} == "x"`, Env{Object: obj("name", "x")}, true},
		{"eq strings case", `{event.object.name} == "X"`, Env{Object: obj("name", "x")}, false},

		// === and !== are strict about type (numbers are one type)
		{"identical float int", `{event.object.status} === 2`, Env{Object: obj("status", 2.0)}, true},
		{"identical string int", `{event.object.status} === 2`, Env{Object: obj("status", "2")}, false},
		{"not identical string int", `{event.object.status} !== 2`, Env{Object: obj("status", "2")}, true},
		{"identical null", `{event.object.missing} === null`, Env{Object: obj()}, true},
		{"identical empty string vs null", `{event.object.s} === null`, Env{Object: obj("s", "")}, false},

		// ordering
		{"gt and eq", `{event.object.duration} > 60 && {event.object.name} == "x"`, Env{Object: obj("duration", 61.0, "name", "x")}, true},
		{"gt and eq short", `{event.object.duration} > 60 && {event.object.name} == "x"`, Env{Object: obj("duration", 60.0, "name", "x")}, false},
		{"gt string number", `{event.object.duration} > 60`, Env{Object: obj("duration", "100")}, true},
		{"ge", `{event.object.duration} >= 60`, Env{Object: obj("duration", 60)}, true},
		{"lt", `{event.object.duration} < 60`, Env{Object: obj("duration", 59.5)}, true},
		{"le", `{event.object.duration} <= 60`, Env{Object: obj("duration", 60.5)}, false},
		{"lt missing is null", `{event.object.duration} < 1`, Env{Object: obj()}, true},
		{"float literal", `{event.object.ratio} == 1.5`, Env{Object: obj("ratio", 1.5)}, true},
		{"float literal gt", `{event.object.ratio} > 1.25`, Env{Object: obj("ratio", "1.3")}, true},
		{"leading dot float", `{event.object.ratio} == .5`, Env{Object: obj("ratio", 0.5)}, true},
		{"exponent", `{event.object.size} >= 1e3`, Env{Object: obj("size", 1000.0)}, true},
		{"negative", `{event.object.delta} > -1`, Env{Object: obj("delta", 0.0)}, true},
		{"negative float", `{event.object.delta} == - 1.5`, Env{Object: obj("delta", -1.5)}, true},
		{"string order", `{event.object.name} < "b"`, Env{Object: obj("name", "a")}, true},

		// literals and truthiness
		{"true", `true`, Env{}, true},
		{"FALSE", `FALSE`, Env{}, false},
		{"null", `null`, Env{}, false},
		{"missing eq null", `{event.object.missing} == null`, Env{Object: obj()}, true},
		{"zero eq false", `{event.object.zero} == false`, Env{Object: obj("zero", 0.0)}, true},
		{"flag eq true", `{event.object.flag} == true`, Env{Object: obj("flag", "yes")}, true},
		{"bare placeholder", `{event.object.status}`, Env{Object: obj("status", 2.0)}, true},
		{"bare zero", `{event.object.status}`, Env{Object: obj("status", 0.0)}, false},
		{"bare string zero", `{event.object.status}`, Env{Object: obj("status", "0")}, false},
		{"bare string 0.0 is truthy", `{event.object.status}`, Env{Object: obj("status", "0.0")}, true},
		{"bare empty string", `{event.object.status}`, Env{Object: obj("status", "")}, false},
		{"bare empty list", `{event.object.tags}`, Env{Object: objectJSON(t, `{"tags":[]}`)}, false},
		{"bare list", `{event.object.tags}`, Env{Object: objectJSON(t, `{"tags":[0]}`)}, true},
		{"string literal", `"0"`, Env{}, false},
		{"number literal", `0.0`, Env{}, false},
		{"not string", `!{event.object.name}`, Env{Object: obj("name", "")}, true},
		{"double not", `!!{event.object.name}`, Env{Object: obj("name", "x")}, true},

		// logic and precedence
		{"or", `{event.object.a} == 1 || {event.object.b} == 1`, Env{Object: obj("a", 0.0, "b", 1.0)}, true},
		{"parens", `({event.object.a} == 1 || {event.object.b} == 1) && {event.object.c} == 1`, Env{Object: obj("a", 1.0, "b", 0.0, "c", 0.0)}, false},
		{"and keyword", `{event.object.a} and {event.object.b}`, Env{Object: obj("a", 1.0, "b", 1.0)}, true},
		{"or keyword", `{event.object.a} or {event.object.b}`, Env{Object: obj("a", 0.0, "b", 0.0)}, false},
		{"or keyword binds loosest", `false or true && false`, Env{}, false},
		{"and over or", `true and false or true`, Env{}, true},
		{"not binds tighter than eq", `!{event.object.a} == false`, Env{Object: obj("a", 1.0)}, true},
		{"comparison sides in parens", `({event.object.a} == 1) == ({event.object.b} == 1)`, Env{Object: obj("a", 2.0, "b", 3.0)}, true},
		{"concat before comparison", `{event.object.firstName} . " " . {event.object.lastName} == "John Smith"`, Env{Object: obj("firstName", "John", "lastName", "Smith")}, true},

		// placeholders
		{"nested path", `{event.object.metadata.profile.level} == 3`, Env{Object: objectJSON(t, `{"metadata":{"profile":{"level":3}}}`)}, true},
		{"nested missing", `{event.object.metadata.profile.level} == null`, Env{Object: objectJSON(t, `{"metadata":{}}`)}, true},
		{"path through scalar", `{event.object.name.first} == null`, Env{Object: obj("name", "x")}, true},
		{"list index", `{event.object.tags.1} == "b"`, Env{Object: objectJSON(t, `{"tags":["a","b"]}`)}, true},
		{"list index out of range", `{event.object.tags.5} == null`, Env{Object: objectJSON(t, `{"tags":["a","b"]}`)}, true},
		{"event type", `{event.eventType} == "OBJECT_CHANGED"`, Env{Event: obj("eventType", "OBJECT_CHANGED")}, true},
		{"event object type", `{event.objectType} == "entry"`, Env{Event: obj("objectType", "entry")}, true},
		{"param", `{metadata_field} == "Content_Workflow"`, Env{Params: map[string]string{"metadata_field": "Content_Workflow"}}, true},
		{"param numeric", `{limit} > 5`, Env{Params: map[string]string{"limit": "10"}}, true},
		{"unknown param is null", `{nope} === null`, Env{Params: map[string]string{}}, true},
		{"unknown param eq empty", `{nope} == ""`, Env{}, true},
		{"param with dash", `{x-y} == "1"`, Env{Params: map[string]string{"x-y": "1"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := CompileBool(tt.code)
			if err != nil {
				t.Fatalf("CompileBool(%q): %v", tt.code, err)
			}
			got, err := p.Bool(tt.env)
			if err != nil {
				t.Fatalf("Bool: %v", err)
			}
			if got != tt.want {
				t.Errorf("%s => %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

// TestPrecedence checks !a || b && c parses as (!a) || (b && c) for every
// combination of inputs, like PHP.
func TestPrecedence(t *testing.T) {
	codes := map[string]func(a, b, c bool) bool{
		`!{a} || {b} && {c}`:   func(a, b, c bool) bool { return !a || (b && c) },
		`{a} || {b} && {c}`:    func(a, b, c bool) bool { return a || (b && c) },
		`{a} && {b} || {c}`:    func(a, b, c bool) bool { return (a && b) || c },
		`!({a} || {b}) && {c}`: func(a, b, c bool) bool { return !(a || b) && c },
		`{a} or {b} && {c}`:    func(a, b, c bool) bool { return a || (b && c) },
		`{a} and {b} or {c}`:   func(a, b, c bool) bool { return (a && b) || c },
		`{a} or {b} and {c}`:   func(a, b, c bool) bool { return a || (b && c) },
		`{a} && {b} and {c}`:   func(a, b, c bool) bool { return a && b && c },
		`{a} == {b} || {c}`:    func(a, b, c bool) bool { return a == b || c },
		`!{a} == {b}`:          func(a, b, c bool) bool { return !a == b },
	}
	str := map[bool]string{true: "1", false: "0"}
	for code, want := range codes {
		p, err := CompileBool(code)
		if err != nil {
			t.Fatalf("CompileBool(%q): %v", code, err)
		}
		for i := range 8 {
			a, b, c := i&4 != 0, i&2 != 0, i&1 != 0
			got, err := p.Bool(Env{Params: map[string]string{"a": str[a], "b": str[b], "c": str[c]}})
			if err != nil {
				t.Fatal(err)
			}
			if got != want(a, b, c) {
				t.Errorf("%s with a=%v b=%v c=%v => %v, want %v", code, a, b, c, got, !got)
			}
		}
	}
}

func TestString(t *testing.T) {
	person := Env{
		Object: objectJSON(t, `{"id":"0_abc123","name":"My entry","firstName":"John","lastName":"Smith","duration":60,"ratio":1.5,"big":1700000000000,"tags":["a"],"flag":true,"off":false}`),
		Event:  obj("eventType", "OBJECT_ADDED"),
		Params: map[string]string{"metadata_field": "Content_Workflow"},
	}
	tests := []struct {
		name, code, want string
	}{
		{"id", `{event.object.id}`, "0_abc123"},
		{"name", `{event.object.name}`, "My entry"},
		{"full name", `{event.object.firstName} . " " . {event.object.lastName}`, "John Smith"},
		{"static", `"static text"`, "static text"},
		{"single quoted", `'static text'`, "static text"},
		{"dots in string", `"a.b"`, "a.b"},
		{"dots in string concat", `"a.b" . 'c.d'`, "a.bc.d"},
		{"escaped double quote", `"say \"hi\""`, `say "hi"`},
		{"escaped single quote", `'it\'s'`, "it's"},
		{"single quotes keep other escapes", `'a\nb\\c'`, `a\nb\c`},
		{"double quote escapes", `"a\tb\x41\101\u{e9}\q"`, "a\tbAA\u00e9\\q"},
		{"braces in string stay literal", `"{event.object.id}"`, "{event.object.id}"},
		{"concat number", `"Duration: " . {event.object.duration}`, "Duration: 60"},
		{"concat float", `{event.object.ratio} . "x"`, "1.5x"},
		{"concat big id", `{event.object.big} . ""`, "1700000000000"},
		{"concat int literals", `1 . 2`, "12"},
		{"concat float literal", `1.5 . 'x'`, "1.5x"},
		{"concat without spaces", `{event.object.firstName}.{event.object.lastName}`, "JohnSmith"},
		{"concat literal without spaces", `'a'.1.5`, "a1.5"},
		{"concat bools", `{event.object.flag} . "|" . {event.object.off} . "|" . null`, "1||"},
		{"concat array", `{event.object.tags} . ""`, "Array"},
		{"concat missing", `"[" . {event.object.nope} . "]"`, "[]"},
		{"param", `{metadata_field}`, "Content_Workflow"},
		{"unknown param", `{nope}`, ""},
		{"event type", `"type=" . {event.eventType}`, "type=OBJECT_ADDED"},
		{"bool result", `{event.object.duration} > 10`, "1"},
		{"false result", `{event.object.duration} > 100`, ""},
		{"not binds tighter than concat", `!{event.object.flag} . "x"`, "x"},
		{"number", `42`, "42"},
		{"float", `0.1`, "0.1"},
		{"unicode", `"héllo " . {event.object.firstName}`, "héllo John"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := CompileString(tt.code)
			if err != nil {
				t.Fatalf("CompileString(%q): %v", tt.code, err)
			}
			got, err := p.String(person)
			if err != nil {
				t.Fatalf("String: %v", err)
			}
			if got != tt.want {
				t.Errorf("%s => %q, want %q", tt.code, got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		code    string
		wantSub string
		offset  int // -2: don't check
	}{
		{`in_array({event.object.status},array(2)`, "unclosed '('", 0},
		{`{event.object.status} === `, "expected a value", 22},
		{`foo(`, "unknown function foo", 0},
		{`foo`, "unknown identifier foo", 0},
		{`KalturaEntryStatus::READY`, "class constants", 18},
		{``, "empty expression", -1},
		{`   `, "empty expression", -1},
		{`{event.object.status} = 2`, "assignment", 22},
		{`{a} == {b} == {c}`, "chained", 11},
		{`{a} < {b} == {c}`, "chained", 10},
		{`{a} and {b} || {c}`, "mixing 'and' with '||'", 12},
		{`{a} || {b} and {c}`, "mixing 'and' with '||'", 11},
		{`{foo.bar}`, `must start with "event."`, 0},
		{`{event.object.}`, "empty path segment", 0},
		{`{}`, "empty name", 0},
		{`{a b}`, "only letters", 0},
		{`{event.object.status`, "unterminated placeholder", 0},
		{`"abc`, "unterminated string", 0},
		{`'abc\'`, "unterminated string", 0},
		{`1 2`, "expected an operator", 2},
		{`{a} {b}`, "expected an operator", 4},
		{`)`, "unmatched ')'", 0},
		{`()`, "expected a value", 1},
		{`(1))`, "unmatched ')'", 3},
		{`!`, "expected a value", 0},
		{`1 ==`, "expected a value", 2},
		{`== 1`, "expected a value", 0},
		{`in_array(1)`, "not enough arguments to call in_array", 0},
		{`in_array(1, array(1), true, 4)`, "too many arguments to call in_array", 0},
		{`in_array`, "must be followed by '('", 0},
		{`array(1,,2)`, "unexpected ','", 8},
		{`(1, 2)`, "unexpected ','", 2},
		{`1, 2`, "unexpected ','", 1},
		{`$x == 1`, "variables", 0},
		{`0x1F == 31`, "malformed number", 0},
		{`010 == 8`, "octal", 0},
		{`1e999 > 1`, "out of range", 0},
		{`1 + 2`, "arithmetic", 2},
		{`{a} - 1`, "arithmetic", 4},
		{`- {a}`, "sign of a number", 0},
		{`{a} ? 1 : 2`, "ternary", 4},
		{`{a} ?? 1`, "ternary", 4},
		{`{a} <=> 1`, "<=>", 4},
		{`{a} xor {b}`, "xor", 4},
		{`{a} & 1`, "bitwise", 4},
		{`[1, 2]`, "array(...)", 0},
		{`strlen({a}) > 1`, "unknown function strlen", 0},
		{`"\xff" == 1`, "UTF-8", 0},
		{`"\u{110000}"`, `\u{...}`, 0},
		{`1; 2`, "single expression", 1},
		{`// x`, "comments", 0},
		{"{a} == \u00e9", "unexpected character 'é'", 7},
		{strings.Repeat("1 || ", 1000) + "1", "longer than 4096", -1},
	}
	for _, tt := range tests {
		name := tt.code
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			for _, compile := range []func(string) (*Program, error){CompileBool, CompileString} {
				p, err := compile(tt.code)
				if err == nil {
					t.Fatalf("compile(%q) succeeded (%v), want error", tt.code, p)
				}
				var ce *CompileError
				if !errors.As(err, &ce) {
					t.Fatalf("error %T is not *CompileError: %v", err, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, tt.wantSub) {
					t.Errorf("error %q does not contain %q", msg, tt.wantSub)
				}
				if len(tt.code) <= MaxCodeLength && !strings.Contains(msg, fmt.Sprintf("%q", tt.code)) {
					t.Errorf("error %q does not quote the code", msg)
				}
				if strings.Contains(msg, "php_") {
					t.Errorf("error %q leaks internal names", msg)
				}
				if tt.offset != -2 && ce.Offset != tt.offset {
					t.Errorf("offset = %d, want %d (%s)", ce.Offset, tt.offset, msg)
				}
			}
		})
	}
}

func TestCompileAcceptsLongestAllowed(t *testing.T) {
	code := strings.Repeat("1||", (MaxCodeLength-1)/3) + "1"
	if len(code) > MaxCodeLength {
		t.Fatal("test code too long")
	}
	p, err := CompileBool(code)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Bool(Env{}); err != nil || !ok {
		t.Errorf("Bool = %v, %v", ok, err)
	}
	deep := strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000)
	if _, err := CompileBool(deep); err != nil {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestRuntimeErrors(t *testing.T) {
	p, err := CompileBool(`in_array(1, {event.object.status})`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Bool(Env{Object: obj("status", 1.0)})
	if err == nil || !strings.Contains(err.Error(), "must be an array, number given") {
		t.Errorf("Bool error = %v, want a TypeError-like message", err)
	}
	if err != nil && (strings.Contains(err.Error(), "php_") || !strings.Contains(err.Error(), "{event.object.status}")) {
		t.Errorf("Bool error = %q, want the user's code and no internal names", err)
	}
	if _, err := p.String(Env{}); err == nil {
		t.Error("String with null haystack should fail too")
	}
}

func TestConcurrentUse(t *testing.T) {
	p, err := CompileBool(`in_array({event.object.status}, array(2)) && {p} == "x"`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 200 {
				status := float64((i + j) % 3)
				got, err := p.Bool(Env{Object: obj("status", status), Params: map[string]string{"p": "x"}})
				if err != nil || got != (status == 2) {
					t.Errorf("status %v => %v, %v", status, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestLooseEqual(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{"2", 2, true},
		{"2", 2.0, true},
		{2, 2.0, true},
		{int64(2), float32(2), true},
		{uint8(2), "2", true},
		{json.Number("2"), "2.0", true},
		{"2", "2.0", true},
		{"1e1", "10", true},
		{"abc", "ABC", false},
		{"abc", 0, false}, // PHP 8: non-numeric strings no longer equal 0
		{"", 0, false},
		{"", nil, true},
		{"0", nil, false},
		{0, nil, true},
		{0.0, false, true},
		{"0", false, true},
		{"a", true, true},
		{nil, false, true},
		{nil, nil, true},
		{[]any{}, nil, true},
		{[]any{}, false, true},
		{[]any{1.0, "2"}, []any{"1", 2}, true},
		{[]any{1}, []any{1, 2}, false},
		{map[string]any{"a": 1.0}, map[string]any{"a": "1"}, true},
		{[]any{1}, 1, false},
		{math.NaN(), math.NaN(), false},
		{"1 ", 1, true},
		{"1abc", 1, false},
		{"+1", "1", true},
		{".5", 0.5, true},
		{"0x1A", 26, false},
	}
	for _, tt := range tests {
		if got := looseEqual(tt.a, tt.b); got != tt.want {
			t.Errorf("looseEqual(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := looseEqual(tt.b, tt.a); got != tt.want {
			t.Errorf("looseEqual(%#v, %#v) = %v, want %v (swapped)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestLooseCompare(t *testing.T) {
	tests := []struct {
		a, b any
		want int
		ok   bool
	}{
		{1, 2, -1, true},
		{"10", "9", 1, true}, // numeric strings compare as numbers
		{"10", "9a", -1, true},
		{"abc", "abd", -1, true},
		{2.5, "2.5", 0, true},
		{nil, 0, 0, true},
		{nil, "a", -1, true},
		{true, 0, 1, true},
		{[]any{1}, 5, 1, true},
		{[]any{1, 2}, []any{1}, 1, true},
		{math.NaN(), 1, 0, false},
		{int64(math.MaxInt64), int64(math.MaxInt64 - 1), 1, true},
	}
	for _, tt := range tests {
		got, ok := looseCompare(tt.a, tt.b)
		if got != tt.want || ok != tt.ok {
			t.Errorf("looseCompare(%#v, %#v) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIdentical(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{2, 2.0, true},
		{"2", 2, false},
		{nil, nil, true},
		{nil, false, false},
		{"", nil, false},
		{true, true, true},
		{[]any{1, "a"}, []any{1.0, "a"}, true},
		{[]any{1, "a"}, []any{"1", "a"}, false},
	}
	for _, tt := range tests {
		if got := identical(tt.a, tt.b); got != tt.want {
			t.Errorf("identical(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestToString(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{true, "1"},
		{false, ""},
		{2, "2"},
		{2.0, "2"},
		{math.Copysign(0, -1), "-0"},
		{1.5, "1.5"},
		{0.1 + 0.2, "0.3"},
		{1.0 / 3, "0.33333333333333"},
		{0.0001, "0.0001"},
		{0.00001, "1.0E-5"},
		{1.5e20, "1.5E+20"},
		{123456789012345.67, "1.2345678901235E+14"},
		{1e15, "1000000000000000"}, // integral: treated as a JSON-decoded int
		{1e300, "1.0E+300"},
		{math.Inf(1), "INF"},
		{math.NaN(), "NAN"},
		{uint64(math.MaxUint64), "1.844674407371E+19"},
		{"s", "s"},
		{[]any{1}, "Array"},
		{map[string]any{}, "Array"},
	}
	for _, tt := range tests {
		if got := toString(tt.in); got != tt.want {
			t.Errorf("toString(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSubstitute(t *testing.T) {
	params := map[string]string{
		"entry_id": "0_abc",
		"name":     "Clip",
		"empty":    "",
		"x-y":      "dash",
		"inject":   "{name}",
	}
	tests := []struct {
		name, in, want string
	}{
		{"url", "https://hooks.example.com/{entry_id}?n={name}", "https://hooks.example.com/0_abc?n=Clip"},
		{"no tokens", "plain text", "plain text"},
		{"unknown left", "Hello {who}", "Hello {who}"},
		{"dotted left", "Entry {event.object.id}", "Entry {event.object.id}"},
		{"empty braces", "{}", "{}"},
		{"empty value", "[{empty}]", "[]"},
		{"dash key", "{x-y}", "dash"},
		{"double braces", "{{name}}", "{Clip}"},
		{"unterminated", "{name", "{name"},
		{"space inside", "{ name }", "{ name }"},
		{"no rescan of values", "{inject}", "{name}"},
		{"adjacent", "{name}{name}", "ClipClip"},
		{"json body", `{"id":"{entry_id}"}`, `{"id":"0_abc"}`},
		{"unicode around", "é{name}é", "éClipé"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Substitute(tt.in, params); got != tt.want {
				t.Errorf("Substitute(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := Substitute("{name}", nil); got != "{name}" {
		t.Errorf("nil params: %q", got)
	}
}

func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`in_array({event.object.status},array(2))`,
		`in_array({event.object.status},array(5,6))`,
		`{event.object.status}==2`,
		`{event.object.status} != 2`,
		`{event.object.duration} > 60 && {event.object.name} == "x"`,
		`!in_array({event.object.role}, array("adminRole","viewerRole"))`,
		`{event.object.firstName} . " " . {event.object.lastName}`,
		`"static text"`,
		`{metadata_field}`,
		`!{a} || {b} && {c}`,
		`'it\'s' . "a.b" . 1.5 . -2 . .5`,
		`"\u{1F600}\x41\101\q"`,
		`{a} === null or {b} !== false and true`,
		`in_array(`,
		`((((1))))`,
		`{event.`,
	} {
		f.Add(seed)
	}
	env := Env{
		Object: map[string]any{"status": 2.0, "name": "x", "tags": []any{"a", 1.0}, "m": map[string]any{"k": nil}},
		Event:  map[string]any{"eventType": "OBJECT_ADDED"},
		Params: map[string]string{"a": "1", "b": "0", "metadata_field": "v"},
	}
	f.Fuzz(func(t *testing.T, code string) {
		p, err := CompileBool(code)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("compile error is %T, not *CompileError: %v", err, err)
			}
			return
		}
		// Runtime errors are allowed (in_array on a non-array); panics are not.
		_, _ = p.Bool(env)
		_, _ = p.String(env)
		_, _ = p.Bool(Env{})
	})
}
