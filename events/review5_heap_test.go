package events_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/fgakit/fgakit/events"
)

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestStateMemoryReturnsAfterFlood: a State is bounded by the changes of
// one token lifetime; once a flood of changes (a directory sync) is older
// than that, the memory it took is given back, not kept for the life of
// the process by maps that never shrink. Not parallel: it measures the
// heap, which other tests running at the same time would move.
func TestStateMemoryReturnsAfterFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap after 100,000 events")
	}
	now := t0
	// A cap above the flood: this test is about the time bound.
	s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }), events.WithMaxEntries(1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	before := heapInUse()
	const n = 100_000
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = events.Event{ID: fmt.Sprintf("event_%07d", i), Event: "organization_membership.updated",
			Data: fmt.Appendf(nil, `{"id":"om_%07d","user_id":"user_%07d"}`, i, i), CreatedAt: now}
	}
	if _, err := s.ApplyAll(evs); err != nil {
		t.Fatal(err)
	}
	evs = nil
	flooded := heapInUse()
	now = now.Add(events.DefaultMaxTokenLifetime + time.Minute)
	if _, err := s.Apply(events.Event{ID: "event_late", Event: "role.updated", Data: []byte(`{"slug":"admin"}`), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Entries != 1 {
		t.Fatalf("entries %d after the lifetime, want 1", st.Entries)
	}
	after := heapInUse()
	t.Logf("heap: %d MiB before, %d MiB flooded, %d MiB a lifetime later", before>>20, flooded>>20, after>>20)
	if kept := int64(after) - int64(before); kept > int64(flooded-before)/4 {
		t.Errorf("a lifetime after the flood the State still holds %d MiB of the %d MiB it took", kept>>20, (flooded-before)>>20)
	}
	runtime.KeepAlive(s)
}
