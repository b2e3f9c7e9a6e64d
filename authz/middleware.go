package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
)

// Middleware guards net/http handlers with an AuthKit session: it verifies
// the access token of each request, then requires a session
// ([Middleware.RequireSession]), an organization-wide permission
// ([Middleware.RequirePermission]) or a permission on the resource the
// request names ([Middleware.RequireResource]).
//
// Answers:
//
//   - 401 for a missing or invalid session;
//   - 403 for a deny — and for everything that leaves nothing to allow: a
//     session without a membership, a reference naming another
//     organization ([ErrOrganizationMismatch]), and a resource the API
//     does not know ([Decision.NotFound]: the resource or membership does
//     not exist in the session's organization, which is also how another
//     organization's resource looks). A 403 rather than a 404 or a 503
//     tells the caller nothing about whether the resource exists, and an
//     ID-guessing probe does not look like an outage; an error handler
//     that prefers 404 can say so ([WithErrorHandler]);
//   - 404 when the resource function says the resource does not exist
//     ([ErrNotFound]), without an API call;
//   - 400 when the request names no valid resource;
//   - 503 when the decision could not be made (the API or the key set
//     unavailable, a timeout, an API error), with the API's Retry-After
//     forwarded when it sent one.
//
// Every rejection goes to the error handler as a [*RejectError] holding
// the status and the reason; [RejectErrorFor] is the mapping from reason to
// status, for routes that decide outside the Middleware. The default handler ([WriteTextError]) sends
// the bare status text as text/plain; [WriteJSONError] sends JSON; set
// either or your own with [WithErrorHandler]. Errors are never echoed.
// Allowed requests reach the handler with the verified claims in their
// context ([ClaimsFromContext]) and a request memo ([cache.WithMemo]), so
// repeated checks in the handler are answered once.
//
// Middlewares compose: each holds the request to its own verifier and its
// own token source. An inner Middleware built with the same
// [*token.Verifier] as an outer one, that reads the same token, reuses the
// outer one's claims; one with another verifier (another environment,
// issuer or client ID), or that reads another token (a cookie, see
// [TokenFromCookie], where the outer one read the Authorization header),
// verifies its own token and rejects what its verifier rejects.
type Middleware struct {
	c          *Client
	v          *token.Verifier
	tokenOf    func(*http.Request) string
	onReject   func(r *http.Request, status int, err error)
	writeError func(w http.ResponseWriter, r *http.Request, err *RejectError)
}

// MiddlewareOption configures a [Middleware].
type MiddlewareOption func(*Middleware)

// TokenFromCookie reads the access token from the named cookie instead of
// the Authorization: Bearer header.
func TokenFromCookie(name string) MiddlewareOption {
	return func(m *Middleware) {
		m.tokenOf = func(r *http.Request) string {
			if ck, err := r.Cookie(name); err == nil {
				return ck.Value
			}
			return ""
		}
	}
}

// OnReject sets a function told about every rejected request, with the
// status sent and the reason (for logs and metrics), before the error
// handler answers. The error never holds the token or the API key. Switch
// on it with [errors.Is]:
//
//   - [ErrNoSessionToken] (401): the request carries no token;
//   - the token package's sentinels, such as [token.ErrExpired] or
//     [token.ErrSessionRevoked] (401) or [token.ErrKeySetUnavailable]
//     (503): the token was rejected;
//   - [ErrDenied] (403): the session may not use the permission; it also
//     matches [ErrNotFound] when the API said the resource does not exist
//     ([Decision.NotFound]);
//   - [token.ErrNoMembership], [ErrOrganizationMismatch] (403);
//   - the resource function's error: [ErrNotFound] (404), a
//     [*RejectError]'s own status, anything else (400); [ErrInvalidInput]
//     (400) for an invalid reference;
//   - anything else (503): the check's error — [ErrUnavailable],
//     [ErrServer], [ErrRateLimited], [ErrMalformedResponse], [ErrClosed],
//     ctx.Err()….
//
// Apart from the resource function's "anything else: 400", the status is
// [RejectErrorFor]'s.
func OnReject(f func(r *http.Request, status int, err error)) MiddlewareOption {
	return func(m *Middleware) { m.onReject = f }
}

// WithErrorHandler sets how a rejected request is answered (default
// [WriteTextError]), as go-jwt-middleware's ErrorHandler does: h gets the
// [*RejectError] with the status and the reason, and writes the whole
// answer. [WriteJSONError] answers JSON. h may change the status, for
// example to answer 404 for a resource the API does not know:
//
//	authz.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, e *authz.RejectError) {
//		if e.Status == http.StatusForbidden && errors.Is(e, authz.ErrNotFound) {
//			e.Status = http.StatusNotFound
//		}
//		authz.WriteJSONError(w, r, e)
//	})
//
// Do not write e.Err into the answer: it is for logs. A nil h keeps the
// default.
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err *RejectError)) MiddlewareOption {
	return func(m *Middleware) {
		if h != nil {
			m.writeError = h
		}
	}
}

// RejectError is a rejection of the [Middleware]: the status to answer
// with, and why. The error handler ([WithErrorHandler]) gets one for every
// rejected request. A resource function of [Middleware.RequireResource]
// may return one to answer with a status of its own choosing, without an
// API call.
type RejectError struct {
	// Status is the HTTP status to answer with: 400, 401, 403, 404 or 503
	// (or what a resource function chose).
	Status int
	// RetryAfter is how long the WorkOS API asked to wait (its Retry-After)
	// when the check failed with such an answer, zero otherwise; a
	// resource function's RejectError may set its own. The default
	// handlers send it as Retry-After, in whole seconds rounded up, with a
	// 503 or a 429.
	RetryAfter time.Duration
	// Err is the reason; see [OnReject] for the list. It never holds the
	// token or the API key.
	Err error
}

// Error returns "authz: rejected with 403 Forbidden: <reason>".
func (e *RejectError) Error() string {
	msg := fmt.Sprintf("authz: rejected with %d %s", e.Status, http.StatusText(e.Status))
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the reason.
func (e *RejectError) Unwrap() error { return e.Err }

// Code returns a short machine-readable name of the status, as
// [WriteJSONError] sends it: "bad_request", "unauthorized", "forbidden",
// "not_found", "unavailable" (503), or the status text in snake case.
func (e *RejectError) Code() string {
	switch e.Status {
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	t := http.StatusText(e.Status)
	if t == "" {
		return "error"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		case r >= 'a' && r <= 'z':
			return r
		}
		return '_'
	}, t)
}

// writeHeaders sets the headers every answer of a rejection carries:
// WWW-Authenticate: Bearer on a 401, Retry-After on a 503 or a 429 (the
// statuses it is defined for, RFC 9110 §10.2.3 and RFC 6585 §4) with
// RetryAfter.
func (e *RejectError) writeHeaders(w http.ResponseWriter) {
	switch e.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer`)
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		if e.RetryAfter > 0 {
			// Whole seconds, rounded up, without the overflow of adding
			// a second to the longest duration.
			secs := e.RetryAfter / time.Second
			if e.RetryAfter%time.Second != 0 {
				secs++
			}
			w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
		}
	}
}

// WriteTextError answers a rejection with the bare status text as
// text/plain ("Forbidden\n"), WWW-Authenticate: Bearer on a 401 and
// RejectError.RetryAfter as Retry-After on a 503 or a 429. It is the
// [Middleware]'s default error handler.
func WriteTextError(w http.ResponseWriter, _ *http.Request, e *RejectError) {
	e.writeHeaders(w)
	http.Error(w, http.StatusText(e.Status), e.Status)
}

// WriteJSONError answers a rejection as JSON, for an API:
// {"error":"forbidden","message":"Forbidden"} — the [RejectError.Code] and
// the status text, never the reason — with the headers of
// [WriteTextError]. Set it with [WithErrorHandler].
func WriteJSONError(w http.ResponseWriter, _ *http.Request, e *RejectError) {
	e.writeHeaders(w)
	b, _ := json.Marshal(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{e.Code(), http.StatusText(e.Status)})
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	w.Write(append(b, '\n'))
}

// Middleware returns HTTP middleware that verifies sessions with v and
// checks with c. Like [http.Handle] with a nil handler, it panics when v is
// nil: a setup mistake, better found at start-up than on every request.
func (c *Client) Middleware(v *token.Verifier, opts ...MiddlewareOption) *Middleware {
	if v == nil {
		panic("authz: Middleware with a nil *token.Verifier")
	}
	m := &Middleware{c: c, v: v, tokenOf: bearerToken, writeError: WriteTextError}
	for _, o := range opts {
		if o != nil {
			o(m)
		}
	}
	return m
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header.
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

type claimsKey struct{}

// verified is what a Middleware puts in a request's context: the claims,
// the verifier that accepted them and the token they came from, so that an
// inner Middleware with another verifier, or one that reads its token from
// elsewhere (TokenFromCookie), does not take them on trust.
type verified struct {
	claims *token.Claims
	by     *token.Verifier
	raw    string
}

// ClaimsFromContext returns the verified claims the [Middleware] put in a
// request's context, or nil. They are there for the handler and already
// for the resource function of [Middleware.RequireResource], which may use
// them, for example to look the resource up in the session's organization.
// With nested Middlewares they are the innermost one's.
func ClaimsFromContext(ctx context.Context) *token.Claims {
	v, _ := ctx.Value(claimsKey{}).(*verified)
	if v == nil {
		return nil
	}
	return v.claims
}

// RequireSession lets through requests with a valid session (claims in the
// context); others get 401 (503 if the key set is unavailable).
func (m *Middleware) RequireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r, ok := m.session(w, r); ok {
			next.ServeHTTP(w, r)
		}
	})
}

// RequirePermission lets through requests whose session grants permission
// organization-wide (the token layer, no API call); others get 403. Once the
// Client is closed it answers 503 ([ErrClosed]), as every check does. With
// a [Freshness] that calls the token stale — whether it lists the
// permission or not: a change since it was issued may have granted or
// taken it — the API is asked (one call) for the permission on the
// organization's root resource, and the request is answered as
// [Middleware.RequireResource] would. So while tokens are stale — for
// every token, under events.AskAPI while the Events API cannot be read —
// each request the token alone would forbid costs one API call too.
//
// [Hooks] see every decision: the token's allow or deny as an
// [OpRequirePermission] call (Source [SourceToken]), the API's as the
// [Client.Check] it makes.
func (m *Middleware) RequirePermission(permission string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, ok := m.session(w, r)
			if !ok {
				return
			}
			if m.c.isClosed.Load() {
				m.c.reportRequirePermission(r.Context(), permission, Decision{}, ErrClosed)
				m.rejectWith(w, r, RejectErrorFor(ErrClosed))
				return
			}
			claims := ClaimsFromContext(r.Context())
			// A Freshness that calls the token stale makes the API answer
			// whether the token grants the permission or not: a member
			// promoted since the token was issued holds it now.
			if m.c.Token().stale(claims, permission) {
				// A change since the token was issued: ask the API about
				// the organization root, as Check does (and reports).
				m.check(w, r, next, permission, ExternalResource(orgRootType, claims.OrganizationID))
				return
			}
			// The token decides alone, a deny included.
			allowed := claims.HasPermission(permission)
			m.c.reportRequirePermission(r.Context(), permission, Decision{Allowed: allowed, Source: SourceToken}, nil)
			if !allowed {
				m.rejectWith(w, r, RejectErrorFor(ErrDenied))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireResource lets through requests whose session may use permission on
// the resource resource names for the request (for example from
// r.PathValue("id")), as [Client.Check] decides: one API call at most, none
// when the token answers. It panics at once when resource is nil.
//
// The resource function runs after the session was verified:
// [ClaimsFromContext](r.Context()) gives the session's claims. Its error
// decides the answer without an API call:
//
//   - an error matching [ErrNotFound] (return authz.ErrNotFound, or wrap
//     it): 404 — the app knows the resource does not exist. Answer so only
//     where existence is no secret to the caller, for example after a
//     lookup scoped to the session's organization; otherwise return a
//     reference and let the check answer 403;
//   - a [*RejectError]: its Status (a status outside 400–599 answers 500);
//   - any other error: 400.
//
// The token answers without an API call only for a reference that names
// the session's organization ([ResourceRef.InOrganization]); take that
// organization from your own record of the resource, never from the
// request — ExternalResource(t, r.PathValue("id")).InOrganization(r.PathValue("org"))
// would let the caller choose it. A reference without it is asked of the
// API, which looks it up in the session's organization.
func (m *Middleware) RequireResource(permission string, resource func(*http.Request) (ResourceRef, error)) func(http.Handler) http.Handler {
	if resource == nil {
		panic("authz: RequireResource with a nil resource function")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, ok := m.session(w, r)
			if !ok {
				return
			}
			res, err := resource(r)
			if err != nil {
				if re := (*RejectError)(nil); !errors.As(err, &re) && !errors.Is(err, ErrNotFound) {
					// The resource function's contract: any other error is
					// a request that names no valid resource.
					m.reject(w, r, http.StatusBadRequest, err)
					return
				}
				m.rejectWith(w, r, RejectErrorFor(err))
				return
			}
			if err := res.Validate(); err != nil {
				m.reject(w, r, http.StatusBadRequest, err)
				return
			}
			m.check(w, r, next, permission, res)
		})
	}
}

// check lets r through to next when [Client.Check] allows permission on
// res, and answers 403, 400 or 503 otherwise.
func (m *Middleware) check(w http.ResponseWriter, r *http.Request, next http.Handler, permission string, res ResourceRef) {
	d, err := m.c.Check(r.Context(), ClaimsFromContext(r.Context()), permission, res)
	switch {
	case err == nil && d.Allowed:
		next.ServeHTTP(w, r)
	case err == nil && d.NotFound:
		m.rejectWith(w, r, RejectErrorFor(errDeniedNotFound))
	case err == nil:
		m.rejectWith(w, r, RejectErrorFor(ErrDenied))
	default:
		// One mapping for every route: 403 for no membership or another
		// organization's resource (nothing to allow), 400 for invalid
		// input, 503 with the API's Retry-After for the rest.
		m.rejectWith(w, r, RejectErrorFor(err))
	}
}

// Reasons of a [Middleware] rejection, given to the [OnReject] function.
var (
	// ErrNoSessionToken: the request carries no session token (401).
	ErrNoSessionToken = errors.New("authz: no session token")
	// ErrDenied: the session may not use the permission (403). Only the
	// Middleware reports a deny as an error; a check reports it as a
	// [Decision] with Allowed false.
	ErrDenied = errors.New("authz: permission denied")
)

// errDeniedNotFound is the reason of a deny with Decision.NotFound: it
// matches ErrDenied and ErrNotFound.
var errDeniedNotFound = fmt.Errorf("%w: %w", ErrDenied, ErrNotFound)

// session verifies the request's token and returns the request with the
// claims and a memo in its context, or answers 401/503 and returns false.
// Claims an outer Middleware verified with the same verifier, from the
// token this Middleware reads, are reused; any other claims are not
// trusted, and this Middleware's own token is verified.
func (m *Middleware) session(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	raw := m.tokenOf(r)
	if v, _ := r.Context().Value(claimsKey{}).(*verified); v != nil && v.by == m.v && v.raw == raw && raw != "" {
		return r, true // an outer Middleware with this verifier verified this token
	}
	if raw == "" {
		m.rejectWith(w, r, RejectErrorFor(ErrNoSessionToken))
		return r, false
	}
	claims, err := m.v.Verify(r.Context(), raw)
	if err != nil {
		// Verify's errors wrap one of the token package's sentinels: 401,
		// or 503 for an unavailable key set.
		m.rejectWith(w, r, RejectErrorFor(err))
		return r, false
	}
	ctx := context.WithValue(cache.WithMemo(r.Context()), claimsKey{}, &verified{claims: claims, by: m.v, raw: raw})
	return r.WithContext(ctx), true
}

func (m *Middleware) reject(w http.ResponseWriter, r *http.Request, status int, err error) {
	m.rejectWith(w, r, &RejectError{Status: status, Err: err})
}

func (m *Middleware) rejectWith(w http.ResponseWriter, r *http.Request, e *RejectError) {
	if m.onReject != nil {
		m.onReject(r, e.Status, e.Err)
	}
	m.writeError(w, r, e)
}
