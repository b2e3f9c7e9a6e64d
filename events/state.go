package events

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/token"
)

// Defaults of a [State].
const (
	// DefaultMaxTokenLifetime is how long a change is kept: a change older
	// than the longest access-token lifetime cannot touch a token that is
	// still valid. AuthKit's access tokens last 5 minutes unless the
	// environment's session settings say otherwise; 15 minutes covers the
	// common overrides. Set [WithMaxTokenLifetime] to your environment's
	// access-token duration. A token older than it is always asked of the
	// API, so a value set too short costs API calls, never correctness.
	DefaultMaxTokenLifetime = 15 * time.Minute
	// DefaultMargin is added to every change's time before it is compared
	// with a token's iat, against a token minted in the moment WorkOS
	// applied a change and stamped its event. See [WithMargin].
	DefaultMargin = time.Second
	// DefaultMaxEntries caps the changes a State holds, and the event IDs
	// it remembers to ignore a replay (each count on its own): 100,000
	// of each, about 15 MiB at most (measured: 8.4 MiB holding 80,000
	// membership changes and 40,000 IDs). See [WithMaxEntries].
	DefaultMaxEntries = 100_000
)

// LagPolicy says what the token layer does while the event stream cannot
// be read for longer than the Poller's lag limit ([WithMaxLag]), and once
// the Poller is closed ([Poller.Close]) until another feed reads.
type LagPolicy uint8

const (
	// TrustTokens, the default, answers as without events: a token is
	// trusted until it expires, as every WorkOS SDK does, except for the
	// changes already learnt, which still decline the tokens they touch.
	//
	// Why the default: it never grants more than the token alone, it keeps
	// the application up and within its API budget while the Events API is
	// down (AskAPI turns every token-layer check into an API call, which
	// can exceed the 6,000 requests per minute of the key and fail every
	// check with 429 just when WorkOS is struggling), and the lag is
	// reported, so an operator can act.
	TrustTokens LagPolicy = iota
	// AskAPI declines every token-layer question while lagging: each is
	// asked of the API (one call per distinct check), current but costly —
	// including the questions the token would deny:
	// [authz.Middleware.RequirePermission] asks the API for a stale token
	// even when it lacks the permission, so every forbidden request costs
	// one API call for as long as the lag lasts.
	AskAPI
)

// String returns "trust-tokens" or "ask-api".
func (p LagPolicy) String() string {
	if p == AskAPI {
		return "ask-api"
	}
	return "trust-tokens"
}

// State is the freshness state fed by WorkOS events — from a [Poller] of
// the Events API, a [Webhook] handler, or both — and read by the token
// layer. It keeps, for the longest token lifetime, the time of the last
// change per organization membership, role slug, permission slug,
// organization and user, and the sessions revoked.
//
// It implements [authz.Freshness] (pass it to [authz.WithFreshness]): the
// token layer declines claims issued at or before a change that touches
// them. [State.Revoked] answers [token.WithRevocationCheck]. Create it with
// [NewState]; it is safe for concurrent use.
//
// Reads are an atomic load of an immutable snapshot and a few map lookups,
// without locks or allocation; each applied batch of events copies the
// maps it changes (the changes of the last token lifetime).
type State struct {
	snap atomic.Pointer[snapshot] // what readers see

	now         func() time.Time
	maxLifetime time.Duration
	margin      time.Duration
	policy      LagPolicy
	maxEntries  int

	mu        sync.Mutex // guards everything below and publishing
	known     time.Time  // complete knowledge of the changes made since
	global    int64      // an unreadable event, or changes dropped over the cap: every token at or before it is stale
	revokedTo int64      // revocations dropped over the cap: every session token at or before it is refused
	seen      map[string]time.Time
	lagging   bool
	gone      bool // a Poller was closed and no feed has reported reading since
	lastPrune time.Time
	watchers  map[int]func(string)
	nextWatch int

	applied, duplicates, ignored, unreadable, collapses atomic.Uint64
}

// snapshot is an immutable view of the state. Times are Unix seconds of a
// change's created_at plus the margin: a token with iat <= the value was
// possibly issued before the change (for sessions: the revocation's
// created_at).
type snapshot struct {
	layers [numKinds]layer // indexed by kind

	horizon int64 // tokens with iat <= horizon are stale (unknown history)
	global  int64 // tokens with iat <= global are stale (an unreadable event, changes dropped over the cap)
	revoked int64 // session tokens with iat <= revoked are refused (revocations dropped over the cap)
	newest  int64 // max of every layer's newest, horizon and global
	trust   bool  // lagging under TrustTokens: horizon ignored
	askAll  bool  // lagging under AskAPI: everything stale
}

// layer holds the changes of one kind: a large base, rebuilt rarely, and a
// small delta of the latest changes, copied on each write. A write so
// copies at most maxDelta entries, and the base is merged once per
// maxDelta writes: applying n events one at a time (webhooks) costs
// O(n × (maxDelta + size/maxDelta)), not O(n × size).
type layer struct {
	base, delta             map[string]int64
	newestBase, newestDelta int64 // the max value of each map
}

// maxDelta is the size at which a layer's delta is merged into its base.
const maxDelta = 256

// at returns the time of the last change of id, if any.
func (l *layer) at(id string) (int64, bool) {
	if v, ok := l.delta[id]; ok {
		return v, true // the delta's value is the newer one (merges keep the max)
	}
	v, ok := l.base[id]
	return v, ok
}

// touched reports whether id changed at or after iat (a change at or
// after iat has a value >= iat).
func (l *layer) touched(id string, iat int64) bool {
	if iat <= l.newestDelta {
		if v, ok := l.delta[id]; ok && iat <= v {
			return true
		}
	}
	if iat <= l.newestBase {
		if v, ok := l.base[id]; ok && iat <= v {
			return true
		}
	}
	return false
}

func (l *layer) newest() int64 { return max(l.newestBase, l.newestDelta) }

func (l *layer) len() int { return len(l.base) + len(l.delta) }

// StateOption configures a [State].
type StateOption func(*State) error

// WithMaxTokenLifetime sets how long changes are kept (default
// [DefaultMaxTokenLifetime]; at least one minute). Set it to the longest
// access-token lifetime of your environment. A token issued longer ago
// than this is always called stale (asked of the API), so for the token
// layer a value too short costs calls but never grants. Revocations are
// the exception: a session.revoked is kept this long too, so with a value
// shorter than your tokens live, a revoked session's token that has not
// expired verifies again once its revocation is dropped (and the API,
// which knows memberships, not sessions, answers its checks).
func WithMaxTokenLifetime(d time.Duration) StateOption {
	return func(s *State) error {
		if d < time.Minute {
			return fmt.Errorf("events: WithMaxTokenLifetime: %v, want at least 1m", d)
		}
		s.maxLifetime = d
		return nil
	}
}

// WithMaxEntries caps the changes a State holds, and the IDs of the events
// it remembers to tell a replay (default [DefaultMaxEntries]; at least
// 100). The State is otherwise bounded by time ([WithMaxTokenLifetime]): a
// flood of changes within one token lifetime (a directory sync of a large
// organization) would grow it without bound.
//
// Past the cap, the State keeps the newest half and collapses the rest
// into one mark: every token issued at or before the newest change it
// dropped is stale (asked of the API), and every session token issued at
// or before the newest revocation it dropped is refused
// ([token.ErrSessionRevoked]: its user signs in again). It never grants
// more than the changes it dropped would have — it costs API calls, and
// for dropped revocations, sessions. [Stats].Collapses counts it.
func WithMaxEntries(n int) StateOption {
	return func(s *State) error {
		if n < 100 {
			return fmt.Errorf("events: WithMaxEntries: %d, want at least 100", n)
		}
		s.maxEntries = n
		return nil
	}
}

// WithMargin sets the time added to a change before comparing it with a
// token's iat (default [DefaultMargin], at most one minute). iat has whole
// seconds, so a change at 12:00:00.4 already declines a token with iat
// 12:00:00 with a zero margin; the margin also declines tokens minted
// within it after the change's event time.
func WithMargin(d time.Duration) StateOption {
	return func(s *State) error {
		if d < 0 || d > time.Minute {
			return fmt.Errorf("events: WithMargin: %v, want 0 to 1m", d)
		}
		s.margin = d
		return nil
	}
}

// WithLagPolicy sets what the token layer does while a [Poller] reports
// the stream lagging (default [TrustTokens]).
func WithLagPolicy(p LagPolicy) StateOption {
	return func(s *State) error {
		if p != TrustTokens && p != AskAPI {
			return fmt.Errorf("events: WithLagPolicy: unknown policy %d", p)
		}
		s.policy = p
		return nil
	}
}

// WithTimeFunc sets the clock (default [time.Now]) of the State and of the
// [Poller] and [Webhook] that feed it: it drops changes older than the
// token lifetime, stamps when the State started, sets the Poller's
// range_start and lag, and checks webhook timestamps. The Poller's waits
// use the runtime's timers (tests move them with testing/synctest).
func WithTimeFunc(now func() time.Time) StateOption {
	return func(s *State) error {
		if now == nil {
			return fmt.Errorf("events: WithTimeFunc: nil function")
		}
		s.now = now
		return nil
	}
}

// NewState returns an empty State. It knows no change made before it was
// created: until a [Poller] has read back over the token lifetime, tokens
// issued before the State was created are called stale (asked of the API);
// with webhooks alone that lasts until they expire. A source other than a
// Poller tells it what it read with [State.Cover].
func NewState(opts ...StateOption) (*State, error) {
	s := &State{
		now:         time.Now,
		maxLifetime: DefaultMaxTokenLifetime,
		margin:      DefaultMargin,
		maxEntries:  DefaultMaxEntries,
		seen:        map[string]time.Time{},
		watchers:    map[int]func(string){},
	}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("events: NewState: option %d is nil", i)
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.known = s.now()
	empty := &snapshot{}
	for k := range empty.layers {
		empty.layers[k] = layer{base: map[string]int64{}, delta: map[string]int64{}}
	}
	s.snap.Store(empty)
	s.mu.Lock()
	s.publish(s.snap.Load(), true)
	s.mu.Unlock()
	return s, nil
}

var _ authz.Freshness = (*State)(nil)

// Stale reports whether the token layer must not answer for permission
// from claims (see [authz.Freshness]): their membership, one of their
// roles, the permission, their organization or their user changed at or
// after their iat (plus the margin, [WithMargin]) — for claims without
// the organization_membership_id claim, a change to any of the user's
// memberships; or the claims were
// issued before what the State knows (before it was created and before
// the Poller's read-back, or longer ago than the token lifetime); or the
// stream lags under [AskAPI]. Claims without iat are stale whenever
// anything is. It does not allocate.
func (s *State) Stale(claims *token.Claims, permission string) bool {
	sn := s.snap.Load()
	if sn.askAll {
		return true
	}
	iat := claims.IssuedAt.Unix()
	if iat > sn.newest {
		return false // the common case: nothing changed since the token was issued
	}
	if !sn.trust && iat <= sn.horizon || iat <= sn.global {
		return true
	}
	l := &sn.layers
	return l[kindMembership].touched(claims.OrganizationMembershipID, iat) ||
		l[kindPermission].touched(permission, iat) ||
		touchedRoles(&l[kindRole], claims.Role, claims.Roles, iat) ||
		l[kindOrganization].touched(claims.OrganizationID, iat) ||
		l[kindUser].touched(claims.Subject, iat) ||
		// Without the membership claim, a change to any membership of
		// the user (all that a membership event says of the token).
		claims.OrganizationMembershipID == "" && l[kindMemberUser].touched(claims.Subject, iat)
}

// touchedRoles looks up role, then each of roles other than role (AuthKit
// repeats the first role in both claims).
func touchedRoles(l *layer, role string, roles []string, iat int64) bool {
	if iat > l.newest() {
		return false
	}
	if role != "" && l.touched(role, iat) {
		return true
	}
	for _, id := range roles {
		if id != role && l.touched(id, iat) {
			return true
		}
	}
	return false
}

// Revoked reports whether the session sessionID was revoked (a
// session.revoked event the State holds), whatever issuedAt: a revoked
// session mints no new token. Pass it to [token.WithRevocationCheck]; the
// token is then refused with [token.ErrSessionRevoked] until it expires.
// A revocation is kept for the token lifetime ([WithMaxTokenLifetime]):
// set it to at least your access tokens' lifetime. A session revoked
// before the State learnt of it (before it was created, with webhooks
// alone) is not known. Past the count cap ([WithMaxEntries]), every
// token issued at or before the newest revocation dropped is refused.
func (s *State) Revoked(sessionID string, issuedAt time.Time) bool {
	sn := s.snap.Load()
	if sn.revoked != 0 && issuedAt.Unix() <= sn.revoked {
		return true
	}
	_, ok := sn.layers[kindSession].at(sessionID)
	return ok
}

// Watch registers changed, called after every applied change with the
// organization membership it is limited to, or "" when it may touch any
// membership (see [authz.Freshness]). The returned stop unregisters it.
func (s *State) Watch(changed func(membershipID string)) (stop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextWatch
	s.nextWatch++
	s.watchers[id] = changed
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.watchers, id)
	}
}

// Stats counts what a State has done.
type Stats struct {
	// Applied counts the events applied.
	Applied uint64
	// Duplicates counts events whose ID had been applied already (a
	// webhook retried, a page read twice): nothing changes.
	Duplicates uint64
	// Ignored counts events of other types, and events older than the
	// token lifetime.
	Ignored uint64
	// Unreadable counts events of a known type whose data lacked the IDs
	// to apply them; each made every token issued at or before it stale.
	Unreadable uint64
	// Entries is the number of changes held now (a membership change
	// whose event names the user counts twice: by membership and by user).
	Entries int
	// EventIDs is the number of event IDs held to tell a replay.
	EventIDs int
	// Collapses counts the times the State held more than its cap
	// ([WithMaxEntries]) and collapsed its older half into one mark.
	Collapses uint64
	// Lagging is true while the State's source reports the stream lagging
	// (a Poller, or [State.SetLagging]).
	Lagging bool

	// FeedClosed is true once a Poller feeding the State was closed
	// ([Poller.Close]), until a feed reports reading again: another
	// Poller's successful poll, [State.Cover] or [State.SetLagging](false)
	// (the fleet's feed calls both). Meanwhile the State applies its
	// [LagPolicy] as while lagging: no feed, no news.
	FeedClosed bool
}

// Stats returns the State's counters.
func (s *State) Stats() Stats {
	sn := s.snap.Load()
	s.mu.Lock()
	lagging, gone, ids := s.lagging, s.gone, len(s.seen)
	s.mu.Unlock()
	return Stats{
		Applied: s.applied.Load(), Duplicates: s.duplicates.Load(), Ignored: s.ignored.Load(), Unreadable: s.unreadable.Load(),
		Entries: sn.entries(), EventIDs: ids, Collapses: s.collapses.Load(),
		Lagging: lagging, FeedClosed: gone,
	}
}

// kind is what a change touches.
type kind uint8

const (
	kindNone kind = iota // a type the State ignores
	kindMembership
	kindRole
	kindPermission
	kindOrganization
	kindUser
	kindMemberUser // the user of a changed membership: for tokens without the membership claim
	kindSession
	numKinds
)

// target is what one event touches: its kind, the ID, the membership it
// is limited to for the watchers ("" for any), and for a membership event
// the membership's user (user_id, "" when the data has none).
type target struct {
	kind kind
	id   string
	om   string
	user string
}

// targetOf reads from ev's data what ev touches. A type outside [Types] is
// kindNone with a nil error; a known type whose data lacks the ID is an
// error wrapping [ErrMalformed].
func targetOf(ev Event) (target, error) {
	var field string
	var k kind
	scoped := false // the change is limited to the membership it names
	switch ev.Event {
	case "organization_membership.created", "organization_membership.updated", "organization_membership.deleted":
		k, field, scoped = kindMembership, "id", true
	case "group.member_added", "group.member_removed":
		k, field, scoped = kindMembership, "organization_membership_id", true
	case "role.created", "role.updated", "role.deleted",
		"organization_role.created", "organization_role.updated", "organization_role.deleted":
		k, field = kindRole, "slug"
	case "permission.created", "permission.updated", "permission.deleted":
		k, field = kindPermission, "slug"
	case "group.deleted":
		k, field = kindOrganization, "organization_id"
	case "organization.deleted":
		k, field = kindOrganization, "id"
	case "user.deleted":
		k, field = kindUser, "id"
	case "session.revoked":
		k, field = kindSession, "id"
	default:
		return target{}, nil
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		return target{}, fmt.Errorf("%w: event %s (%s): data is not an object", ErrMalformed, ev.ID, ev.Event)
	}
	var id string
	if raw, ok := data[field]; !ok || json.Unmarshal(raw, &id) != nil || !validID(id) {
		return target{}, fmt.Errorf("%w: event %s (%s): data.%s missing or not an ID", ErrMalformed, ev.ID, ev.Event, field)
	}
	t := target{kind: k, id: id}
	if scoped {
		t.om = id
	}
	if field == "id" && k == kindMembership {
		// A token minted without the JWT template that adds
		// organization_membership_id names its membership only by user
		// and organization: the membership's user_id finds it.
		var u string
		if raw, ok := data["user_id"]; ok && json.Unmarshal(raw, &u) == nil && validID(u) {
			t.user = u
		}
	}
	return t, nil
}

// Apply applies one event and reports whether it changed anything. An
// event of another type, an event older than the token lifetime, or an
// event already applied (same ID: a retried webhook, a replay) changes
// nothing. An event stamped more than a token lifetime ahead of the
// State's clock is held as if stamped then, so that it is dropped in time. An event of a known type whose data lacks the IDs it needs is
// an error wrapping [ErrMalformed]; to stay safe, it makes every token
// issued at or before it stale.
func (s *State) Apply(ev Event) (bool, error) {
	n, err := s.ApplyAll([]Event{ev})
	return n > 0, err
}

// ApplyAll applies evs (a page of the Events API) in one publication and
// returns how many changed something. Errors are as for [State.Apply]; the
// other events are still applied, and the first error is returned.
func (s *State) ApplyAll(evs []Event) (int, error) {
	applied, _, err := s.applyAll(evs)
	return applied, err
}

// applyAll is ApplyAll, also returning how many events were duplicates.
func (s *State) applyAll(evs []Event) (applied, duplicates int, firstErr error) {
	s.mu.Lock()
	now := s.now()
	cutoff := now.Add(-s.maxLifetime)
	old := s.snap.Load()
	next := *old
	var cloned [numKinds]bool
	var oms []string
	all := false
	latest := now.Add(s.maxLifetime)
	for _, ev := range evs {
		if ev.CreatedAt.After(latest) {
			// Stamped further ahead than any clock skew: held as if
			// stamped one token lifetime from now, so that it is dropped
			// in time like every change (not kept, and every token it
			// touches stale, until its date).
			ev.CreatedAt = latest
		}
		if _, dup := s.seen[ev.ID]; dup && ev.ID != "" {
			s.duplicates.Add(1)
			duplicates++
			continue
		}
		t, err := targetOf(ev)
		if ev.bad != nil {
			t, err = target{}, ev.bad
			if ev.CreatedAt.IsZero() {
				ev.CreatedAt = now // when it was stamped is unknown: as of now
			}
			s.seen[ev.ID] = ev.CreatedAt // read again (a page re-read), it is a duplicate
			if ev.CreatedAt.Before(cutoff) {
				s.ignored.Add(1) // too old to touch a valid token
				continue
			}
		}
		if err != nil {
			s.unreadable.Add(1)
			if firstErr == nil {
				firstErr = err
			}
			s.global = max(s.global, s.staleThrough(ev.CreatedAt))
			next.newest = max(next.newest, s.global)
			next.global = s.global
			all = true
			continue
		}
		if t.kind == kindNone || ev.CreatedAt.Before(cutoff) {
			s.ignored.Add(1)
			continue
		}
		l := &next.layers[t.kind]
		if !cloned[t.kind] {
			l.delta = maps.Clone(l.delta)
			cloned[t.kind] = true
		}
		at := s.staleThrough(ev.CreatedAt)
		if t.kind == kindSession {
			at = ev.CreatedAt.Unix()
		} else {
			next.newest = max(next.newest, at)
		}
		if t.kind == kindSession && at <= s.revokedTo || t.kind != kindSession && at <= s.global {
			// Already covered by a collapse's mark (an event re-read after
			// its ID was dropped): holding it would change nothing.
			s.applied.Add(1)
			applied++
			all = all || t.kind != kindSession
			continue
		}
		prev, _ := l.at(t.id)
		l.delta[t.id] = max(prev, at)
		l.newestDelta = max(l.newestDelta, at)
		if t.user != "" {
			ul := &next.layers[kindMemberUser]
			if !cloned[kindMemberUser] {
				ul.delta = maps.Clone(ul.delta)
				cloned[kindMemberUser] = true
			}
			prev, _ := ul.at(t.user)
			ul.delta[t.user] = max(prev, at)
			ul.newestDelta = max(ul.newestDelta, at)
		}
		s.seen[ev.ID] = ev.CreatedAt
		s.applied.Add(1)
		applied++
		switch {
		case t.kind == kindSession:
		case t.om != "":
			oms = append(oms, t.om)
		default:
			all = true
		}
	}
	for k, c := range cloned {
		if c && len(next.layers[k].delta) >= maxDelta {
			next.layers[k].merge()
		}
	}
	if next.entries() > s.maxEntries || len(s.seen) > s.maxEntries {
		s.collapse(&next)
		all = true
	}
	s.publish(&next, false) // also moves the horizon and drops old changes when due
	watchers := s.watcherList()
	s.mu.Unlock()
	notify(watchers, all, oms)
	return applied, duplicates, firstErr
}

// collapse keeps the newest half of the changes and event IDs, at most
// maxEntries/2 of each, and marks what it drops: every token issued at or
// before the newest change dropped is stale (global), every session token
// issued at or before the newest revocation dropped is refused (revoked;
// only when a revocation is dropped). A dropped ID's event read again is
// covered by the mark, or held again. s.mu is held; next's maps
// may be shared with the previous snapshot and are replaced, not changed.
func (s *State) collapse(next *snapshot) {
	keep := s.maxEntries / 2
	var vals []int64
	for k := range next.layers {
		for _, m := range []map[string]int64{next.layers[k].base, next.layers[k].delta} {
			for _, at := range m {
				vals = append(vals, at)
			}
		}
	}
	through := threshold(vals, keep)
	vals = vals[:0]
	for _, at := range s.seen {
		vals = append(vals, s.staleThrough(at))
	}
	through = max(through, threshold(vals, keep))
	dropped := [numKinds]int64{}
	for k := range next.layers {
		l := &next.layers[k]
		kept := make(map[string]int64)
		for _, m := range []map[string]int64{l.base, l.delta} {
			for id, at := range m {
				if at > through {
					kept[id] = max(kept[id], at)
				} else {
					dropped[k] = max(dropped[k], at)
				}
			}
		}
		l.base, l.delta = kept, map[string]int64{}
		l.newestBase, l.newestDelta = maxValue(kept), 0
	}
	seen := make(map[string]time.Time)
	for id, at := range s.seen {
		if s.staleThrough(at) > through {
			seen[id] = at
		}
	}
	s.seen = seen
	for k := kindMembership; k < kindSession; k++ {
		s.global = max(s.global, dropped[k])
	}
	s.revokedTo = max(s.revokedTo, dropped[kindSession])
	next.global = s.global
	next.revoked = s.revokedTo
	next.newest = max(next.newest, s.global)
	s.collapses.Add(1)
}

// threshold returns the value at or below which vals must be dropped to
// keep at most keep of them (math.MinInt64 when they fit).
func threshold(vals []int64, keep int) int64 {
	if len(vals) <= keep {
		return math.MinInt64
	}
	slices.Sort(vals)
	return vals[len(vals)-keep-1]
}

// notify tells the watchers what changed, after the snapshot is published.
func notify(watchers []func(string), all bool, oms []string) {
	for _, w := range watchers {
		if all {
			w("")
			continue
		}
		for _, om := range oms {
			w(om)
		}
	}
}

// watcherList returns the registered watchers; s.mu is held.
func (s *State) watcherList() []func(string) {
	ws := make([]func(string), 0, len(s.watchers))
	for _, w := range s.watchers {
		ws = append(ws, w)
	}
	return ws
}

// staleThrough is the last iat (Unix seconds) that a change at t makes
// stale: t plus the margin, truncated to the second (iat is whole seconds,
// and a token with iat equal to the change's second may predate it).
func (s *State) staleThrough(t time.Time) int64 {
	return t.Add(s.margin).Unix()
}

// merge moves l's delta into a new base.
func (l *layer) merge() {
	base := maps.Clone(l.base)
	for id, at := range l.delta {
		base[id] = max(base[id], at)
	}
	l.base, l.delta = base, map[string]int64{}
	l.newestBase, l.newestDelta = max(l.newestBase, l.newestDelta), 0
}

// prune drops l's changes before limit; it copies only maps that hold one.
// The copies are new maps sized for what is kept (a Go map never shrinks:
// a clone with entries deleted would keep the memory of a past flood).
func (l *layer) prune(limit int64) {
	if hasOlder(l.base, limit) {
		l.base = keepFrom(l.base, limit)
		l.newestBase = maxValue(l.base)
	}
	if hasOlder(l.delta, limit) {
		l.delta = keepFrom(l.delta, limit)
		l.newestDelta = maxValue(l.delta)
	}
}

// keepFrom returns a new map of m's entries at or after limit.
func keepFrom(m map[string]int64, limit int64) map[string]int64 {
	kept := make(map[string]int64)
	for id, at := range m {
		if at >= limit {
			kept[id] = at
		}
	}
	return kept
}

func maxValue(m map[string]int64) int64 {
	var n int64
	for _, at := range m {
		n = max(n, at)
	}
	return n
}

func (sn *snapshot) entries() int {
	n := 0
	for k := range sn.layers {
		n += sn.layers[k].len()
	}
	return n
}

// pruneEvery is how often at most publish drops old changes.
func (s *State) pruneEvery() time.Duration { return max(s.maxLifetime/16, time.Second) }

// publish recomputes next's horizon and flags, drops changes older than
// the token lifetime when due (or when force), and makes next what
// readers see. s.mu is held; next is not shared yet, but its maps may be
// the previous snapshot's (they are cloned before being pruned).
func (s *State) publish(next *snapshot, force bool) {
	now := s.now()
	cutoff := now.Add(-s.maxLifetime)
	if force || now.Sub(s.lastPrune) >= s.pruneEvery() {
		s.lastPrune = now
		limit := s.staleThrough(cutoff)
		next.newest = 0
		for k := kindMembership; k < kindSession; k++ {
			next.layers[k].prune(limit)
			next.newest = max(next.newest, next.layers[k].newest())
		}
		next.layers[kindSession].prune(cutoff.Unix())
		s.pruneSeen(cutoff)
	}
	// Tokens issued before the State's knowledge begins, or longer ago
	// than the token lifetime, or before an unreadable event: stale.
	next.horizon = max(s.staleThrough(s.known), s.staleThrough(cutoff))
	next.global = s.global
	next.revoked = s.revokedTo
	next.newest = max(next.newest, next.horizon, next.global)
	lagging := s.lagging || s.gone // a closed feed is a feed that lags for good
	next.trust = lagging && s.policy == TrustTokens
	next.askAll = lagging && s.policy == AskAPI
	s.snap.Store(next)
}

// pruneSeen drops the IDs of events before cutoff; s.mu is held. When it
// drops any, it moves the rest to a new map, so that a flood's memory is
// given back (a Go map never shrinks).
func (s *State) pruneSeen(cutoff time.Time) {
	old := false
	for _, at := range s.seen {
		if at.Before(cutoff) {
			old = true
			break
		}
	}
	if !old {
		return
	}
	kept := make(map[string]time.Time)
	for id, at := range s.seen {
		if !at.Before(cutoff) {
			kept[id] = at
		}
	}
	s.seen = kept
}

func hasOlder(m map[string]int64, limit int64) bool {
	for _, at := range m {
		if at < limit {
			return true
		}
	}
	return false
}

// Cover tells the State that every change made since since has been
// applied to it: the source that feeds it read the Events API (or a copy
// of it, such as the fleet's Redis stream) without a gap from since to
// now. Tokens issued after since are then no longer stale for want of
// history (only the changes the State holds decline them); before Cover,
// a State knows nothing from before it was created ([NewState]).
//
// Call it when a source other than a [Poller] has caught up (the Poller
// calls it itself after its read-back). since is in WorkOS's clock (an
// event's created_at, or the range_start of the read). Knowledge only
// grows: a since later than what the State already covers changes
// nothing, and changes older than the token lifetime are not held anyway.
// Cover also publishes the State again (moving its horizon with the
// clock), so calling it after every read is fine.
//
// Calling Cover with a time the source did not read from makes tokens
// issued before an unseen change answer from the token layer: the one
// way to make a State grant more than it knows. Pass only what was read.
// A source that covers is one that reads: Cover clears the mark a closed
// Poller leaves ([Stats].FeedClosed).
func (s *State) Cover(since time.Time) { s.cover(since) }

// SetLagging tells the State whether its event source has been unreadable
// for longer than the source's lag limit (true) or is read again (false),
// and returns the previous value. While lagging, the token layer follows
// the State's [LagPolicy]: [TrustTokens] answers as without events,
// [AskAPI] sends every token-layer question to the API. [Stats].Lagging
// reports it. A [Poller] calls it itself; call it when you feed the State
// from another source (the fleet package reports its leader's lag).
// SetLagging(false) also clears the mark a closed Poller leaves
// ([Stats].FeedClosed).
func (s *State) SetLagging(lagging bool) (was bool) { return s.setLagging(lagging) }

// cover records that the State knows every change made since from (a
// Poller read back to it), and publishes. A feed that covers is a feed
// that reads: a closed Poller's mark is cleared.
func (s *State) cover(from time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone = false
	if from.Before(s.known) {
		s.known = from
	}
	next := *s.snap.Load()
	s.publish(&next, false)
}

// setLagging records whether a Poller reports the stream lagging, and
// publishes; it returns the previous value. A feed that reports reading
// (false) clears a closed Poller's mark.
func (s *State) setLagging(lagging bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.lagging
	s.lagging = lagging
	if !lagging {
		s.gone = false
	}
	next := *s.snap.Load()
	s.publish(&next, false)
	return was
}

// tick publishes again, to move the horizon with the clock and drop old
// changes; a Poller calls it after each poll.
func (s *State) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := *s.snap.Load()
	s.publish(&next, false)
}

// feedClosed records that a Poller feeding the State was closed: the
// State applies its lag policy as while lagging until a feed reports
// reading again (setLagging(false), cover).
func (s *State) feedClosed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone = true
	next := *s.snap.Load()
	s.publish(&next, false)
}
