package authz_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

// basePath is where the test servers mount the API, so that tests prove the
// client keeps the base URL's path.
const basePath = "/api"

// recorded is one request a test server received.
type recorded struct {
	Method string
	// Path is the escaped path below basePath.
	Path           string
	Query          url.Values
	Body           string
	IdempotencyKey string
}

// apiServer is an httptest server that records requests and answers with
// handler.
type apiServer struct {
	mu   sync.Mutex
	reqs []recorded
}

func (s *apiServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// newAPI starts a test server answering with handle (given the request just
// recorded) and returns a client pointed at it, retries off.
func newAPI(t *testing.T, handle func(r recorded) (status int, body string)) (*authz.Client, *apiServer) {
	t.Helper()
	return newAPIWith(t, handle, authz.WithRetry(authz.RetryPolicy{}))
}

func newAPIWith(t *testing.T, handle func(r recorded) (status int, body string), opts ...authz.Option) (*authz.Client, *apiServer) {
	t.Helper()
	s := &apiServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := recorded{
			Method:         r.Method,
			Path:           strings.TrimPrefix(r.URL.EscapedPath(), basePath),
			Query:          r.URL.Query(),
			Body:           string(body),
			IdempotencyKey: r.Header.Get("Idempotency-Key"),
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		s.mu.Unlock()
		status, resp := handle(rec)
		w.Header().Set("X-Request-ID", "req_test")
		if resp != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, resp)
	}))
	t.Cleanup(srv.Close)
	c, err := authz.New("sk_test_key", append([]authz.Option{authz.WithBaseURL(srv.URL + basePath)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, s
}

// exchange is one call of a typed method and the HTTP exchange it must make.
type exchange struct {
	name string
	// call invokes the method and returns its result (nil for calls that
	// return only an error).
	call       func(ctx context.Context, c *authz.Client) (any, error)
	wantMethod string
	wantPath   string     // escaped, below basePath
	wantQuery  url.Values // nil: no query
	wantBody   string     // literal JSON; "" means no body
	// wantIdempotent: the request must carry an Idempotency-Key.
	wantIdempotent bool
	status         int    // answer status
	resp           string // literal answer body
	want           any    // expected result
}

// runExchanges checks each exchange against its own test server.
func runExchanges(t *testing.T, cases []exchange) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, s := newAPI(t, func(recorded) (int, string) { return tc.status, tc.resp })
			got, err := tc.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := s.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.wantMethod || r.Path != tc.wantPath {
				t.Errorf("request %s %s, want %s %s", r.Method, r.Path, tc.wantMethod, tc.wantPath)
			}
			wantQuery := tc.wantQuery
			if wantQuery == nil {
				wantQuery = url.Values{}
			}
			if diff := cmp.Diff(wantQuery, r.Query); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
			assertJSON(t, "request body", tc.wantBody, r.Body)
			if (r.IdempotencyKey != "") != tc.wantIdempotent {
				t.Errorf("Idempotency-Key %q, want present=%v", r.IdempotencyKey, tc.wantIdempotent)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

// assertJSON compares two JSON texts as values ("" means no body).
func assertJSON(t *testing.T, what, want, got string) {
	t.Helper()
	if want == "" || got == "" {
		if want != got {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
		return
	}
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON %s: %v", want, err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s is not JSON: %q", what, got)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// apiErrorCase is one documented error answer and the call that gets it.
type apiErrorCase struct {
	name   string
	call   func(ctx context.Context, c *authz.Client) error
	status int
	resp   string
	// sentinel the error must match with errors.Is.
	sentinel error
	wantCode string
	wantMsg  string
}

// runAPIErrors checks that each error answer surfaces as an *APIError.
func runAPIErrors(t *testing.T, cases []apiErrorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newAPI(t, func(recorded) (int, string) { return tc.status, tc.resp })
			err := tc.call(t.Context(), c)
			var apiErr *authz.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is not an *APIError", err, err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Code != tc.wantCode || apiErr.Message != tc.wantMsg {
				t.Errorf("APIError{%d, %q, %q}, want {%d, %q, %q}", apiErr.StatusCode, apiErr.Code, apiErr.Message, tc.status, tc.wantCode, tc.wantMsg)
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			if apiErr.RequestID != "req_test" {
				t.Errorf("RequestID %q, want the X-Request-ID header req_test", apiErr.RequestID)
			}
		})
	}
}

// invalidCase is a call with an invalid argument: it must fail with
// ErrInvalidInput before any request.
type invalidCase struct {
	name string
	call func(ctx context.Context, c *authz.Client) error
}

func runInvalid(t *testing.T, cases []invalidCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, s := newAPI(t, func(recorded) (int, string) { return 500, `{"message":"must not be called"}` })
			err := tc.call(t.Context(), c)
			if !errors.Is(err, authz.ErrInvalidInput) {
				t.Errorf("error = %v, want ErrInvalidInput", err)
			}
			if n := len(s.requests()); n != 0 {
				t.Errorf("%d requests made, want none", n)
			}
		})
	}
}

// collect gathers the items of seq up to its first error.
func collect[T any](seq func(func(T, error) bool)) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// pagedResources answers GET /authorization/resources from n resources
// authz_resource_0000…, honouring limit (default 10) and after, like the
// API. failPage, when > 0, answers that page (1-based) with a 500.
func pagedResources(n, failPage int) func(r recorded) (int, string) {
	var mu sync.Mutex
	page := 0
	return func(r recorded) (int, string) {
		mu.Lock()
		page++
		p := page
		mu.Unlock()
		if p == failPage {
			return 500, `{"message":"Internal error."}`
		}
		limit := 10
		if l := r.Query.Get("limit"); l != "" {
			limit, _ = strconv.Atoi(l)
		}
		start := 0
		if a := r.Query.Get("after"); a != "" {
			i, _ := strconv.Atoi(strings.TrimPrefix(a, "authz_resource_"))
			start = i + 1
		}
		end := min(start+limit, n)
		var items []string
		for i := start; i < end; i++ {
			items = append(items, fmt.Sprintf(`{"object":"authorization_resource","id":"authz_resource_%04d","external_id":"r%d","name":"R %d","description":null,"resource_type_slug":"project","organization_id":"org_1","parent_resource_id":null,"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`, i, i, i))
		}
		before := "null"
		if start > 0 {
			before = fmt.Sprintf(`"authz_resource_%04d"`, start)
		}
		after := "null"
		if end < n {
			after = fmt.Sprintf(`"authz_resource_%04d"`, end-1)
		}
		return 200, fmt.Sprintf(`{"object":"list","data":[%s],"list_metadata":{"before":%s,"after":%s}}`, strings.Join(items, ","), before, after)
	}
}

func TestIteratorYieldsEveryItemOnceInOrder(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, pagedResources(1050, 0))
	got, err := collect(c.ListResources(t.Context(), authz.ListResourcesOptions{OrganizationID: "org_1"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1050 {
		t.Fatalf("got %d items, want 1050", len(got))
	}
	for i, r := range got {
		if want := fmt.Sprintf("authz_resource_%04d", i); r.ID != want {
			t.Fatalf("item %d is %s, want %s", i, r.ID, want)
		}
	}
	reqs := s.requests()
	if len(reqs) != 11 {
		t.Errorf("made %d requests, want ceil(1050/100) = 11", len(reqs))
	}
	for i, r := range reqs {
		if r.Query.Get("limit") != "100" || r.Query.Get("organization_id") != "org_1" {
			t.Errorf("request %d query %v, want limit=100 and organization_id=org_1", i, r.Query)
		}
		wantAfter := ""
		if i > 0 {
			wantAfter = fmt.Sprintf("authz_resource_%04d", i*100-1)
		}
		if got := r.Query.Get("after"); got != wantAfter {
			t.Errorf("request %d after=%q, want %q", i, got, wantAfter)
		}
	}
}

func TestIteratorHonoursCallerLimit(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, pagedResources(25, 0))
	got, err := collect(c.ListResources(t.Context(), authz.ListResourcesOptions{ListOptions: authz.ListOptions{Limit: 10, Order: authz.OrderAsc}}))
	if err != nil || len(got) != 25 {
		t.Fatalf("got %d items, err %v; want 25, nil", len(got), err)
	}
	reqs := s.requests()
	if len(reqs) != 3 {
		t.Errorf("made %d requests, want 3", len(reqs))
	}
	for _, r := range reqs {
		if r.Query.Get("limit") != "10" || r.Query.Get("order") != "asc" {
			t.Errorf("query %v, want limit=10 order=asc", r.Query)
		}
	}
}

func TestIteratorBreakStopsRequests(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, pagedResources(1050, 0))
	n := 0
	for _, err := range c.ListResources(t.Context(), authz.ListResourcesOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 150 {
			break
		}
	}
	if got := len(s.requests()); got != 2 {
		t.Errorf("made %d requests after breaking at item 150, want 2", got)
	}
}

func TestIteratorYieldsErrorOnceAndStops(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, pagedResources(1050, 3))
	items, errs := 0, 0
	var last error
	for _, err := range c.ListResources(t.Context(), authz.ListResourcesOptions{}) {
		if err != nil {
			errs++
			last = err
			continue // a well-behaved iterator must stop by itself
		}
		items++
	}
	if items != 200 || errs != 1 {
		t.Errorf("got %d items and %d errors, want 200 and 1", items, errs)
	}
	if !errors.Is(last, authz.ErrServer) {
		t.Errorf("error %v, want one matching ErrServer", last)
	}
	if got := len(s.requests()); got != 3 {
		t.Errorf("made %d requests, want 3", got)
	}
}

func TestPageReturnsCursors(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, pagedResources(30, 0))
	page, err := c.ListResourcesPage(t.Context(), authz.ListResourcesOptions{ListOptions: authz.ListOptions{After: "authz_resource_0004", Before: "x", Order: authz.OrderDesc}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 10 || page.Data[0].ID != "authz_resource_0005" {
		t.Errorf("page has %d items starting at %v, want 10 from authz_resource_0005", len(page.Data), page.Data)
	}
	if page.Before != "authz_resource_0005" || page.After != "authz_resource_0014" {
		t.Errorf("cursors before=%q after=%q, want authz_resource_0005, authz_resource_0014", page.Before, page.After)
	}
	want := url.Values{"after": {"authz_resource_0004"}, "before": {"x"}, "order": {"desc"}}
	if diff := cmp.Diff(want, s.requests()[0].Query); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

func TestMalformedListIsAnError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body string }{
		{"no list_metadata", `{"object":"list","data":[]}`},
		{"list_metadata null", `{"object":"list","data":[],"list_metadata":null}`},
		{"list_metadata not an object", `{"object":"list","data":[],"list_metadata":"x"}`},
		{"no after key", `{"object":"list","data":[],"list_metadata":{"before":null}}`},
		{"after not a string", `{"object":"list","data":[],"list_metadata":{"before":null,"after":12}}`},
		{"no data", `{"object":"list","list_metadata":{"before":null,"after":null}}`},
		{"not JSON", `<html>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newAPI(t, func(recorded) (int, string) { return 200, tc.body })
			_, err := c.ListPermissionsPage(t.Context(), authz.ListOptions{})
			if !errors.Is(err, authz.ErrMalformedResponse) {
				t.Errorf("page error = %v, want ErrMalformedResponse", err)
			}
			got, err := collect(c.ListPermissions(t.Context(), authz.ListOptions{}))
			if !errors.Is(err, authz.ErrMalformedResponse) || len(got) != 0 {
				t.Errorf("iterator gave %d items and %v, want 0 and ErrMalformedResponse", len(got), err)
			}
		})
	}
}

func TestIteratorStuckCursorIsAnError(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, func(recorded) (int, string) {
		return 200, `{"object":"list","data":[],"list_metadata":{"before":null,"after":"perm_1"}}`
	})
	_, err := collect(c.ListPermissions(t.Context(), authz.ListOptions{}))
	if !errors.Is(err, authz.ErrMalformedResponse) {
		t.Errorf("error = %v, want ErrMalformedResponse", err)
	}
	if n := len(s.requests()); n != 2 {
		t.Errorf("made %d requests, want 2", n)
	}
}

func TestListOptionsValidation(t *testing.T) {
	t.Parallel()
	iterErr := func(seq func(func(authz.Permission, error) bool)) error {
		_, err := collect(seq)
		return err
	}
	runInvalid(t, []invalidCase{
		{"limit above 100", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ListPermissionsPage(ctx, authz.ListOptions{Limit: 101})
			return err
		}},
		{"negative limit", func(ctx context.Context, c *authz.Client) error {
			return iterErr(c.ListPermissions(ctx, authz.ListOptions{Limit: -1}))
		}},
		{"unknown order", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ListPermissionsPage(ctx, authz.ListOptions{Order: "random"})
			return err
		}},
		{"iterator with before", func(ctx context.Context, c *authz.Client) error {
			return iterErr(c.ListPermissions(ctx, authz.ListOptions{Before: "perm_1"}))
		}},
		{"iterator with after in order normal", func(ctx context.Context, c *authz.Client) error {
			return iterErr(c.ListPermissions(ctx, authz.ListOptions{After: "perm_1", Order: authz.OrderNormal}))
		}},
	})
}

// TestIteratorOrderNormal: with order=normal the API lists newest first and
// its before cursor leads to older records, so the iterator follows before
// and yields every item once, newest first, starting after Before.
func TestIteratorOrderNormal(t *testing.T) {
	t.Parallel()
	f := authztest.New(t)
	var slugs []string // creation order
	for i := range 25 {
		slug := fmt.Sprintf("doc:p%02d", i)
		f.AddPermission(slug, "")
		slugs = append(slugs, slug)
	}
	c := f.Client()
	var got []string
	for p, err := range c.ListPermissions(t.Context(), authz.ListOptions{Limit: 10, Order: authz.OrderNormal}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Slug)
	}
	var want []string
	for i := len(slugs) - 1; i >= 0; i-- {
		want = append(want, slugs[i])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order normal (-want +got):\n%s", diff)
	}
	var befores []string
	for _, call := range f.Calls() {
		q, _ := url.ParseQuery(call.Query)
		befores = append(befores, q.Get("before"))
		if q.Has("after") {
			t.Errorf("request %s sent after", call.Query)
		}
	}
	if len(befores) != 3 || befores[0] != "" || befores[1] == "" || befores[2] == "" {
		t.Errorf("before cursors of the requests = %q, want none, then two", befores)
	}

	// Starting at Before: the items older than the 20th.
	page, err := c.ListPermissionsPage(t.Context(), authz.ListOptions{Limit: 10, Order: authz.OrderNormal})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for p, err := range c.ListPermissions(t.Context(), authz.ListOptions{Before: page.Before, Order: authz.OrderNormal}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Slug)
	}
	if diff := cmp.Diff(want[10:], got); diff != "" {
		t.Errorf("order normal from Before (-want +got):\n%s", diff)
	}
}

// roundTripFunc answers requests without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzListPage feeds arbitrary bodies to a list call: it must never panic,
// and a success must come with a well-formed list.
func FuzzListPage(f *testing.F) {
	for _, seed := range []string{
		`{"object":"list","data":[{"object":"permission","id":"perm_1","slug":"users:read","name":"Read","description":null,"system":false,"resource_type_slug":"organization","created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}],"list_metadata":{"before":null,"after":"perm_1"}}`,
		`{"object":"list","data":[],"list_metadata":{"before":null,"after":null}}`,
		`{"object":"list","data":[]}`,
		`{"data":null,"list_metadata":{"before":1}}`,
		`[]`, `null`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{
				StatusCode: 200,
				Header:     http.Header{"Content-Type": {"application/json"}},
				Body:       io.NopCloser(strings.NewReader(body)),
				Request:    r,
			}, nil
		})}
		c, err := authz.New("sk_test_key", authz.WithBaseURL("http://127.0.0.1:1"), authz.WithHTTPClient(hc), authz.WithRetry(authz.RetryPolicy{}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		page, err := c.ListPermissionsPage(t.Context(), authz.ListOptions{})
		if err != nil {
			return
		}
		var raw struct {
			Data         json.RawMessage            `json:"data"`
			ListMetadata map[string]json.RawMessage `json:"list_metadata"`
		}
		if json.Unmarshal([]byte(body), &raw) != nil || page.Data == nil {
			t.Fatalf("accepted a body without a list: %q", body)
		}
		if _, ok := raw.ListMetadata["after"]; !ok {
			t.Fatalf("accepted a body without list_metadata.after: %q", body)
		}
	})
}

// acme is the docs' scenario on the fake: Acme has the workspaces
// Engineering and Sales with one project each; Alice is a member and
// administers Engineering. The client has retries off.
type acme struct {
	f                    *authztest.Fake
	c                    *authz.Client
	eng, sales, web, crm string
}

func newAcme(t *testing.T) *acme {
	t.Helper()
	f := authztest.New(t)
	f.AddResourceType("workspace", "organization")
	f.AddResourceType("project", "workspace")
	f.AddPermission("workspace:view", "workspace")
	f.AddPermission("project:edit", "project")
	f.AddPermission("project:view", "project")
	f.AddRole("member", "organization", "workspace:view")
	f.AddRole("workspace-admin", "workspace", "workspace:view", "project:edit", "project:view")
	f.AddRole("project-viewer", "project", "project:view")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "member")
	f.AddMembership("om_bob", "user_bob", "org_acme", "member")
	a := &acme{f: f, c: f.Client(authz.WithRetry(authz.RetryPolicy{}))}
	a.eng = f.AddResource(authztest.Resource{ExternalID: "eng", Name: "Engineering", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	a.sales = f.AddResource(authztest.Resource{ExternalID: "sales", Name: "Sales", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	a.web = f.AddResource(authztest.Resource{ExternalID: "web", Name: "Web", ResourceTypeSlug: "project", OrganizationID: "org_acme", ParentResourceID: a.eng})
	a.crm = f.AddResource(authztest.Resource{ExternalID: "crm", Name: "CRM", ResourceTypeSlug: "project", OrganizationID: "org_acme", ParentResourceID: a.sales})
	f.Assign("om_alice", "workspace-admin", a.eng)
	return a
}

// wantStatus fails the test unless err is an *APIError with status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var apiErr *authz.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
		t.Fatalf("error %v, want an *APIError with status %d", err, status)
	}
}

// An iterator value can be ranged over again, even from several goroutines
// at once; each run starts from the beginning.
func TestIteratorIsReusable(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, pagedResources(250, 0))
	seq := c.ListResources(t.Context(), authz.ListResourcesOptions{OrganizationID: "org_1"})
	var wg sync.WaitGroup
	counts := make([]int, 3)
	for i := range counts {
		wg.Go(func() {
			for _, err := range seq {
				if err != nil {
					t.Error(err)
					return
				}
				counts[i]++
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff([]int{250, 250, 250}, counts); diff != "" {
		t.Errorf("items per run (-want +got):\n%s", diff)
	}
	if n := len(s.requests()); n != 9 {
		t.Errorf("made %d requests, want 3 runs × 3 pages", n)
	}
}

// Cancelling the context between pages ends the iteration with one error
// that matches context.Canceled.
func TestIteratorStopsOnCancel(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, pagedResources(1050, 0))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	items, errs := 0, 0
	for _, err := range c.ListResources(ctx, authz.ListResourcesOptions{}) {
		if err != nil {
			errs++
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
			continue
		}
		items++
		if items == 100 {
			cancel()
		}
	}
	if items != 100 || errs != 1 {
		t.Errorf("got %d items and %d errors, want 100 and 1", items, errs)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("made %d requests, want 1", n)
	}
}
