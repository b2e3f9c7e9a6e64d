package authztest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/token"
)

// Defaults of a new Fake.
const (
	DefaultClientID = "client_test"
	DefaultAPIKey   = "sk_test_fake"
)

// maxBody caps the request bodies the fake reads.
const maxBody = 1 << 20

// Fake is an in-memory WorkOS Authorization API served over HTTP. Create it
// with [New] in tests or [NewServer] for a standalone server. All methods
// are safe for concurrent use.
type Fake struct {
	tb      testing.TB // nil for NewServer: misuse panics instead
	srv     *httptest.Server
	url     string
	mux     *http.ServeMux
	clock   clock
	apiKey  apiKey // a closure: printing a Fake field by field shows an address
	needKey bool
	limits  ServerLimits // of the server New and NewServer start

	mu          sync.Mutex // guards everything below
	clientID    string
	m           *model
	calls       callLog
	jwksFetches int
	faults      []*faultState
	requests    int
	tokens      int
	keys        []*signer                // current first; see RotateKey
	idempotent  map[[32]byte]*idempotent // by SHA-256 of the Idempotency-Key; see idempotency.go
	// idempotentOrder holds the keys in the order first received, for
	// expiry and the bound; it may hold keys already forgotten.
	idempotentOrder []*idempotent
	idempotentCap   int // maxIdempotencyKeys; smaller in tests
	wh              webhookWorker
	sessions        map[string]*session // by ID (sid); see sessions_mgmt.go
	sessionOrder    sessionHeap         // the sessions kept, soonest expiry first
	sessionCap      int                 // MaxSessions; smaller in tests
	jwtTemplate     *jwtTemplate        // nil: DefaultJWTTemplate
	closed          bool                // Close was called: setup methods refuse
	signHook        func()              // tests: runs in mint after f.mu is released, before signing
	closeOnce       sync.Once
}

// Option configures a Fake.
type Option func(*config)

type config struct {
	apiKey      string
	needKey     bool
	clientID    string
	clientIDSet bool
	fixture     *Fixture
	fixturePath string
	start       *time.Time
	logCalls    int
	logBody     int
	logSet      bool
	limits      ServerLimits

	webhooks      [][2]string // WithWebhook: URL, secret
	retries       []time.Duration
	retriesSet    bool
	webhookClient *http.Client
}

// WithAPIKey makes the fake demand "Authorization: Bearer key" on every
// WorkOS API path; other requests get 401 {"message":"Unauthorized"}.
// Without it any request is accepted. The control endpoints POST and
// DELETE /_fake/faults and POST /_fake/clock demand the key too: they
// change the answers of every client. The JWKS and POST
// /_fake/access_tokens are always public. [Fake.Client] uses the key.
func WithAPIKey(key string) Option {
	return func(c *config) { c.apiKey, c.needKey = key, true }
}

// WithClientID sets the AuthKit client ID whose JWKS the fake serves at
// /sso/jwks/{client_id} (default [DefaultClientID]). It wins over the
// client_id of a fixture given with [WithFixture].
func WithClientID(id string) Option {
	return func(c *config) { c.clientID, c.clientIDSet = id, true }
}

// WithFixture loads fx when the fake starts; an invalid fixture fails
// [New] (tb.Fatal) or [NewServer] (error).
func WithFixture(fx *Fixture) Option { return func(c *config) { c.fixture, c.fixturePath = fx, "" } }

// WithFixtureFile reads the JSON fixture at path (as [LoadFixtureFile]
// does) and loads it when the fake starts. A file that cannot be read or
// parsed, or a fixture [Fake.Load] refuses, fails [New] (tb.Fatal) or
// [NewServer] (error); the error names the file, the entry and the line.
// It replaces an earlier [WithFixture], and the other way around.
func WithFixtureFile(path string) Option {
	return func(c *config) { c.fixture, c.fixturePath = nil, path }
}

// WithClock freezes the fake's clock at start; it then moves only with
// [Fake.Advance] and [Fake.SetTime]. Without it the clock follows the wall
// clock.
func WithClock(start time.Time) Option { return func(c *config) { c.start = &start } }

func newFake(tb testing.TB, opts []Option) (*Fake, error) {
	cfg := config{apiKey: DefaultAPIKey, clientID: DefaultClientID}
	for _, o := range opts {
		o(&cfg)
	}
	log, err := newCallLog(cfg)
	if err != nil {
		return nil, err
	}
	f := &Fake{tb: tb, apiKey: newAPIKey(cfg.apiKey), needKey: cfg.needKey, clientID: cfg.clientID, calls: log, limits: cfg.limits.withDefaults(),
		idempotent: map[[32]byte]*idempotent{}, idempotentCap: maxIdempotencyKeys}
	if cfg.start != nil {
		f.clock.set(*cfg.start)
	}
	f.m = newModel(f.Now)
	f.m.onEvent = func() { poke(f.wh.wake) } // f.mu is held by whoever emits
	f.wh.client, f.wh.retries = cfg.webhookClient, cfg.retries
	if f.wh.client == nil {
		f.wh.client = &http.Client{Timeout: DefaultWebhookTimeout}
	}
	if !cfg.retriesSet {
		f.wh.retries = DefaultWebhookRetries()
	}
	for _, w := range cfg.webhooks {
		if w[1] == "" {
			return nil, fmt.Errorf("authztest: WithWebhook %s: the secret is empty", w[0])
		}
		if _, err := f.addWebhookLocked(w[0], w[1], nil, true); err != nil {
			f.stopWebhooks()
			return nil, fmt.Errorf("authztest: WithWebhook %s: %w", w[0], err)
		}
	}
	f.mux = f.routes()
	if cfg.fixturePath != "" {
		fx, err := LoadFixtureFile(cfg.fixturePath)
		if err != nil {
			f.stopWebhooks()
			return nil, err
		}
		cfg.fixture = fx
	}
	if cfg.fixture != nil {
		if err := f.Load(cfg.fixture); err != nil {
			f.stopWebhooks()
			return nil, err
		}
		if cfg.clientIDSet {
			f.clientID = cfg.clientID
		}
	}
	return f, nil
}

// New starts a fake on 127.0.0.1 with a random port and closes it when the
// test ends. A bad option or fixture fails the test. Setup methods of the
// returned Fake report misuse through tb.Fatalf.
func New(tb testing.TB, opts ...Option) *Fake {
	tb.Helper()
	f, err := newFake(tb, opts)
	if err != nil {
		tb.Fatalf("authztest.New: %v", err)
	}
	f.srv = f.newHTTPServer()
	f.srv.Start()
	f.url = f.srv.URL
	tb.Cleanup(f.Close)
	return f
}

// NewServer starts a fake listening on addr (e.g. "127.0.0.1:8080", or
// "127.0.0.1:0" for a free port), as `fgakit serve` does. Setup methods of
// the returned Fake panic on misuse. Call [Fake.Close] to stop it.
//
// [Fake.URL] names the address the listener got; for an unspecified host
// ("0.0.0.0", "[::]" or none, as in ":8080": every interface) it names
// 127.0.0.1, which reaches the listener from the same machine. The fake
// accepts any API key unless [WithAPIKey] is given, mints session tokens
// for anyone at /_fake/access_tokens, and without WithAPIKey lets anyone
// inject faults (/_fake/faults) or move its clock (/_fake/clock): listen on
// a loopback address unless you mean to expose it.
func NewServer(addr string, opts ...Option) (*Fake, error) {
	f, err := newFake(nil, opts)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		f.stopWebhooks()
		return nil, fmt.Errorf("authztest: %w", err)
	}
	f.srv = f.newHTTPServer()
	f.srv.Listener.Close()
	f.srv.Listener = l
	f.srv.Start()
	host := l.Addr().(*net.TCPAddr)
	if host.IP.IsUnspecified() {
		f.url = fmt.Sprintf("http://127.0.0.1:%d", host.Port)
	} else {
		f.url = "http://" + strings.Replace(host.String(), "%", "%25", 1) // an IPv6 zone is escaped in a URL
	}
	return f, nil
}

// URL is the base URL of the fake, e.g. "http://127.0.0.1:53917", to use
// where the real API is https://api.workos.com.
func (f *Fake) URL() string { return f.url }

// Handler returns the fake's HTTP handler, to mount it in a server of your
// own. The handler works without the fake's own listener.
func (f *Fake) Handler() http.Handler { return f }

// Close stops the server, waiting for requests in flight. It is safe to
// call more than once. After Close the fake is read-only: [Fake.Calls],
// [Fake.URL] and the like still answer, but a setup method ([Fake.AddRole],
// [Fake.Assign], [Fake.Session], [Fake.InjectFault], [Fake.Client], …)
// fails the test, or panics under [NewServer], saying the fake is closed,
// and [Fake.Load] returns an error: a test that sets up a closed fake is
// asking a server that no longer answers.
func (f *Fake) Close() {
	f.closeOnce.Do(func() {
		f.mu.Lock()
		f.closed = true
		f.mu.Unlock()
		f.stopWebhooks()
		if f.srv != nil {
			f.srv.Close()
		}
	})
}

// errClosed is the misuse of a setup method after [Fake.Close].
var errClosed = errors.New("the fake is closed (Fake.Close was called): set it up before closing it")

// open reports whether the fake is still open, and reports the misuse of
// the setup method what (see [Fake.fail]) when it is not.
func (f *Fake) open(what string) bool {
	f.helper()
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		f.fail(what, errClosed)
		return false
	}
	return true
}

// ClientID is the AuthKit client ID whose JWKS the fake serves.
func (f *Fake) ClientID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clientID
}

// APIKey is the API key [Fake.Client] authenticates with.
func (f *Fake) APIKey() string { return f.apiKey() }

// keyRefused reports whether r lacks the API key the fake demands
// ([WithAPIKey]); answer it with writeUnauthorized.
func (f *Fake) keyRefused(r *http.Request) bool {
	return f.needKey && r.Header.Get("Authorization") != "Bearer "+f.apiKey()
}

// Client returns the production client pointed at the fake, authenticating
// with [Fake.APIKey] and retrying with [RetryPolicy] (fast, for tests).
// opts are applied after those, so they win: pass
// authz.WithRetry(authz.DefaultRetryPolicy()) for the production waits, or
// authz.WithRetry(authz.RetryPolicy{}) for no retries at all. Under [New]
// the client is closed when the test ends and an error fails the test;
// under [NewServer] the caller closes it and an error panics.
func (f *Fake) Client(opts ...authz.Option) *authz.Client {
	f.helper()
	if !f.open("Client") {
		return nil
	}
	base := []authz.Option{authz.WithBaseURL(f.URL()), authz.WithRetry(RetryPolicy())}
	c, err := authz.New(f.APIKey(), append(base, opts...)...)
	if err != nil {
		f.fail("Client", err)
		return nil
	}
	if f.tb != nil {
		f.tb.Cleanup(func() { c.Close() })
	}
	return c
}

// Verifier returns a token verifier for the fake's sessions: it fetches the
// fake's JWKS and uses the fake's clock, so [Fake.Advance] expires tokens.
// It accepts this fake's tokens only: a token minted by another fake is
// rejected with [token.ErrUnknownKey], since each fake signs under kids of
// its own (see [Fake.KeyID]).
// Lifetime and errors are handled as for [Fake.Client].
func (f *Fake) Verifier(opts ...token.Option) *token.Verifier {
	f.helper()
	if !f.open("Verifier") {
		return nil
	}
	v, err := token.NewVerifier(f.ClientID(), append([]token.Option{token.WithBaseURL(f.URL()), token.WithTimeFunc(f.Now)}, opts...)...)
	if err != nil {
		f.fail("Verifier", err)
		return nil
	}
	if f.tb != nil {
		f.tb.Cleanup(func() { v.Close() })
	}
	return v
}

// RetryPolicy is the retry policy of [Fake.Client]: the production
// policy's number of retries ([authz.DefaultRetryPolicy], 3 after the
// first attempt) with waits of 1–5 ms instead of seconds, so a test that
// injects faults exercises the real retry path without sleeping. A
// Retry-After header is honoured only up to 5 ms: a 429 or 503 that asks
// for a second or more fails at once with its [*authz.APIError]
// (RetryAfter set), as the production client does when the wait is longer
// than it is willing to wait.
//
// So a fault reaches the caller of a retrying [Fake.Client] only when it
// outlasts the retries: inject it for MaxRetries+1 = 4 matching requests
// (Fault.Times 4) or for every one (Times -1); a single fault
// ([Fake.FailNext]) is absorbed by the first retry.
func RetryPolicy() authz.RetryPolicy {
	return authz.RetryPolicy{
		MaxRetries:    authz.DefaultRetryPolicy().MaxRetries,
		MinBackoff:    time.Millisecond,
		MaxBackoff:    5 * time.Millisecond,
		MaxRetryAfter: 5 * time.Millisecond,
	}
}

func (f *Fake) helper() {
	if f.tb != nil {
		f.tb.Helper()
	}
}

// fail reports the misuse of a setup method: the test fails under New, the
// program panics under NewServer.
func (f *Fake) fail(what string, err error) {
	if f.tb != nil {
		f.tb.Helper()
		f.tb.Fatalf("authztest: %s: %v", what, err)
		return
	}
	panic(fmt.Sprintf("authztest: %s: %v", what, err))
}

// Call is one request to a WorkOS API path, as the fake received and
// answered it. JWKS fetches and /_fake/ requests are not calls.
type Call struct {
	Method string
	// Path is unescaped, e.g. /authorization/organization_memberships/om_1/check;
	// Path and Query (the raw query, without "?") are each cut at 2 KiB,
	// far longer than any WorkOS API path or query.
	Path  string
	Query string
	// Body is the request body, cut at the log's body limit
	// ([DefaultCallBodyLimit], [WithCallLog]). A request refused for its
	// API key (401) is logged with at most that many bytes read.
	Body []byte
	// BodyTruncated reports that the body was longer than Body.
	BodyTruncated bool
	Status        int // 0 when a fault dropped the connection or the client went away
	RequestID     string
}

// Calls returns a copy of the log of API calls, in the order they were
// answered. The log is bounded: it keeps the most recent
// [DefaultCallLogSize] calls (see [WithCallLog]), so a test that makes
// more calls than that and counts them all should raise the bound or call
// [Fake.ResetCalls] between its steps.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls.all()
}

// ResetCalls empties the call log.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls.reset()
}

// JWKSFetches counts the requests for the JWKS, to assert that a verifier
// caches keys.
func (f *Fake) JWKSFetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jwksFetches
}

// statusRecorder remembers the status a handler answered with (and its
// body when keepBody is set), and reports the status (onStatus) before any
// of the answer is sent.
type statusRecorder struct {
	http.ResponseWriter
	onStatus func(int)
	status   int
	keepBody bool
	body     bytes.Buffer
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
		s.onStatus(code)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	if s.keepBody {
		s.body.Write(b)
	}
	return s.ResponseWriter.Write(b)
}

// ServeHTTP answers one request: X-Request-ID, API key (before the body is
// read), faults, the call log, Idempotency-Key, then the endpoint.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	reqID := fmt.Sprintf("req_fake_%06d", f.requests)
	f.mu.Unlock()
	w.Header().Set("X-Request-ID", reqID)

	path := r.URL.Path
	api := !strings.HasPrefix(path, "/_fake/") && !strings.HasPrefix(path, "/sso/jwks/")
	if api && f.keyRefused(r) {
		// Refused before its body is read: the log keeps at most its body
		// limit of it, and nothing more is held for a request without the key.
		b, _ := io.ReadAll(io.LimitReader(r.Body, int64(f.calls.body)+1))
		f.mu.Lock()
		f.calls.add(Call{Method: r.Method, Path: path, Query: r.URL.RawQuery, Body: b, Status: http.StatusUnauthorized, RequestID: reqID})
		f.mu.Unlock()
		writeUnauthorized(w)
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeError(w, errBadRequest("the request body is unreadable or larger than %d bytes", maxBody))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	if strings.HasPrefix(path, "/_fake/") {
		f.mux.ServeHTTP(w, r)
		return
	}
	if strings.HasPrefix(path, "/sso/jwks/") {
		f.mu.Lock()
		f.jwksFetches++
		f.mu.Unlock()
		if _, done := f.applyFault(w, r, false, func(int) {}); done {
			return
		}
		f.mux.ServeHTTP(w, r)
		return
	}

	call := Call{Method: r.Method, Path: path, Query: r.URL.RawQuery, Body: body, RequestID: reqID}
	logged := false
	record := func(status int) { // once, before the client can see the answer end
		if !logged {
			logged = true
			call.Status = status
			f.mu.Lock()
			f.calls.add(call)
			f.mu.Unlock()
		}
	}
	if _, done := f.applyFault(w, r, true, record); done {
		return
	}
	claim, done := f.beginIdempotent(w, r, body, record)
	if done {
		return
	}
	rec := &statusRecorder{ResponseWriter: w, onStatus: record, keepBody: claim != nil}
	if claim != nil {
		defer f.endIdempotent(claim, rec) // also if the handler panics
	}
	f.mux.ServeHTTP(rec, r)
	record(rec.status) // a handler that wrote nothing (cannot happen today)
}

// handle registers an endpoint. fn runs with the model locked and returns
// the status and the JSON body to answer with, or an error.
func (f *Fake) handle(mux *http.ServeMux, pattern string, fn func(r *http.Request) (int, any, error)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		status, body, err := fn(r)
		f.mu.Unlock()
		writeAnswer(w, status, body, err)
	})
}

// routes is the one router of the fake: every path it serves.
func (f *Fake) routes() *http.ServeMux {
	mux := http.NewServeMux()
	f.checkRoutes(mux)
	f.resourceRoutes(mux)
	f.assignmentRoutes(mux)
	f.sessionRoutes(mux)
	f.controlRoutes(mux)
	f.discoveryRoutes(mux)
	f.permissionRoutes(mux)
	f.roleRoutes(mux)
	f.groupRoutes(mux)
	f.membershipRoutes(mux)
	f.groupManagementRoutes(mux)
	f.userManagementSessionRoutes(mux)
	f.eventRoutes(mux)
	f.webhookRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{
				Message: fmt.Sprintf("Method %s is not allowed on '%s'; allowed: %s.", r.Method, r.URL.Path, strings.Join(allow, ", "))})
			return
		}
		writeError(w, errNotFound("The requested path '%s' could not be found.", r.URL.Path))
	})
	return mux
}

// allowedMethods lists the methods the fake serves on r's path when r's own
// method is not one of them: a known path asked with the wrong method is
// 405 with an Allow header, not 404. (ServeMux would answer 405 itself, but
// the catch-all "/" pattern matches first.)
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}
