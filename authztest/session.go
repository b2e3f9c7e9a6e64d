package authztest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
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

// signingKey is a 2048-bit RSA key with a self-signed certificate for it,
// which the JWKS serves in x5c as the official spec requires.
type signingKey struct {
	key  *rsa.PrivateKey
	cert []byte // DER
	x5t  string // x5t#S256: base64url SHA-256 of cert (RFC 7517 §4.9)
}

// signer is a signing key as one fake uses it: under a kid of its own.
type signer struct {
	*signingKey
	kid string
}

// newSigningKey generates a key and its certificate.
func newSigningKey() *signingKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("authztest: cannot generate a session signing key: " + err.Error())
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("authztest: " + err.Error())
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial.Add(serial, big.NewInt(1)),
		Subject:               pkix.Name{CommonName: "authztest session signing key"},
		NotBefore:             time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic("authztest: cannot make the signing key's certificate: " + err.Error())
	}
	sum := sha256.Sum256(der)
	return &signingKey{key: k, cert: der, x5t: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// processKey is the key every Fake of the process starts with.
// Generating a 2048-bit key costs tens of milliseconds (more under -race),
// so it is generated once per process, at first use, and shared. Each fake
// serves it under a kid of its own (see newSigner), so a fake's verifier
// does not accept another fake's tokens: the kid is part of what is signed.
var processKey = sync.OnceValue(newSigningKey)

// crockford is the ULID alphabet.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// newSigner returns key under a new random kid shaped like WorkOS's
// "sso_oidc_key_pair_<ULID>" (26 characters).
func newSigner(key *signingKey) *signer {
	var id [16]byte
	rand.Read(id[:])
	return &signer{signingKey: key, kid: "sso_oidc_key_pair_" + crockford.EncodeToString(id[:])}
}

// signers returns the fake's keys, the current one first. The process key
// is generated (once, tens of milliseconds) before f.mu is taken, so that
// no request waits for it behind the lock.
func (f *Fake) signers() []*signer {
	def := processKey()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.signersLocked(def)
}

// signersLocked is signers with f.mu held and the process key given.
func (f *Fake) signersLocked(def *signingKey) []*signer {
	if len(f.keys) == 0 {
		f.keys = []*signer{newSigner(def)}
	}
	return f.keys
}

// KeyID returns the kid of the key that signs the fake's session tokens
// now. Every fake has kids of its own, even while it shares its key with
// the other fakes of the process (see [Fake.PublicKey]).
func (f *Fake) KeyID() string { return f.signers()[0].kid }

// PublicKey returns the public key of the fake's session tokens now, e.g.
// for a static key set: key it by [Fake.KeyID]. Until [Fake.RotateKey],
// the fakes of one process share this key (generating one is slow); a
// verifier that looks keys up by kid, as [token.Verifier] does, still
// accepts only this fake's tokens, since each fake signs under its own kid.
func (f *Fake) PublicKey() *rsa.PublicKey { return &f.signers()[0].key.PublicKey }

// RotateKey makes a newly generated key sign the fake's session tokens from
// now on. The JWKS serves the new key and the one before it; the key before
// that is gone, and tokens it signed no longer verify. Each rotation
// generates a 2048-bit RSA key, which takes a moment.
func (f *Fake) RotateKey() {
	f.helper()
	if !f.open("RotateKey") {
		return
	}
	s, def := newSigner(newSigningKey()), processKey()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = []*signer{s, f.signersLocked(def)[0]}
}

func (f *Fake) sessionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sso/jwks/{client_id}", f.jwks)
	// Not f.handle: minting signs with RSA (milliseconds), which must not
	// hold f.mu, the lock every check takes.
	f.control(mux, "POST /_fake/access_tokens", f.accessToken, false)
}

// jwkJSON is one key of the JWKS, with every member the official spec's
// JwksResponse requires, in its order.
type jwkJSON struct {
	Alg     string   `json:"alg"`
	Kty     string   `json:"kty"`
	Use     string   `json:"use"`
	X5c     []string `json:"x5c"`
	N       string   `json:"n"`
	E       string   `json:"e"`
	Kid     string   `json:"kid"`
	X5tS256 string   `json:"x5t#S256"`
}

// jwks serves GET /sso/jwks/{client_id}.
func (f *Fake) jwks(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("client_id"); id != f.ClientID() {
		writeError(w, errNotFound("client %q not found", id))
		return
	}
	signers := f.signers()
	keys := []jwkJSON{}
	for _, s := range signers {
		pub := s.key.PublicKey
		keys = append(keys, jwkJSON{Alg: "RS256", Kty: "RSA", Use: "sig",
			X5c: []string{base64.StdEncoding.EncodeToString(s.cert)}, // RFC 7517 §4.7: base64, not base64url
			N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
			Kid: s.kid, X5tS256: s.x5t})
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
	raw, _, err := f.mint(om, opts)
	if err != nil {
		f.fail("Session", err)
	}
	return raw
}

// mint mints a session token: its claims are read from the model under
// f.mu, and it is signed after f.mu is released — an RSA signature takes
// milliseconds, and checks must not wait for it.
func (f *Fake) mint(omID string, opts []SessionOption) (raw, sessionID string, err error) {
	def := processKey()
	f.mu.Lock()
	claims, s, sessionID, err := f.sessionClaims(omID, opts, def)
	hook := f.signHook
	f.mu.Unlock()
	if err != nil {
		return "", "", err
	}
	if hook != nil {
		hook()
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	raw, err = t.SignedString(s.key)
	return raw, sessionID, err
}

// sessionClaims returns the claims of a session token for omID, the key
// to sign it with and the ID of the session it opens; f.mu is held.
func (f *Fake) sessionClaims(omID string, opts []SessionOption, def *signingKey) (jwt.MapClaims, *signer, string, error) {
	om, err := f.m.membership(omID)
	if err != nil {
		return nil, nil, "", err
	}
	if om.status == statusInactive {
		return nil, nil, "", errInvalid("organization membership %q is inactive: AuthKit opens no session for it", om.id)
	}
	custom, err := f.renderTemplate(om)
	if err != nil {
		return nil, nil, "", err
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
	return claims, f.signersLocked(def)[0], sid, nil
}

// accessToken serves POST /_fake/access_tokens:
// {"organization_membership_id": "om_…", "expires_in": seconds?} →
// {"access_token": "…", "session_id": "session_…"}.
func (f *Fake) accessToken(r *http.Request) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	body = body.withoutNulls() // a /_fake/ endpoint: null is "not sent"
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
	raw, sid, err := f.mint(om, opts)
	if err != nil {
		return 0, nil, err
	}
	// session_id is the token's sid claim, the session ID POST
	// /user_management/sessions/revoke takes.
	return http.StatusOK, map[string]string{"access_token": raw, "session_id": sid}, nil
}
