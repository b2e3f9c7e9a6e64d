package authztest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultSessionTTL is the lifetime of a session token, the AuthKit
// docs' example.
const DefaultSessionTTL = 5 * time.Minute

// maxExpiresIn caps the expires_in of POST /_fake/access_tokens (a year).
const maxExpiresIn = 366 * 24 * 60 * 60

// signer is an RSA signing key with its kid.
type signer struct {
	key *rsa.PrivateKey
	kid string
}

// newSigner generates a 2048-bit key; its kid is shaped like WorkOS's
// "sso_oidc_key_pair_<ULID>" and derived from the key.
func newSigner() *signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("authztest: cannot generate a session signing key: " + err.Error())
	}
	sum := sha256.Sum256(k.N.Bytes())
	return &signer{key: k, kid: "sso_oidc_key_pair_" + base32.StdEncoding.EncodeToString(sum[:])[:26]}
}

// processSigner is the key every Fake of the process starts with.
// Generating a 2048-bit key costs tens of milliseconds (more under -race),
// so it is generated once per process, at first use, and shared; each fake
// still serves it only under its own client ID.
var processSigner = sync.OnceValue(newSigner)

// signers returns the fake's keys, the current one first; f.mu is held.
func (f *Fake) signers() []*signer {
	if len(f.keys) == 0 {
		f.keys = []*signer{processSigner()}
	}
	return f.keys
}

// KeyID returns the kid of the key that signs the fake's session tokens now.
func (f *Fake) KeyID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.signers()[0].kid
}

// PublicKey returns the public key of the fake's session tokens now, e.g.
// for a static key set.
func (f *Fake) PublicKey() *rsa.PublicKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &f.signers()[0].key.PublicKey
}

// RotateKey makes a newly generated key sign the fake's session tokens from
// now on. The JWKS serves the new key and the one before it; the key before
// that is gone, and tokens it signed no longer verify. Each rotation
// generates a 2048-bit RSA key, which takes a moment.
func (f *Fake) RotateKey() {
	f.helper()
	if !f.open("RotateKey") {
		return
	}
	s := newSigner()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = []*signer{s, f.signers()[0]}
}

func (f *Fake) sessionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sso/jwks/{client_id}", f.jwks)
	f.handle(mux, "POST /_fake/access_tokens", f.accessToken)
}

type jwkJSON struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// jwks serves GET /sso/jwks/{client_id}.
func (f *Fake) jwks(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("client_id"); id != f.ClientID() {
		writeError(w, errNotFound("client %q not found", id))
		return
	}
	f.mu.Lock()
	signers := f.signers()
	f.mu.Unlock()
	keys := []jwkJSON{}
	for _, s := range signers {
		pub := s.key.PublicKey
		keys = append(keys, jwkJSON{Kty: "RSA", Kid: s.kid, Use: "sig", Alg: "RS256",
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())})
	}
	writeJSON(w, http.StatusOK, map[string][]jwkJSON{"keys": keys})
}

// SessionOption changes one session token minted by [Fake.Session].
type SessionOption func(*sessionConfig)

type sessionConfig struct {
	ttl    time.Duration
	claims map[string]any
}

// SessionTTL sets the token's lifetime (default [DefaultSessionTTL]).
func SessionTTL(d time.Duration) SessionOption { return func(c *sessionConfig) { c.ttl = d } }

// SessionClaim sets claim name to value, replacing what the fake would put
// there; a nil value removes the claim.
func SessionClaim(name string, value any) SessionOption {
	return func(c *sessionConfig) { c.claims[name] = value }
}

// SessionWithoutMembership leaves out the organization_membership_id
// claim, as a token minted without the JWT template.
func SessionWithoutMembership() SessionOption { return SessionClaim("organization_membership_id", nil) }

// Session mints an RS256 access token for membership om, as AuthKit does
// once the JWT template adds the membership ID: sub (user), sid, iss
// ({URL}/user_management/{client_id}), org_id, role, roles, permissions
// (from the membership's organization roles), organization_membership_id,
// iat and exp (from [Fake.Now]), jti. It verifies with the JWKS the fake
// serves. An unknown membership fails the test.
func (f *Fake) Session(om string, opts ...SessionOption) string {
	f.helper()
	if !f.open("Session") {
		return ""
	}
	f.mu.Lock()
	raw, err := f.mint(om, opts)
	f.mu.Unlock()
	if err != nil {
		f.fail("Session", err)
	}
	return raw
}

// mint signs a session token; f.mu is held.
func (f *Fake) mint(omID string, opts []SessionOption) (string, error) {
	om, err := f.m.membership(omID)
	if err != nil {
		return "", err
	}
	if om.status == statusInactive {
		return "", errInvalid("organization membership %q is inactive: AuthKit opens no session for it", om.id)
	}
	custom, err := f.renderTemplate(om)
	if err != nil {
		return "", err
	}
	cfg := sessionConfig{ttl: DefaultSessionTTL, claims: map[string]any{}}
	for _, o := range opts {
		o(&cfg)
	}
	roles := append([]string{}, om.roles...)
	perms := []string{}
	for _, slug := range om.roles {
		if ro := f.m.roleFor(om.orgID, slug); ro != nil {
			perms = append(perms, ro.permissions...)
		}
	}
	f.tokens++
	now := f.Now()
	sid := fmt.Sprintf("session_%06d", f.tokens)
	claims := jwt.MapClaims{}
	for k, v := range custom { // the JWT template's claims, under the standard ones
		claims[k] = v
	}
	for k, v := range map[string]any{
		"iss":         f.URL() + "/user_management/" + f.clientID,
		"sub":         om.userID,
		"sid":         sid,
		"jti":         fmt.Sprintf("jti_%06d", f.tokens),
		"org_id":      om.orgID,
		"roles":       roles,
		"permissions": dedupe(perms),
		"iat":         now.Unix(),
		"exp":         now.Add(cfg.ttl).Unix(),
	} {
		claims[k] = v
	}
	if len(roles) > 0 {
		claims["role"] = roles[0]
	}
	for k, v := range cfg.claims {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	f.openSession(sid, om, now, now.Add(cfg.ttl))
	s := f.signers()[0]
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	return t.SignedString(s.key)
}

// accessToken serves POST /_fake/access_tokens:
// {"organization_membership_id": "om_…", "expires_in": seconds?} →
// {"access_token": "…"}.
func (f *Fake) accessToken(r *http.Request) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	om, err := body.str("organization_membership_id")
	if err != nil {
		return 0, nil, err
	}
	if err := requireField("organization_membership_id", om); err != nil {
		return 0, nil, err
	}
	var opts []SessionOption
	if body.has("expires_in") {
		var secs int64
		if err := json.Unmarshal(body["expires_in"], &secs); err != nil || secs <= 0 || secs > maxExpiresIn {
			return 0, nil, errInvalid("expires_in must be a positive number of seconds, at most %d", maxExpiresIn)
		}
		opts = append(opts, SessionTTL(time.Duration(secs)*time.Second))
	}
	raw, err := f.mint(om, opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"access_token": raw}, nil
}
