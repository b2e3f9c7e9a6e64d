package authztest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fgakit/fgakit/internal/webhooksig"
)

// Webhooks (WIRE.md §8). Endpoints are registered over HTTP
// (/webhook_endpoints, as the spec says), with [WithWebhook] or with
// [Fake.AddWebhook]. Each event emitted after an endpoint exists and of a
// type it subscribes to is POSTed to it as one JSON event object, signed
// with the endpoint's secret in the WorkOS-Signature header.
//
// Deliveries run in one goroutine owned by the fake, started with the
// first endpoint and stopped by [Fake.Close]. A delivery that does not
// answer 2xx within the HTTP client's timeout is retried on the fake's
// clock after each delay of the retry schedule ([DefaultWebhookRetries],
// [WithWebhookRetries]) and then given up. With a frozen clock
// ([WithClock], [Fake.SetTime]) a retry becomes due only when the test
// moves the clock ([Fake.Advance]); [Fake.DeliverWebhooks] waits until
// every due delivery has been attempted, so tests neither sleep nor race.

// webhookEndpoint is a registered endpoint. Guarded by Fake.mu.
type webhookEndpoint struct {
	id      string
	url     string
	secret  string
	enabled bool
	events  []string // subscribed types; nil means every type (Go setup only)
	created time.Time
	updated time.Time
	next    int // position (model.eventAt) of the first event not yet queued for it
}

func (e *webhookEndpoint) wants(typ string) bool {
	return e.enabled && (e.events == nil || slices.Contains(e.events, typ))
}

type webhookEndpointJSON struct {
	Object      string   `json:"object"`
	ID          string   `json:"id"`
	EndpointURL string   `json:"endpoint_url"`
	Secret      string   `json:"secret"`
	Status      string   `json:"status"`
	Events      []string `json:"events"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

func renderWebhookEndpoint(e *webhookEndpoint) webhookEndpointJSON {
	status := "enabled"
	if !e.enabled {
		status = "disabled"
	}
	events := slices.Clone(e.events)
	if events == nil {
		events = []string{}
	}
	return webhookEndpointJSON{Object: "webhook_endpoint", ID: e.id, EndpointURL: e.url, Secret: e.secret,
		Status: status, Events: events, CreatedAt: ts(e.created), UpdatedAt: ts(e.updated)}
}

// DefaultWebhookRetries is the fake's retry schedule: after a failed first
// attempt, a delivery is retried after each of these delays on the fake's
// clock (7 attempts over about 33 hours), then given up. WorkOS documents
// retries with backoff but not its schedule; this one is the fake's.
func DefaultWebhookRetries() []time.Duration {
	return []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 24 * time.Hour}
}

// DefaultWebhookTimeout bounds one delivery attempt unless
// [WithWebhookClient] gives a client of your own.
const DefaultWebhookTimeout = 10 * time.Second

// WithWebhook registers a webhook endpoint when the fake starts: every
// event is POSTed to url, signed with secret (any non-empty string; see
// [SignWebhook]). The URL must be https, or http on a loopback host
// (localhost, 127.0.0.0/8, ::1). Repeat it for several endpoints.
func WithWebhook(url, secret string) Option {
	return func(c *config) { c.webhooks = append(c.webhooks, [2]string{url, secret}) }
}

// WithWebhookRetries replaces [DefaultWebhookRetries]: the delays, on the
// fake's clock, before each retry of a failed delivery. No delays means no
// retries.
func WithWebhookRetries(delays ...time.Duration) Option {
	return func(c *config) { c.retries, c.retriesSet = slices.Clone(delays), true }
}

// WithWebhookClient sets the HTTP client deliveries use (default: a client
// with [DefaultWebhookTimeout]). Its Timeout bounds each attempt; a timeout
// is a failed attempt, retried like a non-2xx answer.
func WithWebhookClient(c *http.Client) Option { return func(cfg *config) { cfg.webhookClient = c } }

// SignWebhook returns the WorkOS-Signature header value for body signed
// with secret at t, "t=<unix ms>, v1=<hex HMAC-SHA256(secret, "<t>.<body>")>",
// as the fake signs its deliveries and WorkOS signs its webhooks. Use it to
// build signed requests for your own webhook handler's tests (in the
// spirit of stripe-go's GenerateTestSignedPayload).
func SignWebhook(secret string, t time.Time, body []byte) string {
	return webhooksig.Sign(secret, t, body)
}

// SignWebhookAll is [SignWebhook] for a sender rotating its secret: one v1
// signature per secret, in order, "t=<unix ms>, v1=<sig 1>, v1=<sig 2>…".
// A verifier holding any one of the secrets accepts it (events.Webhook
// does, as stripe-go does for its own scheme). Use it to test that your
// handler keeps accepting deliveries while you rotate the endpoint's
// secret. It panics without a secret or with more than 8 (the most a
// verifier considers).
func SignWebhookAll(secrets []string, t time.Time, body []byte) string {
	return webhooksig.SignAll(secrets, t, body)
}

// WebhookDelivery is one attempt to deliver an event to an endpoint, as
// [Fake.WebhookDeliveries] logs it.
type WebhookDelivery struct {
	EventID    string
	Event      string // the event type
	EndpointID string // "we_…"
	URL        string
	Attempt    int       // 1 for the first attempt
	At         time.Time // the fake's clock when it was sent
	Status     int       // the endpoint's HTTP status; 0 when none came
	Error      string    // why the attempt failed ("" when it succeeded)
	// NextAttempt is when the next retry is due on the fake's clock; zero
	// when the attempt succeeded or was the last.
	NextAttempt time.Time
	// Signature is the WorkOS-Signature header sent.
	Signature string
}

// delivery is a queued attempt.
type delivery struct {
	event    *event
	endpoint string
	attempt  int
	due      time.Time
}

// webhookWorker is the delivery goroutine's state, guarded by Fake.mu
// except for the channels.
type webhookWorker struct {
	started bool
	queue   []*delivery
	log     []WebhookDelivery
	waiters []chan struct{}
	wake    chan struct{} // buffered 1: a pending wake-up
	stop    chan struct{}
	done    chan struct{}
	cancel  context.CancelFunc
	ctx     context.Context // the deliveries' context, canceled by Close (owned by the worker)
	client  *http.Client
	retries []time.Duration
	// inflight counts the due deliveries the goroutine took out of queue
	// and has not attempted yet; maxQueue is MaxQueuedWebhookDeliveries
	// (smaller in tests).
	inflight int
	maxQueue int
}

// MaxQueuedWebhookDeliveries bounds the deliveries waiting at once — first
// attempts and retries, for every endpoint together. An endpoint slower
// than the events (each attempt may take [DefaultWebhookTimeout]) would
// otherwise make the queue, and the events it holds, grow without end.
// Beyond it a delivery is not queued: it is logged in
// [Fake.WebhookDeliveries] with an Error saying so, and the endpoint does
// not receive that event (a retry is given up the same way).
const MaxQueuedWebhookDeliveries = 100_000

// queueFullLocked reports whether the queue holds as many deliveries as it
// may; f.mu is held.
func (f *Fake) queueFullLocked() bool {
	limit := f.wh.maxQueue
	if limit <= 0 {
		limit = MaxQueuedWebhookDeliveries
	}
	return len(f.wh.queue)+f.wh.inflight >= limit
}

// notQueuedLocked logs a delivery the full queue refused; f.mu is held.
func (f *Fake) notQueuedLocked(e *event, ep *webhookEndpoint, attempt int, now time.Time) {
	f.logDeliveryLocked(WebhookDelivery{EventID: e.id, Event: e.typ, EndpointID: ep.id, URL: ep.url, Attempt: attempt, At: now,
		Error: fmt.Sprintf("not sent: %d deliveries are already waiting (MaxQueuedWebhookDeliveries)", MaxQueuedWebhookDeliveries)})
}

// logDeliveryLocked appends rec to the delivery log, trimmed to
// MaxWebhookDeliveries now and then; f.mu is held.
func (f *Fake) logDeliveryLocked(rec WebhookDelivery) {
	f.wh.log = append(f.wh.log, rec)
	if len(f.wh.log) > MaxWebhookDeliveries+MaxWebhookDeliveries/4 { // trimmed now and then, not at every append
		f.wh.log = slices.Clone(f.wh.log[len(f.wh.log)-MaxWebhookDeliveries:])
	}
}

// startWebhooksLocked starts the delivery goroutine once (f.mu held).
func (f *Fake) startWebhooksLocked() {
	w := &f.wh
	if w.started || f.closed {
		return
	}
	w.started = true
	w.wake = make(chan struct{}, 1)
	w.stop = make(chan struct{})
	w.done = make(chan struct{})
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go f.deliverLoop()
}

// wakeWebhooks tells the delivery goroutine to look again (new events, a
// moved clock). It never blocks.
func (f *Fake) wakeWebhooks() {
	f.mu.Lock()
	ch := f.wh.wake
	f.mu.Unlock()
	poke(ch)
}

func poke(ch chan struct{}) {
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// stopWebhooks stops the delivery goroutine and waits for it; an attempt
// in flight is canceled.
func (f *Fake) stopWebhooks() {
	f.mu.Lock()
	w := f.wh
	f.mu.Unlock()
	if !w.started {
		return
	}
	close(w.stop)
	w.cancel()
	<-w.done
	f.mu.Lock()
	for _, ch := range f.wh.waiters {
		close(ch)
	}
	f.wh.waiters = nil
	f.mu.Unlock()
}

// queueLocked turns the events no endpoint has seen yet into deliveries.
func (f *Fake) queueLocked(now time.Time) {
	for _, ep := range sorted(f.m, f.m.webhooks, webhookID) {
		ep.next = max(ep.next, f.m.eventBase) // events pruned before it saw them are gone
		for ; ep.next < f.m.eventBase+len(f.m.events); ep.next++ {
			if e := f.m.events[ep.next-f.m.eventBase]; ep.wants(e.typ) {
				if f.queueFullLocked() {
					f.notQueuedLocked(e, ep, 1, now)
					continue
				}
				f.wh.queue = append(f.wh.queue, &delivery{event: e, endpoint: ep.id, attempt: 1, due: now})
			}
		}
	}
}

func (f *Fake) deliverLoop() {
	w := &f.wh
	f.mu.Lock()
	stop, wake, done, ctx := w.stop, w.wake, w.done, w.ctx
	f.mu.Unlock()
	defer close(done)
	for {
		select {
		case <-stop:
			return
		default:
		}
		f.mu.Lock()
		now := f.Now()
		f.queueLocked(now)
		var due []*delivery
		var next time.Time
		rest := w.queue[:0]
		for _, d := range w.queue {
			switch {
			case !d.due.After(now):
				due = append(due, d)
			default:
				if next.IsZero() || d.due.Before(next) {
					next = d.due
				}
				rest = append(rest, d)
			}
		}
		w.queue = rest
		w.inflight = len(due)
		if len(due) == 0 {
			for _, ch := range w.waiters {
				close(ch)
			}
			w.waiters = nil
		}
		f.mu.Unlock()

		for i, d := range due {
			select {
			case <-stop:
				return
			default:
			}
			f.mu.Lock()
			w.inflight = len(due) - i - 1 // those after d: d is queued again or done
			f.mu.Unlock()
			f.attempt(ctx, d)
		}
		if len(due) > 0 {
			continue
		}
		var timer *time.Timer
		var fire <-chan time.Time
		if !next.IsZero() && !f.clock.isFrozen() {
			timer = time.NewTimer(next.Sub(now))
			fire = timer.C
		}
		select {
		case <-stop:
		case <-wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// attempt sends one delivery and logs it, queueing its retry on failure.
func (f *Fake) attempt(ctx context.Context, d *delivery) {
	f.mu.Lock()
	ep := f.m.webhooks[d.endpoint]
	if ep == nil || !ep.enabled { // deleted or disabled since: dropped
		f.mu.Unlock()
		return
	}
	url, secret, client := ep.url, ep.secret, f.wh.client
	f.mu.Unlock()

	body := marshalCompact(renderEvent(d.event))
	at := f.Now()
	sig := webhooksig.Sign(secret, at, body)
	rec := WebhookDelivery{EventID: d.event.id, Event: d.event.typ, EndpointID: d.endpoint, URL: url,
		Attempt: d.attempt, At: at, Signature: sig}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "fgakit-authztest-webhooks")
		req.Header.Set(webhooksig.Header, sig)
		var resp *http.Response
		resp, err = client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			rec.Status = resp.StatusCode
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				err = fmt.Errorf("endpoint answered %d", resp.StatusCode)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		rec.Error = err.Error()
		if d.attempt <= len(f.wh.retries) && ctx.Err() == nil {
			if f.queueFullLocked() {
				rec.Error += fmt.Sprintf("; no retry: %d deliveries are already waiting (MaxQueuedWebhookDeliveries)", MaxQueuedWebhookDeliveries)
			} else {
				rec.NextAttempt = at.Add(f.wh.retries[d.attempt-1])
				f.wh.queue = append(f.wh.queue, &delivery{event: d.event, endpoint: d.endpoint, attempt: d.attempt + 1, due: rec.NextAttempt})
			}
		}
	}
	f.logDeliveryLocked(rec)
}

// MaxWebhookEndpoints bounds the webhook endpoints of one fake: each event
// is queued once per endpoint. Creating one more, over HTTP or in Go, is
// 422 invalid_request_parameters with an error of code
// "webhook_endpoint_limit_reached". The spec states no limit; this one is
// the fake's.
const MaxWebhookEndpoints = 100

// MaxWebhookDeliveries bounds the delivery log: [Fake.WebhookDeliveries]
// returns at most the most recent MaxWebhookDeliveries attempts.
const MaxWebhookDeliveries = 10_000

// DeliverWebhooks waits until every delivery due on the fake's clock has
// been attempted — the events emitted so far, and retries whose time has
// come — and returns nil, or ctx.Err() when ctx ends first. Retries not
// yet due stay queued: move a frozen clock with [Fake.Advance] and call it
// again. Without endpoints it returns at once.
func (f *Fake) DeliverWebhooks(ctx context.Context) error {
	f.mu.Lock()
	if !f.wh.started || f.closed {
		f.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	f.wh.waiters = append(f.wh.waiters, ch)
	wake := f.wh.wake
	f.mu.Unlock()
	poke(wake)
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WebhookDeliveries returns a copy of the delivery log: every attempt, in
// the order it finished (the most recent [MaxWebhookDeliveries]).
func (f *Fake) WebhookDeliveries() []WebhookDelivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.wh.log[max(0, len(f.wh.log)-MaxWebhookDeliveries):])
}

// AddWebhook registers a webhook endpoint at url with the signing secret
// ("" generates one) for the given event types (none: every type), and
// returns its ID ("we_…"). Events emitted from now on are delivered. The
// URL must be https, or http on a loopback host.
func (f *Fake) AddWebhook(url, secret string, events ...string) string {
	f.helper()
	if !f.open("AddWebhook") {
		return ""
	}
	f.mu.Lock()
	ep, err := f.addWebhookLocked(url, secret, events, events == nil)
	f.mu.Unlock()
	if err != nil {
		f.fail("AddWebhook "+url, err)
		return ""
	}
	return ep.id
}

// WebhookSecret returns the signing secret of endpoint id ("" if unknown).
func (f *Fake) WebhookSecret(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ep := f.m.webhooks[id]; ep != nil {
		return ep.secret
	}
	return ""
}

func newSecret() string {
	b := make([]byte, 18)
	rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// checkWebhookURL accepts https URLs, and http ones on a loopback host
// (the fake's tests and `fgakit serve` run there; WorkOS wants https).
func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errInvalidCode("invalid_url", "endpoint_url %q must be an absolute https URL", raw)
	}
	if u.Scheme == "http" {
		h := u.Hostname()
		ip := net.ParseIP(h)
		if h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return errInvalidCode("invalid_url", "endpoint_url %q must be https (http only on a loopback host)", raw)
		}
	}
	return nil
}

// checkWebhookEvents validates a subscription list: 422
// invalid_request_parameters naming each unknown type.
// webhookTypeError gives a field of the wrong JSON type (null included) the
// 422 body the webhook endpoint operations declare: invalid_request_parameters
// with an errors entry.
func webhookTypeError(err error, field string) error {
	if e, ok := err.(*apiError); ok && e.status == http.StatusUnprocessableEntity && e.code == "" {
		w := errInvalidCode("invalid_request_parameters", "Validation failed.")
		w.errs = []fieldError{{Code: "invalid_type", Field: field, Message: e.message}}
		return w
	}
	return err
}

func checkWebhookEvents(events []string) error {
	var errs []fieldError
	for _, e := range events {
		if !webhookEventTypes[e] {
			errs = append(errs, fieldError{Code: "unknown_event_type", Message: fmt.Sprintf("Invalid enum value: %q.", e)})
		}
	}
	if len(errs) > 0 {
		e := errInvalidCode("invalid_request_parameters", "Validation failed.")
		e.errs = errs
		return e
	}
	return nil
}

func (f *Fake) addWebhookLocked(url, secret string, events []string, all bool) (*webhookEndpoint, error) {
	if err := checkWebhookURL(url); err != nil {
		return nil, err
	}
	if err := checkWebhookEvents(events); err != nil {
		return nil, err
	}
	for _, ep := range f.m.webhooks {
		if ep.url == url {
			return nil, errConflict("duplicate_endpoint", "a webhook endpoint for %q already exists", url)
		}
	}
	if len(f.m.webhooks) >= MaxWebhookEndpoints {
		e := errInvalidCode("invalid_request_parameters", "Validation failed.")
		e.errs = []fieldError{{Code: "webhook_endpoint_limit_reached",
			Message: fmt.Sprintf("at most %d webhook endpoints; delete one first", MaxWebhookEndpoints)}}
		return nil, e
	}
	if secret == "" {
		secret = newSecret()
	}
	id, err := f.m.takeID("", "we_")
	if err != nil {
		return nil, err
	}
	now := f.m.now()
	ep := &webhookEndpoint{id: id, url: url, secret: secret, enabled: true, events: slices.Clone(events),
		created: now, updated: now, next: f.m.eventBase + len(f.m.events)}
	if all {
		ep.events = nil
	} else if ep.events == nil {
		ep.events = []string{}
	}
	f.m.webhooks[id] = ep
	f.startWebhooksLocked()
	return ep, nil
}

func (f *Fake) webhookRoutes(mux *http.ServeMux) {
	f.handle(mux, "GET /webhook_endpoints", func(r *http.Request) (int, any, error) {
		list, err := paginate(f.m, r.URL.Query(), sorted(f.m, f.m.webhooks, webhookID), webhookID, renderWebhookEndpoint)
		return http.StatusOK, list, err
	})
	f.handle(mux, "POST /webhook_endpoints", f.createWebhookEndpoint)
	f.handle(mux, "PATCH /webhook_endpoints/{id}", f.updateWebhookEndpoint)
	f.handle(mux, "DELETE /webhook_endpoints/{id}", func(r *http.Request) (int, any, error) {
		ep, err := f.webhookEndpoint(r)
		if err != nil {
			return 0, nil, err
		}
		delete(f.m.webhooks, ep.id)
		f.wh.queue = slices.DeleteFunc(f.wh.queue, func(d *delivery) bool { return d.endpoint == ep.id })
		return http.StatusNoContent, nil, nil
	})
}

func webhookID(e *webhookEndpoint) string { return e.id }

func (f *Fake) webhookEndpoint(r *http.Request) (*webhookEndpoint, error) {
	ep := f.m.webhooks[r.PathValue("id")]
	if ep == nil {
		return nil, errNotFoundCode("entity_not_found", "webhook endpoint %q not found", r.PathValue("id"))
	}
	return ep, nil
}

func errNotFoundCode(code, format string, args ...any) *apiError {
	e := errNotFound(format, args...)
	e.code = code
	return e
}

// createWebhookEndpoint serves POST /webhook_endpoints {endpoint_url,
// events} → 201 with the endpoint and its secret.
func (f *Fake) createWebhookEndpoint(r *http.Request) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	u, err := body.str("endpoint_url")
	if err != nil {
		return 0, nil, webhookTypeError(err, "endpoint_url")
	}
	events, ok, err := body.strList("events")
	if err != nil {
		return 0, nil, webhookTypeError(err, "events")
	}
	if u == "" || !ok {
		e := errInvalidCode("invalid_request_parameters", "Validation failed.")
		for field, missing := range map[string]bool{"endpoint_url": u == "", "events": !ok} {
			if missing {
				e.errs = append(e.errs, fieldError{Code: "required", Field: field, Message: field + " is required"})
			}
		}
		slices.SortFunc(e.errs, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
		return 0, nil, e
	}
	ep, err := f.addWebhookLocked(u, "", events, false)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, renderWebhookEndpoint(ep), nil
}

// updateWebhookEndpoint serves PATCH /webhook_endpoints/{id}
// {endpoint_url?, status?, events?}.
func (f *Fake) updateWebhookEndpoint(r *http.Request) (int, any, error) {
	ep, err := f.webhookEndpoint(r)
	if err != nil {
		return 0, nil, err
	}
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	v := make([]string, 2)
	for i, k := range []string{"endpoint_url", "status"} {
		if v[i], err = body.str(k); err != nil {
			return 0, nil, webhookTypeError(err, k)
		}
	}
	events, setEvents, err := body.strList("events")
	if err != nil {
		return 0, nil, webhookTypeError(err, "events")
	}
	u, status := v[0], v[1]
	if u != "" && u != ep.url {
		if err := checkWebhookURL(u); err != nil {
			return 0, nil, err
		}
		for _, o := range f.m.webhooks {
			if o.url == u {
				return 0, nil, errConflict("duplicate_endpoint", "a webhook endpoint for %q already exists", u)
			}
		}
	}
	if status != "" && status != "enabled" && status != "disabled" {
		e := errInvalidCode("invalid_request_parameters", "Validation failed.")
		e.errs = []fieldError{{Code: "invalid_enum_value", Field: "status", Message: "status must be enabled or disabled"}}
		return 0, nil, e
	}
	if setEvents {
		if err := checkWebhookEvents(events); err != nil {
			return 0, nil, err
		}
	}
	if u != "" {
		ep.url = u
	}
	if status != "" {
		ep.enabled = status == "enabled"
	}
	if setEvents {
		ep.events = slices.Clone(events)
		if ep.events == nil {
			ep.events = []string{}
		}
	}
	ep.updated = f.m.now()
	return http.StatusOK, renderWebhookEndpoint(ep), nil
}
