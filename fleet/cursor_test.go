package fleet

import (
	"errors"
	"testing"
	"time"

	"github.com/fgakit/fgakit/events"
	"github.com/google/go-cmp/cmp"
)

func TestCursorStore(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	s := f.CursorStore()
	got, err := s.Load(t.Context())
	if err != nil || got != (events.Cursor{}) {
		t.Fatalf("Load of nothing = %+v, %v; want the zero Cursor", got, err)
	}
	want := events.Cursor{After: "event_01", CreatedAt: time.Date(2026, 11, 30, 8, 0, 0, 123e6, time.UTC)}
	if err := s.Save(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	got, err = s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load after Save (-want +got):\n%s", diff)
	}
	f.rdb.Set(t.Context(), f.key("feed:cursor"), "not json", 0)
	if got, err := s.Load(t.Context()); !errors.Is(err, errBadCursor) || got != (events.Cursor{}) {
		t.Errorf("Load of a bad value = %+v, %v; want the zero Cursor and an error", got, err)
	}
	var _ events.CursorStore = s
}
