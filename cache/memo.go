package cache

import (
	"context"
	"sync"
)

// Memo remembers the answers given within one request, so the same check
// asked twice in that request is asked of the API once. It has no TTL and is
// never shared between requests, so it cannot serve an answer from before the
// request began.
//
// A Memo is safe for concurrent use by the goroutines of one request. The
// methods of a nil *Memo do nothing and always miss, so callers can write
// MemoFrom(ctx).Get(k) whether or not the request has a memo.
type Memo struct {
	mu      sync.Mutex
	answers map[Key]bool
	epoch   uint64 // the last epoch given to Observe
}

type memoKey struct{}

// WithMemo returns a copy of ctx carrying a new, empty [Memo]; pass it down
// the request. If ctx already carries a Memo, WithMemo returns ctx unchanged,
// so a middleware and a handler that both call it share one memo.
func WithMemo(ctx context.Context) context.Context {
	if MemoFrom(ctx) != nil {
		return ctx
	}
	return context.WithValue(ctx, memoKey{}, &Memo{answers: make(map[Key]bool)})
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
	allowed, ok = m.answers[k]
	return allowed, ok
}

// Add remembers the answer for k until the request ends. Like [LRU.Add], it
// is for answers the API actually gave, never for errors.
func (m *Memo) Add(k Key, allowed bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answers[k] = allowed
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

// Observe forgets every answer remembered when epoch differs from the
// epoch of the previous call (the first call with a non-zero epoch forgets
// too), and records epoch. A Client with a freshness source
// (authz.WithFreshness) calls it before using the memo, with a counter that
// every change bumps: an answer remembered before a change learnt from
// WorkOS events is not served after it, in any request.
func (m *Memo) Observe(epoch uint64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.epoch != epoch {
		m.epoch = epoch
		clear(m.answers)
	}
}
