package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/internal/redact"
	"github.com/redis/go-redis/v9"
)

// Defaults of the event feed ([FeedConfig]).
const (
	// DefaultPollInterval is the leader's wait between two polls once
	// caught up: 12 requests a minute for the whole fleet.
	DefaultPollInterval = 5 * time.Second
	// DefaultLease is the longest a dead leader goes unreplaced: the
	// lease key lives 2/3 of it unrenewed (10 s), the leader renews it
	// and the others try to take it every 1/6 of it (2.5 s), so another
	// instance leads within 5/6 of the lease (12.5 s) plus a Redis round
	// trip.
	DefaultLease = 15 * time.Second
	// DefaultReadBack is how far back a leader without a stored cursor
	// reads: the events package's default token lifetime.
	DefaultReadBack = 15 * time.Minute
	// DefaultStreamMaxLen is the approximate number of events the Redis
	// stream keeps for instances that start late.
	DefaultStreamMaxLen = 10_000
	// DefaultRequestTimeout bounds one GET /events, the wait for a
	// limiter slot included.
	DefaultRequestTimeout = 10 * time.Second
	defaultBaseURL        = "https://api.workos.com"
	pageSize              = 100
	maxPageBody           = 8 << 20
)

// ErrCursorUnknown is reported when the Events API refuses the stored
// cursor (400, 404 or 422); the leader then reads again from range_start
// (now minus [FeedConfig.ReadBack]).
var ErrCursorUnknown = errors.New("fleet: the Events API does not know the cursor")

// item is an event with the JSON it came in, which the stream carries.
type item struct {
	ev  events.Event
	raw []byte
}

// FeedConfig configures the fleet's event feed.
type FeedConfig struct {
	// APIKey is the WorkOS secret key the leader reads GET /events with.
	APIKey string
	// BaseURL is the API base URL (default https://api.workos.com), e.g.
	// an authztest fake's URL.
	BaseURL string
	// HTTPClient sends the leader's requests (default: a client with
	// RequestTimeout).
	HTTPClient *http.Client
	// Types are the event types asked for (default events.Types: those
	// that change what a session token says or whether it may be used).
	Types []string
	// PollInterval is the leader's wait between two polls once caught up
	// (default 5 s: 12 requests a minute for the whole fleet).
	PollInterval time.Duration
	// Lease bounds how long the fleet goes without a leader after the
	// leader dies (default 15 s): another instance takes over within
	// Lease. The lease key in Redis lives 2/3 of Lease without renewal;
	// the leader renews it, and every other instance tries to take it,
	// every Lease/6 (a dead leader is replaced after at most 5/6 of
	// Lease plus one Redis round trip). Each instance so sends Redis one
	// command per Lease/6 for the lease.
	Lease time.Duration
	// ReadBack is how far back a leader without a stored cursor reads
	// (range_start = now − ReadBack; default 15 minutes, set it to your
	// longest access-token lifetime).
	ReadBack time.Duration
	// StreamMaxLen caps the Redis stream (approximately; default 10,000
	// events), which is what a late instance can catch up on.
	StreamMaxLen int64
	// RequestTimeout bounds one GET /events (default 10 s).
	RequestTimeout time.Duration
	// MaxLag is how long the fleet may go without a successful poll of
	// the Events API (by the leader, or by this instance while Redis is
	// unavailable) before the feed reports it (an error wrapping
	// events.ErrLagging) and tells State (State.SetLagging), which then
	// applies its lag policy until a poll succeeds again (default
	// events.DefaultMaxLag, one minute; more than PollInterval). The
	// leader's last success is kept in Redis in Redis's clock, so the
	// instances' clocks need not agree.
	MaxLag time.Duration
	// State, when set, is this instance's events.State: the feed
	// delivers the events to it (when Deliver is nil), tells it what it
	// covers — after reading the stream back, every change since the
	// fleet's read of the Events API began (State.Cover), so that tokens
	// issued before this instance started answer from the token layer —
	// and whether the feed lags (State.SetLagging).
	State *events.State
	// Limiter, when set, is waited on before each GET /events, so that
	// the feed's requests count against the fleet's budget (pass the
	// fleet's [Limiter]).
	Limiter authz.Limiter
	// Deliver receives every event, in order, on every instance: pass
	// them to your events.State (State.ApplyAll). Each was read by
	// events.ParseEvent. An event may be delivered twice (after a
	// failover or a Redis restart); State ignores an ID it applied
	// already. Deliver is called from one goroutine at a time. Required
	// unless State is set (then it defaults to State.ApplyAll, whose
	// errors are reported).
	Deliver func([]events.Event)
}

// Feed is one instance's part of the fleet's event feed. One instance at
// a time — the holder of a lease in Redis (SET NX PX, renewed by a
// compare-and-extend script) — polls the Events API from the cursor stored
// in Redis and appends each page to a Redis stream, together with the new
// cursor, in one script that first checks it still holds the lease (so a
// leader that lost its lease can never write). Every instance, the leader
// included, reads the stream from its beginning (a late instance catches
// up on what the stream holds) and hands the events to
// [FeedConfig.Deliver].
//
// With each page the leader also records in Redis, under the same fence,
// since when the stream covers the Events API without a gap (where its
// read began: range_start, or the stored cursor) and, in Redis's clock,
// when it last polled successfully. Each instance with a
// [FeedConfig.State], once it has read the stream to its end, covers the
// State since then (State.Cover) — or since the first event the stream
// still holds, if its start was trimmed ([FeedConfig.StreamMaxLen]) — and
// reports the State lagging when no poll succeeded for
// [FeedConfig.MaxLag].
//
// When the leader dies, its lease expires and another instance takes over
// within [FeedConfig.Lease], from the stored cursor. While Redis is
// unavailable for longer than the lease, each instance polls the Events
// API itself from the last event it delivered (a cost of one request per
// poll interval per instance, see the README), until Redis answers again.
//
// A Feed owns three goroutines (lease, poll, stream), which [Feed.Close]
// stops.
type Feed struct {
	f     *Fleet
	cfg   FeedConfig
	token atomic.Pointer[string] // this instance's lease value, new for each term
	hc    *http.Client
	// redact removes every 8-byte piece of the API key from a text (a
	// closure, so that no formatting of a Feed reaches the key).
	redact func(string) string

	leaseKey, streamKey, cursorKey, coverKey string
	start                                    time.Time // when the feed started, this instance's clock

	// Owned by streamLoop:
	lastID  string    // ID of the last stream entry read ("0": none)
	first   string    // ID of the first stream entry this instance read
	firstAt time.Time // that entry's created_at
	lastOK  time.Time // last successful poll known (leader's in Redis time, or this instance's local poll)
	lagging bool
	localOK atomic.Int64 // unix ns of this instance's last successful local poll

	leader  atomic.Bool
	wake    chan struct{}
	cancel  context.CancelFunc
	done    sync.WaitGroup
	closing sync.Once

	deliverMu sync.Mutex
	last      events.Cursor // last event delivered, for the local fallback

	mu     sync.Mutex
	status FeedStatus
}

// FeedStatus describes an instance's part of the feed now.
type FeedStatus struct {
	// Leader is true while this instance holds the lease.
	Leader bool
	// LeaderSince is when it last became leader.
	LeaderSince time.Time
	// Leaderships counts the times it became leader.
	Leaderships uint64
	// LocalPolling is true while Redis is unavailable and the instance
	// polls the Events API itself.
	LocalPolling bool
	// Polls and PollFailures count this instance's GET /events.
	Polls, PollFailures uint64
	// Published counts the events this instance appended to the stream.
	Published uint64
	// Delivered counts the events handed to Deliver.
	Delivered uint64
	// LastEventID is the ID of the last event delivered.
	LastEventID string
	// LastError is the last feed error, nil after a success.
	LastError error
	// Covers is the time since which this instance has read every event
	// (what it told [FeedConfig.State] with State.Cover); zero until it
	// has read the stream to its end once.
	Covers time.Time
	// Lagging is true while no poll of the Events API has succeeded for
	// longer than [FeedConfig.MaxLag].
	Lagging bool
}

var (
	renewLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)
	releaseLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
	// publish, only while the lease KEYS[1] holds ARGV[1] (else it
	// returns 0 and writes nothing): appends ARGV[7…] to the stream
	// KEYS[2] (capped near ARGV[2]); stores the cursor ARGV[3] (unless
	// empty) in KEYS[3]; in the hash KEYS[4] records the poll's success
	// (ok, Redis's clock in ms) and, when ARGV[5] is "1" or the hash has
	// no since, since = ARGV[4] (ms) and from = ARGV[6] or else the first
	// entry appended now ("" when none: the stream covers since from its
	// end); else sets from, when empty, to the first entry appended. It
	// returns {1, first entry appended or ""}.
	publish = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, ''} end
local first = ''
for i = 7, #ARGV do
  local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[i])
  if first == '' then first = id end
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3]) end
local t = redis.call('TIME')
redis.call('HSET', KEYS[4], 'ok', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
if ARGV[5] == '1' or redis.call('HEXISTS', KEYS[4], 'since') == 0 then
  local from = ARGV[6]
  if from == '' then from = first end
  redis.call('HSET', KEYS[4], 'since', ARGV[4], 'from', from)
elseif first ~= '' and redis.call('HGET', KEYS[4], 'from') == '' then
  redis.call('HSET', KEYS[4], 'from', first)
end
return {1, first}`)
	// coverage returns the hash KEYS[1] (since, from, ok), Redis's clock
	// in ms, and the ID of the last entry of the stream KEYS[2] ("" when
	// it has none).
	coverage = redis.NewScript(`
local t = redis.call('TIME')
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local lastID = ''
if #last > 0 then lastID = last[1][1] end
return {redis.call('HGET', KEYS[1], 'since') or '', redis.call('HGET', KEYS[1], 'from') or '', redis.call('HGET', KEYS[1], 'ok') or '', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)), lastID}`)
)

// StartFeed starts this instance's part of the event feed.
func (f *Fleet) StartFeed(cfg FeedConfig) (*Feed, error) {
	if cfg.APIKey == "" || strings.ContainsFunc(cfg.APIKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, invalid("empty API key, or one with spaces or control characters")
	}
	if cfg.Deliver == nil && cfg.State == nil {
		return nil, invalid("nil Deliver and nil State")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.PollInterval, DefaultPollInterval)
	def(&cfg.Lease, DefaultLease)
	def(&cfg.ReadBack, DefaultReadBack)
	def(&cfg.RequestTimeout, DefaultRequestTimeout)
	def(&cfg.MaxLag, events.DefaultMaxLag)
	if cfg.BaseURL == "" {
		cfg.BaseURL = defaultBaseURL
	}
	if cfg.Types == nil {
		cfg.Types = events.Types
	}
	if cfg.StreamMaxLen == 0 {
		cfg.StreamMaxLen = DefaultStreamMaxLen
	}
	switch {
	case cfg.PollInterval < 0 || cfg.Lease < 30*time.Millisecond || cfg.ReadBack < 0 || cfg.RequestTimeout < 0 || cfg.StreamMaxLen < 1:
		return nil, invalid("negative duration, lease under 30ms or stream length under 1")
	case cfg.MaxLag <= cfg.PollInterval:
		return nil, invalid("MaxLag %v must exceed the poll interval %v", cfg.MaxLag, cfg.PollInterval)
	case len(cfg.Types) == 0:
		return nil, invalid("no event types")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, invalid("base URL must be an absolute http or https URL")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.RequestTimeout}
	}
	fd := &Feed{
		f: f, cfg: cfg, hc: hc,
		leaseKey: f.key("feed:lease"), streamKey: f.key("feed:stream"), cursorKey: f.key("feed:cursor"), coverKey: f.key("feed:cover"),
		wake: make(chan struct{}, 1), start: f.now(), redact: redact.New(cfg.APIKey).Redact,
	}
	if fd.cfg.Deliver == nil {
		fd.cfg.Deliver = func(evs []events.Event) {
			if _, err := fd.cfg.State.ApplyAll(evs); err != nil {
				fd.fail(fmt.Errorf("fleet: applying events: %w", err))
			}
		}
	}
	fd.newTerm()
	ctx, cancel := context.WithCancel(context.Background())
	fd.cancel = cancel
	fd.done.Add(3)
	go fd.leaseLoop(ctx)
	go fd.pollLoop(ctx)
	go fd.streamLoop(ctx)
	return fd, nil
}

// Close stops the feed's goroutines and, if this instance leads, releases
// the lease first, so that another instance takes over at its next attempt
// (within Lease/6) while this one stops. It waits for the goroutines: the
// stream read in flight ends within a second (a blocking XREAD is not
// interrupted), an HTTP request at once, a Redis command within the fleet
// timeout. Call it before closing the Redis client.
func (fd *Feed) Close() error {
	fd.closing.Do(func() {
		fd.cancel()
		release := func() {
			// Not on a request's path: a second, not the fleet timeout,
			// so that a loaded Redis still frees the lease now.
			ctx, cancel := context.WithTimeout(context.Background(), max(fd.f.timeout, time.Second))
			defer cancel()
			// Fenced by this term's value: a page in flight can no
			// longer publish once the lease is gone.
			_ = releaseLease.Run(ctx, fd.f.rdb, []string{fd.leaseKey}, *fd.token.Load()).Err()
		}
		if fd.leader.Load() {
			release()
		}
		fd.done.Wait()
		if fd.leader.Load() { // a SET NX in flight at cancel may have won
			release()
			fd.leader.Store(false)
		}
	})
	return nil
}

// Status returns this instance's part of the feed.
func (fd *Feed) Status() FeedStatus {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	s := fd.status
	s.Leader = fd.leader.Load()
	return s
}

func (fd *Feed) setStatus(fn func(*FeedStatus)) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	fn(&fd.status)
}

func (fd *Feed) fail(err error) {
	err = fd.clean(err)
	fd.setStatus(func(s *FeedStatus) { s.LastError = err })
	if fd.f.onError != nil {
		fd.f.onError(err)
	}
	if fd.f.log != nil {
		fd.f.log.Warn("fleet feed", "err", err)
	}
}

// clean returns err, or, when its text holds a piece of the API key (an
// Events API answer that echoes it, in an event ID say), an error of the
// same kind with the key removed from its text.
func (fd *Feed) clean(err error) error {
	t := err.Error()
	r := fd.redact(t)
	if r == t {
		return err
	}
	for _, kind := range []error{events.ErrMalformed, events.ErrLagging, ErrCursorUnknown, ErrUnavailable} {
		if errors.Is(err, kind) {
			return fmt.Errorf("%w: %s", kind, r)
		}
	}
	return errors.New(r)
}

// leaseTTL is how long the lease key lives unrenewed: 2/3 of the lease,
// so that with attempts every Lease/6 a dead leader is replaced within
// 5/6 of the lease.
func (fd *Feed) leaseTTL() time.Duration { return fd.cfg.Lease * 2 / 3 }

// leaseLoop acquires the lease when it is free and renews it while held,
// every Lease/6.
func (fd *Feed) leaseLoop(ctx context.Context) {
	defer fd.done.Done()
	every := fd.cfg.Lease / 6
	ttl := fd.leaseTTL()
	var validUntil time.Time // the lease is ours until then, by our clock
	for {
		lctx, cancel := fd.f.ctx(ctx)
		start := time.Now()
		if fd.leader.Load() {
			n, err := renewLease.Run(lctx, fd.f.rdb, []string{fd.leaseKey}, *fd.token.Load(), ttl.Milliseconds()).Int64()
			fd.f.observe(ctx, err)
			switch {
			case err == nil && n == 1:
				validUntil = start.Add(ttl)
			case err == nil || !time.Now().Before(validUntil):
				// Lost (another instance holds it), or unconfirmed for a
				// whole lease: it has expired. A failed renewal alone
				// does not end the leadership (publishing checks the
				// lease anyway).
				fd.leader.Store(false)
			}
		} else {
			// A new value for each term: a poll of an earlier term that is
			// still running cannot pass the publish fence.
			ok, err := fd.f.rdb.SetNX(lctx, fd.leaseKey, fd.newTerm(), ttl).Result()
			fd.f.observe(ctx, err)
			if err == nil && ok {
				validUntil = start.Add(ttl)
				fd.leader.Store(true)
				fd.setStatus(func(s *FeedStatus) { s.LeaderSince = fd.f.now(); s.Leaderships++ })
				select {
				case fd.wake <- struct{}{}:
				default:
				}
			}
		}
		cancel()
		if sleep(ctx, every) != nil {
			return
		}
	}
}

// pollLoop polls the Events API while this instance leads (into the
// stream), or while Redis has been unavailable for longer than the lease
// (straight to Deliver).
func (fd *Feed) pollLoop(ctx context.Context) {
	defer fd.done.Done()
	t := time.NewTicker(fd.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-fd.wake:
		}
		st := fd.f.Status()
		local := !st.Healthy && fd.f.now().Sub(st.Since) > fd.cfg.Lease
		fd.setStatus(func(s *FeedStatus) { s.LocalPolling = local })
		switch {
		case fd.leader.Load():
			fd.pollFleet(ctx)
		case local:
			fd.pollLocal(ctx)
		}
	}
}

// pollFleet reads pages from the stored cursor and publishes each with
// the new cursor, while it holds the lease. With the page that catches up
// it records since when the stream covers the Events API, when this read
// started that coverage (a read from range_start, or no coverage stored).
func (fd *Feed) pollFleet(ctx context.Context) {
	term := *fd.token.Load()
	rctx, cancel := fd.f.ctx(ctx)
	cur, err := fd.f.CursorStore().Load(rctx)
	cancel()
	if errors.Is(err, errBadCursor) {
		fd.fail(err)
		cur, err = events.Cursor{}, nil // read back from range_start: safe, costs a few pages
	}
	fd.f.observe(ctx, err)
	if err != nil {
		return
	}
	if cur.After != "" && cur.CreatedAt.Before(fd.f.now().Add(-fd.cfg.ReadBack)) {
		cur = events.Cursor{}
	}
	rangeStart := fd.f.now().Add(-fd.cfg.ReadBack)
	// since is where this read's knowledge begins; reset says it replaces
	// the stored coverage (a read from range_start); from is the first
	// entry this read appended.
	since, reset, from := cur.CreatedAt, cur.After == "", ""
	if reset {
		since = rangeStart
	}
	for fd.leader.Load() {
		evs, err := fd.fetch(ctx, cur, rangeStart)
		if err != nil {
			if errors.Is(err, ErrCursorUnknown) {
				cur, reset, from = events.Cursor{}, true, ""
				rangeStart = fd.f.now().Add(-fd.cfg.ReadBack)
				since = rangeStart
				continue
			}
			return
		}
		caughtUp := len(evs) < pageSize
		cj := ""
		if len(evs) > 0 {
			last := evs[len(evs)-1].ev
			cur = events.Cursor{After: last.ID, CreatedAt: last.CreatedAt}
			b, _ := json.Marshal(cur)
			cj = string(b)
		}
		establish := "0"
		if reset && caughtUp {
			establish = "1"
		}
		args := []any{term, fd.cfg.StreamMaxLen, cj, since.UnixMilli(), establish, from}
		for _, it := range evs {
			args = append(args, string(it.raw))
		}
		pctx, cancel := fd.f.ctx(ctx)
		res, err := publish.Run(pctx, fd.f.rdb, []string{fd.leaseKey, fd.streamKey, fd.cursorKey, fd.coverKey}, args...).Slice()
		cancel()
		fd.f.observe(ctx, err)
		if err != nil {
			return
		}
		if n, _ := res[0].(int64); n != 1 {
			fd.leader.Store(false) // lost the lease: the page is the new leader's to publish
			return
		}
		if first, _ := res[1].(string); from == "" {
			from = first
		}
		fd.setStatus(func(s *FeedStatus) { s.Published += uint64(len(evs)) })
		if caughtUp {
			return
		}
	}
}

// newTerm draws a new lease value and returns it.
func (fd *Feed) newTerm() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	t := hex.EncodeToString(b[:])
	fd.token.Store(&t)
	return t
}

// pollLocal reads pages after the last event delivered and delivers them
// directly (Redis is unavailable).
func (fd *Feed) pollLocal(ctx context.Context) {
	for {
		fd.deliverMu.Lock()
		cur := fd.last
		fd.deliverMu.Unlock()
		evs, err := fd.fetch(ctx, cur, fd.f.now().Add(-fd.cfg.ReadBack))
		if err != nil {
			if errors.Is(err, ErrCursorUnknown) {
				fd.deliverMu.Lock()
				fd.last = events.Cursor{}
				fd.deliverMu.Unlock()
				continue
			}
			return
		}
		fd.localOK.Store(fd.f.now().UnixNano())
		fd.deliver(evs)
		if len(evs) < pageSize {
			return
		}
	}
}

// fetch reads one page of GET /events after cur (or from rangeStart).
func (fd *Feed) fetch(ctx context.Context, cur events.Cursor, rangeStart time.Time) ([]item, error) {
	q := url.Values{}
	q.Set("events", strings.Join(fd.cfg.Types, ","))
	q.Set("limit", fmt.Sprint(pageSize))
	q.Set("order", "asc")
	if cur.After != "" {
		q.Set("after", cur.After)
	} else {
		q.Set("range_start", rangeStart.UTC().Format(time.RFC3339Nano))
	}
	rctx, cancel := context.WithTimeout(ctx, fd.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, fd.cfg.BaseURL+"/events?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if fd.cfg.Limiter != nil {
		if err := fd.cfg.Limiter.Wait(rctx); err != nil {
			return nil, fmt.Errorf("fleet: GET /events: no request slot: %w", err)
		}
	}
	req.Header.Set("Authorization", "Bearer "+fd.cfg.APIKey)
	req.Header.Set("Accept", "application/json")
	fd.setStatus(func(s *FeedStatus) { s.Polls++ })
	evs, err := fd.do(req, cur.After != "")
	if err != nil {
		if ctx.Err() == nil {
			fd.setStatus(func(s *FeedStatus) { s.PollFailures++ })
			fd.fail(err)
		}
		return nil, err
	}
	fd.setStatus(func(s *FeedStatus) { s.LastError = nil })
	return evs, nil
}

func (fd *Feed) do(req *http.Request, withCursor bool) ([]item, error) {
	resp, err := fd.hc.Do(req)
	if err != nil {
		// The URL holds no secret; the error never holds the header.
		return nil, fmt.Errorf("fleet: GET /events: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBody+1))
	if err != nil {
		return nil, fmt.Errorf("fleet: GET /events: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		if withCursor && (resp.StatusCode == 400 || resp.StatusCode == 404 || resp.StatusCode == 422) {
			return nil, fmt.Errorf("%w (status %d; reading again from range_start)", ErrCursorUnknown, resp.StatusCode)
		}
		return nil, fmt.Errorf("fleet: GET /events: status %d", resp.StatusCode)
	}
	if len(body) > maxPageBody {
		return nil, errors.New("fleet: GET /events: page larger than 8 MiB")
	}
	return parsePage(body)
}

// parsePage reads {"data":[event…],…}; every event must pass
// events.ParseEvent, or the page is refused (and read again next poll).
func parsePage(body []byte) ([]item, error) {
	var p struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Data == nil {
		return nil, errors.New("fleet: GET /events: not a list of events")
	}
	its := make([]item, 0, len(p.Data))
	for i, raw := range p.Data {
		ev, err := events.ParseEvent(raw)
		if err != nil {
			return nil, fmt.Errorf("fleet: GET /events: data[%d]: %w", i, err)
		}
		its = append(its, item{ev: ev, raw: raw})
	}
	return its, nil
}

// streamLoop reads the stream from its beginning and delivers each batch;
// each time it has read to the end it covers the State and checks the lag.
func (fd *Feed) streamLoop(ctx context.Context) {
	defer fd.done.Done()
	const block = time.Second
	fd.lastID = "0"
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, block+fd.f.timeout*2)
		res, err := fd.f.rdb.XRead(rctx, &redis.XReadArgs{Streams: []string{fd.streamKey, fd.lastID}, Count: pageSize, Block: block}).Result()
		cancel()
		if ctx.Err() != nil {
			return
		}
		fd.f.observe(ctx, err)
		if errors.Is(err, redis.Nil) {
			fd.caughtUp(ctx)
			continue
		}
		if err != nil {
			fd.checkLag(time.Time{})
			if sleep(ctx, fd.f.probe) != nil {
				return
			}
			continue
		}
		n := 0
		for _, s := range res {
			evs := make([]item, 0, len(s.Messages))
			for _, m := range s.Messages {
				n++
				fd.lastID = m.ID
				raw, _ := m.Values["e"].(string)
				ev, err := events.ParseEvent([]byte(raw))
				if fd.first == "" {
					fd.first, fd.firstAt = m.ID, ev.CreatedAt // a zero time when unreadable: covers nothing more
				}
				if err != nil {
					fd.fail(fmt.Errorf("fleet: stream entry %s: %w", m.ID, err))
					continue
				}
				evs = append(evs, item{ev: ev, raw: []byte(raw)})
			}
			fd.deliver(evs)
		}
		if n < pageSize {
			fd.caughtUp(ctx)
		}
	}
}

// caughtUp runs when this instance has read the stream to its end: it
// reads the fleet's coverage (one script: the hash and Redis's clock),
// covers the State, and checks the lag.
func (fd *Feed) caughtUp(ctx context.Context) {
	rctx, cancel := fd.f.ctx(ctx)
	res, err := coverage.Run(rctx, fd.f.rdb, []string{fd.coverKey, fd.streamKey}).StringSlice()
	cancel()
	fd.f.observe(ctx, err)
	if err != nil || len(res) != 5 {
		fd.checkLag(time.Time{})
		return
	}
	if fd.lastID != "0" && (res[4] == "" || streamIDLess(res[4], fd.lastID)) {
		// The stream is empty or ends before what this instance read:
		// Redis lost it (FLUSHALL, a restart) and a new one begins, whose
		// IDs may come before the old ones. Read it from its start.
		fd.lastID, fd.first, fd.firstAt = "0", "", time.Time{}
		return
	}
	sinceMS, e1 := strconv.ParseInt(res[0], 10, 64)
	okMS, e2 := strconv.ParseInt(res[2], 10, 64)
	nowMS, e3 := strconv.ParseInt(res[3], 10, 64)
	if e3 == nil && e2 == nil {
		// The leader's last success, moved into this instance's clock
		// through Redis's: lag = Redis now − ok.
		fd.checkLag(fd.f.now().Add(-time.Duration(nowMS-okMS) * time.Millisecond))
	} else {
		fd.checkLag(time.Time{})
	}
	if e1 != nil {
		return // no coverage recorded yet
	}
	since := time.UnixMilli(sinceMS)
	switch from := res[1]; {
	case from == "":
		// The coverage has no entry yet: what this instance read is all.
	case fd.first == "":
		return // entries exist that this instance has not read
	case streamIDLess(from, fd.first):
		// The stream's start was trimmed before this instance read it:
		// it knows what it read, from its first entry on.
		if fd.firstAt.IsZero() {
			return
		}
		since = later(since, fd.firstAt)
	}
	if fd.cfg.State != nil {
		fd.cfg.State.Cover(since)
	}
	fd.setStatus(func(s *FeedStatus) {
		if s.Covers.IsZero() || since.Before(s.Covers) {
			s.Covers = since
		}
	})
}

// checkLag updates the lag with ok, the last successful poll the fleet
// knows of (zero: unknown now), and tells the State when it changes.
func (fd *Feed) checkLag(ok time.Time) {
	if l := time.Unix(0, fd.localOK.Load()); fd.localOK.Load() != 0 && l.After(ok) {
		ok = l
	}
	fd.lastOK = later(fd.lastOK, ok)
	from := later(fd.lastOK, fd.start)
	lagFor := fd.f.now().Sub(from)
	lagging := lagFor > fd.cfg.MaxLag
	if lagging == fd.lagging {
		return
	}
	fd.lagging = lagging
	fd.setStatus(func(s *FeedStatus) { s.Lagging = lagging })
	if fd.cfg.State != nil {
		fd.cfg.State.SetLagging(lagging)
	}
	if lagging {
		fd.fail(fmt.Errorf("fleet: %w: no poll of the Events API succeeded for %v", events.ErrLagging, lagFor.Round(time.Millisecond)))
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// streamIDLess compares two Redis stream IDs (<ms>-<seq>).
func streamIDLess(a, b string) bool {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	ami, _ := strconv.ParseUint(am, 10, 64)
	bmi, _ := strconv.ParseUint(bm, 10, 64)
	if ami != bmi {
		return ami < bmi
	}
	asi, _ := strconv.ParseUint(as, 10, 64)
	bsi, _ := strconv.ParseUint(bs, 10, 64)
	return asi < bsi
}

func (fd *Feed) deliver(its []item) {
	if len(its) == 0 {
		return
	}
	evs := make([]events.Event, len(its))
	for i, it := range its {
		evs[i] = it.ev
	}
	fd.deliverMu.Lock()
	defer fd.deliverMu.Unlock()
	fd.cfg.Deliver(evs)
	last := evs[len(evs)-1]
	if last.CreatedAt.After(fd.last.CreatedAt) || fd.last.After == "" {
		fd.last = events.Cursor{After: last.ID, CreatedAt: last.CreatedAt}
	}
	fd.setStatus(func(s *FeedStatus) { s.Delivered += uint64(len(evs)); s.LastEventID = last.ID })
}
