package authz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
)

// Check answers whether the session described by claims may use permission
// on r. The token layer answers first, Source [SourceToken], when the token
// grants the permission organization-wide and r's organization is known to
// be the token's: r names it with [ResourceRef.InOrganization], or r is the
// token organization's root (see [TokenLayer] for the rule, and for why the
// permission should match r's resource type). Otherwise the API is asked
// for the claims' organization membership ([ResourceLayer.Check]; Source
// [SourceAPI], or [SourceShared] when the answer came from a concurrent
// identical check). The API scopes an external ID to the membership's
// organization.
//
// claims must be what [token.Verifier.Verify] returned for the token of
// this request: Check does not verify them again, nor look at their
// expiry.
//
// With [WithFreshness], the token layer does not answer for claims the
// [Freshness] calls stale (a change since they were issued): the API is
// asked instead, and the Decision has TokenStale set — also when the
// check then fails (see [Decision.TokenStale]).
//
// A deny is a Decision with Allowed false and a nil error. A 404 of the
// check call is a deny too, with NotFound set ([Decision.NotFound]): the
// membership, the resource or the permission does not exist in the
// membership's organization — an unknown ID or external ID, or another
// organization's resource. It costs the same one call as any API answer
// and is never cached. [Client.CheckMany] and [Filter] answer it the same
// way, item by item.
//
// An error means the question could not be decided, and the Decision is
// then never Allowed. Errors, to test with [errors.Is] or [errors.As]:
//
//   - nil claims or invalid arguments: [ErrInvalidInput], no call;
//   - claims without an organization membership ID:
//     [token.ErrNoMembership], no call — with TokenStale set when the
//     token would have answered but the [Freshness] calls it stale;
//   - a reference (by ID or by external ID) naming another organization
//     than the claims':
//     [ErrOrganizationMismatch], no call;
//   - a closed Client: [ErrClosed] (also where the token alone would
//     answer);
//   - the API answered with an error other than 404: [*APIError],
//     matching [ErrRateLimited], [ErrServer], [ErrUnauthorized]…;
//   - the API could not be reached (connection refused or reset, dropped
//     connection, an attempt timing out, no answer within
//     [WithCallTimeout]): [ErrUnavailable];
//   - the Client's rate limiter ([WithRateLimit], [WithLimiter]) had no
//     request slot before the deadline: [ErrThrottled], at once;
//   - a malformed or oversized answer: [ErrMalformedResponse],
//     [ErrResponseTooLarge];
//   - a panic in the call (for example in a custom RoundTripper):
//     [ErrPanic];
//   - the caller's ctx ended: ctx.Err() ([context.Canceled],
//     [context.DeadlineExceeded]), possibly wrapped with the last
//     attempt's error.
//
// Errors after retries ([RetryPolicy], [RetryBudget]) wrap the last
// attempt's error. No error text contains the API key or a piece of it.
//
// Merging: concurrent identical checks (same membership, permission and
// resource) on one Client share one API call. The shared call runs on a
// context detached from every caller — it keeps the values of the caller
// that started it but none of its cancellation — bounded by
// [WithCallTimeout], stopped by [Client.Close], and cancelled once every
// caller waiting on it has left. Each caller waits on its own ctx: a
// cancelled caller gets ctx.Err() alone, the others still get the answer.
//
// Cache and memo: with [WithCache], an answer the cache holds is returned
// with Source [SourceCache]; with a request memo in ctx ([cache.WithMemo]),
// an answer already given within the request is returned with Source
// [SourceMemo]. [Fresh] skips both. A management call of this Client that
// changes access (AssignRole, RemoveRole, a resource delete or move, a role,
// permission or group role change) forgets the answers it can affect, in
// the cache and in the memo of the ctx it is given: a request that revokes
// and then checks again is denied.
func (c *Client) Check(ctx context.Context, claims *token.Claims, permission string, r ResourceRef, opts ...CallOption) (Decision, error) {
	if c.cfg.hooks.onCall() {
		return c.hookedCheck(ctx, singleCall(OpCheck, permission, r), func(ctx context.Context) (Decision, error) {
			return c.checkClaims(ctx, claims, permission, r, opts...)
		})
	}
	return c.checkClaims(ctx, claims, permission, r, opts...)
}

// checkClaims is Check without the hooks.
func (c *Client) checkClaims(ctx context.Context, claims *token.Claims, permission string, r ResourceRef, opts ...CallOption) (Decision, error) {
	if claims == nil {
		return Decision{}, invalid("nil claims")
	}
	if permission == "" {
		return Decision{}, invalid("empty permission")
	}
	if err := r.Validate(); err != nil {
		return Decision{}, err
	}
	if c.isClosed.Load() {
		return Decision{}, ErrClosed // even where the token alone would answer: Close means no more answers
	}
	stale := false
	if tokenAllows(claims, permission, r) {
		if f := c.cfg.freshness; f == nil || !f.Stale(claims, permission) {
			return Decision{Allowed: true, Source: SourceToken}, nil
		}
		stale = true // a change since iat: ask the API
	}
	if namesOtherOrganization(claims, r) {
		return Decision{TokenStale: stale}, ErrOrganizationMismatch
	}
	if claims.OrganizationMembershipID == "" {
		if stale {
			return Decision{TokenStale: true}, errStaleNoMembership
		}
		return Decision{}, fmt.Errorf("authz: cannot ask the API: %w", token.ErrNoMembership)
	}
	// r names the claims' organization or none (namesOtherOrganization), and
	// the claims' membership is in the claims' organization: no need to
	// learn the membership's organization.
	d, err := c.res.checkSameOrg(ctx, claims.OrganizationMembershipID, permission, r, opts)
	d.TokenStale = stale
	return d, err
}

// errStaleNoMembership is the error of a check the token would answer but
// a [Freshness] calls stale, for claims without a membership to ask the
// API about: it says why the token did not answer.
var errStaleNoMembership = fmt.Errorf("authz: the token is stale (changed since it was issued) and without an organization membership id the API cannot be asked: %w", token.ErrNoMembership)

// check answers k from the request memo, the cache, or the API — the API
// call merged with concurrent identical checks.
//
// Which caller gets SourceAPI: singleflight's Result.Shared is true for every
// caller of a shared call, the starter included, so it cannot tell them
// apart. Instead join, holding flightsMu, both registers the caller and
// calls DoChan, so the caller that finds no flight for the key is the one
// whose DoChan starts the call: it gets SourceAPI, every other caller
// SourceShared (see join for the rare case of a finished call).
func (c *Client) check(ctx context.Context, k checkKey, fresh bool) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	if c.isClosed.Load() {
		return Decision{}, ErrClosed
	}
	memo := cache.MemoFrom(ctx)
	if !fresh {
		if d, ok := c.lookup(ctx, memo, k); ok {
			return d, nil
		}
	}
	var st uint64
	if memo != nil {
		st = c.stamp(k.membership) // before gen: see rememberMemo
	}
	gen := c.gen.Load()
	f, ch, starter, started := c.join(ctx, k, gen)
	defer c.leave(f)
	if c.cfg.limiter != nil {
		if err := f.throttles(ctx); err != nil {
			return Decision{}, err // the call waits for a slot past ctx's deadline
		}
	}
	if c.cfg.onWait != nil {
		c.cfg.onWait()
	}
	select {
	case <-ctx.Done():
		if c.cfg.limiter != nil {
			if err := f.throttles(ctx); err != nil {
				return Decision{}, err // still waiting for a slot of a Limiter that cannot tell when
			}
		}
		return Decision{}, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return Decision{}, res.Err
		}
		o, ok := res.Val.(outcome)
		if !ok {
			return Decision{}, ErrMalformedResponse
		}
		if memo != nil && o != outNotFound {
			c.rememberMemo(memo, k, gen, st, o == outAllowed)
		}
		src := SourceShared
		if starter || (started != nil && started.Load()) {
			src = SourceAPI
		}
		return Decision{Allowed: o == outAllowed, NotFound: o == outNotFound, Source: src}, nil
	}
}

// flight is the shared call of one merge key. It counts the callers waiting
// on it, so that the call is cancelled when the last of them has left (for
// example because every caller's deadline passed): an abandoned call does
// not run on until the call timeout.
type flight struct {
	key       string              // the merge key (see checkKey.appendFlightKey)
	run       func() (any, error) // the starter's call, passed to DoChan by every joiner
	waiters   int                 // guarded by Client.flightsMu
	cancel    context.CancelFunc  // the running call's; nil before it starts
	callers   int                 // checks that waited on the call since it started (see reportMerged; guarded too)
	abandoned bool                // every waiter left; the call must stop
	done      bool                // a call of this flight has returned: DoChan may start another (guarded too)
	// slot is, while the call waits for a rate-limiter slot, when that slot
	// comes (Unix nanoseconds; slotUnknown for a Limiter that cannot tell);
	// 0 otherwise. Joining checks compare it with their deadline (throttles).
	slot atomic.Int64
}

// join registers a caller of the shared call of k at generation gen and
// returns the flight, the caller's result channel, and whether this caller
// started the call: starter, or — when started is not nil — whether started
// is set once the answer has come.
//
// DoChan runs while flightsMu is held, so the flights map and singleflight
// agree: a key absent from the map has no call in singleflight (leave
// removes both together), so the caller that creates the flight starts the
// call; a flight whose call has not returned yet (done false) still has its
// call in singleflight, so a later caller joins it. Only once a call has
// returned while callers still wait on the flight can DoChan either join
// the finishing call or start a new one; such a caller passes its own
// closure, which records whether it ran.
func (c *Client) join(ctx context.Context, k checkKey, gen uint64) (*flight, <-chan singleflight.Result, bool, *atomic.Bool) {
	var buf [128]byte
	key := k.appendFlightKey(buf[:0], gen)
	c.flightsMu.Lock()
	defer c.flightsMu.Unlock()
	if f := c.flights[string(key)]; f != nil { // no allocation for the lookup
		f.waiters++
		f.callers++
		if !f.done {
			return f, c.flight.DoChan(f.key, f.run), false, nil // joins the running call
		}
		started := new(atomic.Bool)
		ch := c.flight.DoChan(f.key, func() (any, error) {
			started.Store(true)
			return c.sharedCheck(ctx, k, gen, f)
		})
		return f, ch, false, started
	}
	nf := &flight{key: string(key), waiters: 1, callers: 1}
	nf.run = func() (any, error) { return c.sharedCheck(ctx, k, gen, nf) }
	c.flights[nf.key] = nf
	return nf, c.flight.DoChan(nf.key, nf.run), true, nil
}

// leave unregisters a caller. The last one to leave cancels the call (a
// no-op when it has finished) and makes singleflight forget it, so a later
// identical check starts a new call instead of joining a cancelled one.
func (c *Client) leave(f *flight) {
	c.flightsMu.Lock()
	defer c.flightsMu.Unlock()
	f.waiters--
	if f.waiters > 0 {
		return
	}
	f.abandoned = true
	if f.cancel != nil {
		f.cancel()
	}
	if c.flights[f.key] == f {
		delete(c.flights, f.key)
	}
	c.flight.Forget(f.key)
}

// lookup answers k from the request memo or the cache, if either holds it.
// A memo answer counts only while this Client has made no change touching
// k's membership since it was given (its stamp) and it is younger than the
// memo maximum age. A cache hit is also put in the memo.
func (c *Client) lookup(ctx context.Context, memo *cache.Memo, k checkKey) (Decision, bool) {
	if memo == nil && c.cfg.cache == nil {
		return Decision{}, false
	}
	var st uint64
	if memo != nil {
		st = c.stamp(k.membership) // before gen: see rememberMemo
	}
	gen := c.gen.Load()
	ck := c.cacheKey(k)
	if e, ok := memo.Lookup(ck); ok && e.Stamp == st && c.memoFresh(e.At) {
		return Decision{Allowed: e.Allowed, Source: SourceMemo}, true
	}
	if c.cfg.cache != nil {
		allowed, ok := c.cfg.cache.Get(ck)
		c.reportCacheLookup(ctx, ok)
		if ok {
			if memo != nil {
				c.rememberMemo(memo, k, gen, st, allowed)
			}
			return Decision{Allowed: allowed, Source: SourceCache}, true
		}
	}
	return Decision{}, false
}

// memoFresh reports whether a memo answer given at at is younger than the
// memo maximum age. A time in the future (a clock set back) is not fresh.
func (c *Client) memoFresh(at time.Time) bool {
	age := c.cfg.since(at)
	return age >= 0 && age < c.cfg.memoMaxAge
}

// rememberMemo puts in memo an answer obtained at generation gen with k's
// membership at stamp st, unless an invalidation happened since gen.
//
// Why a stale answer never carries a current stamp: a change bumps the
// generation, forgets the cache, then bumps the stamp (invalidateMembership,
// invalidateAll), and callers read the stamp before the generation. A
// caller that read the new stamp thus read the new generation, so its
// answer comes from a call started after the change (the generation is in
// the merge key) or from the cache after it was forgotten. A caller that
// read the old stamp stores an entry that lookup rejects once the stamp
// has moved.
func (c *Client) rememberMemo(memo *cache.Memo, k checkKey, gen, st uint64, allowed bool) {
	if c.gen.Load() != gen {
		return
	}
	memo.Put(c.cacheKey(k), cache.MemoEntry{Allowed: allowed, Stamp: st, At: c.cfg.now()})
}

// cacheKey is k as a cache key, tagged with this Client's API-key hash.
func (c *Client) cacheKey(k checkKey) cache.Key {
	return cache.Key{Client: c.cacheID, MembershipID: k.membership, Permission: k.permission,
		ResourceID: k.resourceID, ResourceTypeSlug: k.typeSlug, ResourceExternalID: k.externalID}
}

// answerStore is where answers are remembered: the Client's [Cache] or a
// request's [*cache.Memo].
type answerStore interface {
	Add(k cache.Key, allowed bool)
	ForgetMembership(om string)
}

// remember puts an answer obtained at generation gen (a successful API
// answer, or a cache hit copied to the memo) in to — unless an
// invalidation happened since gen: the answer may predate the change.
//
// The generation is read again after Add, because an invalidation may run
// between the first read and Add. An invalidation bumps the generation
// before it forgets entries, so either its bump comes after the second
// read — then its forgetting comes after Add and removes the entry — or
// the second read sees the new generation and the entry is forgotten here.
// Forgetting the whole membership is more than needed, and harmless.
func (c *Client) remember(to answerStore, k checkKey, gen uint64, allowed bool) {
	if to == nil || c.gen.Load() != gen {
		return
	}
	to.Add(c.cacheKey(k), allowed)
	if c.gen.Load() != gen {
		to.ForgetMembership(k.membership)
	}
}

// sharedCheck is the one API call behind a set of merged checks. It runs on
// a goroutine of singleflight, detached from every caller: its context keeps
// the starter's values, drops its cancellation and deadline, is bounded by
// the call timeout, and is cancelled by Close or when every caller has left
// (see flight). A panic (for example in a custom
// RoundTripper) is recovered into a *PanicError for every waiter —
// singleflight itself would re-panic and crash the process.
func (c *Client) sharedCheck(startCtx context.Context, k checkKey, gen uint64, f *flight) (v any, err error) {
	defer c.landed(f) // deferred first, so it runs last: before singleflight sees the call return
	if !c.acquire() {
		return nil, ErrClosed
	}
	defer c.wg.Done()
	var endCall func(error) // the APICheck hook's (see hooks.go)
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, &PanicError{Value: c.clean(fmt.Sprint(p), maxEchoedBody)}
		}
		if endCall != nil {
			if perr := c.endAPICheck(endCall, err); perr != nil {
				v, err = nil, perr
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(startCtx), c.cfg.callTimeout)
	defer cancel()
	stop := context.AfterFunc(c.base, cancel)
	defer stop()
	c.flightsMu.Lock()
	if f.abandoned {
		c.flightsMu.Unlock()
		return nil, context.Canceled // nobody waits for the answer
	}
	f.cancel = cancel
	c.flightsMu.Unlock()
	ctx, endCall = c.startAPICheck(ctx, k)

	var res checkResult
	req := k.request()
	if dl, ok := startCtx.Deadline(); ok {
		// A rate-limiter slot past the starter's deadline fails the call
		// at once (ErrThrottled) rather than after the starter left.
		req.slotDeadline = dl
	}
	req.slot = &f.slot
	err = c.send(ctx, ctx, req, &res)
	c.reportMerged(ctx, f)
	if err != nil {
		if ae := (*APIError)(nil); errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
			// The API's answer, not a failure: nothing of that name
			// exists for the membership (see Decision.NotFound). Not
			// cached: the resource may be created a moment later.
			return outNotFound, nil
		}
		if c.base.Err() != nil {
			return nil, ErrClosed
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The call timeout, not a caller's deadline: the API did not
			// answer in time.
			return nil, fmt.Errorf("%w: no answer within the call timeout (%s): %w", ErrUnavailable, c.cfg.callTimeout, err)
		}
		return nil, err
	}
	c.remember(c.cfg.cache, k, gen, res.authorized)
	if res.authorized {
		return outAllowed, nil
	}
	return outDenied, nil
}

// outcome is the answer of a shared check call. It is a single byte, so
// boxing it in singleflight's result does not allocate.
type outcome uint8

const (
	outDenied   outcome = iota // {"authorized": false}
	outAllowed                 // {"authorized": true}
	outNotFound                // 404: see Decision.NotFound
)

// landed marks that a call of f has returned (see join).
func (c *Client) landed(f *flight) {
	c.flightsMu.Lock()
	f.done = true
	c.flightsMu.Unlock()
}

// appendFlightKey appends to b the encoding of k and the invalidation
// generation that merges checks in singleflight, which needs a string. Each
// field is length-prefixed, so the encoding is injective: two different
// checks never share a call, whatever characters their fields hold.
func (k checkKey) appendFlightKey(b []byte, gen uint64) []byte {
	b = strconv.AppendUint(b, gen, 10)
	for _, f := range [...]string{k.membership, k.permission, k.resourceID, k.typeSlug, k.externalID} {
		b = append(b, '|')
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
	}
	return b
}

// checkResult is the answer of the check call.
type checkResult struct {
	authorized bool
}

func (r *checkResult) decodeBody(data []byte) error {
	a, err := decodeCheckResponse(data)
	r.authorized = a
	return err
}

// errCheckShape describes what a check answer must look like.
var errCheckShape = errors.New(`want a JSON object with a boolean "authorized"`)

// decodeCheckResponse reads the body of a check answer. It accepts only a
// single JSON object holding the key "authorized" (exactly that spelling,
// once) with a boolean value; other keys are ignored. Anything else — a
// missing or null "authorized", a string, an array, duplicate keys,
// trailing data — is an error, and the result is then false.
func decodeCheckResponse(data []byte) (bool, error) {
	// Fast path for the API's usual answer, byte for byte.
	switch string(bytes.TrimSpace(data)) {
	case `{"authorized":true}`:
		return true, nil
	case `{"authorized":false}`:
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false, errCheckShape
	}
	var authorized, seen bool
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false, errCheckShape
		}
		key, ok := t.(string)
		if !ok {
			return false, errCheckShape
		}
		if key != "authorized" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return false, errCheckShape
			}
			continue
		}
		if seen {
			return false, fmt.Errorf(`%w (duplicate "authorized")`, errCheckShape)
		}
		seen = true
		v, err := dec.Token()
		if err != nil {
			return false, errCheckShape
		}
		b, ok := v.(bool)
		if !ok {
			return false, errCheckShape
		}
		authorized = b
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return false, errCheckShape
	}
	if _, err := dec.Token(); err != io.EOF {
		return false, fmt.Errorf("%w (trailing data)", errCheckShape)
	}
	if !seen {
		return false, errCheckShape
	}
	return authorized, nil
}
