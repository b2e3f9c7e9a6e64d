package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fgakit/fgakit/events"
	"github.com/redis/go-redis/v9"
)

// errBadCursor is wrapped by CursorStore.Load for a stored value that is
// not a cursor (the feed then reads back from range_start: safe).
var errBadCursor = errors.New("fleet: the stored cursor does not parse")

// CursorStore keeps the fleet's event cursor in Redis, as JSON
// ({"after":"event_…","created_at":"…"}): it implements
// events.CursorStore. The [Feed] keeps its cursor under the same key
// (writing it, with each page of events, only while it holds the lease);
// use the store to read where the fleet is, or to give a single
// events.Poller a cursor that survives restarts when you run no Feed.
type CursorStore struct {
	f   *Fleet
	key string
}

var _ events.CursorStore = (*CursorStore)(nil)

// CursorStore returns the fleet's cursor store.
func (f *Fleet) CursorStore() *CursorStore { return &CursorStore{f: f, key: f.key("feed:cursor")} }

// Load returns the stored cursor, or the zero Cursor when there is none.
// A stored value that does not parse is an error, with the zero Cursor.
func (s *CursorStore) Load(ctx context.Context) (events.Cursor, error) {
	raw, err := s.f.rdb.Get(ctx, s.key).Bytes()
	if errors.Is(err, redis.Nil) {
		return events.Cursor{}, nil
	}
	if err != nil {
		return events.Cursor{}, fmt.Errorf("fleet: loading the cursor: %w", err)
	}
	var c events.Cursor
	if json.Unmarshal(raw, &c) != nil {
		return events.Cursor{}, errBadCursor
	}
	return c, nil
}

// Save replaces the stored cursor.
func (s *CursorStore) Save(ctx context.Context, c events.Cursor) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := s.f.rdb.Set(ctx, s.key, b, 0).Err(); err != nil {
		return fmt.Errorf("fleet: saving the cursor: %w", err)
	}
	return nil
}
