package authz

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fgakit/fgakit/cache"
)

// Option configures a [Client]. Options are checked once, by [New]; an
// invalid value makes New fail with an error matching [ErrInvalidInput].
type Option func(*config) error

// config is what the options write and New validates.
type config struct {
	baseURL     string
	httpClient  *http.Client
	retry       RetryPolicy
	callTimeout time.Duration
	hooks       Hooks // WithHooks and WithObserver; see hooks.go
	userAgent   string
	concurrency int
	limiter     Limiter
	retryBudget RetryBudget
	cache       Cache
	freshness   Freshness
	memoMaxAge  time.Duration

	// Test seams (unexported, set by tests of this package only).
	now    func() time.Time
	since  func(time.Time) time.Duration // time since a time of now; cheaper than now().Sub on a memo hit
	onWait func()                        // called by a merged check after it joined the flight, before waiting
	// noStaleResend turns off the immediate resend after a dead keep-alive
	// connection (the behaviour before it existed, for benchmarks).
	noStaleResend bool
}

func defaultConfig() config {
	return config{
		baseURL:     DefaultBaseURL,
		retry:       DefaultRetryPolicy(),
		retryBudget: DefaultRetryBudget(),
		callTimeout: DefaultCallTimeout,
		concurrency: DefaultConcurrency,
		memoMaxAge:  DefaultMemoMaxAge,
		now:         time.Now,
		since:       time.Since,
	}
}

// DefaultCallTimeout is the default time limit of one API call, all
// attempts and waits included; see [WithCallTimeout].
const DefaultCallTimeout = 10 * time.Second

// RetryPolicy says how a failed API call is retried. Calls are retried on
// statuses 408, 429, 500, 502, 503, 504 and on network errors — never after
// the caller's context is done and never past its deadline.
//
// The wait before retry n (n = 1, 2, …) is MinBackoff × 1.5ⁿ, at most
// MaxBackoff, multiplied by a random jitter in [0.5, 1.5). A Retry-After
// header (seconds or HTTP date) replaces the computed wait; when it asks for
// more than MaxRetryAfter the call is not retried and its [*APIError] (with
// RetryAfter set, and a text saying why) is returned at once; Retry-After:
// 0 or a date in the past retries at once. A Retry-After that is not a
// number of seconds or an HTTP date is ignored.
//
// A request that went out on a reused keep-alive connection which the
// server had already closed, and failed before any byte of an answer came,
// is sent again at once on a new connection (at most twice per call): that
// is not a retry, costs no backoff and does not count against MaxRetries or
// the [RetryBudget], so it happens with MaxRetries 0 too. It is done only
// for a request that is safe to send twice: reads (GET), checks, and
// creates carrying an Idempotency-Key. Other writes (PUT, PATCH, DELETE, a
// POST without Idempotency-Key) failing that way are retried per the
// policy like any failure without an answer — not at all with MaxRetries 0.
//
// Retries are also limited Client-wide by the [RetryBudget].
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt; 0 turns
	// retries off.
	MaxRetries int
	// MinBackoff is the base of the exponential backoff.
	MinBackoff time.Duration
	// MaxBackoff caps the computed backoff (before jitter).
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the policy of a new Client, close to the
// official WorkOS SDK's: 3 retries, 500 ms × 1.5ⁿ up to 8 s with jitter,
// Retry-After honoured up to 60 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinBackoff: 500 * time.Millisecond, MaxBackoff: 8 * time.Second, MaxRetryAfter: 60 * time.Second}
}

// Attempt describes one HTTP attempt of an API call, reported to the
// observer set with [WithObserver] and to [Hooks].Attempt. It never holds
// the API key.
type Attempt struct {
	// Method is the HTTP method.
	Method string
	// BaseURL is the Client's base URL ([WithBaseURL]; it holds no
	// credentials), e.g. "https://api.workos.com".
	BaseURL string
	// Route is the path template, e.g.
	// "/authorization/organization_memberships/{om}/check"; identifiers
	// are replaced by placeholders.
	Route string
	// Attempt counts from 1; retries have Attempt > 1.
	Attempt int
	// StatusCode is the HTTP status, 0 if no answer arrived.
	StatusCode int
	// Duration is the time from sending the request to reading the answer.
	Duration time.Duration
	// Err is this attempt's error, nil on success.
	Err error
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...)
}

// WithBaseURL sets the API base URL (default [DefaultBaseURL]), e.g. the URL
// of a [github.com/fgakit/fgakit/authztest] fake. It must be an absolute
// http or https URL without user info, query or fragment; a path prefix is
// kept.
func WithBaseURL(u string) Option {
	return func(c *config) error {
		p, err := url.Parse(u)
		if err != nil {
			return invalid("base URL does not parse")
		}
		if p.Scheme != "http" && p.Scheme != "https" {
			return invalid("base URL scheme must be http or https, not %q", p.Scheme)
		}
		if p.Host == "" {
			return invalid("base URL has no host")
		}
		if p.User != nil || p.RawQuery != "" || p.Fragment != "" {
			return invalid("base URL must not carry user info, a query or a fragment")
		}
		c.baseURL = strings.TrimRight(p.String(), "/")
		return nil
	}
}

// WithHTTPClient sets the HTTP client the Client sends with. Its Transport,
// Timeout (a limit on each attempt) and Jar are used; its CheckRedirect is
// not: the Client sends with a copy of h (h itself is not changed) that
// follows no redirect, so the API key only ever goes to the base URL and a
// 3xx answer is an [*APIError] — never a decision. By default the Client
// uses its own transport (a clone of [http.DefaultTransport] keeping up to
// 64 idle connections per host), whose idle connections [Client.Close]
// closes.
func WithHTTPClient(h *http.Client) Option {
	return func(c *config) error {
		if h == nil {
			return invalid("nil *http.Client")
		}
		c.httpClient = h
		return nil
	}
}

// WithRetry replaces the [RetryPolicy] (default [DefaultRetryPolicy]). All
// fields are taken as given: zero durations mean no wait.
func WithRetry(p RetryPolicy) Option {
	return func(c *config) error {
		switch {
		case p.MaxRetries < 0:
			return invalid("negative MaxRetries")
		case p.MinBackoff < 0 || p.MaxBackoff < 0 || p.MaxRetryAfter < 0:
			return invalid("negative retry duration")
		case p.MaxBackoff < p.MinBackoff:
			return invalid("MaxBackoff below MinBackoff")
		}
		c.retry = p
		return nil
	}
}

// WithCallTimeout sets the time limit of every API call, retries and
// waits included (default [DefaultCallTimeout]): checks, management calls,
// and each page of a list. A call that runs out of it fails with an error
// matching [ErrUnavailable] and [context.DeadlineExceeded]; a caller's ctx
// with an earlier deadline ends the call earlier.
//
// A merged check is shared by every concurrent identical check and so runs
// detached from each caller's context; this timeout is what bounds it (it
// is also cancelled when every caller waiting on it has left). Each caller
// still returns as soon as its own context is done.
func WithCallTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return invalid("call timeout must be positive")
		}
		c.callTimeout = d
		return nil
	}
}

// WithObserver sets a function told about every HTTP attempt (method, route
// template, status, duration, attempt number, error) — for metrics and
// logs. It runs synchronously on the calling goroutine and may be called
// concurrently; keep it fast. [WithHooks] offers the same with the
// request's context (for traces), and more.
func WithObserver(f func(Attempt)) Option {
	return func(c *config) error {
		if f == nil {
			return invalid("nil observer")
		}
		c.hooks = joinHooks(c.hooks, Hooks{Attempt: func(_ context.Context, a Attempt) { f(a) }})
		return nil
	}
}

// WithUserAgent puts product (e.g. "myapp/1.2") before fgakit's own
// "fgakit/<version>" in the User-Agent header.
func WithUserAgent(product string) Option {
	return func(c *config) error {
		if product == "" || strings.ContainsFunc(product, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return invalid("user agent must be non-empty printable text")
		}
		c.userAgent = product
		return nil
	}
}

// DefaultConcurrency is how many API checks a batch ([Client.CheckMany],
// [Filter]) runs at once unless [WithConcurrency] or [Concurrency] says
// otherwise.
const DefaultConcurrency = 8

// maxConcurrency bounds WithConcurrency and Concurrency.
const maxConcurrency = 1024

// WithConcurrency sets how many API checks one batch runs at once (default
// [DefaultConcurrency], at most 1024). [Concurrency] overrides it per batch.
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 || n > maxConcurrency {
			return invalid("concurrency must be between 1 and %d, got %d", maxConcurrency, n)
		}
		c.concurrency = n
		return nil
	}
}

// Cache is the decision cache a Client may use ([WithCache]); [*cache.LRU]
// implements it. It must be safe for concurrent use.
type Cache interface {
	// Get returns the cached answer for k; ok is false when there is none.
	Get(k cache.Key) (allowed bool, ok bool)
	// Add stores an answer the API gave for k (never an error).
	Add(k cache.Key, allowed bool)
	// ForgetMembership drops every answer for membership om; the Client
	// calls it after changing that membership's role assignments.
	ForgetMembership(om string)
	// Purge drops every answer; the Client calls it after a change whose
	// effect is not limited to one membership.
	Purge()
}

// WithCache turns on the decision cache (off by default: the API's answers
// are current, a cached answer may not be). With it, successful API answers
// are stored and reused until they expire (Source [SourceCache]); errors
// are never stored. [Fresh] bypasses it for one call. When this Client
// changes a membership's role assignments, that membership's entries are
// forgotten; when it deletes or moves a resource, changes a role's
// permissions, deletes a role or a permission, or changes a group's roles
// (any of which can change any membership's access), the whole cache is
// purged. Changes made
// elsewhere (the Dashboard, another process) are seen only when entries
// expire: keep the TTL short (see package cache).
//
// Entries are keyed by every input of a check, including a hash of this
// Client's API key and base URL, so Clients with different keys or of
// different environments may share one cache (or one request memo).
func WithCache(c Cache) Option {
	return func(cfg *config) error {
		if c == nil {
			return invalid("nil cache")
		}
		cfg.cache = c
		return nil
	}
}

// CallOption changes one call of [Client.Check], [ResourceLayer.Check],
// [Client.CheckMany] or [Filter]. Options that concern batches only
// ([Concurrency], [RequireAll], [RequireAny], [UnderParent], [ChildrenOf])
// are ignored by single checks.
type CallOption func(*callConfig)

type callConfig struct {
	// Batch options (see batch.go).
	fresh          bool
	concurrency    int // 0: the client's
	mode           batchMode
	parent         *ResourceRef
	directChildren bool
}

func callOptions(opts []CallOption) callConfig {
	var cc callConfig
	for _, o := range opts {
		if o != nil {
			o(&cc)
		}
	}
	return cc
}

// Fresh makes the call skip the decision cache and the request memo, so the
// API is asked (its answer is then stored as usual).
//
// A Fresh check may still share an identical API call that another
// goroutine started concurrently on the same Client (see merging in
// [Client.Check]), and get that call's answer with Source [SourceShared].
// That answer still reflects every change made through this Client before
// the Fresh check began: each management call that changes access
// (AssignRole, RemoveRole, DeleteResource, role and permission changes…)
// stops later checks from joining calls started before it returned, so a
// Fresh check that follows such a call only shares a call that started
// after it.
//
// The limit: a change made elsewhere — through another Client, another
// process, or the WorkOS Dashboard — is unknown to this Client. A Fresh
// check right after it may share a call that started before the change
// and get the earlier answer. That call started at most one call timeout
// ([WithCallTimeout]) before; make access changes through the Client that
// checks when a check must see them at once.
func Fresh() CallOption { return func(c *callConfig) { c.fresh = true } }

// Concurrency sets how many API checks this batch runs at once (1–1024),
// overriding [WithConcurrency].
func Concurrency(n int) CallOption { return func(c *callConfig) { c.concurrency = n } }

// DefaultMemoMaxAge is how long a Client uses an answer from a request memo
// unless [WithMemoMaxAge] says otherwise.
const DefaultMemoMaxAge = 10 * time.Second

// maxMemoMaxAge bounds WithMemoMaxAge.
const maxMemoMaxAge = time.Hour

// WithMemoMaxAge sets how long an answer in a request memo
// ([cache.WithMemo], put in every request by the [Middleware]) may answer
// a repeated check (default [DefaultMemoMaxAge], at most an hour). Older
// answers are asked of the API again. It matters for requests that live
// long — a stream, a websocket, a job behind the Middleware: a change
// made elsewhere (the Dashboard, another process) is seen within this
// long. A change made through this Client, from any request, is seen at
// once: memo answers of the membership it touches are not used after it.
func WithMemoMaxAge(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 || d > maxMemoMaxAge {
			return invalid("memo max age must be positive and at most %s, got %s", maxMemoMaxAge, d)
		}
		c.memoMaxAge = d
		return nil
	}
}
