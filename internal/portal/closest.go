package portal

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Closest returns the name in catalogue nearest to name by edit distance,
// ignoring case, when it is near enough to be a misspelling (at most a third
// of its length, and at least 2, edits away). Channel and policy validation
// use it for "did you mean" hints over any catalogue of names.
func Closest(name string, catalogue []string) (string, bool) {
	if name == "" || len(name) > 256 {
		return "", false
	}
	lower := strings.ToLower(name)
	best, bestDist := "", -1
	for _, c := range catalogue {
		d := levenshtein(lower, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := max(2, utf8.RuneCountInString(name)/3)
	if bestDist < 0 || bestDist > limit {
		return "", false
	}
	return best, true
}

// levenshtein is the edit distance between a and b in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// UnknownName is the error for a name outside a catalogue: it quotes the
// name (escaped, clamped), suggests the closest one and lists the accepted
// names, e.g. `unknown Event "UserRegisterd"; did you mean "UserRegistered"?
// accepted: ...`.
func UnknownName(what, name string, catalogue []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown %s %q", what, clamp(name, 64))
	if c, ok := Closest(name, catalogue); ok {
		fmt.Fprintf(&b, "; did you mean %q?", c)
	}
	fmt.Fprintf(&b, " accepted: %s", strings.Join(catalogue, ", "))
	return fmt.Errorf("%s", b.String())
}

// clamp cuts s to at most n runes for quoting in a message.
func clamp(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
