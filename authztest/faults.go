package authztest

import (
	"net/http"
	"strings"
	"time"
)

// Fault is a failure the fake answers with instead of (or before) the real
// answer; see [Fake.InjectFault].
type Fault struct {
	// Path selects the requests: an exact path or a path prefix, e.g.
	// "/authorization/organization_memberships/om_1/check" or
	// "/authorization/". Empty matches every WorkOS API path. The JWKS path
	// is matched only when Path names it (prefix "/sso/jwks/").
	Path string
	// Method selects the requests by HTTP method; empty matches any.
	Method string
	// Times is how many matching requests fail: 0 means 1, a negative
	// value means every one until [Fake.ClearFaults].
	Times int

	// Status answers with this status code. The body is Body, or a JSON
	// error body ({"message"}, plus "code":"rate_limit_exceeded" for 429).
	Status int
	// Body replaces the default body of Status.
	Body string
	// RetryAfter sets the Retry-After header (seconds or an HTTP date).
	RetryAfter string
	// Delay waits this long (real time) before answering; it stops early
	// when the client gives up. With no other field set the request is
	// then answered normally: pure latency.
	Delay time.Duration
	// Drop closes the connection without answering.
	Drop bool
	// Malformed answers 200 with a truncated, non-JSON body.
	Malformed bool
}

type faultState struct {
	Fault
	left int // < 0: forever
}

// InjectFault makes the next matching requests fail as fault says. Faults
// are matched in the order they were injected; each request uses at most
// one. Faulted requests still appear in [Fake.Calls].
//
// Through [Fake.Client], which retries 408, 429, 5xx and dropped
// connections ([RetryPolicy]: 3 retries, milliseconds apart), a fault
// makes a call fail only when it matches every attempt: Times -1 (until
// [Fake.ClearFaults]) or Times 4 (MaxRetries+1). A fault for fewer
// requests is absorbed by a retry and the call succeeds, which is how a
// test shows that a transient failure is survived. Malformed bodies and
// other statuses (4xx) are not retried: one is enough.
// A Drop on a reused keep-alive connection is absorbed even with retries
// off: fgakit sends such a request again at once on a fresh connection (see
// authz.RetryPolicy); Times -1 drops every attempt.
func (f *Fake) InjectFault(fault Fault) {
	f.helper()
	if !f.open("InjectFault") {
		return
	}
	left := fault.Times
	if left == 0 {
		left = 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &faultState{Fault: fault, left: left})
}

// FailNext makes the next API request (any path) answer status with a
// JSON error body. It is one request: a retryable status (408, 429, 5xx)
// is then absorbed by [Fake.Client]'s first retry and the call succeeds.
// To make a call through the retrying client fail, use
// InjectFault(Fault{Status: status, Times: -1}) (see [Fake.InjectFault]),
// or a client without retries: f.Client(authz.WithRetry(authz.RetryPolicy{})).
func (f *Fake) FailNext(status int) {
	f.helper()
	f.InjectFault(Fault{Status: status})
}

// ClearFaults removes every pending fault.
func (f *Fake) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// takeFault consumes and returns the first fault matching r, if any.
func (f *Fake) takeFault(r *http.Request, apiPath bool) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, fs := range f.faults {
		if fs.Method != "" && !strings.EqualFold(fs.Method, r.Method) {
			continue
		}
		if fs.Path == "" && !apiPath || !strings.HasPrefix(r.URL.Path, fs.Path) {
			continue
		}
		if fs.left > 0 {
			fs.left--
			if fs.left == 0 {
				f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
			}
		}
		fault := fs.Fault
		return &fault
	}
	return nil
}

// applyFault answers r with a matching fault. done reports that the request
// was answered (or dropped) and status what it was answered with; record
// logs the call before the client can see the answer.
func (f *Fake) applyFault(w http.ResponseWriter, r *http.Request, apiPath bool, record func(status int)) (status int, done bool) {
	fault := f.takeFault(r, apiPath)
	if fault == nil {
		return 0, false
	}
	if fault.Delay > 0 {
		t := time.NewTimer(fault.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			record(0)
			return 0, true
		}
	}
	switch {
	case fault.Drop:
		record(0)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return 0, true
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2 or a wrapped writer: abort the stream
	case fault.Malformed:
		record(http.StatusOK)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		body := fault.Body
		if body == "" {
			body = `{"authorized": tr`
		}
		w.Write([]byte(body))
		return http.StatusOK, true
	case fault.Status != 0:
		record(fault.Status)
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		if fault.Body != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(fault.Status)
			w.Write([]byte(fault.Body))
			return fault.Status, true
		}
		e := errorBody{Message: http.StatusText(fault.Status)}
		if fault.Status == http.StatusTooManyRequests {
			e = errorBody{Code: "rate_limit_exceeded", Message: "Too many requests."}
		}
		writeJSON(w, fault.Status, e)
		return fault.Status, true
	}
	return 0, false // latency only
}
