package condition

import (
	"strconv"
	"strings"
)

// Names that only the translator and patcher emit. Users cannot reach them:
// the translator lets through no identifier except the ones it maps itself.
const (
	fnPath         = "php_path"
	fnParam        = "php_param"
	fnInArray      = "php_in_array"
	fnBool         = "php_bool"
	fnConcat       = "php_concat"
	fnEq           = "php_eq"
	fnNe           = "php_ne"
	fnLt           = "php_lt"
	fnLe           = "php_le"
	fnGt           = "php_gt"
	fnGe           = "php_ge"
	fnIdentical    = "php_identical"
	fnNotIdentical = "php_not_identical"
)

// expr has no === or !==, so strict comparisons travel through expr's parser
// as operators of the same precedence as == that the translator emits for
// nothing else; the patcher swaps them for the real functions before expr
// type-checks anything.
const (
	carrierIdentical    = "startsWith"
	carrierNotIdentical = "endsWith"
)

// comparisons maps PHP comparison operators to what we hand to expr.
var comparisons = map[string]string{
	"==": "==", "!=": "!=", "<>": "!=",
	"===": carrierIdentical, "!==": carrierNotIdentical,
	"<": "<", ">": ">", "<=": "<=", ">=": ">=",
}

type frameKind int

const (
	frameTop frameKind = iota
	frameGroup
	frameCall
	frameArray
)

// frame is one level of parentheses. It tracks just enough to refuse the
// few constructs where expr's precedence differs from PHP's.
type frame struct {
	kind    frameKind
	open    int // source offset of the opening token
	openTok int // index of the '(' token
	cmp     int // offset of a comparison in the current operand, or -1
	and     int // offset of a keyword 'and' at this level, or -1
	oror    int // offset of a '||' at this level, or -1
}

// mark remembers where an emitted token came from, so errors that expr
// reports against the translation can point into the user's code.
type mark struct{ out, src int }

type translator struct {
	out   strings.Builder
	marks []mark
}

func (t *translator) emit(src int, text string) {
	if t.out.Len() > 0 {
		t.out.WriteByte(' ')
	}
	t.marks = append(t.marks, mark{t.out.Len(), src})
	t.out.WriteString(text)
}

// srcOffset maps an offset in the translation back to the user's code.
func (t *translator) srcOffset(out int) int {
	src := -1
	for _, m := range t.marks {
		if m.out > out {
			break
		}
		src = m.src
	}
	return src
}

// translate rewrites PHP tokens into expr source. It checks that values and
// operators alternate and that brackets balance so errors can name a position
// in the user's code; operator precedence is left to expr's parser, whose
// order matches PHP for everything we emit except the cases refused here.
func translate(toks []token) (*translator, error) {
	t := &translator{}
	stack := []frame{{kind: frameTop, cmp: -1, and: -1, oror: -1}}
	push := func(k frameKind, pos, openTok int) {
		stack = append(stack, frame{kind: k, open: pos, openTok: openTok, cmp: -1, and: -1, oror: -1})
	}
	expectValue := true

	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		top := &stack[len(stack)-1]
		isValue := tok.kind == tokNumber || tok.kind == tokString || tok.kind == tokPlaceholder ||
			(tok.kind == tokIdent && (tok.val == "true" || tok.val == "false" || tok.val == "null"))

		if isValue {
			if !expectValue {
				return nil, errAt(tok.pos, "unexpected %s; expected an operator", describe(tok))
			}
			switch tok.kind {
			case tokNumber:
				t.emit(tok.pos, tok.val)
			case tokString:
				// ASCII-only output keeps expr's rune offsets equal to ours.
				t.emit(tok.pos, strconv.QuoteToASCII(tok.val))
			case tokPlaceholder:
				t.emit(tok.pos, placeholderExpr(tok.val))
			default:
				if tok.val == "null" {
					t.emit(tok.pos, "nil")
				} else {
					t.emit(tok.pos, tok.val)
				}
			}
			expectValue = false
			continue
		}

		if tok.kind == tokIdent {
			switch tok.val {
			case "and", "or":
				if expectValue {
					return nil, errAt(tok.pos, "unexpected %s; expected a value", describe(tok))
				}
				if err := logical(top, tok); err != nil {
					return nil, err
				}
				t.emit(tok.pos, tok.val)
				expectValue = true
			case "in_array", "array":
				if !expectValue {
					return nil, errAt(tok.pos, "unexpected %s; expected an operator", describe(tok))
				}
				if i+1 == len(toks) || toks[i+1].kind != tokOp || toks[i+1].val != "(" {
					return nil, errAt(tok.pos, "%s must be followed by '('", tok.val)
				}
				i++
				if tok.val == "array" {
					push(frameArray, tok.pos, i)
					t.emit(tok.pos, "[")
				} else {
					push(frameCall, tok.pos, i)
					t.emit(tok.pos, fnInArray+"(")
				}
			case "xor":
				return nil, errAt(tok.pos, "xor is not supported")
			default:
				if i+1 < len(toks) && toks[i+1].kind == tokOp && toks[i+1].val == "(" {
					return nil, errAt(tok.pos, "unknown function %s (only in_array and array are available)", tok.val)
				}
				return nil, errAt(tok.pos, "unknown identifier %s (use {placeholders}, strings, numbers, true, false or null)", tok.val)
			}
			continue
		}

		switch op := tok.val; op {
		case "(":
			if !expectValue {
				return nil, errAt(tok.pos, "unexpected '('; expected an operator")
			}
			push(frameGroup, tok.pos, i)
			t.emit(tok.pos, "(")

		case ")":
			if len(stack) == 1 {
				return nil, errAt(tok.pos, "unmatched ')'")
			}
			if expectValue {
				prev := toks[i-1]
				emptyArgs := top.kind != frameGroup && i-1 == top.openTok
				trailingComma := top.kind != frameGroup && prev.kind == tokOp && prev.val == ","
				if !emptyArgs && !trailingComma {
					return nil, errAt(tok.pos, "unexpected ')'; expected a value")
				}
			}
			if top.kind == frameArray {
				t.emit(tok.pos, "]")
			} else {
				t.emit(tok.pos, ")")
			}
			stack = stack[:len(stack)-1]
			expectValue = false

		case ",":
			if top.kind == frameTop || top.kind == frameGroup {
				return nil, errAt(tok.pos, "unexpected ','")
			}
			if expectValue {
				return nil, errAt(tok.pos, "unexpected ','; expected a value")
			}
			top.cmp, top.and, top.oror = -1, -1, -1
			t.emit(tok.pos, ",")
			expectValue = true

		case "!":
			if !expectValue {
				return nil, errAt(tok.pos, "unexpected '!'; expected an operator")
			}
			t.emit(tok.pos, "!")

		case "&&", "||":
			if expectValue {
				return nil, errAt(tok.pos, "unexpected '%s'; expected a value", op)
			}
			if err := logical(top, tok); err != nil {
				return nil, err
			}
			t.emit(tok.pos, op)
			expectValue = true

		case ".":
			if expectValue {
				return nil, errAt(tok.pos, "unexpected '.'; expected a value")
			}
			// expr's range operator sits between comparison and addition,
			// exactly where PHP 8 puts '.', so it carries concatenation.
			t.emit(tok.pos, "..")
			expectValue = true

		default:
			mapped, ok := comparisons[op]
			if !ok {
				return nil, errAt(tok.pos, "unexpected '%s'", op)
			}
			if expectValue {
				return nil, errAt(tok.pos, "unexpected '%s'; expected a value", op)
			}
			// expr gives every comparison one precedence and chains them
			// (a < b < c means a < b && b < c), while PHP ranks < above ==
			// and rejects chains; demanding parentheses avoids both traps.
			if top.cmp >= 0 {
				return nil, errAt(tok.pos, "comparisons cannot be chained; add parentheses")
			}
			top.cmp = tok.pos
			t.emit(tok.pos, mapped)
			expectValue = true
		}
	}

	if len(stack) > 1 {
		return nil, errAt(stack[len(stack)-1].open, "unclosed '('")
	}
	if expectValue {
		if len(toks) == 0 {
			return nil, errAt(-1, "empty expression")
		}
		last := toks[len(toks)-1]
		return nil, errAt(last.pos, "expression ends after %s; expected a value", describe(last))
	}
	return t, nil
}

// logical records a boolean operator in its frame. PHP binds || tighter than
// the keyword 'and' while expr does the opposite, so mixing the two at one
// level would silently change meaning; everything else agrees.
func logical(f *frame, tok token) error {
	f.cmp = -1
	switch tok.val {
	case "and":
		f.and = tok.pos
	case "||":
		f.oror = tok.pos
	}
	if f.and >= 0 && f.oror >= 0 {
		return errAt(max(f.and, f.oror), "mixing 'and' with '||' needs parentheses (PHP binds '||' tighter than 'and')")
	}
	return nil
}

// placeholderExpr turns {event.object.a.b}, {event.x} and {key} into lookups
// that yield nil for anything missing instead of failing.
func placeholderExpr(name string) string {
	segs := strings.Split(name, ".")
	if len(segs) == 1 {
		return fnParam + "(params, " + strconv.Quote(name) + ")"
	}
	root, rest := "event", segs[1:]
	if rest[0] == "object" {
		root, rest = "object", rest[1:]
	}
	var b strings.Builder
	b.WriteString(fnPath + "(" + root)
	for _, s := range rest {
		b.WriteString(", ")
		b.WriteString(strconv.Quote(s))
	}
	b.WriteString(")")
	return b.String()
}

func describe(t token) string {
	switch t.kind {
	case tokNumber:
		return "number " + t.val
	case tokString:
		return "string " + strconv.Quote(t.val)
	case tokPlaceholder:
		return "{" + t.val + "}"
	default:
		return "'" + t.val + "'"
	}
}
