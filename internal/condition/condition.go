// Package condition evaluates the PHP-flavoured expressions that Kaltura
// event notification templates carry (KalturaEvalBooleanField and
// KalturaEvalStringField codes such as in_array({event.object.status},array(2))).
//
// Code is tokenized and rewritten into an expr-lang/expr program; expr does
// all parsing of precedence and all evaluation. PHP's loose comparisons,
// truthiness and '.' concatenation are grafted on by patching expr's AST, so
// no PHP semantics depend on how the translation is spelled.
package condition

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// MaxCodeLength caps accepted code; real conditions are a line or two, and
// the cap bounds compile time for input arriving over HTTP.
const MaxCodeLength = 4096

// Env is what placeholders read at evaluation time.
type Env struct {
	Object map[string]any    // {event.object.a.b}
	Event  map[string]any    // {event.eventType} and other {event.X...}
	Params map[string]string // {key}: template user and content parameters
}

// Program is compiled code; it holds no mutable state, so one Program may be
// evaluated from many goroutines at once.
type Program struct {
	code string
	prog *vm.Program
}

// CompileError reports code that cannot be compiled. It is always the
// caller's input that is at fault, so handlers can answer HTTP 400.
type CompileError struct {
	Code   string // the code as given
	Offset int    // byte offset into Code, or -1 if the problem has no position
	Reason string
}

func (e *CompileError) Error() string {
	code := e.Code
	if len(code) > MaxCodeLength {
		code = code[:64] + "..." // an oversized input is not worth echoing whole
	}
	if e.Offset >= 0 {
		return fmt.Sprintf("invalid expression %q: %s (at offset %d)", code, e.Reason, e.Offset)
	}
	return fmt.Sprintf("invalid expression %q: %s", code, e.Reason)
}

// posError is the lexer's and translator's error before the code is known.
type posError struct {
	pos int
	msg string
}

func (e *posError) Error() string { return e.msg }

func errAt(pos int, format string, args ...any) error {
	return &posError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

// CompileBool compiles a KalturaEvalBooleanField code.
func CompileBool(code string) (*Program, error) { return compile(code) }

// CompileString compiles a KalturaEvalStringField code. The grammar is the
// same as for CompileBool; only the conversion of the result differs, and
// that happens in Bool or String.
func CompileString(code string) (*Program, error) { return compile(code) }

// Bool evaluates the program and applies PHP truthiness to the result.
func (p *Program) Bool(env Env) (bool, error) {
	v, err := p.run(env)
	if err != nil {
		return false, err
	}
	return truthy(v), nil
}

// String evaluates the program and converts the result as PHP would.
func (p *Program) String(env Env) (string, error) {
	v, err := p.run(env)
	if err != nil {
		return "", err
	}
	return toString(v), nil
}

// exprEnv fixes the names a translation may reference, so anything else is
// a compile error rather than a silent nil.
type exprEnv struct {
	Object map[string]any    `expr:"object"`
	Event  map[string]any    `expr:"event"`
	Params map[string]string `expr:"params"`
}

func (p *Program) run(env Env) (any, error) {
	v, err := expr.Run(p.prog, exprEnv{Object: env.Object, Event: env.Event, Params: env.Params})
	if err != nil {
		// expr's own rendering quotes the translation, which would only
		// confuse someone reading the template's code.
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("evaluate %q: %s", p.code, userMessage(fe.Message))
		}
		return nil, fmt.Errorf("evaluate %q: %w", p.code, err)
	}
	return v, nil
}

func compile(code string) (*Program, error) {
	if len(code) > MaxCodeLength {
		return nil, &CompileError{Code: code, Offset: -1, Reason: fmt.Sprintf("longer than %d bytes", MaxCodeLength)}
	}
	toks, err := lex(code)
	if err != nil {
		return nil, compileError(code, err)
	}
	tr, err := translate(toks)
	if err != nil {
		return nil, compileError(code, err)
	}
	prog, err := expr.Compile(tr.out.String(), exprOptions...)
	if err != nil {
		// The translator rejects what it can with better positions; this
		// catches the rest, e.g. wrong argument counts.
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, &CompileError{Code: code, Offset: tr.srcOffset(fe.From), Reason: userMessage(fe.Message)}
		}
		return nil, &CompileError{Code: code, Offset: -1, Reason: userMessage(err.Error())}
	}
	return &Program{code: code, prog: prog}, nil
}

func compileError(code string, err error) error {
	var pe *posError
	if errors.As(err, &pe) {
		return &CompileError{Code: code, Offset: pe.pos, Reason: pe.msg}
	}
	return &CompileError{Code: code, Offset: -1, Reason: err.Error()}
}

// userMessage hides the names of our helper functions from expr's messages.
func userMessage(msg string) string {
	return strings.ReplaceAll(msg, "php_", "")
}

var exprOptions = []expr.Option{
	expr.Env(exprEnv{}),
	// The translation never calls builtins; disabling them keeps the
	// reachable surface to what is registered below.
	expr.DisableAllBuiltins(),
	expr.Function(fnPath, lookupPath, new(func(any, ...string) any)),
	expr.Function(fnParam, lookupParam, new(func(map[string]string, string) any)),
	expr.Function(fnInArray, callInArray, new(func(any, any) bool), new(func(any, any, any) bool)),
	expr.Function(fnBool, func(a ...any) (any, error) { return truthy(a[0]), nil }, new(func(any) bool)),
	expr.Function(fnConcat, func(a ...any) (any, error) { return toString(a[0]) + toString(a[1]), nil }, new(func(any, any) string)),
	binary(fnEq, looseEqual),
	binary(fnNe, func(a, b any) bool { return !looseEqual(a, b) }),
	binary(fnIdentical, identical),
	binary(fnNotIdentical, func(a, b any) bool { return !identical(a, b) }),
	binary(fnLt, func(a, b any) bool { c, ok := looseCompare(a, b); return ok && c < 0 }),
	binary(fnLe, func(a, b any) bool { c, ok := looseCompare(a, b); return ok && c <= 0 }),
	binary(fnGt, func(a, b any) bool { c, ok := looseCompare(a, b); return ok && c > 0 }),
	binary(fnGe, func(a, b any) bool { c, ok := looseCompare(a, b); return ok && c >= 0 }),
	expr.Patch(phpSemantics{}),
}

func binary(name string, fn func(a, b any) bool) expr.Option {
	return expr.Function(name, func(a ...any) (any, error) { return fn(a[0], a[1]), nil }, new(func(any, any) bool))
}

// patchedOperators are replaced by calls because expr's own versions are
// strict about types, while PHP compares "2" and 2.0 as equal.
var patchedOperators = map[string]string{
	"==":                fnEq,
	"!=":                fnNe,
	carrierIdentical:    fnIdentical,
	carrierNotIdentical: fnNotIdentical,
	"<":                 fnLt,
	"<=":                fnLe,
	">":                 fnGt,
	">=":                fnGe,
	"..":                fnConcat,
}

// phpSemantics rewrites expr's AST to PHP behaviour after expr has parsed
// it, so precedence is expr's and semantics are ours.
type phpSemantics struct{}

func (phpSemantics) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if fn, ok := patchedOperators[n.Operator]; ok {
			ast.Patch(node, call(fn, n.Left, n.Right))
			return
		}
		switch n.Operator {
		case "&&", "||", "and", "or":
			// Wrapping the operands keeps expr's short-circuiting while
			// letting non-bool values through PHP truthiness.
			n.Left = call(fnBool, n.Left)
			n.Right = call(fnBool, n.Right)
		}
	case *ast.UnaryNode:
		if n.Operator == "!" {
			n.Node = call(fnBool, n.Node)
		}
	}
}

func call(fn string, args ...ast.Node) ast.Node {
	c := &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: args}
	c.SetLocation(args[0].Location())
	return c
}

func lookupPath(args ...any) (any, error) {
	cur := args[0]
	for _, a := range args[1:] {
		key := a.(string)
		switch c := cur.(type) {
		case map[string]any:
			cur = c[key]
		case map[string]string:
			v, ok := c[key]
			if !ok {
				return nil, nil
			}
			cur = v
		case []any:
			i, ok := listIndex(key)
			if !ok || i >= len(c) {
				return nil, nil
			}
			cur = c[i]
		default:
			return nil, nil
		}
	}
	return cur, nil
}

func listIndex(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || n > 1<<20 {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, s != ""
}

func lookupParam(args ...any) (any, error) {
	v, ok := args[0].(map[string]string)[args[1].(string)]
	if !ok {
		return nil, nil
	}
	return v, nil
}

func callInArray(args ...any) (any, error) {
	strict := len(args) > 2 && truthy(args[2])
	return inArray(args[0], args[1], strict)
}

// Substitute replaces {key} tokens with params, for URLs, email subjects and
// bodies and text payloads. Unknown keys and dotted names are left as they
// are, and substituted values are never rescanned, so a value containing
// "{other}" cannot pull in a second parameter.
func Substitute(text string, params map[string]string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			break
		}
		end := open + 1
		for end < len(text) && (isIdentPart(text[end]) || text[end] == '-') {
			end++
		}
		if end < len(text) && text[end] == '}' && end > open+1 {
			if v, ok := params[text[open+1:end]]; ok {
				b.WriteString(text[:open])
				b.WriteString(v)
				text = text[end+1:]
				continue
			}
		}
		// Not a known key: keep the brace and rescan after it, so that
		// "{{key}}" still finds the inner token.
		b.WriteString(text[:open+1])
		text = text[open+1:]
	}
	if b.Len() == 0 {
		return text
	}
	b.WriteString(text)
	return b.String()
}
