package authz

import (
	"errors"
	"net/http"

	"github.com/fgakit/fgakit/token"
)

// RejectErrorFor returns the rejection the [Middleware] answers for err:
// the HTTP status and, for an API that asked to wait, its Retry-After. Use
// it where a route decides outside [Middleware.RequireResource] — a list
// route behind [Middleware.RequireSession] that calls [Filter] or
// [Client.CheckMany], a handler that calls [Client.Check] — and hand the
// result to the same error handler ([WriteTextError], [WriteJSONError] or
// your own), so that every route answers alike. A nil err returns nil.
//
// The mapping, the first that matches (with [errors.Is] and [errors.As];
// a [*BatchError] matches what any of its items matches):
//
//   - a [*RejectError] (also wrapped): its Status and RetryAfter, with a
//     status outside 400–599 answered as 500;
//   - [ErrNoSessionToken] and the token package's rejections of a token
//     ([token.ErrMalformed], [token.ErrSignature], [token.ErrExpired],
//     [token.ErrNotYetValid], [token.ErrIssuer], [token.ErrAudience],
//     [token.ErrUnknownKey], [token.ErrNotSessionToken],
//     [token.ErrSessionRevoked]): 401 — unless
//     the key set was unavailable ([token.ErrKeySetUnavailable]): 503;
//   - [ErrDenied] (also a deny because the resource does not exist): 403;
//   - [token.ErrNoMembership] and [ErrOrganizationMismatch]: 403, nothing
//     to allow;
//   - [ErrInvalidInput]: 400;
//   - [ErrNotFound] (an app's own "no such resource", or a management
//     call's 404): 404;
//   - anything else — the decision could not be made: [ErrUnavailable],
//     [ErrServer], [ErrRateLimited], [ErrThrottled], [ErrClosed], an API
//     error such as 401 for a wrong API key, ctx.Err()…: 503, with the
//     API's Retry-After (of the first [*APIError] in err) as RetryAfter.
//
// The RejectError's Err is err, for logs; the default handlers never write
// it into the answer.
func RejectErrorFor(err error) *RejectError {
	if err == nil {
		return nil
	}
	if re := (*RejectError)(nil); errors.As(err, &re) {
		status := re.Status
		if status < 400 || status > 599 {
			status = http.StatusInternalServerError
		}
		return &RejectError{Status: status, RetryAfter: re.RetryAfter, Err: err}
	}
	status := http.StatusServiceUnavailable
	switch {
	case errors.Is(err, token.ErrKeySetUnavailable):
		// 503, before the token's rejections: a key set without a usable
		// key is unavailable, not a bad token.
	case errors.Is(err, ErrNoSessionToken), isTokenRejection(err):
		status = http.StatusUnauthorized
	case errors.Is(err, ErrDenied), errors.Is(err, token.ErrNoMembership), errors.Is(err, ErrOrganizationMismatch):
		status = http.StatusForbidden
	case errors.Is(err, ErrInvalidInput):
		status = http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	}
	re := &RejectError{Status: status, Err: err}
	if ae := (*APIError)(nil); status == http.StatusServiceUnavailable && errors.As(err, &ae) {
		re.RetryAfter = ae.RetryAfter
	}
	return re
}

// tokenRejections are the token package's reasons to reject a token
// (401), as [token.Verifier.Verify] returns them.
var tokenRejections = [...]error{token.ErrMalformed, token.ErrSignature, token.ErrExpired, token.ErrNotYetValid,
	token.ErrIssuer, token.ErrAudience, token.ErrUnknownKey, token.ErrNotSessionToken, token.ErrSessionRevoked}

func isTokenRejection(err error) bool {
	for _, t := range tokenRejections {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
