// Package redact removes secrets (API keys, tokens) from text before it
// lands in an error, a log line or a CLI message — whole or in pieces.
//
// A [Set] removes every run of [Window] or more bytes that is a substring of
// one of its secrets, in the secret's raw form and in the forms a server or
// a library may echo it in (JSON string escaping, URL query and path
// escaping, Go quoting). So a key cut in two by a truncation, split across
// two lines, or echoed in an Authorization header inside a response body
// leaves no piece of 8 bytes or more. A secret shorter than Window is
// removed where it appears whole.
//
// Redact before truncating: a cut made first can leave a prefix of the
// secret that the redaction of the whole secret would miss (Redact catches
// such a prefix too, when it is Window bytes or longer).
//
// Redact works on the text it is given. When redacted pieces are later
// joined with other text, a piece of a secret could in principle span the
// join; that takes a secret holding the joining characters. The errors of
// package authz join server text to their own only through spaces and
// punctuation — "(", ")", ":", "[", "]", quotes — none of which a WorkOS
// key (sk_test_/sk_live_ and letters and digits) holds.
package redact

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Window is the shortest piece of a secret that Redact removes. A shorter
// piece (for example the "sk_test" of every WorkOS test key) is not a
// secret.
const Window = 8

// Placeholder replaces each removed run.
const Placeholder = "[REDACTED]"

// Set is a set of secrets to remove. The zero Set and a nil *Set remove
// nothing. A Set is immutable and safe for concurrent use. Its String,
// GoString and Format methods print no secret, so a struct holding a *Set
// can be printed.
type Set struct {
	windows map[string]struct{} // every Window-byte substring of every form
	short   []string            // forms shorter than Window, removed whole
}

// New returns the Set of the non-empty secrets.
func New(secrets ...string) *Set {
	s := &Set{windows: map[string]struct{}{}}
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, f := range forms(sec) {
			if len(f) < Window {
				s.short = append(s.short, f)
				continue
			}
			for i := 0; i+Window <= len(f); i++ {
				s.windows[f[i:i+Window]] = struct{}{}
			}
		}
	}
	return s
}

// forms returns sec as it may appear in text: raw, JSON-escaped, URL
// query- and path-escaped, Go-quoted (without the quotes).
func forms(sec string) []string {
	out := []string{sec}
	add := func(f string) {
		for _, g := range out {
			if g == f {
				return
			}
		}
		out = append(out, f)
	}
	if b, err := json.Marshal(sec); err == nil {
		add(string(b[1 : len(b)-1]))
	}
	add(url.QueryEscape(sec))
	add(url.PathEscape(sec))
	q := strconv.Quote(sec)
	add(q[1 : len(q)-1])
	return out
}

// String returns "redact.Set", never a secret.
func (s *Set) String() string { return "redact.Set" }

// GoString returns "redact.Set{…}", never a secret.
func (s *Set) GoString() string { return "redact.Set{…}" }

// Redact returns text without any piece of the secrets (see the package
// doc). Each removed run becomes [Placeholder]; if the placeholder itself
// joins with its neighbours into a piece of a secret (a secret holding
// "[REDACTED]"…), the runs are dropped instead, until none is left.
func (s *Set) Redact(text string) string {
	if s == nil || (len(s.windows) == 0 && len(s.short) == 0) {
		return text
	}
	out, changed := s.pass(text, Placeholder)
	for changed {
		// Verify: the placeholder or the joins it made may form a piece.
		out, changed = s.pass(out, "")
	}
	return out
}

// Contains reports whether text holds a piece of a secret that Redact
// would remove.
func (s *Set) Contains(text string) bool {
	if s == nil {
		return false
	}
	_, changed := s.pass(text, "")
	return changed
}

// pass replaces every marked run of text with repl and reports whether it
// marked anything.
func (s *Set) pass(text, repl string) (string, bool) {
	var marks []bool
	mark := func(i, j int) {
		if marks == nil {
			marks = make([]bool, len(text))
		}
		for ; i < j; i++ {
			marks[i] = true
		}
	}
	if len(s.windows) > 0 {
		for i := 0; i+Window <= len(text); i++ {
			if _, ok := s.windows[text[i:i+Window]]; ok {
				mark(i, i+Window)
			}
		}
	}
	for _, sh := range s.short {
		for off := 0; ; {
			k := strings.Index(text[off:], sh)
			if k < 0 {
				break
			}
			mark(off+k, off+k+len(sh))
			off += k + 1
		}
	}
	if marks == nil {
		return text, false
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0 // text[last:] is not written yet
	for i := 0; i < len(text); {
		if !marks[i] {
			i++
			continue
		}
		// A run, widened to whole runes so no broken UTF-8 is left.
		start := i
		for start > last && !utf8.RuneStart(text[start]) {
			start--
		}
		j := i
		for j < len(text) && (marks[j] || !utf8.RuneStart(text[j])) {
			j++
		}
		b.WriteString(text[last:start])
		b.WriteString(repl)
		last, i = j, j
	}
	b.WriteString(text[last:])
	return b.String(), true
}
