package events_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// TestMembershipChangeWithoutMembershipClaim: AuthKit puts
// organization_membership_id in a token only when a JWT template adds it.
// A token without it still answers org-wide gates from the token layer, so
// a change to the user's membership (demoted, deactivated, removed) must
// make it stale too: the membership event's user_id names it.
func TestMembershipChangeWithoutMembershipClaim(t *testing.T) {
	t.Parallel()
	iat := t0.Add(time.Minute)
	noOM := &token.Claims{Subject: "user_a", OrganizationID: "org_a", Role: "admin", Roles: []string{"admin"}, IssuedAt: iat}
	withOM := &token.Claims{Subject: "user_a", OrganizationID: "org_a", OrganizationMembershipID: "om_a", Role: "admin", IssuedAt: iat}
	tests := []struct {
		name   string
		claims *token.Claims
		typ    string
		data   string
		stale  bool
	}{
		{"no claim, demoted", noOM, "organization_membership.updated", `{"id":"om_a","user_id":"user_a","organization_id":"org_a"}`, true},
		{"no claim, removed", noOM, "organization_membership.deleted", `{"id":"om_a","user_id":"user_a","organization_id":"org_a"}`, true},
		{"no claim, another user", noOM, "organization_membership.updated", `{"id":"om_b","user_id":"user_b","organization_id":"org_a"}`, false},
		{"no claim, no user_id in the event", noOM, "organization_membership.updated", `{"id":"om_b"}`, false},
		{"claim, the user's membership of another organization", withOM, "organization_membership.updated", `{"id":"om_x","user_id":"user_a","organization_id":"org_x"}`, false},
		{"claim, its membership", withOM, "organization_membership.updated", `{"id":"om_a","user_id":"user_a","organization_id":"org_a"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := t0
			s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			now = t0.Add(2 * time.Minute)
			if _, err := s.Apply(events.Event{ID: "event_1", Event: tc.typ, Data: []byte(tc.data), CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			if got := s.Stale(tc.claims, "doc:edit"); got != tc.stale {
				t.Errorf("Stale = %v, want %v", got, tc.stale)
			}
		})
	}
}

// cursorRefusingAPI is an Events API that refuses every after= cursor
// (400) while the read-back window holds more than a page of events. After
// flood requests it makes each request take a second of the bubble's
// clock, so that a Poller spinning without a wait lets time move (and the
// test fail instead of hang).
type cursorRefusingAPI struct {
	eventsAPI
	n     atomic.Int64
	flood int64
}

func (a *cursorRefusingAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.n.Add(1) > a.flood {
		time.Sleep(time.Second)
	}
	a.eventsAPI.ServeHTTP(w, r)
}

// TestPollerCursorRefusedEveryTime: an Events API that refuses every cursor
// it hands out (a proxy, an API bug) once the window holds a full page
// must not make the Poller spin through the API key's budget — re-reading
// the first page without a wait — nor hide that it reads nothing new: the
// refusals are waited after like failures, and the lag is reported.
func TestPollerCursorRefusedEveryTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := &cursorRefusingAPI{flood: 1000}
		api.forget = true
		for i := range 150 {
			api.add(fmt.Sprintf("event_%03d", i), "role.updated", map[string]any{"slug": fmt.Sprintf("role_%d", i)}, time.Now().Add(-time.Minute))
		}
		s, _ := events.NewState()
		var lags atomic.Int64
		p, _ := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)),
			events.WithErrorHandler(func(err error) {
				if errors.Is(err, events.ErrLagging) {
					lags.Add(1)
				}
			}))
		time.Sleep(90 * time.Second)
		p.Close()
		// With the poll interval of 5 s, a refusal a few seconds apart at
		// most: some dozens of requests in 90 s, not thousands.
		if n := api.n.Load(); n > 100 {
			t.Errorf("%d requests in 90 s: the Poller spins", n)
		}
		if lags.Load() != 1 || !s.Stats().Lagging {
			t.Errorf("%d lag reports, want 1: nothing past the first page was ever read (status %+v)", lags.Load(), p.Status())
		}
	})
}

// stuckStore is a CursorStore whose calls block until their context ends,
// as a store behind a network that stopped answering.
type stuckStore struct{}

func (stuckStore) Load(ctx context.Context) (events.Cursor, error) {
	<-ctx.Done()
	return events.Cursor{}, ctx.Err()
}

func (stuckStore) Save(ctx context.Context, _ events.Cursor) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestPollerStoreCallsAreBounded: a CursorStore that stops answering must
// not stop the Poller for good (every wait is bounded): each call gets the
// request timeout, its error is reported, and the Poller keeps reading —
// otherwise it would hang silently, never report a lag, and the State
// would keep trusting tokens while no event is read.
func TestPollerStoreCallsAreBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := &eventsAPI{}
		api.add("event_1", "role.updated", map[string]any{"slug": "admin"}, time.Now())
		s, _ := events.NewState()
		var storeErrs atomic.Int64
		p, _ := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)), events.WithCursorStore(stuckStore{}),
			events.WithRequestTimeout(2*time.Second),
			events.WithErrorHandler(func(err error) {
				if errors.Is(err, context.DeadlineExceeded) {
					storeErrs.Add(1)
				}
			}))
		defer p.Close()
		<-p.Ready()
		if s.Stats().Applied != 1 {
			t.Error("the event was not applied")
		}
		if storeErrs.Load() < 2 {
			t.Errorf("%d store timeouts reported, want the Load's and the Save's", storeErrs.Load())
		}
	})
}
