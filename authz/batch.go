package authz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
)

// batchMode says when a batch may stop early.
type batchMode uint8

const (
	modeEach batchMode = iota // answer every item
	modeAll                   // stop at the first deny or error
	modeAny                   // stop at the first allow
)

// RequireAll makes a batch stop at the first item that is denied or fails:
// the caller only needs to know whether every item is allowed. Items left
// unasked keep the zero [Decision] (not Allowed, [SourceNone]): all are
// allowed exactly when no error is returned and every Decision is Allowed.
func RequireAll() CallOption { return func(c *callConfig) { c.mode = modeAll } }

// RequireAny makes a batch stop at the first allowed item: the caller only
// needs to know whether some item is allowed. Items left unasked keep the
// zero [Decision] (not Allowed, [SourceNone]), and items asked concurrently
// may still be answered, so the allowed item is not necessarily the first
// one: scan the decisions for one with Allowed rather than reading
// decisions[0].
func RequireAny() CallOption { return func(c *callConfig) { c.mode = modeAny } }

// UnderParent names the common parent of a batch's resources. With at least
// four items left after the token layer, cache and memo, the batch first
// reads the discovery listing — the parent's children on which the
// membership holds the permission, GET
// /authorization/organization_memberships/{om}/resources, 100 per page —
// and answers Allowed for every item found there. Items not found are
// checked one by one as usual (the listing holds only direct children of
// the permission's resource type, so an absent item is not necessarily
// denied). The listing is read for at most ceil(items/100)+1 pages, so it
// never costs much more than it can save. A Decision taken from the listing
// reports [SourceAPI]: this caller's own API call (the listing) answered,
// though no check call was made for that item.
//
// When the listing fails because the API cannot answer now (no answer,
// 408, 429, 5xx, [ErrThrottled], after the listing's own retries) or
// rejects the API key (401, [ErrUnauthorized]), every item it has not
// answered fails with that error in the [*BatchError]: per-item checks
// would fail the same way, at a request each. After any other failure (a
// 4xx) the items are checked one by one.
//
// Use [ChildrenOf] instead when every item is a direct child of parent of
// the permission's resource type: absent items are then denied without
// further calls.
func UnderParent(parent ResourceRef) CallOption {
	return func(c *callConfig) { c.parent, c.directChildren = &parent, false }
}

// ChildrenOf is [UnderParent] plus the caller's promise that every item of
// the batch is a direct child of parent whose resource type is the
// permission's. When the listing was read to its end, items absent from it
// are denied without a per-item call, so a batch of N children costs about
// ceil(N/100) calls; such denials, like the listing's allows, report
// [SourceAPI]. A broken promise can only deny wrongly, never allow. The
// listing cannot tell a child that does not exist from one that is denied:
// both are denied, with NotFound false (per-item checks, as with
// [UnderParent], set NotFound for a missing one at the cost of a call each).
//
// WorkOS's documentation is ambiguous about whether the real listing
// includes access inherited from ancestors; prefer
// [UnderParent] if you see denials that per-item checks would allow.
func ChildrenOf(parent ResourceRef) CallOption {
	return func(c *callConfig) { c.parent, c.directChildren = &parent, true }
}

// discoveryMinItems is the smallest number of items left to ask for which
// a batch uses the discovery listing. Below it, per-item checks cost at most
// three calls and the listing could cost as many.
const discoveryMinItems = 4

// ItemError is the failure of one item of a batch.
type ItemError struct {
	// Index is the item's position in the input.
	Index int
	// Err is why it could not be decided.
	Err error
}

// BatchError reports the items of a batch that could not be decided; the
// other items were answered. Retrieve it with errors.As; errors.Is sees
// through to every item's error.
type BatchError struct {
	// Failures are sorted by Index. Duplicate inputs that failed together
	// are each listed.
	Failures []ItemError
	// Total is the number of items in the batch.
	Total int
}

// Error summarises the failures (at most three are spelled out).
func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "authz: %d of %d checks could not be decided", len(e.Failures), e.Total)
	for i, f := range e.Failures {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Failures)-3)
			break
		}
		fmt.Fprintf(&b, "; item %d: %v", f.Index, f.Err)
	}
	return b.String()
}

// Unwrap returns every item's error.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}

// CheckMany answers [Client.Check] for every resource in rs, in input
// order: decisions[i] is the answer for rs[i].
//
//   - The token layer answers first (unless a [Freshness] calls the
//     claims stale: those items are asked of the API and marked
//     TokenStale, answered or failed); identical items are asked once.
//   - The cache and the request memo answer next, unless [Fresh].
//   - The rest are asked of the API with bounded concurrency
//     ([WithConcurrency], [Concurrency]), each merged with concurrent
//     identical checks; with [UnderParent] or [ChildrenOf], from the
//     discovery listing first.
//   - [RequireAll] and [RequireAny] stop early.
//
// An item the API answers with 404 is denied with NotFound set
// ([Decision.NotFound]), as in [Client.Check]: a missing resource never
// fails the batch. An item that cannot be decided fails closed — its Decision is not
// Allowed — and is listed in the returned [*BatchError]; the other items
// are still answered. nil claims, an empty permission or an invalid option
// fail the whole batch with [ErrInvalidInput] and no call; so does a closed
// Client, with [ErrClosed]. No Decision returned with an error is Allowed
// unless that error is a [*BatchError] and the item is not among its
// Failures.
func (c *Client) CheckMany(ctx context.Context, claims *token.Claims, permission string, rs []ResourceRef, opts ...CallOption) ([]Decision, error) {
	return c.runBatch(ctx, OpCheckMany, claims, permission, rs, opts)
}

// checkMany is CheckMany without the hooks.
func (c *Client) checkMany(ctx context.Context, claims *token.Claims, permission string, rs []ResourceRef, opts ...CallOption) ([]Decision, error) {
	cc := callOptions(opts)
	decisions := make([]Decision, len(rs))
	if claims == nil {
		return decisions, invalid("nil claims")
	}
	if permission == "" {
		return decisions, invalid("empty permission")
	}
	if cc.concurrency == 0 {
		cc.concurrency = c.cfg.concurrency
	}
	if cc.concurrency < 1 || cc.concurrency > maxConcurrency {
		return decisions, invalid("concurrency must be between 1 and %d, got %d", maxConcurrency, cc.concurrency)
	}
	if cc.parent != nil {
		if err := cc.parent.Validate(); err != nil {
			return decisions, fmt.Errorf("parent: %w", err)
		}
		if namesOtherOrganization(claims, *cc.parent) {
			return decisions, fmt.Errorf("parent: %w", ErrOrganizationMismatch)
		}
	}
	if c.isClosed.Load() {
		return decisions, ErrClosed
	}
	b := &batch{c: c, claims: claims, permission: permission, cc: cc, decisions: decisions, failed: map[int]error{}}
	b.run(ctx, rs)
	for i := range b.failed {
		decisions[i] = Decision{} // a failed item is never Allowed (failLocked zeroed it already)
	}
	for _, i := range b.staleItems {
		// Answered or failed, as in Check; an item an early stop left
		// unasked has no decision to mark.
		if _, failed := b.failed[i]; failed || decisions[i].Source != SourceNone {
			decisions[i].TokenStale = true
		}
	}
	if len(b.failed) == 0 {
		return decisions, nil
	}
	be := &BatchError{Total: len(rs)}
	for i, err := range b.failed {
		be.Failures = append(be.Failures, ItemError{Index: i, Err: err})
	}
	slices.SortFunc(be.Failures, func(a, b ItemError) int { return a.Index - b.Index })
	return decisions, be
}

// Filter returns the items the session may use permission on, in input
// order (an empty, non-nil slice when none). ref names each item's resource. It is [Client.CheckMany] on the
// items' resources and takes the same options; with a [*BatchError] it
// returns the allowed items and the error (failed items are left out).
func Filter[T any](ctx context.Context, c *Client, claims *token.Claims, permission string, items []T, ref func(T) ResourceRef, opts ...CallOption) ([]T, error) {
	if ref == nil {
		return nil, invalid("nil ref function")
	}
	rs := make([]ResourceRef, len(items))
	for i, it := range items {
		rs[i] = ref(it)
	}
	ds, err := c.runBatch(ctx, OpFilter, claims, permission, rs, opts)
	var be *BatchError
	if err != nil && !errors.As(err, &be) {
		return nil, err
	}
	out := []T{}
	for i, d := range ds {
		if d.Allowed {
			out = append(out, items[i])
		}
	}
	return out, err
}

// batch is the state of one CheckMany call.
type batch struct {
	c          *Client
	claims     *token.Claims
	permission string
	cc         callConfig

	mu        sync.Mutex // guards decisions, failed and stopped once workers run
	decisions []Decision
	failed    map[int]error
	stopped   bool // a short-circuit mode has its answer

	// staleItems are the items the token would have answered but the
	// Freshness called it stale (set before the workers run).
	staleItems []int
	stale      int8 // 0: not asked yet, 1: fresh, 2: stale
}

// tokenStale asks the Client's Freshness, once per batch (its answer does
// not depend on the resource), whether the batch's claims are stale.
func (b *batch) tokenStale() bool {
	if b.stale == 0 {
		b.stale = 1
		if b.c.Token().stale(b.claims, b.permission) {
			b.stale = 2
		}
	}
	return b.stale == 2
}

// group is one distinct check of a batch and the inputs that ask it.
type group struct {
	key     checkKey
	indexes []int
}

func (b *batch) run(ctx context.Context, rs []ResourceRef) {
	om := b.claims.OrganizationMembershipID
	var groups []*group
	byKey := map[checkKey]*group{}
	for i, r := range rs {
		if err := r.Validate(); err != nil {
			b.fail([]int{i}, err)
			continue
		}
		if tokenAllows(b.claims, b.permission, r) {
			if !b.tokenStale() {
				b.answer([]int{i}, Decision{Allowed: true, Source: SourceToken})
				continue
			}
			b.staleItems = append(b.staleItems, i)
		}
		if namesOtherOrganization(b.claims, r) {
			b.fail([]int{i}, ErrOrganizationMismatch)
			continue
		}
		if om == "" {
			if len(b.staleItems) > 0 && b.staleItems[len(b.staleItems)-1] == i {
				b.fail([]int{i}, errStaleNoMembership)
			} else {
				b.fail([]int{i}, fmt.Errorf("authz: cannot ask the API: %w", token.ErrNoMembership))
			}
			continue
		}
		k := checkKey{membership: om, permission: b.permission, resourceID: r.ID, typeSlug: r.ResourceTypeSlug, externalID: r.ExternalID}
		g := byKey[k]
		if g == nil {
			g = &group{key: k}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.indexes = append(g.indexes, i)
	}
	if b.stopped || len(groups) == 0 {
		return
	}

	// Memo and cache.
	pending := groups[:0:0]
	memo := cache.MemoFrom(ctx)
	for _, g := range groups {
		if !b.cc.fresh {
			if d, ok := b.c.lookup(ctx, memo, g.key); ok {
				b.answer(g.indexes, d)
				continue
			}
		}
		pending = append(pending, g)
	}
	if b.stopped || len(pending) == 0 {
		return
	}

	// Discovery listing.
	if b.cc.parent != nil && len(pending) >= discoveryMinItems {
		pending = b.discover(ctx, memo, pending)
		if b.stopped || len(pending) == 0 {
			return
		}
	}

	b.checkEach(ctx, pending)
}

// discover answers pending items from the discovery listing under the
// batch's parent and returns the items still to ask.
func (b *batch) discover(ctx context.Context, memo *cache.Memo, pending []*group) []*group {
	st := b.c.stamp(b.claims.OrganizationMembershipID) // before gen: see rememberMemo
	gen := b.c.gen.Load()
	byID := map[string]*group{}
	byExt := map[[2]string]*group{}
	for _, g := range pending {
		if g.key.resourceID != "" {
			byID[g.key.resourceID] = g
		} else {
			byExt[[2]string{g.key.typeSlug, g.key.externalID}] = g
		}
	}
	found := map[*group]bool{}
	complete := false
	budget := (len(pending)+MaxPageSize-1)/MaxPageSize + 1
	after := ""
	for range budget {
		page, err := b.c.listResourcesForMembershipPage(ctx, b.claims.OrganizationMembershipID, b.permission, *b.cc.parent, ListOptions{Limit: MaxPageSize, After: after})
		if err != nil {
			if outage(ctx, err) {
				// Per-item checks would fail the same way, one request
				// (and its retries) each: every item gets the listing's error.
				for _, g := range pending {
					if !found[g] {
						b.fail(g.indexes, err)
					}
				}
				return nil
			}
			break // fall back to per-item checks, which report their own errors
		}
		for _, res := range page.Data {
			for _, g := range []*group{byID[res.ID], byExt[[2]string{res.ResourceTypeSlug, res.ExternalID}]} {
				if g != nil && !found[g] {
					found[g] = true
					b.c.remember(b.c.cfg.cache, g.key, gen, true)
					if memo != nil {
						b.c.rememberMemo(memo, g.key, gen, st, true)
					}
					b.answer(g.indexes, Decision{Allowed: true, Source: SourceAPI})
				}
			}
		}
		if page.After == "" {
			complete = true
			break
		}
		if len(found) == len(pending) || b.isStopped() {
			break
		}
		after = page.After
	}
	rest := pending[:0:0]
	for _, g := range pending {
		switch {
		case found[g]:
		case complete && b.cc.directChildren:
			// Not cached: the deny rests on the caller's promise.
			b.answer(g.indexes, Decision{Allowed: false, Source: SourceAPI})
		default:
			rest = append(rest, g)
		}
	}
	return rest
}

// outage reports whether err, the failure of a discovery listing, says
// that the API cannot answer now — no answer, 408, 429, 500, 502, 503, 504, the Client's
// own rate limiter, or ctx done — or that it rejects the API key (401),
// rather than something about the listing (another 4xx), after which
// per-item checks may still succeed.
func outage(ctx context.Context, err error) bool {
	return ctx.Err() != nil || retryable(err) || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrThrottled) ||
		errors.Is(err, ErrUnauthorized)
}

// checkEach asks the API for every pending item, cc.concurrency at a time.
func (b *batch) checkEach(parent context.Context, pending []*group) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	jobs := make(chan *group)
	var wg sync.WaitGroup
	for range min(b.cc.concurrency, len(pending)) {
		wg.Go(func() {
			for g := range jobs {
				d, err := b.c.check(ctx, g.key, true) // run asked the memo and the cache already
				b.mu.Lock()
				switch {
				case err == nil:
					b.answerLocked(g.indexes, d)
				case b.stopped && parent.Err() == nil && errors.Is(err, context.Canceled):
					// Cut short by the batch's own early stop: unasked, not failed.
				default:
					b.failLocked(g.indexes, err)
				}
				stop := b.stopped
				b.mu.Unlock()
				if stop {
					cancel()
				}
			}
		})
	}
	next := 0
feed:
	for ; next < len(pending); next++ {
		if b.isStopped() {
			break
		}
		select {
		case jobs <- pending[next]:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := parent.Err(); err != nil && !b.isStopped() {
		for _, g := range pending[next:] {
			b.fail(g.indexes, err)
		}
	}
}

func (b *batch) isStopped() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stopped
}

func (b *batch) answer(indexes []int, d Decision) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answerLocked(indexes, d)
}

func (b *batch) answerLocked(indexes []int, d Decision) {
	for _, i := range indexes {
		b.decisions[i] = d
	}
	if (b.cc.mode == modeAll && !d.Allowed) || (b.cc.mode == modeAny && d.Allowed) {
		b.stopped = true
	}
}

func (b *batch) fail(indexes []int, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failLocked(indexes, err)
}

func (b *batch) failLocked(indexes []int, err error) {
	for _, i := range indexes {
		b.decisions[i] = Decision{}
		b.failed[i] = err
	}
	if b.cc.mode == modeAll {
		b.stopped = true
	}
}
