package authz

import (
	"context"

	"github.com/fgakit/fgakit/token"
)

// Freshness tells a Client what changed since a session token was issued,
// so that the token layer stops answering for claims a change has made
// wrong, and remembered answers a change may have made wrong are forgotten.
// [github.com/fgakit/fgakit/events.State] implements it from WorkOS events
// (the Events API or webhooks); set it with [WithFreshness].
//
// The token layer's claims are as old as the token's iat, while the API is
// current: with a Freshness, the token layer declines to answer for claims
// the Freshness calls stale, the API is asked instead, and the [Decision]
// says so ([Decision.TokenStale]). A Freshness can only make the token
// layer answer less: whatever it says, nothing is allowed that the token
// alone would not allow.
type Freshness interface {
	// Stale reports whether the token layer must not answer for permission
	// from claims: something the claims rely on (their membership, role or
	// roles, the permission, their organization, their user) changed at or
	// after their iat, or the Freshness cannot tell. It is called on the
	// token layer's hot path: it must be fast, must not block or allocate,
	// and must be safe for concurrent use. claims are never nil.
	Stale(claims *token.Claims, permission string) bool
	// Watch registers changed, to be called after every change the
	// Freshness learns of, with the organization membership ID (om_…) the
	// change is limited to, or "" when it may touch any membership. A
	// Client calls Watch once, from [New], and the returned stop from
	// [Client.Close]. changed is fast and safe for concurrent use.
	Watch(changed func(membershipID string)) (stop func())
}

// WithFreshness makes the Client's token layer decline claims that f calls
// stale (see [Freshness]) and forget remembered answers when f reports a
// change: the decision cache ([WithCache]) forgets the membership's answers
// (every answer, for a change not limited to one membership), checks
// already in flight do not store their answers, and request memos
// ([cache.WithMemo]) forget every answer remembered before the change.
//
// The token layer's hot path gains one call of f.Stale, only when the
// token grants the permission; see BENCHMARKS.md for its cost with
// [github.com/fgakit/fgakit/events.State].
func WithFreshness(f Freshness) Option {
	return func(c *config) error {
		if f == nil {
			return invalid("nil Freshness")
		}
		c.freshness = f
		return nil
	}
}

// freshnessChanged is the Client's [Freshness.Watch] callback: a change
// learnt from the Freshness forgets what it may have made wrong, as a
// management call of this Client does (invalidateMembership,
// invalidateAll): checks in flight do not store their possibly older
// answers, the cache forgets, and the memos of every request stop using
// the answers (the membership's stamp moves).
func (c *Client) freshnessChanged(om string) {
	if om != "" {
		c.invalidateMembership(context.Background(), om)
		return
	}
	c.invalidateAll(context.Background())
}
