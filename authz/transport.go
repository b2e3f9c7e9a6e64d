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
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
//
// Errors: a done ctx gives an error wrapping ctx.Err() (and the last
// attempt's error, if any); Close gives ErrClosed; a 2xx body that does not
// decode gives ErrMalformedResponse; an oversized 2xx body
// ErrResponseTooLarge; a network failure an error matching ErrUnavailable
// whose text never holds the API key.
func (c *Client) do(ctx context.Context, req request, out any) error {
	if !c.acquire() {
		return ErrClosed
	}
	defer c.wg.Done()
	linked, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.base, cancel)
	defer stop()
	return c.send(linked, ctx, req, out)
}

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
	maxRetries := c.cfg.retry.MaxRetries
	if req.noRetry {
		maxRetries = 0
	}

	var lastErr error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return c.doneErr(callerCtx, req.method, route, lastErr)
		}
		if c.cfg.rateLimit != nil {
			if err := c.waitRateLimit(ctx, req.method, route); err != nil {
				if ctx.Err() != nil {
					return c.doneErr(callerCtx, req.method, route, lastErr)
				}
				if lastErr != nil {
					return fmt.Errorf("%w (last attempt: %w)", err, lastErr)
				}
				return err
			}
		}
		start := time.Now()
		status, err := c.attempt(ctx, req.method, route, u, body, idemKey, out)
		if c.cfg.hooks.Attempt != nil {
			c.cfg.hooks.Attempt(ctx, Attempt{Method: req.method, Route: route, BaseURL: c.cfg.baseURL, Attempt: attempt, StatusCode: status, Duration: time.Since(start), Err: err})
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			// The failure is (most likely) the cancellation itself.
			return c.doneErr(callerCtx, req.method, route, lastErr)
		}
		lastErr = err
		wait, retry := c.retryWait(err, attempt, maxRetries)
		if !retry {
			return err
		}
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
				return c.doneErr(callerCtx, req.method, route, lastErr)
			case <-t.C:
			}
		}
	}
}

// doneErr is the error of a call whose context is done: ErrClosed when the
// Client was closed, else the caller's ctx.Err() (wrapped with the last
// attempt's error, if any).
func (c *Client) doneErr(callerCtx context.Context, method, route string, last error) error {
	cerr := callerCtx.Err()
	if cerr == nil || c.base.Err() != nil {
		return ErrClosed
	}
	if last != nil {
		return fmt.Errorf("authz: %s %s: %w (last attempt: %w)", method, route, cerr, last)
	}
	return fmt.Errorf("authz: %s %s: %w", method, route, cerr)
}

// retryWait says whether err after the given attempt is retried, and after
// how long.
func (c *Client) retryWait(err error, attempt, maxRetries int) (time.Duration, bool) {
	if attempt > maxRetries {
		return 0, false
	}
	var te *transportError
	if errors.As(err, &te) {
		return c.cfg.retry.backoff(attempt), true
	}
	var ae *APIError
	if !errors.As(err, &ae) || !ae.temporary() {
		return 0, false
	}
	if ae.RetryAfter > 0 {
		if ae.RetryAfter > c.cfg.retry.MaxRetryAfter {
			return 0, false
		}
		return ae.RetryAfter, true
	}
	return c.cfg.retry.backoff(attempt), true
}

// backoff is the jittered wait before retry n (n ≥ 1).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := float64(p.MinBackoff) * math.Pow(1.5, float64(n))
	if d > float64(p.MaxBackoff) {
		d = float64(p.MaxBackoff)
	}
	return time.Duration(d * (0.5 + mathrand.Float64()))
}

// attempt sends one HTTP request and reads its answer.
func (c *Client) attempt(ctx context.Context, method, route, u string, body []byte, idemKey string, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, fmt.Errorf("%w: building request: %s", ErrInvalidInput, c.key.redact(err.Error()))
	}
	hreq.Header.Set("Authorization", c.authHdr)
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
		return 0, c.key.wrapTransport("authz: "+method+" "+route+": the API could not be reached: ", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return resp.StatusCode, c.key.wrapTransport("authz: "+method+" "+route+": reading the answer failed: ", err)
	}
	tooLarge := len(data) > maxResponseBody
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, c.apiError(resp, data)
	}
	if tooLarge {
		return resp.StatusCode, fmt.Errorf("%w (more than %d bytes)", ErrResponseTooLarge, maxResponseBody)
	}
	switch d, ok := out.(bodyDecoder); {
	case ok:
		err = d.decodeBody(data)
	case out == nil || resp.StatusCode == http.StatusNoContent:
		return resp.StatusCode, nil
	default:
		err = json.Unmarshal(data, out)
	}
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%w: %s", ErrMalformedResponse, c.key.redact(truncate(err.Error(), maxEchoedBody)))
	}
	return resp.StatusCode, nil
}

// apiError builds the *APIError of a non-2xx answer. It reads the body the
// way the official SDK does (code, message, error, error_description,
// errors[{field, code}]) and tolerates any body: non-JSON text is kept,
// truncated, as the message.
func (c *Client) apiError(resp *http.Response, data []byte) *APIError {
	e := &APIError{
		StatusCode: resp.StatusCode,
		RequestID:  c.clean(resp.Header.Get("X-Request-ID"), 100),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.now()),
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

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. Anything else, or a date in the past, is zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		const maxSecs = math.MaxInt64 / int64(time.Second)
		if secs > uint64(maxSecs) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
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
