package fleet

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// eventsAPI serves GET /events from a list the test appends to, as the
// Events API does: ascending order, after a cursor or from range_start,
// at most limit events.
type eventsAPI struct {
	key   string
	mu    sync.Mutex
	evs   []map[string]any
	calls atomic.Int64
	fail  atomic.Bool // answer 503
}

func (a *eventsAPI) add(typ, om string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	id := fmt.Sprintf("event_%04d", len(a.evs)+1)
	a.evs = append(a.evs, map[string]any{
		"object": "event", "id": id, "event": typ, "created_at": time.Now().UTC().Format(time.RFC3339Nano),
		"data": map[string]any{"object": "organization_membership", "id": om, "organization_id": "org_1", "user_id": "user_1", "status": "active"},
	})
	return id
}

func (a *eventsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/events" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	a.calls.Add(1)
	if r.Header.Get("Authorization") != "Bearer "+a.key {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if a.fail.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	q := r.URL.Query()
	if q.Get("events") == "" || q.Get("order") != "asc" {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	a.mu.Lock()
	defer a.mu.Unlock()
	start := 0
	if after := q.Get("after"); after != "" {
		start = -1
		for i, ev := range a.evs {
			if ev["id"] == after {
				start = i + 1
			}
		}
		if start < 0 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
	} else if rs, err := time.Parse(time.RFC3339Nano, q.Get("range_start")); err == nil {
		for start < len(a.evs) {
			t, _ := time.Parse(time.RFC3339Nano, a.evs[start]["created_at"].(string))
			if !t.Before(rs) {
				break
			}
			start++
		}
	}
	page := append([]map[string]any{}, a.evs[start:min(len(a.evs), start+limit)]...)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": page, "list_metadata": map[string]any{}})
}
