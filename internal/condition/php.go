package condition

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// kind is how PHP would see a Go value.
type kind int

const (
	kindNull kind = iota
	kindBool
	kindNumber // normalized to int64 or float64
	kindString
	kindArray // normalized to phpArray
	kindOther
)

// phpArray is an ordered key/value view of a Go slice or map. Lists use keys
// "0", "1", ...; maps are sorted by key because Go maps have no order.
type phpArray struct {
	keys []string
	vals []any
}

func (a phpArray) get(key string) (any, bool) {
	for i, k := range a.keys {
		if k == key {
			return a.vals[i], true
		}
	}
	return nil, false
}

func classify(v any) (kind, any) {
	switch x := v.(type) {
	case nil:
		return kindNull, nil
	case bool:
		return kindBool, x
	case string:
		return kindString, x
	case []byte:
		return kindString, string(x)
	case json.Number:
		// Callers decoding with UseNumber still get numeric comparisons.
		if i, err := x.Int64(); err == nil {
			return kindNumber, i
		}
		if f, err := x.Float64(); err == nil {
			return kindNumber, f
		}
		return kindString, string(x)
	case int:
		return kindNumber, int64(x)
	case int8:
		return kindNumber, int64(x)
	case int16:
		return kindNumber, int64(x)
	case int32:
		return kindNumber, int64(x)
	case int64:
		return kindNumber, x
	case uint:
		return uintNumber(uint64(x))
	case uint8:
		return kindNumber, int64(x)
	case uint16:
		return kindNumber, int64(x)
	case uint32:
		return kindNumber, int64(x)
	case uint64:
		return uintNumber(x)
	case float32:
		return kindNumber, float64(x)
	case float64:
		return kindNumber, x
	case phpArray:
		return kindArray, x
	}

	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		arr := phpArray{keys: make([]string, rv.Len()), vals: make([]any, rv.Len())}
		for i := range rv.Len() {
			arr.keys[i] = strconv.Itoa(i)
			arr.vals[i] = rv.Index(i).Interface()
		}
		return kindArray, arr
	case reflect.Map:
		arr := phpArray{keys: make([]string, 0, rv.Len())}
		byKey := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			k := fmt.Sprint(it.Key().Interface())
			arr.keys = append(arr.keys, k)
			byKey[k] = it.Value().Interface()
		}
		sort.Strings(arr.keys)
		arr.vals = make([]any, len(arr.keys))
		for i, k := range arr.keys {
			arr.vals[i] = byKey[k]
		}
		return kindArray, arr
	}
	return kindOther, v
}

func uintNumber(u uint64) (kind, any) {
	if u > math.MaxInt64 {
		return kindNumber, float64(u)
	}
	return kindNumber, int64(u)
}

// numericString follows PHP 8's is_numeric for comparisons: optional
// surrounding whitespace, a sign, decimals and an exponent; no hex.
func numericString(s string) (any, bool) {
	t := strings.Trim(s, " \t\n\r\v\f")
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	digits := 0
	for i < len(t) && isDigit(t[i]) {
		i++
		digits++
	}
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && isDigit(t[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return nil, false
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		j := i + 1
		if j < len(t) && (t[j] == '+' || t[j] == '-') {
			j++
		}
		if j < len(t) && isDigit(t[j]) {
			for j < len(t) && isDigit(t[j]) {
				j++
			}
			i = j
		}
	}
	if i != len(t) {
		return nil, false
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, false
	}
	return f, true
}

func toFloat(n any) float64 {
	if i, ok := n.(int64); ok {
		return float64(i)
	}
	return n.(float64)
}

// compareNumbers orders two normalized numbers; ok is false if either is NaN,
// which PHP treats as unordered.
func compareNumbers(a, b any) (c int, ok bool) {
	if x, isInt := a.(int64); isInt {
		if y, isInt := b.(int64); isInt {
			return cmp.Compare(x, y), true
		}
	}
	x, y := toFloat(a), toFloat(b)
	if math.IsNaN(x) || math.IsNaN(y) {
		return 0, false
	}
	return cmp.Compare(x, y), true
}

// truthy is PHP's boolean conversion.
func truthy(v any) bool {
	k, n := classify(v)
	switch k {
	case kindNull:
		return false
	case kindBool:
		return n.(bool)
	case kindNumber:
		if i, ok := n.(int64); ok {
			return i != 0
		}
		return n.(float64) != 0 // NaN is truthy in PHP too
	case kindString:
		s := n.(string)
		return s != "" && s != "0"
	case kindArray:
		return len(n.(phpArray).keys) > 0
	}
	return true
}

// toString is PHP's string conversion.
func toString(v any) string {
	k, n := classify(v)
	switch k {
	case kindNull:
		return ""
	case kindBool:
		if n.(bool) {
			return "1"
		}
		return ""
	case kindNumber:
		if i, ok := n.(int64); ok {
			return strconv.FormatInt(i, 10)
		}
		return formatFloat(n.(float64))
	case kindString:
		return n.(string)
	case kindArray:
		return "Array"
	}
	return fmt.Sprint(v)
}

// formatFloat mimics PHP 8's (string)$float: 14 significant digits, and
// exponent notation below 1e-4 or from 1e14 on. Integral values below 2^53 print as integers: JSON decoding
// turned PHP's ints into float64, and an id must not come out as 1.0E+15.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NAN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case f == math.Trunc(f) && math.Abs(f) < 1<<53:
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	sci := strconv.FormatFloat(f, 'e', 13, 64) // 14 significant digits
	mant, expStr, _ := strings.Cut(sci, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp >= -4 && exp <= 13 {
		rounded, _ := strconv.ParseFloat(sci, 64)
		return strconv.FormatFloat(rounded, 'f', -1, 64)
	}
	mant = strings.TrimRight(mant, "0")
	if strings.HasSuffix(mant, ".") {
		mant += "0"
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	return mant + "E" + sign + strconv.Itoa(exp)
}

// looseEqual is PHP 8's ==.
func looseEqual(a, b any) bool {
	ka, va := classify(a)
	kb, vb := classify(b)
	switch {
	case ka == kindBool || kb == kindBool:
		return truthy(a) == truthy(b)
	case ka == kindNull && kb == kindNull:
		return true
	case ka == kindNull && kb == kindString:
		return vb.(string) == ""
	case kb == kindNull && ka == kindString:
		return va.(string) == ""
	case ka == kindNull || kb == kindNull:
		return !truthy(a) && !truthy(b)
	case ka == kindArray && kb == kindArray:
		x, y := va.(phpArray), vb.(phpArray)
		if len(x.keys) != len(y.keys) {
			return false
		}
		for i, k := range x.keys {
			other, ok := y.get(k)
			if !ok || !looseEqual(x.vals[i], other) {
				return false
			}
		}
		return true
	case ka == kindArray || kb == kindArray:
		return false
	case ka == kindOther || kb == kindOther:
		return reflect.DeepEqual(a, b)
	}
	c, ok := compareScalars(ka, va, kb, vb)
	return ok && c == 0
}

// compareScalars orders numbers and strings the PHP 8 way: numerically when
// both sides are numbers or numeric strings, otherwise as strings.
func compareScalars(ka kind, va any, kb kind, vb any) (int, bool) {
	if ka == kindString {
		if n, ok := numericString(va.(string)); ok {
			ka, va = kindNumber, n
		}
	}
	if kb == kindString {
		if n, ok := numericString(vb.(string)); ok {
			kb, vb = kindNumber, n
		}
	}
	if ka == kindNumber && kb == kindNumber {
		return compareNumbers(va, vb)
	}
	return strings.Compare(toString(va), toString(vb)), true
}

// looseCompare is PHP 8's <=>; ok is false for unordered pairs (NaN,
// arrays with different keys, foreign Go types), making every < > false.
func looseCompare(a, b any) (int, bool) {
	ka, va := classify(a)
	kb, vb := classify(b)
	switch {
	case ka == kindNull && kb == kindString:
		return strings.Compare("", vb.(string)), true
	case kb == kindNull && ka == kindString:
		return strings.Compare(va.(string), ""), true
	case ka == kindBool || kb == kindBool || ka == kindNull || kb == kindNull:
		return compareBools(truthy(a), truthy(b)), true
	case ka == kindArray && kb == kindArray:
		x, y := va.(phpArray), vb.(phpArray)
		if c := cmp.Compare(len(x.keys), len(y.keys)); c != 0 {
			return c, true
		}
		for i, k := range x.keys {
			other, ok := y.get(k)
			if !ok {
				return 0, false
			}
			if c, ok := looseCompare(x.vals[i], other); !ok || c != 0 {
				return c, ok
			}
		}
		return 0, true
	case ka == kindArray:
		return 1, true
	case kb == kindArray:
		return -1, true
	case ka == kindOther || kb == kindOther:
		return 0, false
	}
	return compareScalars(ka, va, kb, vb)
}

func compareBools(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// identical is PHP's ===, except that ints and floats count as one type:
// JSON decoding makes every number a float64, so a PHP-faithful 2 === 2.0
// being false would make {event.object.status} === 2 never match.
func identical(a, b any) bool {
	ka, va := classify(a)
	kb, vb := classify(b)
	if ka != kb {
		return false
	}
	switch ka {
	case kindNull:
		return true
	case kindNumber:
		c, ok := compareNumbers(va, vb)
		return ok && c == 0
	case kindArray:
		x, y := va.(phpArray), vb.(phpArray)
		if len(x.keys) != len(y.keys) {
			return false
		}
		for i := range x.keys {
			if x.keys[i] != y.keys[i] || !identical(x.vals[i], y.vals[i]) {
				return false
			}
		}
		return true
	case kindOther:
		return reflect.DeepEqual(a, b)
	}
	return va == vb
}

// inArray is PHP's in_array. PHP 8 throws a TypeError for a non-array
// haystack; we return an error so a broken condition is visible.
func inArray(needle, haystack any, strict bool) (bool, error) {
	k, v := classify(haystack)
	if k != kindArray {
		return false, fmt.Errorf("in_array(): argument #2 must be an array, %s given", typeName(k))
	}
	for _, item := range v.(phpArray).vals {
		if strict && identical(needle, item) || !strict && looseEqual(needle, item) {
			return true, nil
		}
	}
	return false, nil
}

func typeName(k kind) string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "bool"
	case kindNumber:
		return "number"
	case kindString:
		return "string"
	case kindArray:
		return "array"
	}
	return "unknown"
}
