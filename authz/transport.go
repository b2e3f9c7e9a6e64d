package authz

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// maxResponseBody caps every response body read by the Client. A larger 2xx
// body is [ErrResponseTooLarge]; a larger error body is truncated.
const maxResponseBody = 1 << 20

// request is one API call, built by the typed methods and sent by do.
type request struct {
	method string
	path   string     // already escaped, e.g. "/authorization/resources/" + url.PathEscape(id)
	query  url.Values // may be nil
	body   any        // JSON-encoded when non-nil
	// idempotent marks a POST that should carry an Idempotency-Key (same on every retry).
	idempotent bool

	// route is the path template reported to the observer, e.g.
	// "/authorization/organization_memberships/{om}/check". When empty, do
	// derives one from path by replacing identifiers with "{}".
	route string
	// noRetry sends the request once, whatever the RetryPolicy.
	noRetry bool
	// slotDeadline, when not zero, bounds the first attempt's wait for a
	// rate-limiter slot (a merged check's starter's deadline).
	slotDeadline time.Time
	// slot, when not nil, tells a merged check's joiners about every wait
	// for a rate-limiter slot (see flight.slot).
	slot *atomic.Int64
}

// bodyDecoder is implemented by response types that decode their 2xx body
// themselves, more strictly than encoding/json (see checkResult). They are
// given every 2xx body, a 204's (empty) included: a check answered 204 has
// no "authorized" and is malformed, not a deny.
type bodyDecoder interface {
	decodeBody(data []byte) error
}

// do sends req with retries and decodes a 2xx JSON body into out (when out is
// non-nil and the status is not 204; a bodyDecoder gets every 2xx body). Non-2xx answers become *APIError.
// The call, retries included, is bounded by the call timeout
// ([WithCallTimeout]) as well as by ctx.
//
// Errors: a done ctx gives an error wrapping ctx.Err() (and the last
// attempt's error, if any); Close gives ErrClosed; the call timeout gives
// an error matching ErrUnavailable and context.DeadlineExceeded; a 2xx
// body that does not decode gives ErrMalformedResponse; an oversized 2xx
// body ErrResponseTooLarge; a network failure an error matching
// ErrUnavailable whose text never holds the API key.
func (c *Client) do(ctx context.Context, req request, out any) error {
	if !c.acquire() {
		return ErrClosed
	}
	defer c.wg.Done()
	linked, cancel := context.WithTimeout(ctx, c.cfg.callTimeout)
	defer cancel()
	stop := context.AfterFunc(c.base, cancel)
	defer stop()
	return c.send(linked, ctx, req, out)
}

// maxStaleRetries bounds the immediate retries of one call after a reused
// keep-alive connection turned out to be dead.
const maxStaleRetries = 2

// send is do without the Close bookkeeping: the caller has acquired and
// made ctx end when the Client closes. callerCtx is the context whose
// Err is reported when ctx is done.
func (c *Client) send(ctx, callerCtx context.Context, req request, out any) error {
	route := req.route
	if route == "" {
		route = deriveRoute(req.path)
	}
	var body []byte
	if req.body != nil {
		var err error
		if body, err = json.Marshal(req.body); err != nil {
			return fmt.Errorf("authz: %s %s: encoding request body: %w", req.method, route, err)
		}
	}
	u := c.cfg.baseURL + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var idemKey string
	if req.idempotent {
		idemKey = newIdempotencyKey()
	}
	// replayable: sending it twice does what sending it once does — a
	// read, a check, or a POST with an Idempotency-Key (the requests Go's
	// own http.Transport resends, checks added).
	replayable := idemKey != "" || req.method == http.MethodGet || req.method == http.MethodHead || route == checkRoute
	maxRetries := c.cfg.retry.MaxRetries
	if req.noRetry {
		maxRetries = 0
	}

	var lastErr error
	retries, stale := 0, 0
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return c.doneErr(ctx, callerCtx, req.method, route, lastErr)
		}
		var slotDeadline time.Time
		if attempt == 1 {
			slotDeadline = req.slotDeadline
		}
		if err := c.waitRateLimit(ctx, slotDeadline, req.slot, req.method, route); err != nil {
			if ctx.Err() != nil {
				return c.doneErr(ctx, callerCtx, req.method, route, lastErr)
			}
			err = fmt.Errorf("authz: %s %s: %w", req.method, route, err)
			if lastErr != nil {
				return fmt.Errorf("%w (last attempt: %w)", err, lastErr)
			}
			return err
		}
		start := time.Now()
		a, err := c.attempt(ctx, req.method, route, u, body, idemKey, out)
		if c.cfg.hooks.Attempt != nil {
			c.cfg.hooks.Attempt(ctx, Attempt{Method: req.method, Route: route, BaseURL: c.cfg.baseURL, Attempt: attempt, StatusCode: a.status, Duration: time.Since(start), Err: err})
		}
		if err == nil {
			c.budget.answered()
			return nil
		}
		if ctx.Err() != nil {
			// The failure is (most likely) the cancellation itself.
			return c.doneErr(ctx, callerCtx, req.method, route, lastErr)
		}
		lastErr = err
		var te *transportError
		if errors.As(err, &te) && te.stale && replayable && stale < maxStaleRetries && !c.cfg.noStaleResend {
			// The request went out on a pooled connection the server had
			// already closed: the API never answered it. Send it again at
			// once on a fresh connection; this is no retry of a failure,
			// so it does not depend on MaxRetries (nor on noRetry).
			stale++
			continue
		}
		if !retryable(err) {
			c.budget.answered() // the API answered; it is at work
			return err
		}
		allowed := c.budget.failed()
		wait, retry, err := c.retryWait(err, a, retries, maxRetries)
		if !retry {
			return err
		}
		if !allowed {
			return fmt.Errorf("%w (not retried: the Client's retry budget is spent, see RetryBudget)", err)
		}
		retries++
		if dl, ok := ctx.Deadline(); ok && c.cfg.now().Add(wait).After(dl) {
			return fmt.Errorf("%w (next attempt in %s would pass the deadline: %w)", err, wait.Round(time.Millisecond), context.DeadlineExceeded)
		}
		if c.cfg.hooks.Retry != nil {
			c.cfg.hooks.Retry(ctx, RetryEvent{Method: req.method, Route: route, Attempt: attempt, Wait: wait, Err: err})
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return c.doneErr(ctx, callerCtx, req.method, route, lastErr)
			case <-t.C:
			}
		}
	}
}

// doneErr is the error of a call whose context ctx is done: ErrClosed when
// the Client was closed, the caller's callerCtx.Err() when the caller's
// context is done, else (the call timeout of do) an error matching
// ErrUnavailable and context.DeadlineExceeded. Each wraps the last
// attempt's error, if any.
func (c *Client) doneErr(ctx, callerCtx context.Context, method, route string, last error) error {
	if c.base.Err() != nil {
		return ErrClosed
	}
	cerr := callerCtx.Err()
	if cerr == nil {
		if ctx.Err() == nil { // not done after all (cannot happen)
			return ErrClosed
		}
		cerr = fmt.Errorf("%w: no answer within the call timeout (%s): %w", ErrUnavailable, c.cfg.callTimeout, context.DeadlineExceeded)
	}
	if last != nil {
		return fmt.Errorf("authz: %s %s: %w (last attempt: %w)", method, route, cerr, last)
	}
	return fmt.Errorf("authz: %s %s: %w", method, route, cerr)
}

// retryable reports whether err is a failure RetryPolicy retries: no
// answer, or a 408, 429, 500, 502, 503, 504.
func retryable(err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.temporary()
}

// retryWait says whether the retryable err of an attempt whose answer was
// a is retried after the given number of retries, and after how long. When
// it is not, it returns the error to report.
func (c *Client) retryWait(err error, a answer, retries, maxRetries int) (time.Duration, bool, error) {
	if retries >= maxRetries {
		return 0, false, err
	}
	var ae *APIError
	if errors.As(err, &ae) && a.retryAfterSet {
		if ae.RetryAfter > c.cfg.retry.MaxRetryAfter {
			return 0, false, fmt.Errorf("%w (not retried: Retry-After %s is longer than MaxRetryAfter %s)", err, ae.RetryAfter, c.cfg.retry.MaxRetryAfter)
		}
		return ae.RetryAfter, true, err // 0: at once
	}
	return c.cfg.retry.backoff(retries + 1), true, err
}

// backoff is the jittered wait before retry n (n ≥ 1).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := float64(p.MinBackoff) * math.Pow(1.5, float64(n))
	if d > float64(p.MaxBackoff) {
		d = float64(p.MaxBackoff)
	}
	return time.Duration(d * (0.5 + mathrand.Float64()))
}

// answer is what an attempt learnt besides its error.
type answer struct {
	status        int  // the HTTP status, 0 without an answer
	retryAfterSet bool // the answer had a valid Retry-After (see parseRetryAfter)
}

// attempt sends one HTTP request and reads its answer.
func (c *Client) attempt(ctx context.Context, method, route, u string, body []byte, idemKey string, out any) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The trace tells a request that died on a reused keep-alive
	// connection before any byte of an answer came (see transportError).
	var reused, answered atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn:              func(i httptrace.GotConnInfo) { reused.Store(i.Reused) },
		GotFirstResponseByte: func() { answered.Store(true) },
	}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, u, rd)
	if err != nil {
		return answer{}, fmt.Errorf("%w: building request: %s", ErrInvalidInput, c.key.redact(err.Error()))
	}
	hreq.Header.Set("Authorization", c.cred())
	hreq.Header.Set("User-Agent", c.userAgent)
	hreq.Header.Set("Accept", "application/json")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		hreq.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		e := c.key.wrapTransport("authz: "+method+" "+route+": the API could not be reached: ", err)
		var ne net.Error
		e.stale = reused.Load() && !answered.Load() && !(errors.As(err, &ne) && ne.Timeout())
		return answer{}, e
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return a, c.key.wrapTransport("authz: "+method+" "+route+": reading the answer failed: ", err)
	}
	tooLarge := len(data) > maxResponseBody
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := c.apiError(resp, data)
		_, a.retryAfterSet = parseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.now())
		return a, ae
	}
	if tooLarge {
		return a, fmt.Errorf("%w (more than %d bytes)", ErrResponseTooLarge, maxResponseBody)
	}
	switch d, ok := out.(bodyDecoder); {
	case ok:
		err = d.decodeBody(data)
	case out == nil || resp.StatusCode == http.StatusNoContent:
		return a, nil
	default:
		err = json.Unmarshal(data, out)
	}
	if err != nil {
		return a, fmt.Errorf("%w: %s", ErrMalformedResponse, truncate(c.key.redact(err.Error()), maxEchoedBody))
	}
	return a, nil
}

// apiError builds the *APIError of a non-2xx answer. It reads the body the
// way the official SDK does (code, message, error, error_description,
// errors[{field, code}]), plus role_slug, and tolerates any body: non-JSON
// text is kept, truncated, as the message.
func (c *Client) apiError(resp *http.Response, data []byte) *APIError {
	e := &APIError{
		StatusCode: resp.StatusCode,
		RequestID:  c.clean(resp.Header.Get("X-Request-ID"), 100),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.cfg.now()),
	}
	var obj map[string]json.RawMessage
	switch {
	case len(bytes.TrimSpace(data)) == 0:
	case json.Unmarshal(data, &obj) == nil: // an object, or null
		str := func(k string) string {
			var s string
			_ = json.Unmarshal(obj[k], &s)
			return s
		}
		e.Code = c.clean(str("code"), 100)
		if e.Code == "" {
			e.Code = c.clean(str("error"), 100)
		}
		e.Message = c.clean(str("message"), maxEchoedBody)
		if e.Message == "" {
			e.Message = c.clean(str("error_description"), maxEchoedBody)
		}
		e.RoleSlug = c.clean(str("role_slug"), 100)
		var fes []FieldError
		if json.Unmarshal(obj["errors"], &fes) == nil {
			for i, fe := range fes {
				if i == 20 {
					break
				}
				e.Errors = append(e.Errors, FieldError{Field: c.clean(fe.Field, 100), Code: c.clean(fe.Code, 100)})
			}
		}
	default:
		e.Message = c.clean(string(data), maxEchoedBody)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// clean makes server-supplied text safe to echo: API key removed, runs of
// whitespace and control characters collapsed, at most n bytes.
func (c *Client) clean(s string, n int) string {
	if len(s) > 4*n {
		s = s[:4*n]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }), " ")
	return truncate(c.key.redact(s), n)
}

// parseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): delay
// seconds (any number of digits; a value too large for a Duration is the
// largest Duration) or an HTTP date (a date in the past is 0: retry at
// once). ok is false for an absent or invalid header (negative, fractional,
// garbage), which is then ignored.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseUint(v, 10, 64)
		const maxSecs = math.MaxInt64 / int64(time.Second)
		if err != nil || secs > uint64(maxSecs) { // only digits: too large
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// retryAfter is parseRetryAfter's duration.
func retryAfter(v string, now time.Time) time.Duration {
	d, _ := parseRetryAfter(v, now)
	return d
}

// newIdempotencyKey returns "fgakit-" and 128 random bits in hex.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return "fgakit-" + hex.EncodeToString(b[:])
}

// routeWords are the literal path segments of the Authorization API; every
// other segment is an identifier and becomes a named placeholder in a
// derived route.
var routeWords = map[string]bool{
	"authorization": true, "organization_memberships": true, "organizations": true,
	"check": true, "resources": true, "permissions": true, "role_assignments": true,
	"roles": true, "groups": true, "sso": true, "jwks": true, "user_management": true,
	"sessions": true, "revoke": true, "jwt_template": true, "deactivate": true, "reactivate": true,
}

// placeholders name the identifier that follows a literal segment, as the
// API reference does.
var placeholders = map[string]string{
	"organization_memberships": "{om}",
	"organizations":            "{organization_id}",
	"resources":                "{resource_id}",
	"role_assignments":         "{role_assignment_id}",
	"roles":                    "{role_slug}",
	"permissions":              "{permission_slug}",
	"groups":                   "{group_id}",
	"jwks":                     "{client_id}",
}

// deriveRoute replaces the identifiers of an escaped path with named
// placeholders, e.g. "/authorization/resources/{resource_id}". After
// "resources", two identifiers in a row are a type slug and an external
// ID: ".../resources/{resource_type_slug}/{external_id}".
func deriveRoute(path string) string {
	segs := strings.Split(path, "/")
	isID := func(i int) bool { return i < len(segs) && segs[i] != "" && !routeWords[segs[i]] }
	prev, n := "", 0 // the last literal segment, and the identifiers since
	for i, s := range segs {
		if !isID(i) {
			prev, n = s, 0
			continue
		}
		n++
		name := "{id}"
		switch {
		case prev == "resources" && n == 1 && isID(i+1):
			name = "{resource_type_slug}"
		case prev == "resources" && n == 2:
			name = "{external_id}"
		case n == 1 && placeholders[prev] != "":
			name = placeholders[prev]
		}
		segs[i] = name
	}
	return strings.Join(segs, "/")
}
