package authz

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fgakit/fgakit/cache"
	"golang.org/x/sync/singleflight"
)

// DefaultBaseURL is the WorkOS API.
const DefaultBaseURL = "https://api.workos.com"

// version is sent in the User-Agent header.
const version = "0.1.0"

// Client talks to the WorkOS Authorization API. It is immutable after [New]
// and safe for concurrent use by many goroutines. Call [Client.Close] when
// done with it. Only a Client returned by New is usable: the methods of a
// nil *Client or of a zero Client panic.
type Client struct {
	cfg       config
	key       redactor   // removes the API key from error texts
	cred      credential // the Authorization header; see credential
	userAgent string
	http      *http.Client
	ownsHTTP  bool         // the Client built http and closes its idle connections
	budget    *retryBucket // the RetryBudget; nil when off

	res    ResourceLayer      // returned by Resource
	flight singleflight.Group // merges identical checks
	// flights counts the waiters of each merged call (see flight).
	flightsMu sync.Mutex
	flights   map[string]*flight
	gen       atomic.Uint64 // bumped by every invalidation; see invalidateMembership
	// memberGens and allGen version what this Client knows of access, for
	// request memos, which may outlive a change (see stamp).
	memberGens [memberGenStripes]atomic.Uint64
	allGen     atomic.Uint64
	// memberOrgs is the organization of each membership the Client had to
	// learn (see sameOrganization).
	memberOrgs membershipOrgs
	groupOrgs  membershipOrgs // the same for groups (see groupInOrganization)
	// resourceOrgs is the same for resources named by ID
	// (see resourceInOrganization).
	resourceOrgs membershipOrgs
	// cacheID identifies the API key and base URL in cache keys: a hash,
	// never the key.
	cacheID string

	// base is cancelled by Close; shared calls and transport calls stop on it.
	base       context.Context
	cancelBase context.CancelFunc

	mu sync.Mutex // guards the setting of isClosed and the Add side of wg
	// isClosed is set by Close under mu, so acquire (under mu) never adds
	// to wg after Close waits; the hot path reads it without mu.
	isClosed atomic.Bool
	wg       sync.WaitGroup // API calls in flight (shared checks included)
	// unwatch stops the Freshness's calls to freshnessChanged; nil without one.
	unwatch func()
}

// New returns a Client that authenticates with apiKey (a WorkOS secret key,
// sk_…). It fails with an error matching [ErrInvalidInput] for an empty key,
// a key holding spaces or control characters (it could not travel in an
// HTTP header), a nil option or an invalid option value. The key's content
// is not checked further — any other prefix is accepted, for test keys and
// fakes — so a wrong key shows up as [ErrUnauthorized] on the first call.
func New(apiKey string, opts ...Option) (*Client, error) {
	if apiKey == "" {
		return nil, invalid("empty API key")
	}
	if strings.ContainsFunc(apiKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, invalid("API key contains spaces or control characters")
	}
	cfg := defaultConfig()
	for i, o := range opts {
		if o == nil {
			return nil, invalid("option %d is nil", i)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Client{
		cfg:       cfg,
		key:       newRedactor(apiKey),
		cred:      newCredential("Bearer " + apiKey),
		userAgent: "fgakit/" + version,
		http:      cfg.httpClient,
	}
	if cfg.userAgent != "" {
		c.userAgent = cfg.userAgent + " " + c.userAgent
	}
	if c.http == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		c.http = &http.Client{Transport: t, CheckRedirect: noRedirects}
		c.ownsHTTP = true
	} else {
		// A copy of the caller's client that follows no redirect, whatever
		// its CheckRedirect says: the API key goes to the API only.
		h := *c.http
		h.CheckRedirect = noRedirects
		c.http = &h
	}
	c.budget = newRetryBucket(cfg.retryBudget)
	c.res.c = c
	c.flights = map[string]*flight{}
	// The base URL too: two environments (a staging fake and production,
	// two fakes in one test) may share a key, and a request memo or a cache
	// shared by their Clients must not answer one with the other's answers.
	sum := sha256.Sum256([]byte(cfg.baseURL + "\x00" + apiKey))
	c.cacheID = hex.EncodeToString(sum[:8])
	c.base, c.cancelBase = context.WithCancel(context.Background())
	if cfg.freshness != nil {
		c.unwatch = cfg.freshness.Watch(c.freshnessChanged)
	}
	return c, nil
}

// credential returns the Authorization header, "Bearer <API key>". It is
// a closure because fmt and reflection-based printers reach every field of
// a struct, also through pointers — a Client value printed with %s or %q
// (a verb a pointer does not take) prints what its pointer fields point
// to — but never a closure's captured variables: a func prints as an
// address, whatever the verb.
type credential func() string

func newCredential(header string) credential { return func() string { return header } }

// String describes the Client without its API key: "authz.Client(<base
// URL>)".
func (c *Client) String() string {
	if c == nil {
		return "authz.Client(nil)"
	}
	return "authz.Client(" + c.cfg.baseURL + ")"
}

// GoString is String: %#v prints no API key either.
func (c *Client) GoString() string { return c.String() }

// Format prints [Client.String] for every verb (%v, %+v, %#v, %s, %q…), so
// no formatting of a Client, or of a struct holding one, shows its API key.
func (c *Client) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	io.WriteString(f, c.String())
}

// LogValue makes [log/slog] log a Client as its base URL only, never its
// API key.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("authz.Client(nil)")
	}
	return slog.GroupValue(slog.String("base_url", c.cfg.baseURL))
}

// noRedirects makes the Client's own HTTP client return a redirect as the
// answer instead of following it: the WorkOS API does not redirect, and a
// check answered from wherever a 3xx points is not the API's answer. A 3xx
// is then an [*APIError], so it fails closed.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Close stops the Client: in-flight shared checks are cancelled (their
// waiters get [ErrClosed]), Close waits for the goroutines the Client
// started, and every later call returns [ErrClosed]. Close is idempotent
// and always returns nil.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.isClosed.Load() {
		c.mu.Unlock()
		return nil
	}
	c.isClosed.Store(true)
	c.mu.Unlock()
	if c.unwatch != nil {
		c.unwatch()
	}
	c.cancelBase()
	c.wg.Wait()
	if c.ownsHTTP {
		c.http.CloseIdleConnections()
	}
	return nil
}

// acquire registers one API call in flight; it reports false after Close.
// Each true result must be paired with c.wg.Done().
func (c *Client) acquire() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed.Load() {
		return false
	}
	c.wg.Add(1)
	return true
}

// invalidateMembership forgets every remembered decision of membership om:
// the Client's cache entries and those of the request memo in ctx
// ([cache.MemoFrom]), so a request that changes om's role assignments and
// then checks again gets the API's new answer, not the memo's old one. The
// management calls of this client call it after changing om's role
// assignments. Memos of other requests are out of reach, but they stop
// using om's answers: the membership's stamp moves (see stamp).
//
// It also bumps the generation: checks that started before the change can
// no longer be joined by later checks (the generation is part of the merge
// key) and do not store their possibly stale answer in the cache or a memo
// (see remember).
func (c *Client) invalidateMembership(ctx context.Context, om string) {
	c.gen.Add(1)
	if c.cfg.cache != nil {
		c.cfg.cache.ForgetMembership(om)
	}
	c.memberGens[memberStripe(om)].Add(1) // last: see rememberMemo
	cache.MemoFrom(ctx).ForgetMembership(om)
}

// forgetMembership returns invalidateMembership for om as a hook for
// [Client.mutate].
func (c *Client) forgetMembership(om string) func(context.Context) {
	return func(ctx context.Context) { c.invalidateMembership(ctx, om) }
}

// invalidateAll forgets every remembered decision, in the cache and in the
// request memo of ctx. The management calls call it after deleting or
// moving a resource, or changing roles, permissions or groups (that can
// change any membership's access). See invalidateMembership.
func (c *Client) invalidateAll(ctx context.Context) {
	c.gen.Add(1)
	if c.cfg.cache != nil {
		c.cfg.cache.Purge()
	}
	c.allGen.Add(1) // last: see rememberMemo
	cache.MemoFrom(ctx).Purge()
}

// memberGenStripes is the number of per-membership generations. Memberships
// share them by hash: a change to one membership also retires the memo
// answers of the memberships on its stripe (one API call each, later),
// never the other way round, and the table stays a fixed size however many
// memberships the Client sees.
const memberGenStripes = 256

// memberStripe is om's index in memberGens (FNV-1a, no allocation).
func memberStripe(om string) int {
	h := uint32(2166136261)
	for i := 0; i < len(om); i++ {
		h ^= uint32(om[i])
		h *= 16777619
	}
	return int(h % memberGenStripes)
}

// stamp is the version of membership om's access as this Client knows it:
// it changes whenever a management call of this Client (from any request)
// touches om, or changes access beyond one membership. A memo entry written
// with one stamp is not used once the stamp has moved: a request that
// lives for minutes does not answer from before a change made in another
// request. Both counters only grow, so their sum changes whenever either
// does.
func (c *Client) stamp(om string) uint64 {
	return c.allGen.Load() + c.memberGens[memberStripe(om)].Load()
}
