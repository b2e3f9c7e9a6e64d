package cache

import (
	"context"
	"sync"
	"time"
)

// Memo remembers the answers given within one request, so the same check
// asked twice in that request is asked of the API once. It is never shared
// between requests, so it cannot serve an answer from before the request
// began. It has no TTL of its own: its entries carry a stamp and a time
// ([MemoEntry]), and the authz Client does not use an entry once a change
// it made touches the membership (from any request) or the entry is older
// than its memo maximum age (authz.WithMemoMaxAge) — so a request that
// lives for minutes does not answer from an old memo.
//
// A Memo is safe for concurrent use by the goroutines of one request. The
// methods of a nil *Memo do nothing and always miss, so callers can write
// MemoFrom(ctx).Get(k) whether or not the request has a memo.
type Memo struct {
	mu      sync.Mutex
	answers map[Key]MemoEntry
}

// MemoEntry is an answer a [Memo] holds, with what its writer needs to
// judge later whether the answer may still be used: a request can live for
// minutes (a stream), and access can change meanwhile. The authz Client
// stores the generation of the membership's access it knows of (bumped by
// each of its management calls that touches the membership) and the time,
// and uses an entry only while the generation is unchanged and the entry
// is younger than its memo maximum age.
type MemoEntry struct {
	// Allowed is the answer.
	Allowed bool
	// Stamp is the writer's version of the state the answer was read at;
	// zero when written with [Memo.Add].
	Stamp uint64
	// At is when the answer was given; zero when written with [Memo.Add].
	At time.Time
}

type memoKey struct{}

// WithMemo returns a copy of ctx carrying a new, empty [Memo]; pass it down
// the request. If ctx already carries a Memo, WithMemo returns ctx unchanged,
// so a middleware and a handler that both call it share one memo.
func WithMemo(ctx context.Context) context.Context {
	if MemoFrom(ctx) != nil {
		return ctx
	}
	return context.WithValue(ctx, memoKey{}, &Memo{answers: make(map[Key]MemoEntry)})
}

// MemoFrom returns the [Memo] carried by ctx, or nil if there is none.
func MemoFrom(ctx context.Context) *Memo {
	m, _ := ctx.Value(memoKey{}).(*Memo)
	return m
}

// Get returns the answer remembered for k; ok is false if there is none.
func (m *Memo) Get(k Key) (allowed bool, ok bool) {
	if m == nil {
		return false, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.answers[k]
	return e.Allowed, ok
}

// Lookup returns the entry remembered for k, with its stamp and time; ok is
// false if there is none.
func (m *Memo) Lookup(k Key) (e MemoEntry, ok bool) {
	if m == nil {
		return MemoEntry{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok = m.answers[k]
	return e, ok
}

// Put remembers e for k until the request ends (or until the writer stops
// trusting it, see [MemoEntry]). Like [Memo.Add], it is for answers the
// API actually gave, never for errors.
func (m *Memo) Put(k Key, e MemoEntry) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answers[k] = e
}

// Add remembers the answer for k until the request ends. Like [LRU.Add], it
// is for answers the API actually gave, never for errors.
func (m *Memo) Add(k Key, allowed bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answers[k] = MemoEntry{Allowed: allowed}
}

// ForgetMembership removes the answers remembered for the membership om, for
// a request that changes that membership's assignments and then checks again.
func (m *Memo) ForgetMembership(om string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.answers {
		if k.MembershipID == om {
			delete(m.answers, k)
		}
	}
}

// Purge forgets every answer remembered, for a request that makes a change
// not limited to one membership and then checks again.
func (m *Memo) Purge() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.answers)
}

// Len returns the number of answers remembered.
func (m *Memo) Len() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.answers)
}
