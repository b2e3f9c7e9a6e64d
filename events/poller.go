package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/internal/redact"
	"golang.org/x/time/rate"
)

// Defaults of a [Poller].
const (
	// DefaultPollInterval is the wait between two polls once caught up: 12
	// requests a minute, 0.2 % of the 6,000 a minute of an API key. A
	// change reaches the token layer at most one interval (plus the
	// request's time) after WorkOS stamps its event.
	DefaultPollInterval = 5 * time.Second
	// DefaultMaxLag is how long the stream may go unread before the Poller
	// reports [ErrLagging] and the State applies its [LagPolicy].
	DefaultMaxLag = time.Minute
	// DefaultRequestTimeout bounds one GET /events, and each call of the
	// CursorStore.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultMaxBackoff caps the wait between two failed polls (before
	// jitter); it starts at the poll interval and doubles.
	DefaultMaxBackoff = 30 * time.Second
	// DefaultCloseTimeout bounds how long [Poller.Close] waits for the
	// poll in flight to stop.
	DefaultCloseTimeout = 10 * time.Second
	// DefaultPageRate and DefaultPageBurst pace the Poller's requests
	// ([WithPageRate]): at most 10 at once, then 120 a minute (one every
	// 500 ms). Polls (12 a minute) never wait; a read-back or a catch-up
	// after a burst of events, one full page after another, does: 2 % of
	// the 6,000 a minute of an API key per instance, so that a fleet
	// deployed at once does not spend the key's budget reading back. A
	// read-back of 10,000 events (100 pages) takes 45 s.
	DefaultPageRate  = 120
	DefaultPageBurst = 10
	// pageSize is the Events API's largest page.
	pageSize = 100
	// isoMillis is the layout of the API's timestamps.
	isoMillis = "2006-01-02T15:04:05.000Z07:00"
	// maxPageBody caps a page body: 100 events of a few KiB each.
	maxPageBody = 8 << 20
)

var (
	// ErrLagging is reported (see [WithErrorHandler]) when the stream has
	// not been read for longer than [WithMaxLag]; the State then applies
	// its [LagPolicy] until a poll succeeds. It wraps the last poll error.
	ErrLagging = errors.New("events: event stream lagging")
	// ErrCursorUnknown is reported when the Events API refuses the stored
	// cursor (400, 404 or 422 to a request with after=cursor — for example
	// an event older than the API's retention). The Poller then reads
	// again from range_start (now minus the token lifetime), which covers
	// every token still valid: safe, at the cost of re-reading that window.
	ErrCursorUnknown = errors.New("events: the Events API does not know the cursor")
	// ErrCloseTimeout is returned by [Poller.Close] when the goroutine did
	// not stop within the close timeout.
	ErrCloseTimeout = errors.New("events: poller did not stop in time")
)

// Cursor is where a [Poller] is in the event stream: the last event it
// applied.
type Cursor struct {
	// After is the ID of the last event applied (event_…), sent as the
	// Events API's after parameter.
	After string `json:"after"`
	// CreatedAt is that event's created_at.
	CreatedAt time.Time `json:"created_at"`
}

// CursorStore keeps a [Poller]'s cursor, so that a Poller started again
// resumes after the last event applied. Back it with your own store
// (a database row, a Redis key); [MemoryStore] is the default. Its
// methods are called from the Poller's goroutine only, each with a context
// bounded by the request timeout ([WithRequestTimeout]): honour it.
type CursorStore interface {
	// Load returns the saved cursor, or the zero Cursor when there is none.
	Load(ctx context.Context) (Cursor, error)
	// Save replaces the saved cursor.
	Save(ctx context.Context, c Cursor) error
}

// MemoryStore is a [CursorStore] in memory, safe for concurrent use. The
// zero MemoryStore is empty and ready to use.
type MemoryStore struct {
	mu sync.Mutex
	c  Cursor
}

// Load returns the cursor saved last.
func (m *MemoryStore) Load(context.Context) (Cursor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c, nil
}

// Save replaces the cursor.
func (m *MemoryStore) Save(_ context.Context, c Cursor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c = c
	return nil
}

// Poller reads the Events API (GET /events) and applies what it reads to
// a [State], from one goroutine that [NewPoller] starts and
// [Poller.Close] stops.
//
// Each request asks for the event types of [Types] (the events parameter,
// always explicit), in ascending order, 100 at a time: after the cursor
// when there is one, or from range_start = now minus the State's token
// lifetime, which covers every token still valid. Where it starts:
//
//   - with a stored cursor ([WithCursorStore]) no older than the token
//     lifetime: after it. The State then knows every change since the
//     cursor's event; tokens issued before it are asked of the API until
//     they are refreshed (at most one token lifetime);
//   - otherwise (no cursor, or one older than any valid token): from
//     range_start.
//
// A full page is followed by the next as soon as the Poller's pacing
// allows ([WithPageRate]: by default 10 at once, then one every 500 ms, so
// that a read-back of many pages on deploy does not spend the API key's
// budget); then the Poller waits [WithPollInterval]. Every request also
// waits on the limiter given with [WithLimiter], if any. Each page's events are applied before the cursor
// moves past them, and the cursor is saved after each page.
//
// Errors: a failed poll is retried after a jittered exponential backoff
// (from the poll interval up to [WithMaxBackoff]; an error answer's
// Retry-After, in seconds or as an HTTP date, replaces it, up to a minute:
// a longer one waits the minute) and reported ([WithErrorHandler]). A cursor the
// API refuses is reported with [ErrCursorUnknown] and replaced by a read
// from range_start at once; refused again before any cursor was accepted
// (an API that refuses the cursors it hands out), the Poller waits as
// after a failure and the time counts toward the lag, since it learns
// nothing past the first page. When no poll has succeeded for longer than
// [WithMaxLag], [ErrLagging] is reported and the State applies its
// [LagPolicy] until a poll succeeds.
type Poller struct {
	state *State
	// redact and authHdr are closures over the API key: fmt and other
	// reflection-based printers reach every field of a struct, never a
	// closure's captured variables, so printing a Poller shows no key.
	redact   func(string) string // removes every 8-byte piece of the key (package internal/redact)
	authHdr  func() string       // "Bearer <API key>"
	baseURL  string
	http     *http.Client
	store    CursorStore
	interval time.Duration
	maxLag   time.Duration
	maxWait  time.Duration
	timeout  time.Duration
	closeIn  time.Duration
	onError  func(error)
	pace     *rate.Limiter // WithPageRate
	limiter  authz.Limiter // WithLimiter, or nil

	cancel    context.CancelFunc
	done      chan struct{}
	ready     chan struct{}
	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex // guards status
	status PollerStatus

	// feedMu orders what the goroutine tells the State (that it reads,
	// what it covers) before Close's "this feed is gone": once closed, a
	// goroutine still finishing a page (after a close timeout) says
	// nothing more that would clear it.
	feedMu sync.Mutex
	closed bool
}

// PollerOption configures a [Poller].
type PollerOption func(*Poller) error

// WithBaseURL sets the API base URL (default [authz.DefaultBaseURL]), e.g.
// the URL of an authztest fake.
func WithBaseURL(u string) PollerOption {
	return func(p *Poller) error {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.User != nil || pu.RawQuery != "" {
			return errors.New("events: WithBaseURL: want an absolute http or https URL without user info or query")
		}
		p.baseURL = strings.TrimRight(pu.String(), "/")
		return nil
	}
}

// WithHTTPClient sets the HTTP client; each request is bounded by
// [WithRequestTimeout] anyway. Its Transport, Timeout and Jar are used,
// its CheckRedirect is not: the Poller sends with a copy of h (h itself is
// not changed) that follows no redirect, so the API key only goes to the
// base URL and a 3xx answer is an [*authz.APIError] — the Events API does
// not redirect. By default the Poller uses a client of its own, which
// follows no redirect either.
func WithHTTPClient(h *http.Client) PollerOption {
	return func(p *Poller) error {
		if h == nil {
			return errors.New("events: WithHTTPClient: nil client")
		}
		c := *h
		c.CheckRedirect = noRedirects
		p.http = &c
		return nil
	}
}

// WithCursorStore sets where the cursor is kept (default a new
// [MemoryStore]). Give each State its own store: a cursor saved by another
// process's Poller would skip changes this State never learnt.
func WithCursorStore(s CursorStore) PollerOption {
	return func(p *Poller) error {
		if s == nil {
			return errors.New("events: WithCursorStore: nil store")
		}
		p.store = s
		return nil
	}
}

// WithPollInterval sets the wait between polls once caught up (default
// [DefaultPollInterval], at least one second): the longest a change waits
// before the token layer knows it.
func WithPollInterval(d time.Duration) PollerOption {
	return func(p *Poller) error {
		if d < time.Second {
			return fmt.Errorf("events: WithPollInterval: %v, want at least 1s", d)
		}
		p.interval = d
		return nil
	}
}

// WithMaxLag sets how long the stream may go unread before [ErrLagging]
// is reported and the State's [LagPolicy] applies (default
// [DefaultMaxLag]; more than the poll interval).
func WithMaxLag(d time.Duration) PollerOption {
	return func(p *Poller) error {
		if d <= 0 {
			return fmt.Errorf("events: WithMaxLag: %v, want > 0", d)
		}
		p.maxLag = d
		return nil
	}
}

// WithMaxBackoff caps the wait after failed polls (default
// [DefaultMaxBackoff]).
func WithMaxBackoff(d time.Duration) PollerOption {
	return func(p *Poller) error {
		if d < time.Second {
			return fmt.Errorf("events: WithMaxBackoff: %v, want at least 1s", d)
		}
		p.maxWait = d
		return nil
	}
}

// WithRequestTimeout bounds one request, and each call of the
// [CursorStore] (default [DefaultRequestTimeout]).
func WithRequestTimeout(d time.Duration) PollerOption {
	return func(p *Poller) error {
		if d <= 0 {
			return fmt.Errorf("events: WithRequestTimeout: %v, want > 0", d)
		}
		p.timeout = d
		return nil
	}
}

// WithPageRate paces the Poller's requests: at most burst at once, then
// perMinute a minute (default [DefaultPageRate] a minute, burst
// [DefaultPageBurst]). It slows the read-back at start and the catch-up
// after a burst of events, where full pages follow each other; polls once
// caught up are one poll interval apart and do not wait. perMinute must
// exceed the polls a minute (60 s / [WithPollInterval]).
func WithPageRate(perMinute, burst int) PollerOption {
	return func(p *Poller) error {
		if perMinute < 1 || burst < 1 {
			return fmt.Errorf("events: WithPageRate: %d a minute, burst %d; want both positive", perMinute, burst)
		}
		p.pace = rate.NewLimiter(rate.Every(time.Minute/time.Duration(perMinute)), burst)
		return nil
	}
}

// WithLimiter makes every request of the Poller wait on l first, after
// its own pacing ([WithPageRate]): pass the limiter your [authz.Client]
// uses ([authz.WithLimiter]: a [*rate.Limiter], a fleet-wide limiter) so
// that the Poller's requests count against the same budget. Each wait is
// bounded by the request timeout ([WithRequestTimeout]); a wait that
// fails is a failed poll (an error matching [authz.ErrThrottled]),
// retried after the backoff and counted toward the lag.
func WithLimiter(l authz.Limiter) PollerOption {
	return func(p *Poller) error {
		if l == nil {
			return errors.New("events: WithLimiter: nil limiter")
		}
		p.limiter = l
		return nil
	}
}

// WithCloseTimeout bounds how long Close waits (default
// [DefaultCloseTimeout]).
func WithCloseTimeout(d time.Duration) PollerOption {
	return func(p *Poller) error {
		if d <= 0 {
			return fmt.Errorf("events: WithCloseTimeout: %v, want > 0", d)
		}
		p.closeIn = d
		return nil
	}
}

// WithErrorHandler sets a function told about every failed poll, refused
// cursor ([ErrCursorUnknown]), unreadable event, store error, and the
// start of a lag ([ErrLagging]) — for logs and metrics. It runs on the
// Poller's goroutine; keep it fast. Errors never contain the API key.
func WithErrorHandler(f func(error)) PollerOption {
	return func(p *Poller) error {
		p.onError = f
		return nil
	}
}

// NewPoller starts a Poller that reads the Events API with apiKey (a
// WorkOS secret key) and applies the events to state. Call
// [Poller.Close] to stop it. [Poller.Ready] tells when it has caught up
// the first time.
func NewPoller(apiKey string, state *State, opts ...PollerOption) (*Poller, error) {
	if apiKey == "" || strings.ContainsFunc(apiKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, errors.New("events: NewPoller: empty API key, or one with spaces or control characters")
	}
	if state == nil {
		return nil, errors.New("events: NewPoller: nil State")
	}
	p := &Poller{
		state: state, redact: redact.New(apiKey).Redact, authHdr: func() string { return "Bearer " + apiKey }, baseURL: authz.DefaultBaseURL,
		http: &http.Client{CheckRedirect: noRedirects}, store: &MemoryStore{}, interval: DefaultPollInterval, maxLag: DefaultMaxLag,
		maxWait: DefaultMaxBackoff, timeout: DefaultRequestTimeout, closeIn: DefaultCloseTimeout,
		done: make(chan struct{}), ready: make(chan struct{}),
	}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("events: NewPoller: option %d is nil", i)
		}
		if err := o(p); err != nil {
			return nil, err
		}
	}
	if p.pace == nil {
		p.pace = rate.NewLimiter(rate.Every(time.Minute/DefaultPageRate), DefaultPageBurst)
	}
	if every := time.Duration(float64(time.Second) / float64(p.pace.Limit())); every >= p.interval {
		return nil, fmt.Errorf("events: NewPoller: the page rate (one every %v) must be faster than the poll interval %v", every, p.interval)
	}
	if p.maxLag <= p.interval {
		return nil, fmt.Errorf("events: NewPoller: max lag %v must exceed the poll interval %v", p.maxLag, p.interval)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go p.run(ctx)
	return p, nil
}

// String describes the Poller by its base URL only: "events.Poller(<base
// URL>)". A Poller holds an API key, and its status holds the server's
// cursor, so no formatting of a Poller shows either.
func (p *Poller) String() string {
	if p == nil {
		return "events.Poller(nil)"
	}
	return "events.Poller(" + p.baseURL + ")"
}

// GoString is String: %#v prints no API key either.
func (p *Poller) GoString() string { return p.String() }

// Format prints [Poller.String] for every verb (%v, %+v, %#v, %s, %q…).
func (p *Poller) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", p.String())
		return
	}
	io.WriteString(f, p.String())
}

// LogValue makes [log/slog] log a Poller as its base URL only.
func (p *Poller) LogValue() slog.Value { return slog.StringValue(p.String()) }

// noRedirects makes the default client return a redirect as the answer.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Ready returns a channel closed once the Poller has read up to the end of
// the stream the first time (the read-back included). It is never closed
// when no poll succeeds: wait on it together with your own deadline.
func (p *Poller) Ready() <-chan struct{} { return p.ready }

// Close stops the Poller: the poll in flight is cancelled and Close waits
// for the goroutine, at most the close timeout ([ErrCloseTimeout]). It is
// idempotent. The State keeps what it learnt, and learns that this feed
// is gone: with no feed, a change made from now on would go unseen, so
// the State applies its [LagPolicy] as while lagging — under [AskAPI]
// every token-layer question goes to the API; under [TrustTokens] tokens
// are trusted as without events — until another feed reports reading (a
// Poller's successful poll, [State.Cover] or [State.SetLagging](false),
// as the fleet's feed calls them; [Stats].FeedClosed says which). To stop
// fgakit using events at all, stop passing the State to the Client.
func (p *Poller) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		t := time.NewTimer(p.closeIn)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
			p.closeErr = ErrCloseTimeout
		}
		p.feedMu.Lock()
		defer p.feedMu.Unlock()
		p.closed = true
		p.state.feedClosed()
	})
	return p.closeErr
}

// setLagging and cover tell the State, unless the Poller is closed.
func (p *Poller) setLagging(lagging bool) (was bool) {
	p.feedMu.Lock()
	defer p.feedMu.Unlock()
	if p.closed {
		return lagging // no change
	}
	return p.state.setLagging(lagging)
}

func (p *Poller) cover(from time.Time) {
	p.feedMu.Lock()
	defer p.feedMu.Unlock()
	if !p.closed {
		p.state.cover(from)
	}
}

// PollerStatus describes a [Poller] now.
type PollerStatus struct {
	// Cursor is the position reached.
	Cursor Cursor
	// LastSuccess is when a poll last succeeded (the State's clock).
	LastSuccess time.Time
	// Lagging is true while no poll has succeeded for longer than the max
	// lag.
	Lagging bool
	// Polls and Failures count the requests made and those that failed.
	Polls, Failures uint64
	// LastError is the last poll error, nil after a success.
	LastError error
}

// Status returns the Poller's status.
func (p *Poller) Status() PollerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

func (p *Poller) report(err error) {
	if p.onError != nil && err != nil {
		p.onError(err)
	}
}

// run is the Poller's goroutine.
func (p *Poller) run(ctx context.Context) {
	defer close(p.done)
	start := p.state.now()
	lastOK := start
	cur, err := p.loadCursor(ctx)
	if err != nil {
		p.report(fmt.Errorf("events: loading the cursor: %w", err))
		cur = Cursor{}
	}
	rangeStart := start.Add(-p.state.maxLifetime)
	if cur.After != "" && cur.CreatedAt.Before(rangeStart) {
		cur = Cursor{} // older than any valid token: read the window instead
	}
	covered := false // the State was told where its knowledge starts
	coverFrom := rangeStart
	if cur.After != "" {
		coverFrom = cur.CreatedAt
	}
	failures := 0
	// refusals counts the cursors refused since a request with a cursor
	// last succeeded: an API that refuses every cursor it hands out would
	// otherwise have the Poller re-read the first page without a wait.
	refusals := 0
	readyOnce := sync.OnceFunc(func() { close(p.ready) })
	p.setStatus(func(s *PollerStatus) { s.Cursor = cur })
	for {
		withCursor := cur.After != ""
		evs, retryAfter, err := p.fetch(ctx, cur, rangeStart)
		if ctx.Err() != nil {
			return
		}
		now := p.state.now()
		if err != nil {
			var ae *authz.APIError
			if withCursor && errors.As(err, &ae) && (ae.StatusCode == http.StatusBadRequest || ae.StatusCode == http.StatusNotFound || ae.StatusCode == http.StatusUnprocessableEntity) {
				p.report(fmt.Errorf("%w (read again from range_start): %w", ErrCursorUnknown, err))
				cur, covered, rangeStart = Cursor{}, false, now.Add(-p.state.maxLifetime)
				coverFrom = rangeStart
				if serr := p.saveCursor(ctx, cur); serr != nil {
					p.report(fmt.Errorf("events: saving the cursor: %w", serr))
				}
				p.setStatus(func(s *PollerStatus) { s.Polls++; s.Failures++; s.LastError = err; s.Cursor = cur })
				refusals++
				if refusals == 1 {
					continue // the first refusal: read again at once
				}
				// Refused again without a cursor accepted in between: wait
				// as after a failure, and count toward the lag.
			} else {
				failures++
				p.setStatus(func(s *PollerStatus) { s.Polls++; s.Failures++; s.LastError = err })
				p.report(err)
			}
			lagFor := now.Sub(lastOK)
			if lagFor > p.maxLag && !p.setLagging(true) {
				p.setStatus(func(s *PollerStatus) { s.Lagging = true })
				p.report(fmt.Errorf("%w: no events read for %v (policy %v): %w", ErrLagging, lagFor.Round(time.Second), p.state.policy, err))
			}
			wait := p.backoff(max(failures, refusals-1), retryAfter)
			if !p.state.Stats().Lagging {
				wait = min(wait, max(p.maxLag-lagFor, 0)+time.Millisecond) // wake up in time to report the lag
			}
			if !sleep(ctx, wait) {
				return
			}
			continue
		}
		failures = 0
		// The stream was read: a request with a cursor succeeded, or a
		// read from range_start got to the end. (A full first page alone
		// proves nothing while the next cursor may be refused.)
		read := withCursor || len(evs) < pageSize
		if read {
			lastOK = now
			refusals = 0
		}
		if _, aerr := p.state.ApplyAll(evs); aerr != nil {
			if t := aerr.Error(); p.redact(t) != t {
				// The event's ID or type echoes the key: keep the kind
				// (every Apply error matches ErrMalformed), not the text.
				aerr = fmt.Errorf("%w: applying a page of events: %s", ErrMalformed, p.clean(t, 400))
			}
			p.report(aerr)
		}
		if !covered && len(evs) < pageSize {
			// Caught up: the State now knows every change since where
			// this read began.
			p.cover(coverFrom)
			covered = true
		}
		if len(evs) > 0 {
			last := evs[len(evs)-1]
			cur = Cursor{After: last.ID, CreatedAt: last.CreatedAt}
			if serr := p.saveCursor(ctx, cur); serr != nil {
				p.report(fmt.Errorf("events: saving the cursor: %w", serr))
			}
		}
		if read && p.setLagging(false) {
			p.setStatus(func(s *PollerStatus) { s.Lagging = false })
		}
		p.state.tick()
		p.setStatus(func(s *PollerStatus) { s.Polls++; s.LastError = nil; s.LastSuccess = now; s.Cursor = cur })
		if len(evs) == pageSize {
			continue // more to read
		}
		readyOnce()
		if !sleep(ctx, p.interval) {
			return
		}
	}
}

// loadCursor and saveCursor call the CursorStore, each call bounded by
// the request timeout: a store that stops answering delays the Poller,
// never stops it.
func (p *Poller) loadCursor(ctx context.Context) (Cursor, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	return p.store.Load(ctx)
}

func (p *Poller) saveCursor(ctx context.Context, c Cursor) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	return p.store.Save(ctx, c)
}

func (p *Poller) setStatus(f func(*PollerStatus)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.status)
}

// backoff is the wait after the n-th consecutive failure: the poll interval
// doubled n-1 times, at most the max backoff, times a jitter in [0.5, 1.5);
// a Retry-After (up to a minute) replaces it.
func (p *Poller) backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, time.Minute)
	}
	d := p.interval
	for i := 1; i < n && d < p.maxWait; i++ {
		d *= 2
	}
	d = min(d, p.maxWait)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// fetch makes one GET /events and returns its events, and the Retry-After
// of a 429.
func (p *Poller) fetch(ctx context.Context, cur Cursor, rangeStart time.Time) ([]Event, time.Duration, error) {
	q := url.Values{}
	q.Set("events", strings.Join(Types, ","))
	q.Set("order", "asc")
	q.Set("limit", strconv.Itoa(pageSize))
	if err := p.pace.Wait(ctx); err != nil {
		return nil, 0, ctx.Err() // only when ctx ends: the burst is at least 1 and ctx has no deadline
	}
	if p.limiter != nil {
		lctx, cancel := context.WithTimeout(ctx, p.timeout)
		err := p.limiter.Wait(lctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			return nil, 0, fmt.Errorf("%w: GET /events: waiting for the limiter: %s", authz.ErrThrottled, p.clean(err.Error(), 200))
		}
	}
	if cur.After != "" {
		q.Set("after", cur.After)
	} else {
		// ISO-8601 with milliseconds, as the API's own timestamps; rounded
		// down, so that nothing at the start is left out.
		q.Set("range_start", rangeStart.UTC().Truncate(time.Millisecond).Format(isoMillis))
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.baseURL+"/events?"+q.Encode(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("events: GET /events: %w", err)
	}
	req.Header.Set("Authorization", p.authHdr())
	req.Header.Set("Accept", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: GET /events: %s", authz.ErrUnavailable, p.redact(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: GET /events: reading the answer: %s", authz.ErrUnavailable, p.redact(err.Error()))
	}
	if resp.StatusCode/100 != 2 {
		ra := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		return nil, ra, &authz.APIError{StatusCode: resp.StatusCode, Message: p.message(body, resp.StatusCode), RequestID: p.clean(resp.Header.Get("X-Request-ID"), 100)}
	}
	if len(body) > maxPageBody {
		return nil, 0, fmt.Errorf("%w: GET /events: answer over %d bytes", authz.ErrResponseTooLarge, maxPageBody)
	}
	evs, _, err := parsePage(body)
	if err != nil {
		// Every parse error matches ErrMalformed; its text may quote the
		// server's event IDs, which may echo the key.
		return nil, 0, fmt.Errorf("%w: GET /events: %s", ErrMalformed, p.clean(err.Error(), 400))
	}
	if len(evs) > pageSize {
		return nil, 0, fmt.Errorf("%w: GET /events: %d events in a page of %d", ErrMalformed, len(evs), pageSize)
	}
	return evs, 0, nil
}

// retryAfter reads a Retry-After header (RFC 9110 §10.2.3): delay seconds
// of any number of digits (too many for a Duration is the largest one) or
// an HTTP date (in the past: 0). Anything else, and no header, is 0.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil || secs > uint64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now))
	}
	return 0
}

// message is an error answer's "message", or its first bytes, cleaned
// (see clean).
func (p *Poller) message(body []byte, status int) string {
	var m struct {
		Message string `json:"message"`
	}
	msg := string(body)
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		msg = m.Message
	}
	if msg = p.clean(msg, 200); msg == "" {
		msg = http.StatusText(status)
	}
	return msg
}

// clean makes server text safe to echo: runs of whitespace and control
// characters collapsed to one space, every piece of the API key of 8 bytes
// or more removed, then cut to at most n bytes on a rune boundary.
func (p *Poller) clean(s string, n int) string {
	if len(s) > 4*n {
		s = s[:4*n]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }), " ")
	s = p.redact(s)
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
