package events_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// TestStateCountCap: a flood of changes within one token lifetime keeps
// the State under its count cap, and no token issued at or before a
// change it dropped answers from the token layer (nor does a revoked
// session's token verify); tokens issued after the flood still do.
func TestStateCountCap(t *testing.T) {
	t.Parallel()
	const limit, n = 1000, 5000
	tests := []struct {
		name  string
		typ   string
		data  func(i int) string
		check func(s *events.State, i int, at time.Time) bool // true: refused or stale, as it must be
	}{
		{"memberships", "organization_membership.updated", func(i int) string { return fmt.Sprintf(`{"id":"om_%d","user_id":"user_%d"}`, i, i) },
			func(s *events.State, i int, at time.Time) bool {
				return s.Stale(&token.Claims{OrganizationMembershipID: fmt.Sprintf("om_%d", i), Subject: fmt.Sprintf("user_%d", i), IssuedAt: at}, permission)
			}},
		{"roles", "role.updated", func(i int) string { return fmt.Sprintf(`{"slug":"role_%d"}`, i) },
			func(s *events.State, i int, at time.Time) bool {
				return s.Stale(&token.Claims{OrganizationMembershipID: om, Role: fmt.Sprintf("role_%d", i), IssuedAt: at}, permission)
			}},
		{"sessions", "session.revoked", func(i int) string { return fmt.Sprintf(`{"id":"session_%d"}`, i) },
			func(s *events.State, i int, at time.Time) bool { return s.Revoked(fmt.Sprintf("session_%d", i), at) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := t0
			s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }), events.WithMaxEntries(limit))
			if err != nil {
				t.Fatal(err)
			}
			at := func(i int) time.Time { return t0.Add(time.Minute + time.Duration(i)*50*time.Millisecond) } // 20 a second
			for i := range n {
				now = at(i)
				if _, err := s.Apply(events.Event{ID: fmt.Sprintf("event_%d", i), Event: tc.typ, Data: []byte(tc.data(i)), CreatedAt: at(i)}); err != nil {
					t.Fatal(err)
				}
				if st := s.Stats(); st.Entries > limit || st.EventIDs > limit {
					t.Fatalf("after %d events: %d entries, %d event IDs; want at most %d", i+1, st.Entries, st.EventIDs, limit)
				}
			}
			if s.Stats().Collapses == 0 {
				t.Error("no collapse counted")
			}
			// Every token issued at or before its change (iat has whole
			// seconds) is stale, or refused: none answers as before.
			for i := range n {
				if iat := at(i).Truncate(time.Second); !tc.check(s, i, iat) {
					t.Fatalf("change %d (at %v): a token issued at %v answers from the token layer", i, at(i), iat)
				}
			}
			// A token issued after the flood, untouched, still answers.
			later := at(n).Add(5 * time.Second)
			now = later.Add(time.Second)
			if tc.check(s, n+1, later) {
				t.Error("a token issued after the flood, touched by nothing, is stale or refused")
			}
		})
	}
}

// TestStateCountCapMemory: a flood of 300,000 changes within one token
// lifetime keeps the State's memory bounded by the cap. Not parallel: it
// measures the heap.
func TestStateCountCapMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap after 300,000 events")
	}
	now := t0
	s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }), events.WithMaxEntries(10_000))
	if err != nil {
		t.Fatal(err)
	}
	before := heapInUse()
	page := make([]events.Event, 100)
	for p := range 3000 {
		for i := range page {
			k := p*len(page) + i
			page[i] = events.Event{ID: fmt.Sprintf("event_%07d", k), Event: "organization_membership.updated",
				Data: fmt.Appendf(nil, `{"id":"om_%07d","user_id":"user_%07d"}`, k, k), CreatedAt: now}
		}
		if _, err := s.ApplyAll(page); err != nil {
			t.Fatal(err)
		}
		now = now.Add(100 * time.Millisecond) // 1,000 events a second
	}
	page = nil
	after := heapInUse()
	st := s.Stats()
	t.Logf("heap: %d KiB before, %d KiB after 300,000 events; %d entries, %d event IDs, %d collapses", before>>10, after>>10, st.Entries, st.EventIDs, st.Collapses)
	if grown := int64(after) - int64(before); grown > 8<<20 {
		t.Errorf("the State holds %d MiB after the flood, want at most 8 MiB with a cap of 10,000", grown>>20)
	}
	runtime.KeepAlive(s)
}
