package authz

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
)

// Middleware guards net/http handlers with an AuthKit session: it verifies
// the access token of each request, then requires an organization-wide
// permission ([Middleware.RequirePermission]) or a permission on the
// resource the request names ([Middleware.RequireResource]).
//
// Answers:
//
//   - 401 for a missing or invalid session;
//   - 403 for a deny — and for everything that leaves nothing to allow: a
//     session without a membership, a reference naming another
//     organization ([ErrOrganizationMismatch]), and an API 404
//     ([ErrNotFound]: the resource or membership does not exist in the
//     session's organization, which is also how another organization's
//     resource looks). A 403 rather than a 404 or a 503 tells the caller
//     nothing about whether the resource exists, and an ID-guessing probe
//     does not look like an outage;
//   - 400 when the request names no valid resource;
//   - 503 when the decision could not be made (the API or the key set
//     unavailable, a timeout, an API error other than 404).
//
// Bodies are the bare status text; errors are never echoed (see [OnReject]
// for the reasons). Allowed requests reach the handler with the verified
// claims in their context ([ClaimsFromContext]) and a request memo
// ([cache.WithMemo]), so repeated checks in the handler are answered once.
type Middleware struct {
	c        *Client
	v        *token.Verifier
	tokenOf  func(*http.Request) string
	onReject func(r *http.Request, status int, err error)
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
// status sent and the reason (for logs and metrics). The error never holds
// the token or the API key. Switch on it with [errors.Is]:
//
//   - [ErrNoSessionToken] (401): the request carries no token;
//   - the token package's sentinels, such as [token.ErrExpired] (401) or
//     [token.ErrKeySetUnavailable] (503): the token was rejected;
//   - [ErrDenied] (403): the session may not use the permission;
//   - [token.ErrNoMembership], [ErrOrganizationMismatch], [ErrNotFound] (403);
//   - [ErrInvalidInput] or the resource function's own error (400);
//   - anything else (503): the check's error — [ErrUnavailable],
//     [ErrServer], [ErrRateLimited], [ErrMalformedResponse], [ErrClosed],
//     ctx.Err()….
func OnReject(f func(r *http.Request, status int, err error)) MiddlewareOption {
	return func(m *Middleware) { m.onReject = f }
}

// Middleware returns HTTP middleware that verifies sessions with v and
// checks with c. Like [http.Handle] with a nil handler, it panics when v is
// nil: a setup mistake, better found at start-up than on every request.
func (c *Client) Middleware(v *token.Verifier, opts ...MiddlewareOption) *Middleware {
	if v == nil {
		panic("authz: Middleware with a nil *token.Verifier")
	}
	m := &Middleware{c: c, v: v, tokenOf: bearerToken}
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

// ClaimsFromContext returns the verified claims the [Middleware] put in a
// request's context, or nil.
func ClaimsFromContext(ctx context.Context) *token.Claims {
	c, _ := ctx.Value(claimsKey{}).(*token.Claims)
	return c
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
// Client is closed it answers 503 ([ErrClosed]), as every check does.
func (m *Middleware) RequirePermission(permission string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, ok := m.session(w, r)
			if !ok {
				return
			}
			if m.c.isClosed.Load() {
				m.reject(w, r, http.StatusServiceUnavailable, ErrClosed)
				return
			}
			if !m.c.Token().HasPermission(ClaimsFromContext(r.Context()), permission) {
				m.reject(w, r, http.StatusForbidden, ErrDenied)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireResource lets through requests whose session may use permission on
// the resource resource names for the request (for example from
// r.PathValue("id")), as [Client.Check] decides. A resource function error
// gives 400. It panics at once when resource is nil.
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
			if err == nil {
				err = res.Validate()
			}
			if err != nil {
				m.reject(w, r, http.StatusBadRequest, err)
				return
			}
			d, err := m.c.Check(r.Context(), ClaimsFromContext(r.Context()), permission, res)
			switch {
			case err == nil && d.Allowed:
				next.ServeHTTP(w, r)
			case err == nil:
				m.reject(w, r, http.StatusForbidden, ErrDenied)
			case errors.Is(err, token.ErrNoMembership), errors.Is(err, ErrOrganizationMismatch), errors.Is(err, ErrNotFound):
				// No membership, another organization's resource, or an
				// unknown resource or membership: nothing to allow.
				m.reject(w, r, http.StatusForbidden, err)
			case errors.Is(err, ErrInvalidInput):
				m.reject(w, r, http.StatusBadRequest, err)
			default:
				m.reject(w, r, http.StatusServiceUnavailable, err)
			}
		})
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

// session verifies the request's token and returns the request with the
// claims and a memo in its context, or answers 401/503 and returns false.
func (m *Middleware) session(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	if c := ClaimsFromContext(r.Context()); c != nil {
		return r, true // an outer Middleware already verified it
	}
	raw := m.tokenOf(r)
	if raw == "" {
		m.reject(w, r, http.StatusUnauthorized, ErrNoSessionToken)
		return r, false
	}
	claims, err := m.v.Verify(r.Context(), raw)
	if err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, token.ErrKeySetUnavailable) {
			status = http.StatusServiceUnavailable
		}
		m.reject(w, r, status, err)
		return r, false
	}
	ctx := context.WithValue(cache.WithMemo(r.Context()), claimsKey{}, claims)
	return r.WithContext(ctx), true
}

func (m *Middleware) reject(w http.ResponseWriter, r *http.Request, status int, err error) {
	if m.onReject != nil {
		m.onReject(r, status, err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer`)
	}
	http.Error(w, http.StatusText(status), status)
}
