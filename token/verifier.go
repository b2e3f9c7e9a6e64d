package token

// CONTRACT STUB — the token helper replaces this file. Signatures are fixed.

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Verifier verifies AuthKit access tokens. Safe for concurrent use.
type Verifier struct{}

// Option configures a Verifier.
type Option func(*config)

type config struct{}

// NewVerifier returns a Verifier for the AuthKit client ID. By default keys
// come from {base}/sso/jwks/{clientID} with base https://api.workos.com.
func NewVerifier(clientID string, opts ...Option) (*Verifier, error) {
	return nil, errors.New("not implemented")
}

// Verify verifies raw and returns its claims.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	return nil, ErrMalformed
}

// Close stops background work.
func (v *Verifier) Close() error { return nil }

// WithBaseURL sets the API base URL the JWKS URL is derived from.
func WithBaseURL(base string) Option { return nil }

// WithJWKSURL sets the JWKS URL directly.
func WithJWKSURL(u string) Option { return nil }

// WithHTTPClient sets the HTTP client used to fetch keys.
func WithHTTPClient(c *http.Client) Option { return nil }

// WithKeySet replaces the remote key set.
func WithKeySet(ks KeySet) Option { return nil }

// WithTimeFunc sets the clock.
func WithTimeFunc(now func() time.Time) Option { return nil }

// WithLeeway sets the clock-skew leeway.
func WithLeeway(d time.Duration) Option { return nil }

// WithIssuer sets the issuer allow-list.
func WithIssuer(iss ...string) Option { return nil }

// WithAudience requires the audience.
func WithAudience(aud string) Option { return nil }

// WithValidMethods sets the algorithm allow-list.
func WithValidMethods(methods ...string) Option { return nil }

// WithMembershipClaim sets the claim name of the membership ID.
func WithMembershipClaim(name string) Option { return nil }

// WithCache enables the verified-token cache.
func WithCache(size int) Option { return nil }

// KeySet looks up verification keys by key ID.
type KeySet interface {
	Key(ctx context.Context, kid string) (any, error)
}
