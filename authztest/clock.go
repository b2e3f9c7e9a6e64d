package authztest

import (
	"sync"
	"time"
)

// clock is the fake's time: the wall clock shifted by an offset, or frozen
// at a fixed instant once WithClock or SetTime is used.
type clock struct {
	mu     sync.Mutex
	frozen bool
	at     time.Time     // when frozen
	offset time.Duration // when running
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.at
	}
	return time.Now().Add(c.offset)
}

func (c *clock) isFrozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen, c.at = true, t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.at = c.at.Add(d)
	} else {
		c.offset += d
	}
}

// advanceWithin moves the clock by d when the result stays within
// [lo, hi], and reports whether it did; checked and moved at once.
func (c *clock) advanceWithin(d time.Duration, lo, hi time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.at
	if !c.frozen {
		now = time.Now().Add(c.offset)
	}
	next := now.Add(d)
	if next.Before(lo) || next.After(hi) {
		return false
	}
	if c.frozen {
		c.at = next
		return true
	}
	off := c.offset + d
	if (d > 0) != (off > c.offset) && d != 0 { // the offset would wrap
		return false
	}
	c.offset = off
	return true
}

// Now returns the fake's current time. It stamps created_at and updated_at,
// the iat and exp of session tokens, and is the time function of
// [Fake.Verifier]. It runs with the wall clock until [WithClock] or
// [Fake.SetTime] freezes it.
func (f *Fake) Now() time.Time { return f.clock.now() }

// SetTime freezes the fake's clock at t. From then on it moves only with
// [Fake.Advance] and SetTime.
// Webhook retries that come due are then sent ([Fake.DeliverWebhooks]).
func (f *Fake) SetTime(t time.Time) { f.clock.set(t); f.wakeWebhooks() }

// Advance moves the fake's clock forward by d (backward when d is
// negative), e.g. past a session token's expiry.
// Webhook retries that come due are then sent ([Fake.DeliverWebhooks]).
func (f *Fake) Advance(d time.Duration) { f.clock.advance(d); f.wakeWebhooks() }
