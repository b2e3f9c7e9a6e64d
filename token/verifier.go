package token

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Verifier verifies AuthKit access tokens and returns their [Claims]. It is
// immutable after [NewVerifier] and safe for concurrent use.
type Verifier struct {
	parser       *jwt.Parser
	keys         KeySet
	remote       *RemoteKeySet // the key set this Verifier made and closes; nil with WithKeySet
	now          func() time.Time
	leeway       time.Duration
	issuers      []string
	audience     string
	claimNames   *claimNames // the claims read, the membership claim last
	maxTokenSize int
	cache        *lru.Cache[string, *Claims]                     // nil unless WithCache
	revoked      func(sessionID string, issuedAt time.Time) bool // nil unless WithRevocationCheck
	closed       atomic.Bool
}

// NewVerifier returns a Verifier for the AuthKit client ID (client_…).
//
// By default keys come from a [RemoteKeySet] on {base}/sso/jwks/{clientID}
// with base [DefaultBaseURL] (see [WithBaseURL], [WithJWKSURL]); with
// [WithKeySet] they come from the given set and clientID may be empty. The
// defaults: RS256 only, exp required, leeway [DefaultLeeway], no issuer or
// audience check, tokens up to [DefaultMaxTokenSize] bytes, no cache.
//
// NewVerifier does no I/O: the JWKS is fetched on the first Verify. Call
// [Verifier.Close] to stop its background work.
func NewVerifier(clientID string, opts ...Option) (*Verifier, error) {
	cfg := defaultConfig()
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	v := &Verifier{
		parser: jwt.NewParser(
			jwt.WithValidMethods(cfg.methods),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.leeway),
			jwt.WithTimeFunc(cfg.now),
			jwt.WithStrictDecoding(),
		),
		now:          cfg.now,
		leeway:       cfg.leeway,
		issuers:      cfg.issuers,
		audience:     cfg.audience,
		claimNames:   defaultClaimNames,
		maxTokenSize: cfg.maxTokenSize,
		revoked:      cfg.revoked,
	}
	switch {
	case cfg.keySet != nil:
		if len(cfg.remoteOnly) > 0 {
			return nil, fmt.Errorf("token: NewVerifier: option %s does not apply with WithKeySet", cfg.remoteOnly[0])
		}
		v.keys = cfg.keySet
	default:
		jwksURL := cfg.jwksURL
		if jwksURL == "" {
			if clientID == "" {
				return nil, errors.New("token: NewVerifier: empty client ID (or use WithJWKSURL or WithKeySet)")
			}
			jwksURL = cfg.baseURL + "/sso/jwks/" + url.PathEscape(clientID)
		}
		remote, err := newRemoteKeySet(jwksURL, cfg)
		if err != nil {
			return nil, err
		}
		v.keys, v.remote = remote, remote
	}
	if cfg.membershipClaim != DefaultMembershipClaim {
		v.claimNames = newClaimNames(append(slices.Clip(standardClaimNames), cfg.membershipClaim)...)
	}
	if cfg.cacheSize > 0 {
		c, err := lru.New[string, *Claims](cfg.cacheSize)
		if err != nil {
			return nil, fmt.Errorf("token: WithCache: %w", err)
		}
		v.cache = c
	}
	return v, nil
}

// Close stops the Verifier's background work: a JWKS fetch in flight is
// cancelled and waited for. A key set given with [WithKeySet] is not closed.
// After Close, Verify fails with [ErrKeySetUnavailable]. Close is idempotent
// and returns nil.
func (v *Verifier) Close() error {
	v.closed.Store(true)
	if v.remote != nil {
		return v.remote.Close()
	}
	return nil
}

// Verify checks raw, an AuthKit access token (a compact JWS, without any
// "Bearer " prefix), and returns its claims. It returns claims only with a nil
// error. Checks, in order:
//
//   - size at most [WithMaxTokenSize] and the JWS shape: three base64url
//     segments, JSON header and payload, claims of the right JSON types
//     ([ErrMalformed]);
//   - "alg" in the allow-list ([WithValidMethods], RS256 by default) and the
//     signature, with the key named by "kid" from the key set ([ErrSignature],
//     [ErrUnknownKey], [ErrKeySetUnavailable]); "jku", "x5u", "jwk" and "x5c"
//     headers are never used, and a "crit" header is rejected;
//   - exp present ([ErrMalformed]) and not past, nbf and iat not in the future,
//     all with the leeway ([ErrExpired], [ErrNotYetValid]);
//   - claim names spelled exactly: a payload with a member whose name matches
//     a claim only case-insensitively ("ORG_ID", "Org_Id") or that names a
//     claim twice is ambiguous, and so is rejected ([ErrMalformed]); the same
//     holds inside "act";
//   - iss in the allow-list when [WithIssuer] is set ([ErrIssuer]); aud
//     containing the audience when [WithAudience] is set ([ErrAudience]);
//   - the token is an AuthKit session token, not a WorkOS Connect OAuth or M2M
//     token ([ErrNotSessionToken]);
//   - with [WithRevocationCheck], its session was not revoked
//     ([ErrSessionRevoked]).
//
// With [WithCache], a token that passed all of these before is answered from
// the cache: only exp, nbf and iat are checked again.
//
// ctx bounds only the wait for a JWKS fetch; when it ends first, the error
// wraps both [ErrKeySetUnavailable] and ctx.Err(). Errors wrap one of the
// sentinels (use errors.Is) and never contain the token.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	if v.closed.Load() {
		return nil, fmt.Errorf("%w: verifier closed", ErrKeySetUnavailable)
	}
	if len(raw) > v.maxTokenSize {
		return nil, fmt.Errorf("%w: token of %d bytes exceeds the limit of %d", ErrMalformed, len(raw), v.maxTokenSize)
	}
	if raw == "" {
		return nil, fmt.Errorf("%w: empty token", ErrMalformed)
	}
	if v.cache != nil {
		if c, ok := v.cache.Get(raw); ok {
			return v.cached(raw, c)
		}
	}
	c, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if err := v.checkRevoked(c); err != nil {
		return nil, err
	}
	if v.cache != nil {
		// Clone: raw may be a slice of a larger string (a whole header)
		// that the cache should not keep alive.
		v.cache.Add(strings.Clone(raw), c)
		cp := *c
		return &cp, nil
	}
	return c, nil
}

// cached answers from the verified-token cache: the signature was checked
// when the entry was stored, the clock is checked again now. The returned
// Claims is a copy; its slices are shared with the cache and must be treated
// as read-only.
func (v *Verifier) cached(raw string, c *Claims) (*Claims, error) {
	now := v.now()
	if err := v.checkTimes(c, now); err != nil {
		v.cache.Remove(raw)
		return nil, err
	}
	if err := v.checkRevoked(c); err != nil {
		return nil, err
	}
	cp := *c
	return &cp, nil
}

// checkRevoked asks the revocation check, if any, about c's session.
func (v *Verifier) checkRevoked(c *Claims) error {
	if v.revoked != nil && c.SessionID != "" && v.revoked(c.SessionID, c.IssuedAt) {
		return ErrSessionRevoked
	}
	return nil
}

// checkTimes repeats the jwt validator's time checks, for cache hits.
func (v *Verifier) checkTimes(c *Claims, now time.Time) error {
	if !now.Before(c.ExpiresAt.Add(v.leeway)) {
		return fmt.Errorf("%w: exp is in the past", ErrExpired)
	}
	if !c.NotBefore.IsZero() && now.Add(v.leeway).Before(c.NotBefore) {
		return fmt.Errorf("%w: nbf is in the future", ErrNotYetValid)
	}
	if !c.IssuedAt.IsZero() && now.Add(v.leeway).Before(c.IssuedAt) {
		return fmt.Errorf("%w: iat is in the future", ErrNotYetValid)
	}
	return nil
}

// verify is the full check, without the cache.
func (v *Verifier) verify(ctx context.Context, raw string) (*Claims, error) {
	// Go's base64 decoder skips CR and LF; a token has none, so that each
	// valid token has exactly one accepted spelling (with strict decoding).
	if strings.ContainsAny(raw, "\r\n") {
		return nil, fmt.Errorf("%w: line break in the token", ErrMalformed)
	}
	wire := &wireClaims{}

	// keyErr keeps the key set's own error, so that ErrUnknownKey and
	// ErrKeySetUnavailable reach the caller rather than jwt's wrapping.
	var keyErr error
	keyFunc := func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			keyErr = fmt.Errorf("%w: unsupported \"crit\" header", ErrMalformed)
			return nil, keyErr
		}
		kid, ok := t.Header["kid"].(string)
		if !ok || kid == "" {
			keyErr = fmt.Errorf("%w: no kid in the token header", ErrUnknownKey)
			return nil, keyErr
		}
		key, err := v.keys.Key(ctx, kid)
		if err != nil {
			keyErr = err
			return nil, err
		}
		return key, nil
	}

	if _, err := v.parser.ParseWithClaims(raw, wire, keyFunc); err != nil {
		if keyErr != nil {
			return nil, keyErr
		}
		return nil, mapJWTError(err)
	}

	// Read the claim names from the payload, which the jwt parser accepted
	// as exactly one base64url segment of JSON.
	payload, err := base64.RawURLEncoding.DecodeString(raw[strings.IndexByte(raw, '.')+1 : strings.LastIndexByte(raw, '.')])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if err := v.claimNames.read(payload, wire); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(v.issuers) > 0 && !slices.Contains(v.issuers, normalizeIssuer(wire.Issuer)) {
		return nil, fmt.Errorf("%w: iss %q", ErrIssuer, truncate(wire.Issuer))
	}
	if v.audience != "" && !slices.Contains(wire.Audience, v.audience) {
		return nil, fmt.Errorf("%w: aud does not contain %q", ErrAudience, v.audience)
	}
	if err := checkSessionToken(wire); err != nil {
		return nil, err
	}
	return wire.claims(), nil
}

// checkSessionToken rejects tokens that WorkOS signs with the same keys but
// that do not stand for an AuthKit user session:
//   - WorkOS Connect OAuth application tokens: sid is an app consent
//     (app_consent_…), not a session;
//   - WorkOS Connect M2M tokens: sub is an application's client ID (client_…);
//   - any token carrying an OAuth "scope" claim.
//
// A "client_id" claim alone is not a reason: AuthKit session tokens carry one.
func checkSessionToken(w *wireClaims) error {
	switch {
	case strings.HasPrefix(w.SessionID, "app_consent_"):
		return fmt.Errorf("%w: WorkOS Connect OAuth application token", ErrNotSessionToken)
	case strings.HasPrefix(w.Subject, "client_"):
		return fmt.Errorf("%w: WorkOS Connect M2M token", ErrNotSessionToken)
	case w.Scope != nil:
		return fmt.Errorf("%w: OAuth token with a scope claim", ErrNotSessionToken)
	}
	return nil
}

// mapJWTError turns a golang-jwt error into one of this package's sentinels.
// When several apply (an expired token with a bad audience), the first in
// this order wins. jwt's message is kept for context; it never contains the
// token.
func mapJWTError(err error) error {
	var sentinel error
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		sentinel = ErrMalformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		sentinel = ErrSignature
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		sentinel = ErrMalformed
	case errors.Is(err, jwt.ErrTokenExpired):
		sentinel = ErrExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		sentinel = ErrNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		sentinel = ErrAudience
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		sentinel = ErrIssuer
	default:
		sentinel = ErrMalformed
	}
	msg := err.Error()
	for _, prefix := range []string{"token is malformed: ", "token has invalid claims: ", "token signature is invalid: ", "token is unverifiable: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return fmt.Errorf("%w: %s", sentinel, msg)
}
