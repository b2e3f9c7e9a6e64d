package authz

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fgakit/fgakit/internal/redact"
)

// Sentinel errors. Test for them with [errors.Is]; they may be wrapped. An
// [*APIError] matches the sentinel of its status code (see [APIError.Is]).
var (
	// ErrInvalidInput: an argument of New or of a call is missing or
	// malformed (empty API key, empty membership or permission, a
	// [ResourceRef] that names nothing or two things…). No API call was made.
	ErrInvalidInput = errors.New("authz: invalid input")
	// ErrOrganizationMismatch: the resource reference names an organization
	// other than the session's or the membership's. A membership never has
	// access to another organization's resources, and the API would look
	// the external ID up in the membership's organization — a different
	// resource — so nothing is sent: no check, no assignment.
	ErrOrganizationMismatch = errors.New("authz: resource named in another organization than the session's or membership's")
	// ErrMalformedResponse: a 2xx answer whose body is not what the API
	// documents (for a check: a JSON object with a boolean "authorized").
	ErrMalformedResponse = errors.New("authz: malformed response from the API")
	// ErrResponseTooLarge: a 2xx answer whose body exceeds the client's
	// size cap (1 MiB).
	ErrResponseTooLarge = errors.New("authz: response body too large")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("authz: client closed")
	// ErrUnavailable: the API could not be reached — no HTTP answer came
	// back: the connection was refused, reset or dropped, TLS failed, an
	// attempt timed out (the http.Client's Timeout), or a merged check got
	// no answer within [WithCallTimeout]. Such failures are retried per
	// [RetryPolicy] first. The underlying network error stays in the chain
	// (errors.As finds its *url.Error or *net.OpError) unless its text held
	// the API key.
	ErrUnavailable = errors.New("authz: the API could not be reached")
	// ErrPanic: the shared API call panicked (for example in a custom
	// http.RoundTripper). The panic was recovered; every caller waiting on
	// that call gets this error. See [*PanicError].
	ErrPanic = errors.New("authz: panic in API call")

	// ErrBadRequest matches an [*APIError] with status 400.
	ErrBadRequest = errors.New("authz: bad request")
	// ErrUnauthorized matches an [*APIError] with status 401 (invalid API key).
	ErrUnauthorized = errors.New("authz: unauthorized")
	// ErrForbidden matches an [*APIError] with status 403 (the key lacks permission).
	ErrForbidden = errors.New("authz: forbidden")
	// ErrNotFound matches an [*APIError] with status 404.
	ErrNotFound = errors.New("authz: not found")
	// ErrConflict matches an [*APIError] with status 409.
	ErrConflict = errors.New("authz: conflict")
	// ErrValidation matches an [*APIError] with status 422.
	ErrValidation = errors.New("authz: validation failed")
	// ErrRateLimited matches an [*APIError] with status 429.
	ErrRateLimited = errors.New("authz: rate limited")
	// ErrServer matches an [*APIError] with a 5xx status.
	ErrServer = errors.New("authz: server error")
)

// maxEchoedBody is how many bytes of an error body an [*APIError] keeps.
const maxEchoedBody = 200

// APIError is a non-2xx answer of the WorkOS API. Retrieve it with
// [errors.As]; compare its kind with [errors.Is] and the sentinels
// ([ErrNotFound], [ErrRateLimited]…). Its Error string never contains the
// API key.
type APIError struct {
	// StatusCode is the HTTP status, e.g. 404.
	StatusCode int
	// Code is the machine-readable "code" of the body, when present (e.g.
	// "rate_limit_exceeded").
	Code string
	// Message is the body's "message"; for a body that is not JSON, its
	// first 200 bytes; for an empty body, the status text.
	Message string
	// RequestID is the X-Request-ID response header; quote it to WorkOS
	// support.
	RequestID string
	// RetryAfter is the wait the server asked for with Retry-After (seconds
	// or HTTP date), zero if none, if invalid or for a date in the past. A
	// number of seconds too large for a Duration is the largest Duration.
	RetryAfter time.Duration
	// Errors are the field-level validation errors of a 422 body, when present.
	Errors []FieldError
	// RoleSlug is the role the API refused, from the "role_slug" of a 422
	// sub_resource_scoped_role_not_allowed body ([Client.CreateMembership],
	// [Client.UpdateMembership]); empty otherwise.
	RoleSlug string
}

// FieldError is one entry of the "errors" list of a validation error.
type FieldError struct {
	// Field names the offending input, e.g. "permission_slug".
	Field string `json:"field"`
	// Code says what is wrong with it, e.g. "required".
	Code string `json:"code"`
}

// Error returns "authz: API status 404 (code): message [request req_…]".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "authz: API status %d", e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for i, fe := range e.Errors {
		if i == 0 {
			b.WriteString(" —")
		}
		fmt.Fprintf(&b, " %s: %s;", fe.Field, fe.Code)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", e.RequestID)
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's status code: 400
// [ErrBadRequest], 401 [ErrUnauthorized], 403 [ErrForbidden], 404
// [ErrNotFound], 409 [ErrConflict], 422 [ErrValidation], 429
// [ErrRateLimited], 5xx [ErrServer].
func (e *APIError) Is(target error) bool {
	if target == ErrServer {
		return e.StatusCode >= 500 && e.StatusCode <= 599
	}
	for _, s := range sentinelStatus {
		if target == s.err {
			return e.StatusCode == s.status
		}
	}
	return false
}

// sentinelStatus pairs each sentinel of a single status with its code. (A
// list, not a map: errors.Is may pass a target of a non-comparable type,
// which a map lookup would panic on; == between different types does not.)
var sentinelStatus = [...]struct {
	err    error
	status int
}{
	{ErrBadRequest, http.StatusBadRequest},
	{ErrUnauthorized, http.StatusUnauthorized},
	{ErrForbidden, http.StatusForbidden},
	{ErrNotFound, http.StatusNotFound},
	{ErrConflict, http.StatusConflict},
	{ErrValidation, http.StatusUnprocessableEntity},
	{ErrRateLimited, http.StatusTooManyRequests},
}

// temporary reports whether a new attempt may succeed: 408, 429, 500, 502,
// 503 and 504, as the official SDK retries.
func (e *APIError) temporary() bool {
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// PanicError is the error every waiter of a shared API call gets when that
// call panicked. It matches [ErrPanic].
type PanicError struct {
	// Value is the panic value as text, without any piece of the API key
	// of 8 bytes or more; at most 200 bytes of it are kept.
	Value string
}

// Error returns "authz: panic in API call: <value>".
func (e *PanicError) Error() string { return ErrPanic.Error() + ": " + e.Value }

// Unwrap returns [ErrPanic].
func (e *PanicError) Unwrap() error { return ErrPanic }

// transportError is a failure to get any HTTP answer (dial, TLS, reset,
// timeout). It matches ErrUnavailable. Its message never contains the API
// key: if the underlying error's text did, the chain is cut and only the
// redacted text is kept.
type transportError struct {
	msg string
	err error // nil when cut
	// stale: the request went out on a reused keep-alive connection and
	// failed before any byte of an answer came (not by a timeout) — the
	// server had closed the connection. Retried at once (see send).
	stale bool
}

func (e *transportError) Error() string        { return e.msg }
func (e *transportError) Unwrap() error        { return e.err }
func (e *transportError) Is(target error) bool { return target == ErrUnavailable }

// redactor removes the API key — whole or any piece of 8 bytes or more,
// raw or escaped — from text before it lands in an error (see package
// internal/redact). Redact first, then truncate. The Set (which holds
// every 8-byte piece of the key) is reached only through a closure, so no
// printing of a Client value shows it (see credential).
type redactor struct{ fn func(string) string }

func newRedactor(apiKey string) redactor { return redactor{redact.New(apiKey).Redact} }

func (r redactor) redact(s string) string { return r.fn(s) }

// wrapTransport turns a network error into a *transportError.
func (r redactor) wrapTransport(prefix string, err error) *transportError {
	raw := err.Error()
	clean := r.redact(raw)
	if clean != raw {
		return &transportError{msg: prefix + clean}
	}
	return &transportError{msg: prefix + raw, err: err}
}

// truncate cuts s to at most n bytes on a rune boundary and marks the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
