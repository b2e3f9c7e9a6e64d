// Package token verifies AuthKit access tokens and returns their typed
// [Claims].
//
// An AuthKit access token is a JWT signed by WorkOS with RS256; the public
// keys are served as a JWKS at {base}/sso/jwks/{clientID}. A [Verifier]
// checks the signature against those keys, the algorithm, exp, nbf and iat,
// and — when configured — the issuer and the audience, then returns the
// session's claims: user, session, organization, organization role(s) and
// permissions, entitlements, feature flags, the organization membership ID
// added by a JWT template, and the impersonator.
//
//	v, err := token.NewVerifier(clientID) // keys from https://api.workos.com/sso/jwks/{clientID}
//	if err != nil {
//		return err
//	}
//	defer v.Close()
//	claims, err := v.Verify(ctx, rawAccessToken) // errors.Is(err, token.ErrExpired), …
//	if err != nil {
//		return err // 401
//	}
//	fmt.Println(claims.OrganizationMembershipID)
//
// # Two layers
//
// The claims answer organization-level questions with no API call:
// [Claims.HasPermission] and [Claims.HasRole] look at the role and
// permissions of the signed-in membership, as old as the token (they change
// when the session refreshes). Resource-level questions ("may Alice edit this
// project?") need the Authorization API, which package authz asks with the
// membership ID from [Claims.OrganizationMembershipID]. This package does no
// authorization itself.
//
// # Security choices
//
//   - Algorithm allow-list: RS256 only by default ([WithValidMethods] accepts
//     asymmetric algorithms only). "alg": "none" and HMAC algorithms keyed
//     with a public key are rejected with [ErrSignature].
//   - Keys come only from the configured key set. The "jku", "x5u", "jwk" and
//     "x5c" headers are never followed or used; "crit" is rejected.
//   - One bad JWKS entry does not poison the set. [ParseJWKS] judges each
//     entry on its own: an entry it cannot use (a bare string, a numeric or
//     missing kid, another kty, an encryption key, a padded or too-small
//     modulus, only x5c, an x5c that contradicts n and e, one kid naming two
//     keys, …) is skipped and reported ([StaticKeySet.Skipped],
//     [RemoteKeySet.Skipped], a warning through [WithLogger]), and tokens
//     signed by the other keys verify. A set with no usable key fails
//     closed with [ErrNoUsableKey]. Keys are read from n and e only, never
//     from x5c.
//   - Size cap before parsing: tokens over [DefaultMaxTokenSize] (16 KiB) are
//     rejected before any decoding ([WithMaxTokenSize]).
//   - exp is required; nbf and iat are checked; all with a leeway of
//     [DefaultLeeway] ([WithLeeway]).
//   - Issuer check is opt-in, as in the official SDKs, because WorkOS mints
//     several issuer shapes ([WithIssuer]); an empty allow-list is a
//     configuration error, never "allow all".
//   - Tokens signed by WorkOS that are not user sessions are rejected with
//     [ErrNotSessionToken]. WorkOS Connect signs its OAuth tokens with the
//     same keys; per WorkOS's Connect token-claims reference
//     (workos.com/docs/authkit/connect/token-claims) they are told apart by:
//     sid holding an app consent ID (app_consent_…) in a token issued to an
//     OAuth application, sub holding the application's client ID (client_…)
//     in an M2M token, and a "scope" claim in both; any one of the three
//     rejects the token. A "client_id" claim is deliberately not a reason:
//     Connect tokens carry one, but so do real AuthKit session tokens (as
//     observed on tokens WorkOS issues; its session-token reference does not
//     list the claim), which must keep verifying.
//   - Strictly typed claims: a claim of the wrong JSON type is [ErrMalformed];
//     a missing or empty membership ID stays empty, never invented.
//   - Exact claim names. encoding/json, which decodes the claims, matches
//     member names case-insensitively, so "ORG_ID", "Org_Id" or "ſub" would
//     fill org_id or sub, and with "org_id" next to "ORG_ID" the last one
//     would win. A token is read only as its issuer wrote it: a payload with
//     a member whose name equals a claim this package reads (including the
//     membership claim and the members of "act") case-insensitively but not
//     exactly, or that names such a claim twice, is rejected as ambiguous
//     with [ErrMalformed], rather than guessing which spelling was meant.
//     Other members, in any case, are ignored.
//   - Fail closed: every rejection is an error wrapping one sentinel (use
//     errors.Is) and never carries claims. Error texts never contain the
//     token.
//   - The [RemoteKeySet] refetches the JWKS for an unknown kid at most once
//     per [DefaultRefreshCooldown] (one minute) after a successful fetch, so
//     made-up key IDs cannot turn into a flood of requests; concurrent
//     fetches are merged into one. A failed fetch is retried on its own
//     schedule, [DefaultFetchBackoff] (one second) doubling per failure up
//     to the cooldown, jittered: a failure at start-up costs about a second,
//     not a minute of rejected sessions. When the JWKS endpoint is down, the
//     last keys fetched keep working for [DefaultKeyMaxAge]; after that,
//     verification fails with [ErrKeySetUnavailable]. Failures, recoveries
//     and skipped entries are logged ([WithLogger]). Close stops every
//     goroutine it started.
//   - Revoked sessions: WorkOS keeps a revoked session's tokens valid until
//     exp. With [WithRevocationCheck] (for example the Revoked method of
//     github.com/fgakit/fgakit/events.State, fed by session.revoked events)
//     they are refused with [ErrSessionRevoked]. This package imports
//     nothing of events.
//
// # The verified-token cache
//
// [WithCache] (off by default) remembers tokens that passed verification,
// keyed by the exact raw string, in a bounded LRU. The same token seen again
// skips the signature check (about 200 ns instead of about 50 µs) while exp,
// nbf and iat are checked against the clock on every hit, so an entry dies
// with its token. The trade-off: a cached token stays accepted until it
// expires even if WorkOS removes its signing key from the JWKS meanwhile, as
// it would be with any verifier that caches keys. AuthKit tokens live minutes,
// which bounds that window. Each entry holds the raw token (about 1 KiB): size
// the cache accordingly. Claims returned from a hit are a copy, but their
// slices (Roles, Permissions, …) are shared with the cache: treat them as
// read-only.
//
// # Keys
//
// [KeySet] is a one-method seam. [RemoteKeySet] fetches a JWKS over HTTP and is
// what [NewVerifier] uses unless [WithKeySet] says otherwise; [StaticKeySet]
// holds fixed keys for tests and air-gapped deployments, built with
// [NewStaticKeySet] or parsed from a JWKS document with [ParseJWKS].
package token
