package condition

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tokNumber      tokKind = iota // val is the number in expr syntax
	tokString                     // val is the decoded string
	tokPlaceholder                // val is the text between the braces
	tokIdent                      // val is the lower-cased identifier
	tokOp                         // val is the operator or punctuation
)

type token struct {
	kind tokKind
	val  string
	pos  int // byte offset in the source, for error messages
}

// operators lists PHP punctuation we accept, longest first so that "==="
// is not read as "==" followed by "=".
var operators = []string{"===", "!==", "==", "!=", "<>", "<=", ">=", "&&", "||", "<", ">", "!", ".", "(", ")", ","}

// unsupported explains characters that are valid PHP but outside the subset,
// so users get a reason instead of "unexpected character".
var unsupported = map[byte]string{
	'=': "assignment is not allowed (use == to compare)",
	'+': "arithmetic is not supported",
	'*': "arithmetic is not supported",
	'/': "arithmetic and comments are not supported",
	'%': "arithmetic is not supported",
	'?': "the ternary and ?? operators are not supported",
	':': "':' is not supported (no ternaries or class constants)",
	'[': "use array(...) for array literals",
	']': "use array(...) for array literals",
	'$': "PHP variables are not available; use {placeholders}",
	'&': "bitwise operators are not supported (use &&)",
	'|': "bitwise operators are not supported (use ||)",
	'^': "bitwise operators are not supported",
	'~': "bitwise operators are not supported",
	'@': "'@' is not supported",
	';': "only a single expression is allowed",
	'#': "comments are not supported",
	'`': "shell execution is not supported",
}

func lex(code string) ([]token, error) {
	var toks []token
	// prevOperand decides whether '-' is a sign and '.' starts a number.
	prevOperand := func() bool {
		if len(toks) == 0 {
			return false
		}
		t := toks[len(toks)-1]
		switch t.kind {
		case tokNumber, tokString, tokPlaceholder:
			return true
		case tokIdent:
			return t.val == "true" || t.val == "false" || t.val == "null"
		default:
			return t.val == ")"
		}
	}

	for i := 0; i < len(code); {
		c := code[i]
		switch {
		case isSpace(c):
			i++

		case c == '{':
			end := strings.IndexByte(code[i:], '}')
			if end < 0 {
				return nil, errAt(i, "unterminated placeholder")
			}
			name := code[i+1 : i+end]
			if err := checkPlaceholder(name); err != nil {
				return nil, errAt(i, "placeholder {%s}: %s", name, err)
			}
			toks = append(toks, token{tokPlaceholder, name, i})
			i += end + 1

		case c == '"' || c == '\'':
			s, n, err := lexString(code[i:])
			if err != nil {
				return nil, errAt(i, "%s", err)
			}
			toks = append(toks, token{tokString, s, i})
			i += n

		case isDigit(c) || (c == '.' && i+1 < len(code) && isDigit(code[i+1]) && !prevOperand()):
			num, n, err := lexNumber(code[i:])
			if err != nil {
				return nil, errAt(i, "%s", err)
			}
			toks = append(toks, token{tokNumber, num, i})
			i += n

		case c == '-':
			if prevOperand() {
				return nil, errAt(i, "arithmetic is not supported")
			}
			j := i + 1
			for j < len(code) && isSpace(code[j]) {
				j++
			}
			if j == len(code) || !(isDigit(code[j]) || (code[j] == '.' && j+1 < len(code) && isDigit(code[j+1]))) {
				return nil, errAt(i, "'-' is only supported as the sign of a number")
			}
			num, n, err := lexNumber(code[j:])
			if err != nil {
				return nil, errAt(j, "%s", err)
			}
			toks = append(toks, token{tokNumber, "-" + num, i})
			i = j + n

		case isIdentStart(c):
			j := i + 1
			for j < len(code) && isIdentPart(code[j]) {
				j++
			}
			// PHP keywords and function names are case-insensitive.
			toks = append(toks, token{tokIdent, strings.ToLower(code[i:j]), i})
			i = j

		default:
			if strings.HasPrefix(code[i:], "<=>") {
				return nil, errAt(i, "the <=> operator is not supported")
			}
			op := ""
			for _, o := range operators {
				if strings.HasPrefix(code[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if why, ok := unsupported[c]; ok {
					return nil, errAt(i, "%s", why)
				}
				r, _ := utf8.DecodeRuneInString(code[i:])
				return nil, errAt(i, "unexpected character %q", r)
			}
			toks = append(toks, token{tokOp, op, i})
			i += len(op)
		}
	}
	return toks, nil
}

// checkPlaceholder keeps placeholder names to a charset that needs no
// escaping anywhere they end up (expr source, error messages, URLs).
func checkPlaceholder(name string) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	for seg := range strings.SplitSeq(name, ".") {
		if seg == "" {
			return fmt.Errorf("empty path segment")
		}
		if !isKey(seg) {
			return fmt.Errorf("only letters, digits, '_' and '-' are allowed")
		}
	}
	if strings.Contains(name, ".") && !strings.HasPrefix(name, "event.") {
		return fmt.Errorf("dotted placeholders must start with \"event.\"")
	}
	return nil
}

// lexNumber reads a PHP decimal literal and returns it in expr syntax. PHP's
// hex, octal, binary and 1_000 forms are refused rather than misread.
func lexNumber(s string) (string, int, error) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := i
	isFloat := false
	if i < len(s) && s[i] == '.' && i+1 < len(s) && isDigit(s[i+1]) {
		isFloat = true
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			isFloat = true
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	text := s[:i]
	if i < len(s) && isIdentPart(s[i]) {
		return "", 0, fmt.Errorf("malformed number %q (only decimal literals are supported)", s[:i+1])
	}
	if !isFloat {
		if intDigits > 1 && text[0] == '0' {
			return "", 0, fmt.Errorf("number %q has a leading zero, which PHP reads as octal; octal is not supported", text)
		}
		if _, err := strconv.ParseInt(text, 10, 64); err == nil {
			return text, i, nil
		}
		// PHP turns integer overflow into a float; so do we.
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return "", 0, fmt.Errorf("number %q is out of range", text)
	}
	out := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(out, ".e") {
		out += ".0" // keep it a float in expr, as it was in PHP
	}
	return out, i, nil
}

// lexString decodes a PHP single- or double-quoted literal and returns the
// value and the number of source bytes consumed.
func lexString(s string) (string, int, error) {
	quote := s[0]
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == quote:
			out := b.String()
			if !utf8.ValidString(out) {
				// expr would re-encode stray bytes as runes; refuse rather
				// than silently compare against different bytes.
				return "", 0, fmt.Errorf("string literal is not valid UTF-8")
			}
			return out, i + 1, nil
		case c != '\\' || i+1 == len(s):
			b.WriteByte(c)
			i++
		case quote == '\'':
			// Single quotes only know \' and \\; other backslashes are literal.
			if n := s[i+1]; n == '\'' || n == '\\' {
				b.WriteByte(n)
				i += 2
			} else {
				b.WriteByte('\\')
				i++
			}
		default:
			n, err := decodeEscape(s[i:], &b)
			if err != nil {
				return "", 0, err
			}
			i += n
		}
	}
	return "", 0, fmt.Errorf("unterminated string literal")
}

var simpleEscapes = map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'v': '\v', 'e': 0x1b, 'f': '\f', '\\': '\\', '$': '$', '"': '"'}

// decodeEscape handles one backslash sequence of a double-quoted PHP string.
func decodeEscape(s string, b *strings.Builder) (int, error) {
	c := s[1]
	if r, ok := simpleEscapes[c]; ok {
		b.WriteByte(r)
		return 2, nil
	}
	switch {
	case c >= '0' && c <= '7':
		n, v := 1, 0
		for n <= 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			v = v*8 + int(s[n]-'0')
			n++
		}
		b.WriteByte(byte(v)) // PHP wraps \400 and above the same way
		return n, nil
	case c == 'x' && len(s) > 2 && isHex(s[2]):
		n := 3
		if n < len(s) && isHex(s[n]) {
			n++
		}
		v, _ := strconv.ParseUint(s[2:n], 16, 8)
		b.WriteByte(byte(v))
		return n, nil
	case c == 'u' && len(s) > 2 && s[2] == '{':
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return 0, fmt.Errorf("unterminated \\u{...} escape")
		}
		v, err := strconv.ParseUint(s[3:end], 16, 32)
		if err != nil || v > utf8.MaxRune {
			return 0, fmt.Errorf("invalid \\u{...} escape")
		}
		b.WriteRune(rune(v))
		return end + 1, nil
	default:
		// Unknown escapes keep their backslash in PHP.
		b.WriteByte('\\')
		return 1, nil
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

// isKey reports whether s is a usable parameter or path name.
func isKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isIdentPart(c) && c != '-' {
			return false
		}
	}
	return true
}
