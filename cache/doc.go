// Package cache is the optional, short-lived decision cache of fgakit. It is
// off by default: an authz client uses it only when given one.
//
// It holds two things:
//
//   - [LRU], a cache shared across requests: a bounded number of answers,
//     each kept for a short TTL (at most [MaxTTL]).
//   - [Memo], a memo for one request, carried by its context ([WithMemo],
//     [MemoFrom]): it removes duplicate checks inside that request and
//     nothing else.
//
// Both are keyed by [Key], a struct of every input of a check (API key
// identity, organization membership, permission, resource), and store only
// answers the API actually gave: an error is never cached.
//
// # Staleness: what you trade for speed
//
// Without a cache, every check asks WorkOS, so it reflects the assignments of
// that moment: a role revoked a millisecond ago is already denied.
//
// With an [LRU], a check may be answered from an earlier check instead. So,
// for as long as the TTL (and never longer):
//
//   - a role or permission that was revoked may still be allowed;
//   - a role or permission that was just granted may still be denied.
//
// To avoid stale answers:
//
//   - leave the cache off where answers must be current (the default), or
//     keep the TTL to a few seconds ([DefaultTTL]);
//   - bypass it for one call with
//     [github.com/fgakit/fgakit/authz.Fresh], for example right before a
//     sensitive action;
//   - make changes through the same client: the client forgets the cached
//     answers of a membership whose assignments it changed
//     ([LRU.ForgetMembership]) and purges the cache after changes that reach
//     further, such as a resource deleted or moved ([LRU.Purge]). Changes made
//     elsewhere (the WorkOS dashboard, another service) are not seen until the
//     TTL passes. WorkOS events ([github.com/fgakit/fgakit/authz.WithFreshness]
//     with [github.com/fgakit/fgakit/events.State]) make the client forget
//     the answers some of them may have made wrong — a membership's role or
//     status, a role's permissions, a group — but WorkOS emits no event for
//     a role assignment on a resource;
//   - use a request memo instead: it shares answers only within one request,
//     so it is never staler than the request itself.
//
// # Design
//
// The LRU bound comes from hashicorp/golang-lru/v2 (package simplelru), not
// its expirable variant: expirable reads the real clock and runs its own
// cleanup goroutine, so its expiry cannot be tested without sleeping. Here
// each entry carries its deadline, checked on read against an injectable
// clock ([WithClock]); expired entries are never returned, take no work in
// the background, and leave by eviction when the cache is full. Entries are
// stored under a seeded hash of their key and the full key is compared on
// every read, so a hash collision can only cause a miss; this halves the
// memory per entry. A secondary index from membership to its entries keeps
// [LRU.ForgetMembership] proportional to that membership's entries.
package cache
