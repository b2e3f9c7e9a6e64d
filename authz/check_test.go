package authz

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

// withOnWait installs the test hook called by each merged check once it has
// joined the shared call, before it waits.
func withOnWait(f func()) Option {
	return func(c *config) error { c.onWait = f; return nil }
}

func TestCheckRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		membership string
		permission string
		resource   ResourceRef
		wantPath   string
		wantBody   string
	}{
		{"by resource ID", "om_01", "project:edit", ResourceID("authz_resource_01"),
			"/authorization/organization_memberships/om_01/check",
			`{"permission_slug":"project:edit","resource_id":"authz_resource_01"}`},
		{"by external ID", "om_01", "project:edit", ExternalResource("project", "web"),
			"/authorization/organization_memberships/om_01/check",
			`{"permission_slug":"project:edit","resource_external_id":"web","resource_type_slug":"project"}`},
		{"organization on the reference is not sent", "om_01", "doc:view", ResourceID("r1").InOrganization("org_1"),
			"/authorization/organization_memberships/om_01/check",
			`{"permission_slug":"doc:view","resource_id":"r1"}`},
		{"membership escaped in the path", "om/../x y", "p", ExternalResource("t", "a\"b"),
			"/authorization/organization_memberships/om%2F..%2Fx%20y/check",
			`{"permission_slug":"p","resource_external_id":"a\"b","resource_type_slug":"t"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			type seen struct{ Method, Path, Body, Auth, ContentType, IdemKey string }
			var got seen
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet { // the membership, to learn its organization
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, `{"object":"organization_membership","id":"om_01","user_id":"user_01","organization_id":"org_1","status":"active"}`)
					return
				}
				b, _ := io.ReadAll(r.Body)
				got = seen{r.Method, r.URL.EscapedPath(), string(b), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("Idempotency-Key")}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"authorized":true}`)
			})
			d, err := c.API().Check(t.Context(), tt.membership, tt.permission, tt.resource)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if diff := cmp.Diff(Decision{Allowed: true, Source: SourceAPI}, d); diff != "" {
				t.Errorf("Decision (-want +got):\n%s", diff)
			}
			want := seen{"POST", tt.wantPath, tt.wantBody, "Bearer " + testKey, "application/json", ""}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    Decision
		wantErr error
		status  int // 0: 200
	}{
		{"allowed", `{"authorized":true}`, Decision{Allowed: true, Source: SourceAPI}, nil, 0},
		{"denied", `{"authorized":false}`, Decision{Allowed: false, Source: SourceAPI}, nil, 0},
		{"extra keys and whitespace", " {\"object\":\"check\", \"authorized\" : true, \"x\":{\"a\":[1,null]}}\n", Decision{Allowed: true, Source: SourceAPI}, nil, 0},
		{"empty object", `{}`, Decision{}, ErrMalformedResponse, 0},
		{"empty body", ``, Decision{}, ErrMalformedResponse, 0},
		{"null", `null`, Decision{}, ErrMalformedResponse, 0},
		{"authorized null", `{"authorized":null}`, Decision{}, ErrMalformedResponse, 0},
		{"authorized string", `{"authorized":"true"}`, Decision{}, ErrMalformedResponse, 0},
		{"authorized number", `{"authorized":1}`, Decision{}, ErrMalformedResponse, 0},
		{"authorized object", `{"authorized":{"value":true}}`, Decision{}, ErrMalformedResponse, 0},
		{"array", `[{"authorized":true}]`, Decision{}, ErrMalformedResponse, 0},
		{"bare true", `true`, Decision{}, ErrMalformedResponse, 0},
		{"other case key", `{"Authorized":true}`, Decision{}, ErrMalformedResponse, 0},
		{"duplicate key", `{"authorized":false,"authorized":true}`, Decision{}, ErrMalformedResponse, 0},
		{"trailing garbage", `{"authorized":true} x`, Decision{}, ErrMalformedResponse, 0},
		{"two objects", `{"authorized":true}{"authorized":true}`, Decision{}, ErrMalformedResponse, 0},
		{"truncated", `{"authorized":true`, Decision{}, ErrMalformedResponse, 0},
		{"HTML", `<html>ok</html>`, Decision{}, ErrMalformedResponse, 0},
		{"204 without a body", ``, Decision{}, ErrMalformedResponse, http.StatusNoContent},
		{"201 allowed", `{"authorized":true}`, Decision{Allowed: true, Source: SourceAPI}, nil, http.StatusCreated},
		{"202 without a body", ``, Decision{}, ErrMalformedResponse, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				io.WriteString(w, tt.body)
			})
			d, err := c.API().Check(t.Context(), "om_1", "project:edit", ResourceID("r1"))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, d); diff != "" {
				t.Errorf("Decision (-want +got):\n%s", diff)
			}
		})
	}
}

// A redirect is not the API's answer: it is an error, never followed to
// an answer elsewhere.
func TestCheckDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithRetry(RetryPolicy{}))
	var elsewhere atomic.Int32
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		io.WriteString(w, `{"authorized":true}`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, basePath+"/elsewhere", http.StatusTemporaryRedirect)
	})
	d, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
	var ae *APIError
	if d.Allowed || !errors.As(err, &ae) || ae.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("Check = %+v, %v; want an APIError with status 307", d, err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

func TestCheckRejectsBadInputWithoutCalling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		membership string
		permission string
		resource   ResourceRef
	}{
		{"empty membership", "", "p", ResourceID("r")},
		{"dot-dot membership", "..", "p", ResourceID("r")},
		{"empty permission", "om_1", "", ResourceID("r")},
		{"zero resource", "om_1", "p", ResourceRef{}},
		{"ID and external", "om_1", "p", ResourceRef{ID: "r", ResourceTypeSlug: "t", ExternalID: "e"}},
		{"ID and type", "om_1", "p", ResourceRef{ID: "r", ResourceTypeSlug: "t"}},
		{"external without type", "om_1", "p", ResourceRef{ExternalID: "e"}},
		{"type without external", "om_1", "p", ResourceRef{ResourceTypeSlug: "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			var calls atomic.Int32
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { calls.Add(1); io.WriteString(w, `{"authorized":true}`) })
			d, err := c.API().Check(t.Context(), tt.membership, tt.permission, tt.resource)
			if d.Allowed || !errors.Is(err, ErrInvalidInput) {
				t.Errorf("Check = %+v, %v; want ErrInvalidInput", d, err)
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("server saw %d calls, want 0", n)
			}
		})
	}
}

func TestClientCheckRouting(t *testing.T) {
	t.Parallel()
	claims := func(org, om string, perms ...string) *token.Claims {
		return &token.Claims{Subject: "user_1", OrganizationID: org, OrganizationMembershipID: om, Permissions: perms}
	}
	tests := []struct {
		name       string
		claims     *token.Claims
		permission string
		resource   ResourceRef
		want       Decision
		wantErr    error
		wantCalls  int32
	}{
		{"nil claims", nil, "project:edit", ResourceID("r"), Decision{}, ErrInvalidInput, 0},
		{"empty permission", claims("org_1", "om_1"), "", ResourceID("r"), Decision{}, ErrInvalidInput, 0},
		{"invalid resource", claims("org_1", "om_1"), "p", ResourceRef{}, Decision{}, ErrInvalidInput, 0},
		// The security rule: the token answers only for a resource known to
		// be in its organization; otherwise the API (which says 404 for
		// another organization's resource) is asked.
		{"token grants, external without org asks the API", claims("org_1", "om_1", "project:edit"), "project:edit", ExternalResource("project", "web"),
			Decision{Allowed: false, Source: SourceAPI}, nil, 1},
		{"token grants, external in the token's org", claims("org_1", "om_1", "project:edit"), "project:edit", ExternalResource("project", "web").InOrganization("org_1"),
			Decision{Allowed: true, Source: SourceToken}, nil, 0},
		{"token grants, ID in the token's org", claims("org_1", "om_1", "project:edit"), "project:edit", ResourceID("r").InOrganization("org_1"),
			Decision{Allowed: true, Source: SourceToken}, nil, 0},
		{"token grants, ID without org asks the API", claims("org_1", "om_1", "project:edit"), "project:edit", ResourceID("r"),
			Decision{Allowed: false, Source: SourceAPI}, nil, 1},
		{"token grants, ID in another org is refused", claims("org_1", "om_1", "project:edit"), "project:edit", ResourceID("r").InOrganization("org_2"),
			Decision{}, ErrOrganizationMismatch, 0},
		{"token grants, own org root", claims("org_1", "om_1", "settings:edit"), "settings:edit", ExternalResource("organization", "org_1"),
			Decision{Allowed: true, Source: SourceToken}, nil, 0},
		{"token grants, another org's root asks the API", claims("org_1", "om_1", "settings:edit"), "settings:edit", ExternalResource("organization", "org_2"),
			Decision{Allowed: false, Source: SourceAPI}, nil, 1},
		{"token grants, another org's root claimed in the token's org asks the API", claims("org_1", "om_1", "settings:edit"), "settings:edit", ExternalResource("organization", "org_2").InOrganization("org_1"),
			Decision{Allowed: false, Source: SourceAPI}, nil, 1},
		{"token lacks the permission", claims("org_1", "om_1", "project:view"), "project:edit", ExternalResource("project", "web").InOrganization("org_1"),
			Decision{Allowed: false, Source: SourceAPI}, nil, 1},
		{"no membership in claims", claims("org_1", "", "project:view"), "project:edit", ResourceID("r"),
			Decision{}, token.ErrNoMembership, 0},
		{"no membership in claims, token answers", claims("org_1", "", "project:edit"), "project:edit", ResourceID("r").InOrganization("org_1"),
			Decision{Allowed: true, Source: SourceToken}, nil, 0},
		{"external reference in another org", claims("org_1", "om_1"), "project:edit", ExternalResource("project", "web").InOrganization("org_2"),
			Decision{}, ErrOrganizationMismatch, 0},
		{"external reference in another org, token grants", claims("org_1", "om_1", "project:edit"), "project:edit", ExternalResource("project", "web").InOrganization("org_2"),
			Decision{}, ErrOrganizationMismatch, 0},
		{"own org root claimed in another org", claims("org_1", "om_1", "settings:edit"), "settings:edit", ExternalResource("organization", "org_1").InOrganization("org_2"),
			Decision{}, ErrOrganizationMismatch, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			var calls atomic.Int32
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { calls.Add(1); io.WriteString(w, `{"authorized":false}`) })
			d, err := c.Check(t.Context(), tt.claims, tt.permission, tt.resource)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, d); diff != "" {
				t.Errorf("Decision (-want +got):\n%s", diff)
			}
			if n := calls.Load(); n != tt.wantCalls {
				t.Errorf("API calls = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

// heldServer answers every check with allowed only once release is closed;
// it counts the requests that reached it.
type heldServer struct {
	calls   atomic.Int32
	release chan struct{}
}

func newHeldServer() *heldServer { return &heldServer{release: make(chan struct{})} }

func (h *heldServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	io.Copy(io.Discard, r.Body) // the server notices a gone client only once the body is read
	select {
	case <-h.release:
		io.WriteString(w, `{"authorized":true}`)
	case <-r.Context().Done():
	}
}

// waiters counts merged checks that have joined the shared call.
type waiters struct{ wg sync.WaitGroup }

func (w *waiters) option(n int) Option {
	w.wg.Add(n)
	return withOnWait(w.wg.Done)
}

func TestConcurrentIdenticalChecksShareOneCall(t *testing.T) {
	t.Parallel()
	const n = 200
	var joined waiters
	c, mux := setup(t, joined.option(n))
	h := newHeldServer()
	mux.Handle("/", h)

	decisions := make([]Decision, n)
	errs := make([]error, n)
	var done sync.WaitGroup
	for i := range n {
		done.Go(func() {
			decisions[i], errs[i] = c.API().Check(t.Context(), "om_1", "project:edit", ExternalResource("project", "web"))
		})
	}
	joined.wg.Wait() // every caller is waiting on the one call
	close(h.release)
	done.Wait()

	if got := h.calls.Load(); got != 1 {
		t.Errorf("server saw %d calls, want 1", got)
	}
	count := map[Decision]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		count[decisions[i]]++
	}
	want := map[Decision]int{{Allowed: true, Source: SourceAPI}: 1, {Allowed: true, Source: SourceShared}: n - 1}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("decisions by kind (-want +got):\n%s", diff)
	}
}

// A check that arrives after the shared call has answered, while a caller
// of that call has not collected its answer yet, starts a call of its own
// and gets SourceAPI — not the finished call's answer, nor SourceShared.
func TestCheckAfterSharedCallAnsweredStartsItsOwnCall(t *testing.T) {
	t.Parallel()
	var hooks atomic.Int32
	aJoined, aGo, cJoined := make(chan struct{}), make(chan struct{}), make(chan struct{})
	c, mux := setup(t, withOnWait(func() {
		switch hooks.Add(1) {
		case 1: // a: starts the call, then is held before it collects the answer
			close(aJoined)
			<-aGo
		case 2: // c: joins a's call
			close(cJoined)
		}
	}))
	h := newHeldServer()
	mux.Handle("/", h)
	check := func() (Decision, error) {
		return c.API().Check(t.Context(), "om_1", "project:edit", ResourceID("authz_resource_1"))
	}

	var a, cc, b Decision
	var aErr, cErr, bErr error
	var aDone, cDone sync.WaitGroup
	aDone.Go(func() { a, aErr = check() })
	<-aJoined
	cDone.Go(func() { cc, cErr = check() })
	<-cJoined
	close(h.release)
	cDone.Wait() // the call has answered: singleflight no longer holds it
	b, bErr = check()
	close(aGo)
	aDone.Wait()

	for _, err := range []error{aErr, cErr, bErr} {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := []Decision{a, cc, b}
	want := []Decision{{Allowed: true, Source: SourceAPI}, {Allowed: true, Source: SourceShared}, {Allowed: true, Source: SourceAPI}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions of a, c, b (-want +got):\n%s", diff)
	}
	if got := h.calls.Load(); got != 2 {
		t.Errorf("server saw %d calls, want 2", got)
	}
	c.flightsMu.Lock()
	defer c.flightsMu.Unlock()
	if len(c.flights) != 0 {
		t.Errorf("%d flights left after every caller returned, want 0", len(c.flights))
	}
}

func TestDifferentChecksAreNotMerged(t *testing.T) {
	t.Parallel()
	// Keys whose fields would collide if they were joined with a separator.
	keys := []struct {
		om, perm string
		r        ResourceRef
	}{
		{"om_1", "a:b", ExternalResource("c", "d")},
		{"om_1", "a", ExternalResource("b:c", "d")},
		{"om_1:a", "b", ExternalResource("c", "d")},
		{"om_1", "a:b", ResourceID("c")},
	}
	var joined waiters
	c, mux := setup(t, joined.option(len(keys)))
	h := newHeldServer()
	mux.Handle("/", h)
	var done sync.WaitGroup
	for _, k := range keys {
		done.Go(func() {
			if _, err := c.API().Check(t.Context(), k.om, k.perm, k.r); err != nil {
				t.Error(err)
			}
		})
	}
	joined.wg.Wait()
	close(h.release)
	done.Wait()
	if got := h.calls.Load(); got != int32(len(keys)) {
		t.Errorf("server saw %d calls, want %d", got, len(keys))
	}
}

func TestCancelledWaiterAloneGetsCanceled(t *testing.T) {
	t.Parallel()
	const n = 10
	var joined waiters
	c, mux := setup(t, joined.option(n))
	h := newHeldServer()
	mux.Handle("/", h)

	ctxs := make([]context.Context, n)
	cancels := make([]context.CancelFunc, n)
	for i := range n {
		ctxs[i], cancels[i] = context.WithCancel(t.Context())
		defer cancels[i]()
	}
	decisions := make([]Decision, n)
	errs := make([]error, n)
	returned := make([]chan struct{}, n)
	for i := range n {
		returned[i] = make(chan struct{})
		go func() {
			defer close(returned[i])
			decisions[i], errs[i] = c.API().Check(ctxs[i], "om_1", "p", ResourceID("r"))
		}()
	}
	joined.wg.Wait()
	// Cancel caller 0 — which may well be the one that started the call —
	// and wait until it has returned before releasing the server.
	cancels[0]()
	<-returned[0]
	close(h.release)
	for i := range n {
		<-returned[i]
	}

	if decisions[0].Allowed || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("cancelled caller: %+v, %v; want context.Canceled", decisions[0], errs[0])
	}
	for i := 1; i < n; i++ {
		if errs[i] != nil || !decisions[i].Allowed {
			t.Errorf("caller %d: %+v, %v; want allowed", i, decisions[i], errs[i])
		}
	}
	if got := h.calls.Load(); got != 1 {
		t.Errorf("server saw %d calls, want 1", got)
	}
}

func TestPanicInSharedCallIsAnErrorForEveryWaiter(t *testing.T) {
	t.Parallel()
	const n = 20
	var joined waiters
	release := make(chan struct{})
	var calls atomic.Int32
	panicky := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		<-release
		panic("transport exploded; auth was " + r.Header.Get("Authorization"))
	})
	c, err := New(testKey, WithHTTPClient(&http.Client{Transport: panicky}), WithBaseURL("http://127.0.0.1:1"), joined.option(n))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	decisions := make([]Decision, n)
	errs := make([]error, n)
	var done sync.WaitGroup
	for i := range n {
		done.Go(func() {
			decisions[i], errs[i] = c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
		})
	}
	joined.wg.Wait()
	close(release)
	done.Wait()
	for i := range n {
		var pe *PanicError
		if decisions[i].Allowed || !errors.Is(errs[i], ErrPanic) || !errors.As(errs[i], &pe) {
			t.Errorf("caller %d: %+v, %v; want ErrPanic", i, decisions[i], errs[i])
		}
		assertNoKey(t, errs[i])
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("transport saw %d calls, want 1", got)
	}
}

func TestSharedCallTimeout(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithCallTimeout(30*time.Millisecond))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body); <-r.Context().Done() })
	// The caller has no deadline; the call timeout still bounds the call.
	d, err := c.API().Check(context.Background(), "om_1", "p", ResourceID("r"))
	if d.Allowed || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Check = %+v, %v; want context.DeadlineExceeded", d, err)
	}
}

func TestCloseStopsSharedCalls(t *testing.T) {
	t.Parallel()
	const n = 5
	var joined waiters
	c, mux := setup(t, joined.option(n))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body); <-r.Context().Done() })
	errs := make([]error, n)
	decisions := make([]Decision, n)
	var done sync.WaitGroup
	for i := range n {
		done.Go(func() {
			decisions[i], errs[i] = c.API().Check(context.Background(), "om_1", "p", ResourceID("r"))
		})
	}
	joined.wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	done.Wait()
	for i := range n {
		if decisions[i].Allowed || !errors.Is(errs[i], ErrClosed) {
			t.Errorf("caller %d: %+v, %v; want ErrClosed", i, decisions[i], errs[i])
		}
	}
}

func TestCheckObserverSeesRouteNotIdentifiers(t *testing.T) {
	t.Parallel()
	var got []Attempt
	var mu sync.Mutex
	c, mux := setup(t, WithObserver(func(a Attempt) {
		mu.Lock()
		defer mu.Unlock()
		a.Duration, a.BaseURL = 0, "" // the base URL is the test server's
		got = append(got, a)
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"authorized":false}`) })
	if _, err := c.API().Check(t.Context(), "om_secretish", "p", ResourceID("r")); err != nil {
		t.Fatal(err)
	}
	want := []Attempt{{Method: "POST", Route: checkRoute, Attempt: 1, StatusCode: 200}}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if strings.Contains(got[0].Route, "om_secretish") {
		t.Errorf("route holds the membership ID")
	}
}

// recordingCache is a Cache that remembers what it was asked to store.
type recordingCache struct {
	mu      sync.Mutex
	entries map[cache.Key]bool
	forgot  []string
	purges  int
}

func (r *recordingCache) Get(k cache.Key) (bool, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.entries[k]
	return a, ok
}
func (r *recordingCache) Add(k cache.Key, a bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entries == nil {
		r.entries = map[cache.Key]bool{}
	}
	r.entries[k] = a
}
func (r *recordingCache) ForgetMembership(om string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgot = append(r.forgot, om)
	for k := range r.entries {
		if k.MembershipID == om {
			delete(r.entries, k)
		}
	}
}
func (r *recordingCache) Purge() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.purges++
	clear(r.entries)
}

// A check in flight when this client changes assignments must neither be
// joined by checks that start after the change nor land in the cache.
func TestInvalidationSplitsFlightsAndSkipsStaleStores(t *testing.T) {
	t.Parallel()
	rc := &recordingCache{}
	var joined waiters
	c, mux := setup(t, WithCache(rc), joined.option(1))
	h := newHeldServer()
	mux.Handle("/", h)

	first := make(chan Decision)
	go func() {
		d, _ := c.API().Check(context.Background(), "om_1", "p", ResourceID("r"))
		first <- d
	}()
	joined.wg.Wait() // the first check is in flight
	c.invalidateMembership(t.Context(), "om_1")
	joined.wg.Add(1)
	second := make(chan Decision)
	go func() {
		d, _ := c.API().Check(context.Background(), "om_1", "p", ResourceID("r"))
		second <- d
	}()
	joined.wg.Wait()
	close(h.release)
	d1, d2 := <-first, <-second
	if d1.Source != SourceAPI || d2.Source != SourceAPI {
		t.Errorf("sources = %v, %v; want two separate API calls", d1.Source, d2.Source)
	}
	if n := h.calls.Load(); n != 2 {
		t.Errorf("server saw %d calls, want 2", n)
	}
	// Only the post-change answer may be stored; both answered true, so
	// check the store count through a third check: it must hit the cache.
	d3, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
	if err != nil || d3.Source != SourceCache {
		t.Errorf("third check = %+v, %v; want a cache hit", d3, err)
	}
	if diff := cmp.Diff([]string{"om_1"}, rc.forgot); diff != "" {
		t.Errorf("forgotten memberships (-want +got):\n%s", diff)
	}
	c.invalidateAll(t.Context())
	if rc.purges != 1 || len(rc.entries) != 0 {
		t.Errorf("invalidateAll: purges=%d entries=%d", rc.purges, len(rc.entries))
	}
}

// An answer to a check that was in flight when the client changed access
// lands neither in the cache nor in the request memo: it may predate the
// change.
func TestStaleAnswerIsNotStored(t *testing.T) {
	t.Parallel()
	rc := &recordingCache{}
	var joined waiters
	c, mux := setup(t, WithCache(rc), joined.option(1))
	h := newHeldServer()
	mux.Handle("/", h)
	ctx := cache.WithMemo(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.API().Check(ctx, "om_1", "p", ResourceID("r"))
	}()
	joined.wg.Wait()
	c.invalidateAll(context.Background()) // a resource was deleted (elsewhere in the program) while the check was in flight
	close(h.release)
	<-done
	c.Close() // waits for the shared call, so its store (if any) is done
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.entries) != 0 {
		t.Errorf("cache holds %v; an answer from before the change must not be stored", rc.entries)
	}
	if n := cache.MemoFrom(ctx).Len(); n != 0 {
		t.Errorf("memo holds %d answers; an answer from before the change must not be remembered", n)
	}
}

// When every caller of a shared call has left, the call is cancelled rather
// than left running until the call timeout, and a later identical check
// starts a new call instead of joining the cancelled one.
func TestAbandonedSharedCallIsCancelled(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithCallTimeout(time.Hour))
	arrived, gone := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if calls.Add(1) == 1 {
			close(arrived)
			<-r.Context().Done() // held until the client gives up on it
			close(gone)
			return
		}
		io.WriteString(w, `{"authorized":true}`)
	})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error)
	go func() {
		_, err := c.API().Check(ctx, "om_1", "p", ResourceID("r"))
		errc <- err
	}()
	<-arrived
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("caller: %v, want context.Canceled", err)
	}
	select {
	case <-gone: // the abandoned call was cancelled
	case <-time.After(30 * time.Second): // safety net only; never reached when correct
		t.Fatal("the abandoned shared call is still running")
	}
	d, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
	if err != nil || d != (Decision{Allowed: true, Source: SourceAPI}) {
		t.Errorf("next check = %+v, %v; want a fresh API answer", d, err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d calls, want 2", n)
	}
}
