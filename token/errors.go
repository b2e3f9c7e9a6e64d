package token

import "errors"

// Sentinel errors returned (wrapped) by [Verifier.Verify], except
// [ErrNoMembership]. Test them with errors.Is. Error strings never contain the
// token itself.
var (
	// ErrMalformed: the token is not a well-formed JWS (bad base64, bad JSON,
	// wrong number of segments, oversized, missing required claims such as exp).
	ErrMalformed = errors.New("token: malformed")
	// ErrSignature: the signature does not verify, or the algorithm is not allowed.
	ErrSignature = errors.New("token: invalid signature")
	// ErrExpired: exp is in the past (beyond the leeway).
	ErrExpired = errors.New("token: expired")
	// ErrNotYetValid: nbf or iat is in the future (beyond the leeway).
	ErrNotYetValid = errors.New("token: not yet valid")
	// ErrIssuer: iss is not in the configured allow-list.
	ErrIssuer = errors.New("token: issuer not allowed")
	// ErrAudience: aud does not contain the configured audience.
	ErrAudience = errors.New("token: audience not allowed")
	// ErrUnknownKey: no key in the key set has the token's kid.
	ErrUnknownKey = errors.New("token: unknown signing key")
	// ErrKeySetUnavailable: the key set could not be fetched and no
	// last-known-good keys are usable.
	ErrKeySetUnavailable = errors.New("token: key set unavailable")
	// ErrNoUsableKey: a JWKS document holds no key this package can use:
	// it is not a JSON object with a "keys" array, or every entry was
	// skipped (see [ParseJWKS]). [ParseJWKS] returns it; [Verifier.Verify]
	// and [RemoteKeySet.Key] return it wrapped together with
	// [ErrKeySetUnavailable] when the fetched JWKS had no usable key.
	ErrNoUsableKey = errors.New("token: JWKS has no usable signing key")
	// ErrNotSessionToken: the token is validly signed by WorkOS but is not an
	// AuthKit session token: a WorkOS Connect OAuth application token (sid
	// app_consent_…), a Connect M2M token (sub client_…) or any token with an
	// OAuth "scope" claim. Such tokens must not be accepted as a user session.
	ErrNotSessionToken = errors.New("token: not an AuthKit session token")
	// ErrSessionRevoked: the token is valid but its session (claim sid) was
	// revoked, as the function given to [WithRevocationCheck] says. WorkOS
	// keeps such a token's signature valid until exp; only a consumer of
	// the session.revoked event can refuse it earlier.
	ErrSessionRevoked = errors.New("token: session revoked")
	// ErrNoMembership: the verified claims carry no organization membership ID,
	// which the Authorization API needs as its subject. Verify never returns
	// it — a session without an organization is a valid session — but the
	// authz package does, wrapped, when it must ask the API for such claims.
	ErrNoMembership = errors.New("token: no organization membership id in claims")
)
