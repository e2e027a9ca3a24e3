package kaltura

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Kaltura clients send the bracketed form encoding of PHP
// (eventNotificationTemplate[eventConditions][0][field][code]=...);
// parseForm decodes it into a tree that handlers can navigate without
// string juggling. Its errors keep the "kform:" prefix clients have seen.

// maxFormIndex bounds list indices so a hostile key such as a[999999999]
// cannot make a client believe it addressed a huge list.
const maxFormIndex = 1000

// formNode is one value of a decoded form: a string leaf, an object
// (Fields) or a list (Items, from numeric keys, ordered by index).
type formNode struct {
	Value  string
	IsLeaf bool
	Fields map[string]*formNode
	Items  []*formNode
}

// parseForm decodes bracketed keys into a tree whose root is always an object.
// When a key carries several values the last one wins, as in PHP.
func parseForm(v url.Values) (*formNode, error) {
	keys := make([]string, 0, len(v))
	for k, vals := range v {
		if len(vals) > 0 {
			keys = append(keys, k)
		}
	}
	// Sorted so that conflict errors name the same pair of keys every time.
	sort.Strings(keys)

	root := &draft{children: map[string]*draft{}}
	for _, key := range keys {
		segs, err := splitKey(key)
		if err != nil {
			return nil, err
		}
		vals := v[key]
		if err := root.insert(key, segs, vals[len(vals)-1]); err != nil {
			return nil, err
		}
	}

	out := &formNode{Fields: make(map[string]*formNode, len(root.children))}
	for name, child := range root.children {
		n, err := child.finish()
		if err != nil {
			return nil, err
		}
		out.Fields[name] = n
	}
	return out, nil
}

// draft is the mutable tree built while keys arrive; only once every key is
// known can we tell whether a node's children form a list or an object.
type draft struct {
	key      string // the form key that created this node, for error messages
	prefix   string // bracketed path of this node, for error messages
	leaf     bool
	value    string
	children map[string]*draft
}

func (d *draft) insert(key string, segs []string, value string) error {
	cur := d
	for i, seg := range segs {
		if cur.leaf {
			return fmt.Errorf("kform: key %q conflicts with %q: %s is both a value and a container", key, cur.key, cur.prefix)
		}
		next, ok := cur.children[seg]
		if !ok {
			next = &draft{key: key, prefix: joinKey(segs[:i+1])}
			cur.children[seg] = next
		}
		cur = next
		if i < len(segs)-1 && cur.children == nil && !cur.leaf {
			cur.children = map[string]*draft{}
		}
	}
	if len(cur.children) > 0 {
		return fmt.Errorf("kform: key %q conflicts with %q: %s is both a value and a container", key, cur.key, cur.prefix)
	}
	cur.key = key
	cur.leaf = true
	cur.value = value
	cur.children = nil
	return nil
}

func (d *draft) finish() (*formNode, error) {
	if d.leaf {
		return &formNode{Value: d.value, IsLeaf: true}, nil
	}

	numeric, named := 0, 0
	for name := range d.children {
		if _, ok := listIndex(name); ok {
			numeric++
		} else {
			named++
		}
	}
	if numeric > 0 && named > 0 {
		return nil, fmt.Errorf("kform: %s mixes list indices and field names (e.g. key %q)", d.prefix, d.key)
	}

	if numeric > 0 {
		type indexed struct {
			idx  int
			node *draft
		}
		items := make([]indexed, 0, numeric)
		for name, child := range d.children {
			idx, _ := listIndex(name)
			if idx > maxFormIndex {
				return nil, fmt.Errorf("kform: key %q: index %s exceeds %d", child.key, name, maxFormIndex)
			}
			items = append(items, indexed{idx, child})
		}
		slices.SortFunc(items, func(a, b indexed) int { return cmp.Compare(a.idx, b.idx) })
		out := &formNode{Items: make([]*formNode, len(items))}
		for i, it := range items {
			n, err := it.node.finish()
			if err != nil {
				return nil, err
			}
			out.Items[i] = n
		}
		return out, nil
	}

	out := &formNode{Fields: make(map[string]*formNode, len(d.children))}
	for name, child := range d.children {
		n, err := child.finish()
		if err != nil {
			return nil, err
		}
		out.Fields[name] = n
	}
	return out, nil
}

// splitKey turns a[b][0][c] into [a b 0 c].
func splitKey(key string) ([]string, error) {
	open := strings.IndexByte(key, '[')
	name := key
	if open >= 0 {
		name = key[:open]
	}
	if name == "" {
		return nil, fmt.Errorf("kform: malformed key %q: missing name before brackets", key)
	}
	if strings.IndexByte(name, ']') >= 0 {
		return nil, fmt.Errorf("kform: malformed key %q: unexpected ']'", key)
	}
	segs := []string{name}
	if open < 0 {
		return segs, nil
	}

	rest := key[open:]
	for rest != "" {
		if rest[0] != '[' {
			return nil, fmt.Errorf("kform: malformed key %q: text after ']'", key)
		}
		end := strings.IndexAny(rest[1:], "[]")
		if end < 0 || rest[1+end] != ']' {
			return nil, fmt.Errorf("kform: malformed key %q: unterminated '['", key)
		}
		seg := rest[1 : 1+end]
		if seg == "" {
			// PHP's a[]=x means "append", which url.Values cannot order
			// relative to other keys, so we refuse it rather than guess.
			return nil, fmt.Errorf("kform: malformed key %q: empty brackets", key)
		}
		segs = append(segs, seg)
		rest = rest[2+end:]
	}
	return segs, nil
}

func joinKey(segs []string) string {
	var b strings.Builder
	b.WriteString(segs[0])
	for _, s := range segs[1:] {
		b.WriteByte('[')
		b.WriteString(s)
		b.WriteByte(']')
	}
	return b.String()
}

// listIndex follows PHP: only canonical decimal integers ("0", "12", not
// "012") are integer array keys; anything else is a field name.
func listIndex(s string) (int, bool) {
	if !allDigits(s) || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	if len(s) > 9 {
		// Far beyond maxFormIndex; saturating avoids overflow in Atoi.
		return math.MaxInt, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	return n, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Get walks fields by name and lists by position; it returns nil as soon as
// anything along the path is missing, so callers can chain without checks.
func (n *formNode) Get(path ...string) *formNode {
	cur := n
	for _, seg := range path {
		if cur == nil {
			return nil
		}
		switch {
		case cur.Fields != nil:
			cur = cur.Fields[seg]
		case cur.Items != nil:
			i, ok := listIndex(seg)
			if !ok || i >= len(cur.Items) {
				return nil
			}
			cur = cur.Items[i]
		default:
			return nil
		}
	}
	return cur
}

// String returns the leaf value at path and whether there is one; objects and
// lists report false so a nested structure is never mistaken for "".
func (n *formNode) String(path ...string) (string, bool) {
	t := n.Get(path...)
	if t == nil || !t.IsLeaf {
		return "", false
	}
	return t.Value, true
}

// Has reports whether anything (leaf, object or list) exists at path.
func (n *formNode) Has(path ...string) bool {
	return n.Get(path...) != nil
}

// Keys returns the sorted field names of an object node.
func (n *formNode) Keys() []string {
	if n == nil || len(n.Fields) == 0 {
		return nil
	}
	keys := make([]string, 0, len(n.Fields))
	for k := range n.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
