package events_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

// eventsAPI serves GET /events as the spec says, from a list of events in
// ascending order: the events filter, after, range_start, order=asc and
// limit. fail, when set, answers the next requests with that status.
type eventsAPI struct {
	mu       sync.Mutex
	evs      []map[string]any
	requests []url.Values
	fail     []int // statuses to answer, one per request, before serving
	forget   bool  // answer 400 to any after= (the cursor is unknown)
}

func (a *eventsAPI) add(id, typ string, data map[string]any, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.evs = append(a.evs, map[string]any{"object": "event", "id": id, "event": typ, "data": data, "created_at": at.UTC().Format(time.RFC3339Nano)})
}

func (a *eventsAPI) queries() []url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.requests)
}

func (a *eventsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := r.URL.Query()
	a.requests = append(a.requests, q)
	if r.URL.Path != "/events" || r.Header.Get("Authorization") != "Bearer sk_test" {
		http.Error(w, `{"message":"no"}`, http.StatusUnauthorized)
		return
	}
	if len(a.fail) > 0 {
		code := a.fail[0]
		a.fail = a.fail[1:]
		w.WriteHeader(code)
		fmt.Fprint(w, `{"message":"injected"}`)
		return
	}
	types := strings.Split(q.Get("events"), ",")
	limit, _ := strconv.Atoi(q.Get("limit"))
	var out []map[string]any
	started := q.Get("after") == ""
	if !started && a.forget {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"message":"Invalid cursor"}`)
		return
	}
	var from time.Time
	if rs := q.Get("range_start"); rs != "" {
		from, _ = time.Parse(time.RFC3339Nano, rs)
	}
	for _, ev := range a.evs {
		if !started {
			started = ev["id"] == q.Get("after")
			continue
		}
		at, _ := time.Parse(time.RFC3339Nano, ev["created_at"].(string))
		if at.Before(from) || !slices.Contains(types, ev["event"].(string)) {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, ev)
	}
	after := any(nil)
	if len(out) == limit {
		after = out[len(out)-1]["id"]
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": append([]map[string]any{}, out...), "list_metadata": map[string]any{"after": after}})
}

// inMemory is an http.Client that calls h directly, so that a synctest
// bubble holds no network goroutine and its fake clock can move.
func inMemory(h http.Handler) *http.Client {
	return &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		if err := r.Context().Err(); err != nil {
			return nil, err
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestPollerRequests: the first request reads back the token lifetime with
// an explicit type list, ascending, 100 at a time; a full page is
// followed at once by the next, after its last event; then the Poller
// waits the interval and asks after the last event.
func TestPollerRequests(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		api := &eventsAPI{}
		api.add("event_old", "role.updated", map[string]any{"slug": "x"}, start.Add(-time.Hour))
		for i := range 150 {
			api.add(fmt.Sprintf("event_%03d", i), "organization_membership.updated", map[string]any{"id": fmt.Sprintf("om_%d", i)}, start.Add(-time.Minute))
		}
		s, _ := events.NewState()
		store := &events.MemoryStore{}
		p, err := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)), events.WithBaseURL("https://api.example"), events.WithCursorStore(store))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		<-p.Ready()
		time.Sleep(events.DefaultPollInterval) // synctest: the fake clock moves; the Poller polls once more
		synctest.Wait()
		q := api.queries()
		if len(q) != 3 {
			t.Fatalf("%d requests, want 3: %v", len(q), q)
		}
		want := []url.Values{
			{"events": {strings.Join(events.Types, ",")}, "order": {"asc"}, "limit": {"100"}, "range_start": {start.Add(-events.DefaultMaxTokenLifetime).UTC().Format("2006-01-02T15:04:05.000Z")}},
			{"events": {strings.Join(events.Types, ",")}, "order": {"asc"}, "limit": {"100"}, "after": {"event_099"}},
			{"events": {strings.Join(events.Types, ",")}, "order": {"asc"}, "limit": {"100"}, "after": {"event_149"}},
		}
		if diff := cmp.Diff(want, q); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if st := s.Stats(); st.Applied != 150 {
			t.Errorf("%d applied, want 150", st.Applied)
		}
		// The read-back covers the token lifetime: a token issued before
		// the State but within the lifetime is trusted again (its
		// membership did not change); one older than the lifetime is not.
		within := &token.Claims{OrganizationMembershipID: "om_alice", IssuedAt: start.Add(-2 * time.Minute)}
		older := &token.Claims{OrganizationMembershipID: "om_alice", IssuedAt: start.Add(-20 * time.Minute)}
		if s.Stale(within, permission) || !s.Stale(older, permission) {
			t.Errorf("after the read-back: stale(within) = %v, stale(older) = %v; want false, true", s.Stale(within, permission), s.Stale(older, permission))
		}
		touched := &token.Claims{OrganizationMembershipID: "om_7", IssuedAt: start.Add(-2 * time.Minute)}
		if !s.Stale(touched, permission) {
			t.Error("a token whose membership changed after its iat is not stale")
		}
		c, _ := store.Load(t.Context())
		if c.After != "event_149" {
			t.Errorf("stored cursor %+v", c)
		}
	})
}

// TestPollerResumes: a Poller started again on the same State and store
// asks after the saved cursor; one whose cursor is older than the token
// lifetime reads back from range_start instead.
func TestPollerResumes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := &eventsAPI{}
		api.add("event_1", "role.updated", map[string]any{"slug": "admin"}, time.Now())
		s, _ := events.NewState()
		store := &events.MemoryStore{}
		opts := []events.PollerOption{events.WithHTTPClient(inMemory(api)), events.WithCursorStore(store)}
		p, _ := events.NewPoller("sk_test", s, opts...)
		<-p.Ready()
		p.Close()
		api.add("event_2", "role.updated", map[string]any{"slug": "member"}, time.Now())
		p, _ = events.NewPoller("sk_test", s, opts...)
		<-p.Ready()
		p.Close()
		q := api.queries()
		if got := q[len(q)-1].Get("after"); got != "event_1" {
			t.Errorf("second Poller asked after %q, want event_1", got)
		}
		if st := s.Stats(); st.Applied != 2 || st.Duplicates != 0 {
			t.Errorf("stats %+v, want 2 applied", st)
		}

		// A new State resuming from the stored cursor knows the changes
		// since the cursor's event only: a token issued before it is
		// asked of the API, one issued after it is trusted.
		cursorAt := time.Now()
		time.Sleep(time.Minute)
		fresh, _ := events.NewState()
		p, _ = events.NewPoller("sk_test", fresh, opts...)
		<-p.Ready()
		defer p.Close() // while it runs: once closed, the State applies its lag policy
		q = api.queries()
		if got := q[len(q)-1].Get("after"); got != "event_2" {
			t.Errorf("a new State's Poller asked after %q, want event_2", got)
		}
		beforeCursor := &token.Claims{Subject: "user_1", IssuedAt: cursorAt.Add(-30 * time.Second)}
		afterCursor := &token.Claims{Subject: "user_1", IssuedAt: cursorAt.Add(30 * time.Second)}
		if !fresh.Stale(beforeCursor, permission) || fresh.Stale(afterCursor, permission) {
			t.Errorf("stale(before the cursor) = %v, stale(after) = %v; want true, false", fresh.Stale(beforeCursor, permission), fresh.Stale(afterCursor, permission))
		}

		time.Sleep(time.Hour) // the cursor is now older than any valid token
		p, _ = events.NewPoller("sk_test", s, opts...)
		<-p.Ready()
		p.Close()
		q = api.queries()
		if last := q[len(q)-1]; last.Get("after") != "" || last.Get("range_start") == "" {
			t.Errorf("with an old cursor the Poller asked %v, want range_start", last)
		}
	})
}

// TestPollerUnknownCursor: a cursor the API refuses is reported and the
// Poller reads again from range_start.
func TestPollerUnknownCursor(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := &eventsAPI{forget: true}
		api.add("event_1", "role.updated", map[string]any{"slug": "admin"}, time.Now())
		s, _ := events.NewState()
		store := &events.MemoryStore{}
		store.Save(t.Context(), events.Cursor{After: "event_gone", CreatedAt: time.Now().Add(-time.Minute)})
		var reported []error
		p, _ := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)), events.WithCursorStore(store),
			events.WithErrorHandler(func(err error) { reported = append(reported, err) }))
		<-p.Ready()
		p.Close()
		q := api.queries()
		if len(q) != 2 || q[0].Get("after") != "event_gone" || q[1].Get("range_start") == "" {
			t.Errorf("requests %v, want after=event_gone then range_start", q)
		}
		if len(reported) != 1 || !errors.Is(reported[0], events.ErrCursorUnknown) || !errors.Is(reported[0], authz.ErrBadRequest) {
			t.Errorf("reported %v, want one ErrCursorUnknown wrapping the 400", reported)
		}
		if s.Stats().Applied != 1 {
			t.Error("the event was not applied after the read-back")
		}
	})
}

// TestPollerBackoffAndLag: failed polls are retried with a growing,
// bounded, jittered wait; past the max lag, ErrLagging is reported once
// and the State applies its policy until a poll succeeds.
func TestPollerBackoffAndLag(t *testing.T) {
	t.Parallel()
	for _, policy := range []events.LagPolicy{events.TrustTokens, events.AskAPI} {
		t.Run(policy.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				api := &eventsAPI{fail: []int{500, 500, 503, 502, 500, 500, 500, 500, 500, 500}}
				s, _ := events.NewState(events.WithLagPolicy(policy))
				var mu sync.Mutex
				var reported []error
				var at []time.Duration
				p, _ := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)), events.WithMaxLag(time.Minute),
					events.WithErrorHandler(func(err error) {
						mu.Lock()
						defer mu.Unlock()
						reported = append(reported, err)
						at = append(at, time.Since(start))
					}))
				defer p.Close()
				// A token issued before the State: stale (unknown history) unless trusted.
				old := &token.Claims{OrganizationMembershipID: "om_1", IssuedAt: start.Add(-time.Minute).Truncate(time.Second)}
				if !s.Stale(old, permission) {
					t.Error("before any poll, an older token is not stale")
				}
				time.Sleep(70 * time.Second)
				synctest.Wait()
				if !p.Status().Lagging || !s.Stats().Lagging {
					t.Fatalf("not lagging after 70 s of failures: %+v", p.Status())
				}
				mu.Lock()
				defer mu.Unlock()
				lags := 0
				for _, err := range reported {
					if errors.Is(err, events.ErrLagging) {
						lags++
					}
				}
				if lags != 1 {
					t.Errorf("%d ErrLagging reports, want 1: %v", lags, reported)
				}
				fresh := &token.Claims{OrganizationMembershipID: "om_1", IssuedAt: time.Now().Truncate(time.Second)}
				if got, want := s.Stale(old, permission), policy == events.AskAPI; got != want {
					t.Errorf("lagging: an old token stale = %v, want %v", got, want)
				}
				if got, want := s.Stale(fresh, permission), policy == events.AskAPI; got != want {
					t.Errorf("lagging: a fresh token stale = %v, want %v", got, want)
				}
				// Waits between failures grow and stay bounded by 1.5 × the max backoff.
				for i := 1; i < len(at); i++ {
					if d := at[i] - at[i-1]; d > 45*time.Second {
						t.Errorf("wait %d was %v", i, d)
					}
				}
				mu.Unlock()
				<-p.Ready() // the failures run out; a poll succeeds
				mu.Lock()
				if p.Status().Lagging || s.Stats().Lagging {
					t.Error("still lagging after a successful poll")
				}
			})
		})
	}
}

// TestPollerClose: Close stops the goroutine (the -race and synctest
// bubble would report a leak) and is idempotent.
func TestPollerClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s, _ := events.NewState()
		p, err := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(&eventsAPI{})))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPollerOverHTTP runs the Poller against an httptest server over the
// network: caught up once, the State holds the event.
func TestPollerOverHTTP(t *testing.T) {
	t.Parallel()
	api := &eventsAPI{}
	api.add("event_1", "organization_membership.deleted", map[string]any{"id": "om_1"}, time.Now())
	srv := httptest.NewServer(api)
	defer srv.Close()
	s, _ := events.NewState()
	p, err := events.NewPoller("sk_test", s, events.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	select {
	case <-p.Ready():
	case <-t.Context().Done():
		t.Fatal("never ready")
	}
	if s.Stats().Applied != 1 {
		t.Errorf("stats %+v", s.Stats())
	}
}

// TestPollerErrorsHideKey: the API key never appears in a reported error.
func TestPollerErrorsHideKey(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const key = "sk_test_secret_key"
		echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"bad key %s"}`, key)
		})
		var reported []error
		s, _ := events.NewState()
		p, _ := events.NewPoller(key, s, events.WithHTTPClient(inMemory(echo)), events.WithErrorHandler(func(err error) { reported = append(reported, err) }))
		time.Sleep(time.Second)
		p.Close()
		if len(reported) == 0 {
			t.Fatal("nothing reported")
		}
		for _, err := range reported {
			if strings.Contains(err.Error(), key) {
				t.Errorf("error contains the key: %v", err)
			}
		}
	})
}

// TestPollerStalenessWindow measures the window from a change to its
// enforcement with the Poller: at most one poll interval.
func TestPollerStalenessWindow(t *testing.T) {
	t.Parallel()
	for _, interval := range []time.Duration{time.Second, events.DefaultPollInterval, 30 * time.Second} {
		t.Run(interval.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				api := &eventsAPI{}
				s, _ := events.NewState()
				p, _ := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)), events.WithPollInterval(interval), events.WithMaxLag(time.Hour))
				defer p.Close()
				<-p.Ready()
				time.Sleep(interval / 3) // the change lands between two polls
				claims := &token.Claims{OrganizationMembershipID: "om_1", IssuedAt: time.Now().Add(-time.Second)}
				changed := time.Now()
				api.add("event_1", "organization_membership.deleted", map[string]any{"id": "om_1"}, changed)
				for !s.Stale(claims, permission) {
					time.Sleep(100 * time.Millisecond)
				}
				if window := time.Since(changed); window > interval {
					t.Errorf("stale after %v, want at most the interval %v", window, interval)
				} else {
					t.Logf("interval %v: enforced %v after the change", interval, window)
				}
			})
		})
	}
}

// TestPollerNoRedirect: by default a redirect is an error, not followed
// (the API key would travel wherever it points).
func TestPollerNoRedirect(t *testing.T) {
	t.Parallel()
	var followed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) })
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { followed.Store(true) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	errs := make(chan error, 10)
	s, _ := events.NewState()
	p, err := events.NewPoller("sk_test", s, events.WithBaseURL(srv.URL), events.WithErrorHandler(func(err error) {
		select {
		case errs <- err:
		default:
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var ae *authz.APIError
	if err := <-errs; !errors.As(err, &ae) || ae.StatusCode != http.StatusFound {
		t.Errorf("reported %v, want the 302 as an APIError", err)
	}
	if followed.Load() {
		t.Error("the redirect was followed")
	}
}

// keyPieceIn returns an 8-byte piece of key found in s, or "".
func keyPieceIn(key, s string) string {
	for i := 0; i+8 <= len(key); i++ {
		if strings.Contains(s, key[i:i+8]) {
			return key[i : i+8]
		}
	}
	return ""
}

// TestPollerErrorsHideKeyPieces: a server echoing the Authorization header
// — cut, split across lines, in the request ID, in event IDs — gets no
// 8-byte piece of the key into a reported error (its text, or an
// *authz.APIError's fields), and a Poller prints without the key.
func TestPollerErrorsHideKeyPieces(t *testing.T) {
	t.Parallel()
	const key = "sk_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqR"
	answers := map[string]func(w http.ResponseWriter, auth string){
		"split message": func(w http.ResponseWriter, auth string) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":%q}`, auth[:20]+"\n"+auth[20:])
		},
		"cut text body": func(w http.ResponseWriter, auth string) {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, strings.Repeat("x", 190)+auth)
		},
		"request ID": func(w http.ResponseWriter, auth string) {
			w.Header().Set("X-Request-ID", auth)
			w.WriteHeader(http.StatusInternalServerError)
		},
		"ID of an event that does not apply": func(w http.ResponseWriter, auth string) {
			fmt.Fprintf(w, `{"object":"list","data":[{"object":"event","id":%q,"event":"organization_membership.deleted","data":{},"created_at":"2000-01-01T00:00:00Z"}],"list_metadata":{"after":null}}`, strings.TrimPrefix(auth, "Bearer "))
		},
		"event ID": func(w http.ResponseWriter, auth string) {
			fmt.Fprintf(w, `{"object":"list","data":[{"object":"event","id":%q}],"list_metadata":{"after":null}}`, strings.TrimPrefix(auth, "Bearer "))
		},
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answer(w, r.Header.Get("Authorization")) })
				var reported []error
				s, _ := events.NewState()
				p, _ := events.NewPoller(key, s, events.WithHTTPClient(inMemory(api)), events.WithErrorHandler(func(err error) { reported = append(reported, err) }))
				time.Sleep(time.Second)
				for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
					if piece := keyPieceIn(key, fmt.Sprintf(verb, p)); piece != "" {
						t.Errorf("Poller printed with %s holds %q of the key", verb, piece)
					}
				}
				p.Close()
				if len(reported) == 0 {
					t.Fatal("nothing reported")
				}
				for _, err := range reported {
					text := fmt.Sprintf("%v %+v", err, err)
					if ae := (*authz.APIError)(nil); errors.As(err, &ae) {
						text += ae.Message + ae.RequestID + ae.Code
					}
					if piece := keyPieceIn(key, text); piece != "" {
						t.Errorf("reported error holds %q of the key: %s", piece, text)
					}
				}
			})
		})
	}
}

// TestPollerCallersClientFollowsNoRedirect: with WithHTTPClient, a 3xx to
// another port of the same host (which net/http follows with the
// Authorization header) receives nothing either.
func TestPollerCallersClientFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	errs := make(chan error, 10)
	s, _ := events.NewState()
	p, err := events.NewPoller("sk_test_a1B2c3D4e5F6", s, events.WithBaseURL(srv.URL), events.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}),
		events.WithErrorHandler(func(err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var ae *authz.APIError
	if err := <-errs; !errors.As(err, &ae) || ae.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("reported %v, want the 307 as an APIError", err)
	}
	if reached.Load() != 0 {
		t.Error("the redirect was followed")
	}
}

// TestPollerRetryAfter: a 429's Retry-After is honoured up to a minute,
// whatever its form: a number of seconds too large for any integer waits
// the minute (not the short backoff of a missing header), an HTTP date
// waits until then.
func TestPollerRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter func(now time.Time) string
		want       time.Duration
	}{
		{"past every integer", func(time.Time) string { return "99999999999999999999" }, time.Minute},
		{"20 seconds", func(time.Time) string { return "20" }, 20 * time.Second},
		{"an HTTP date 40 s away", func(now time.Time) string { return now.Add(40 * time.Second).UTC().Format(http.TimeFormat) }, 40 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var times []time.Time
				api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					times = append(times, time.Now())
					w.Header().Set("Retry-After", tt.retryAfter(time.Now()))
					w.WriteHeader(http.StatusTooManyRequests)
				})
				s, _ := events.NewState()
				p, _ := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)), events.WithMaxLag(time.Hour))
				time.Sleep(90 * time.Second)
				p.Close()
				if len(times) < 2 {
					t.Fatalf("%d requests in 90 s", len(times))
				}
				if got := times[1].Sub(times[0]); got != tt.want {
					t.Errorf("second request %v after the first, want %v", got, tt.want)
				}
			})
		})
	}
}
