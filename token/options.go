package token

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults used when no option says otherwise.
const (
	// DefaultBaseURL is the WorkOS API; the JWKS is at {base}/sso/jwks/{clientID}.
	DefaultBaseURL = "https://api.workos.com"

	// DefaultLeeway is the clock skew allowed on exp, nbf and iat. WorkOS
	// stamps iat with its own clock, so a server a second behind would
	// otherwise reject every fresh token as "not yet valid".
	DefaultLeeway = 30 * time.Second

	// DefaultMaxTokenSize caps the raw token length, checked before any
	// decoding. A WorkOS JWT template renders at most 3072 bytes; with the
	// standard claims, base64url growth (4/3), the header and a 4096-bit
	// RS256 signature, the largest legitimate token stays under 6 KiB. 16 KiB
	// leaves room for growth while bounding the work an unauthenticated
	// request can cause.
	DefaultMaxTokenSize = 16 << 10

	// DefaultRefreshCooldown is the minimum time between a successful JWKS
	// fetch of a [RemoteKeySet] and the next. It bounds the fetches that
	// tokens with made-up key IDs can trigger (one a minute per process),
	// while a genuinely new signing key is picked up within a minute at
	// worst. Failed fetches are retried sooner ([DefaultFetchBackoff]).
	DefaultRefreshCooldown = time.Minute

	// DefaultFetchBackoff is the wait after a failed JWKS fetch before the
	// next may start. It doubles with each further failure up to the
	// refresh cooldown, and is jittered. It is short so that one failed
	// fetch (at start-up, say) does not lock every session out for the
	// whole cooldown while the endpoint answers again at once.
	DefaultFetchBackoff = time.Second

	// DefaultKeyRefresh is the age after which fetched keys are refreshed in
	// the background (verifications keep using them meanwhile).
	DefaultKeyRefresh = time.Hour

	// DefaultKeyMaxAge is how long the last successfully fetched keys stay
	// usable when the JWKS endpoint cannot be reached. After that, Verify
	// fails closed with [ErrKeySetUnavailable] until a fetch succeeds.
	DefaultKeyMaxAge = 24 * time.Hour

	// DefaultFetchTimeout bounds one JWKS fetch. The fetch is shared by every
	// waiting caller, so it does not run on any one caller's context.
	DefaultFetchTimeout = 10 * time.Second

	// DefaultMaxJWKSSize caps the JWKS response body (a real one is a few KiB).
	DefaultMaxJWKSSize = 256 << 10
)

// Option configures a [Verifier] (passed to [NewVerifier]) or a
// [RemoteKeySet] (passed to [NewRemoteKeySet]). An invalid value makes the
// constructor return an error. Options that only make sense for one of the two
// are rejected by the other: verification options ([WithIssuer],
// [WithAudience], …) by [NewRemoteKeySet], and key-fetching options
// ([WithJWKSURL], [WithRefreshCooldown], …) by [NewVerifier] when
// [WithKeySet] supplies the keys.
type Option func(*config) error

// config is written by options and validated once by the constructors.
type config struct {
	// verification
	keySet          KeySet
	leeway          time.Duration
	issuers         []string
	audience        string
	methods         []string
	membershipClaim string
	cacheSize       int
	maxTokenSize    int
	now             func() time.Time
	revoked         func(sessionID string, issuedAt time.Time) bool

	// key fetching
	baseURL         string
	jwksURL         string
	httpClient      *http.Client
	refreshCooldown time.Duration
	keyRefresh      time.Duration
	keyMaxAge       time.Duration
	fetchTimeout    time.Duration
	fetchBackoff    time.Duration
	maxJWKSSize     int64
	logger          *slog.Logger

	// names of the options given, to reject those that do not apply.
	verifierOnly []string
	remoteOnly   []string
}

func defaultConfig() *config {
	return &config{
		leeway:          DefaultLeeway,
		methods:         []string{"RS256"},
		membershipClaim: DefaultMembershipClaim,
		maxTokenSize:    DefaultMaxTokenSize,
		now:             time.Now,
		baseURL:         DefaultBaseURL,
		httpClient:      http.DefaultClient,
		refreshCooldown: DefaultRefreshCooldown,
		keyRefresh:      DefaultKeyRefresh,
		keyMaxAge:       DefaultKeyMaxAge,
		fetchTimeout:    DefaultFetchTimeout,
		fetchBackoff:    DefaultFetchBackoff,
		maxJWKSSize:     DefaultMaxJWKSSize,
	}
}

func (c *config) apply(opts []Option) error {
	for i, opt := range opts {
		if opt == nil {
			return fmt.Errorf("token: option %d is nil", i)
		}
		if err := opt(c); err != nil {
			return err
		}
	}
	if c.keyMaxAge < c.keyRefresh {
		return fmt.Errorf("token: WithKeyMaxAge (%v) must not be shorter than WithKeyRefresh (%v)", c.keyMaxAge, c.keyRefresh)
	}
	return nil
}

// WithBaseURL sets the API base URL the JWKS URL is derived from:
// {base}/sso/jwks/{clientID}. The default is [DefaultBaseURL]. A path prefix
// in base is kept.
func WithBaseURL(base string) Option {
	return func(c *config) error {
		u, err := parseHTTPURL(base)
		if err != nil {
			return fmt.Errorf("token: WithBaseURL: %w", err)
		}
		c.baseURL = strings.TrimRight(u.String(), "/")
		c.remoteOnly = append(c.remoteOnly, "WithBaseURL")
		return nil
	}
}

// WithJWKSURL sets the JWKS URL directly, instead of deriving it from the
// base URL and the client ID.
func WithJWKSURL(u string) Option {
	return func(c *config) error {
		if _, err := parseHTTPURL(u); err != nil {
			return fmt.Errorf("token: WithJWKSURL: %w", err)
		}
		c.jwksURL = u
		c.remoteOnly = append(c.remoteOnly, "WithJWKSURL")
		return nil
	}
}

// WithHTTPClient sets the HTTP client used to fetch the JWKS. The default is
// [http.DefaultClient]; each fetch is bounded by [WithFetchTimeout] anyway.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("token: WithHTTPClient: nil client")
		}
		c.httpClient = hc
		c.remoteOnly = append(c.remoteOnly, "WithHTTPClient")
		return nil
	}
}

// WithKeySet makes the Verifier take its keys from ks instead of fetching the
// JWKS itself: a [StaticKeySet] for tests and air-gapped use, or a
// [RemoteKeySet] shared by several verifiers. The Verifier does not close ks.
func WithKeySet(ks KeySet) Option {
	return func(c *config) error {
		if ks == nil {
			return errors.New("token: WithKeySet: nil key set")
		}
		c.keySet = ks
		c.verifierOnly = append(c.verifierOnly, "WithKeySet")
		return nil
	}
}

// WithTimeFunc sets the clock used for exp, nbf and iat, for the
// verified-token cache and for the key refresh schedule. The default is
// [time.Now]. Tests use it to move time without sleeping.
func WithTimeFunc(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("token: WithTimeFunc: nil function")
		}
		c.now = now
		return nil
	}
}

// WithLeeway sets the clock skew allowed on exp, nbf and iat. The default is
// [DefaultLeeway]; zero is allowed, a negative value is an error.
func WithLeeway(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("token: WithLeeway: negative leeway %v", d)
		}
		c.leeway = d
		c.verifierOnly = append(c.verifierOnly, "WithLeeway")
		return nil
	}
}

// WithIssuer turns on the issuer check: a token is accepted only if its iss
// is one of the given issuers. Without this option iss is not checked, as in
// the official WorkOS SDKs, because WorkOS mints several issuer shapes
// (https://api.workos.com, https://api.workos.com/user_management/{clientID},
// a custom auth domain). Several calls add to the list. A single trailing
// slash is not significant ("https://api.workos.com/" matches
// "https://api.workos.com").
//
// An empty list is an error from [NewVerifier], never "allow every issuer":
// if the issuer check is not wanted, leave the option out.
func WithIssuer(iss ...string) Option {
	return func(c *config) error {
		if len(iss) == 0 {
			return errors.New("token: WithIssuer: empty issuer list (leave the option out to skip the issuer check)")
		}
		for _, s := range iss {
			if s == "" {
				return errors.New("token: WithIssuer: empty issuer")
			}
			c.issuers = append(c.issuers, normalizeIssuer(s))
		}
		c.verifierOnly = append(c.verifierOnly, "WithIssuer")
		return nil
	}
}

// WithAudience requires the token's aud to contain aud. AuthKit sets no aud
// unless a JWT template adds one, so this is off by default.
func WithAudience(aud string) Option {
	return func(c *config) error {
		if aud == "" {
			return errors.New("token: WithAudience: empty audience")
		}
		c.audience = aud
		c.verifierOnly = append(c.verifierOnly, "WithAudience")
		return nil
	}
}

// WithValidMethods sets the allow-list of signing algorithms ("alg"). The
// default is RS256 only, which is what WorkOS signs with. Only asymmetric
// algorithms are allowed: "none" and the HMAC algorithms (HS256…) are an
// error, since a public key must never serve as a shared secret.
func WithValidMethods(methods ...string) Option {
	return func(c *config) error {
		if len(methods) == 0 {
			return errors.New("token: WithValidMethods: empty list")
		}
		for _, m := range methods {
			if !asymmetricMethods[m] {
				return fmt.Errorf("token: WithValidMethods: %q is not an allowed asymmetric algorithm", m)
			}
		}
		c.methods = append([]string(nil), methods...)
		c.verifierOnly = append(c.verifierOnly, "WithValidMethods")
		return nil
	}
}

var asymmetricMethods = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// WithMembershipClaim sets the name of the claim that carries the
// organization membership ID (default [DefaultMembershipClaim]). Use it when
// your JWT template names the claim differently. The name is matched exactly;
// it may not be a standard claim such as "sub" or "org_id" in any case.
func WithMembershipClaim(name string) Option {
	return func(c *config) error {
		if name == "" {
			return errors.New("token: WithMembershipClaim: empty claim name")
		}
		for _, std := range standardClaimNames {
			if strings.EqualFold(name, std) {
				return fmt.Errorf("token: WithMembershipClaim: %q is the standard claim %q", name, std)
			}
		}
		c.membershipClaim = name
		c.verifierOnly = append(c.verifierOnly, "WithMembershipClaim")
		return nil
	}
}

// WithCache turns on the verified-token cache, holding at most size tokens
// (size must be at least 1). The same raw token seen again returns its claims
// without a signature check, until it expires; see the package documentation
// for the trade-off. Off by default.
func WithCache(size int) Option {
	return func(c *config) error {
		if size < 1 {
			return fmt.Errorf("token: WithCache: size %d, want at least 1", size)
		}
		c.cacheSize = size
		c.verifierOnly = append(c.verifierOnly, "WithCache")
		return nil
	}
}

// WithRevocationCheck makes Verify ask revoked about the session of every
// token that passes all other checks (the verified-token cache's hits
// included): when it answers true, Verify fails with [ErrSessionRevoked].
// Tokens without a sid claim are not asked about. revoked is called on
// every Verify: it must be fast and safe for concurrent use.
// [github.com/fgakit/fgakit/events.State.Revoked] answers it from
// session.revoked events.
func WithRevocationCheck(revoked func(sessionID string, issuedAt time.Time) bool) Option {
	return func(c *config) error {
		if revoked == nil {
			return errors.New("token: WithRevocationCheck: nil function")
		}
		c.revoked = revoked
		c.verifierOnly = append(c.verifierOnly, "WithRevocationCheck")
		return nil
	}
}

// WithMaxTokenSize sets the largest raw token accepted, in bytes, checked
// before any decoding (default [DefaultMaxTokenSize]).
func WithMaxTokenSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("token: WithMaxTokenSize: %d, want at least 1", n)
		}
		c.maxTokenSize = n
		c.verifierOnly = append(c.verifierOnly, "WithMaxTokenSize")
		return nil
	}
}

// WithRefreshCooldown sets the minimum time between a successful JWKS fetch
// and the next one (default [DefaultRefreshCooldown]). A token with an
// unknown kid triggers a fetch only when the last one is at least this old;
// otherwise it is rejected with [ErrUnknownKey] at once. After a failed
// fetch, [WithFetchBackoff] decides instead, never waiting longer than this.
func WithRefreshCooldown(d time.Duration) Option {
	return keyFetchDuration("WithRefreshCooldown", d, func(c *config) *time.Duration { return &c.refreshCooldown })
}

// WithFetchBackoff sets the wait after a failed JWKS fetch before the next
// may start (default [DefaultFetchBackoff]). It doubles with each further
// consecutive failure, never beyond [WithRefreshCooldown], and each wait is
// jittered to between half and all of it. A successful fetch resets it.
func WithFetchBackoff(d time.Duration) Option {
	return keyFetchDuration("WithFetchBackoff", d, func(c *config) *time.Duration { return &c.fetchBackoff })
}

// WithLogger sets where a [RemoteKeySet] reports what a user should know
// but that fails no single call: a failed JWKS fetch (Warn, with the next
// attempt's delay), the first success after failures (Info), and JWKS
// entries it skipped as unusable (Warn, once per change; see [ParseJWKS]).
// Records never contain a token or key material. The default is
// [slog.Default] at the time of logging; pass a logger with
// [slog.DiscardHandler] to silence it.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("token: WithLogger: nil logger")
		}
		c.logger = l
		c.remoteOnly = append(c.remoteOnly, "WithLogger")
		return nil
	}
}

// WithKeyRefresh sets the age after which fetched keys are refreshed in the
// background (default [DefaultKeyRefresh]).
func WithKeyRefresh(d time.Duration) Option {
	return keyFetchDuration("WithKeyRefresh", d, func(c *config) *time.Duration { return &c.keyRefresh })
}

// WithKeyMaxAge sets how long the last successfully fetched keys remain usable
// while the JWKS endpoint is down (default [DefaultKeyMaxAge]). Past it,
// verification fails closed with [ErrKeySetUnavailable]. It must not be
// shorter than [WithKeyRefresh].
func WithKeyMaxAge(d time.Duration) Option {
	return keyFetchDuration("WithKeyMaxAge", d, func(c *config) *time.Duration { return &c.keyMaxAge })
}

// WithFetchTimeout bounds one JWKS fetch (default [DefaultFetchTimeout]).
func WithFetchTimeout(d time.Duration) Option {
	return keyFetchDuration("WithFetchTimeout", d, func(c *config) *time.Duration { return &c.fetchTimeout })
}

// WithMaxJWKSSize caps the JWKS response body in bytes (default
// [DefaultMaxJWKSSize]); a larger body is a fetch error.
func WithMaxJWKSSize(n int64) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("token: WithMaxJWKSSize: %d, want at least 1", n)
		}
		c.maxJWKSSize = n
		c.remoteOnly = append(c.remoteOnly, "WithMaxJWKSSize")
		return nil
	}
}

// keyFetchDuration is the shape shared by the key-fetching durations: d must
// be positive; it is stored in the field that field points to, and the option
// is recorded as one that applies only to a [RemoteKeySet].
func keyFetchDuration(name string, d time.Duration, field func(*config) *time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("token: %s: %v, want > 0", name, d)
		}
		*field(c) = d
		c.remoteOnly = append(c.remoteOnly, name)
		return nil
	}
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("invalid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL scheme %q, want http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("URL without host")
	}
	return u, nil
}

func normalizeIssuer(s string) string {
	return strings.TrimSuffix(s, "/")
}
