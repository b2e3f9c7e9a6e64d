package authztest

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// Defaults of the call log ([Fake.Calls], [WithCallLog]).
const (
	// DefaultCallLogSize is how many calls the log keeps: the most recent
	// ones; older calls are dropped as new ones arrive.
	DefaultCallLogSize = 10_000
	// DefaultCallBodyLimit is how many bytes of each request body the log
	// keeps; a longer body is cut there and the call is marked
	// [Call.BodyTruncated]. The fake's own clients send bodies of a few
	// hundred bytes.
	DefaultCallBodyLimit = 4 << 10
)

// callURLLimit is how many bytes of a call's path, and of its query, the
// log keeps. A WorkOS API path or query is far shorter; the server lets a
// request line of up to its header limit (64 KiB) through, so without a cut
// a full log of such calls would hold hundreds of megabytes.
const callURLLimit = 2 << 10

// WithCallLog bounds the log of API calls ([Fake.Calls]): it keeps the
// most recent calls (0 keeps none) and the first bodyBytes bytes of each
// request body (0 keeps no body). Without it the log keeps
// [DefaultCallLogSize] calls and [DefaultCallBodyLimit] bytes of each body,
// so a long-running fake (`fgakit serve`) holds at most about
// calls × bodyBytes of bodies whatever it is sent. A negative value fails
// [New] or [NewServer].
func WithCallLog(calls, bodyBytes int) Option {
	return func(c *config) { c.logCalls, c.logBody, c.logSet = calls, bodyBytes, true }
}

// callLog is a ring of the most recent calls; f.mu guards it.
type callLog struct {
	size  int    // calls kept at most
	body  int    // bytes of each body kept at most
	ring  []Call // in arrival order from start, wrapping
	start int    // index of the oldest call once ring is full
}

func newCallLog(cfg config) (callLog, error) {
	l := callLog{size: DefaultCallLogSize, body: DefaultCallBodyLimit}
	if cfg.logSet {
		if cfg.logCalls < 0 || cfg.logBody < 0 {
			return callLog{}, fmt.Errorf("authztest: WithCallLog(%d, %d): the number of calls and of body bytes must not be negative", cfg.logCalls, cfg.logBody)
		}
		l.size, l.body = cfg.logCalls, cfg.logBody
	}
	return l, nil
}

// add logs c, keeping at most l.body bytes of its body (copied, so the
// request's own buffer is not kept alive).
func (l *callLog) add(c Call) {
	if l.size == 0 {
		return
	}
	if len(c.Body) > l.body {
		c.Body, c.BodyTruncated = c.Body[:l.body], true
	}
	c.Body = bytes.Clone(c.Body)
	c.Method, c.Path, c.Query = logMethod(c.Method), cutURLPart(c.Path), cutURLPart(c.Query)
	if len(l.ring) < l.size {
		l.ring = append(l.ring, c)
		return
	}
	l.ring[l.start] = c
	l.start = (l.start + 1) % l.size
}

// cutURLPart returns s cut at callURLLimit bytes (at a UTF-8 boundary),
// copied, so that the log never keeps the request line alive.
func cutURLPart(s string) string {
	if len(s) > callURLLimit {
		s = strings.ToValidUTF8(s[:callURLLimit], "")
	}
	return strings.Clone(s)
}

// callMethodLimit is how many bytes of an unknown method the log keeps.
const callMethodLimit = 32

// logMethod returns method as the log keeps it: a constant for the methods
// of HTTP, else cut at callMethodLimit bytes and copied. net/http hands
// the method as a piece of the request line, which a logged substring
// would keep alive whole (up to the header limit, 64 KiB).
func logMethod(method string) string {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodHead, http.MethodOptions, http.MethodConnect, http.MethodTrace} {
		if method == m {
			return m
		}
	}
	if len(method) > callMethodLimit {
		method = strings.ToValidUTF8(method[:callMethodLimit], "")
	}
	return strings.Clone(method)
}

// all returns a copy of the logged calls, oldest first.
func (l *callLog) all() []Call {
	out := make([]Call, 0, len(l.ring))
	out = append(out, l.ring[l.start:]...)
	return append(out, l.ring[:l.start]...)
}

func (l *callLog) reset() { l.ring, l.start = nil, 0 }
