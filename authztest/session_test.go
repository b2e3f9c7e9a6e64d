package authztest

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/fgakit/fgakit/token"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// jwksKey fetches the fake's JWKS over HTTP and returns its one key.
func jwksKey(t *testing.T, f *Fake) (string, *rsa.PublicKey) {
	t.Helper()
	return jwksKeyAt(t, f, -1)
}

// jwksKeyAt returns key i of the JWKS; i < 0 demands exactly one key.
func jwksKeyAt(t *testing.T, f *Fake, i int) (string, *rsa.PublicKey) {
	t.Helper()
	status, body, _ := call(t, f, "GET", "/sso/jwks/"+f.ClientID(), "")
	if status != 200 {
		t.Fatalf("jwks: %d %s", status, body)
	}
	var set struct {
		Keys []struct {
			Kty, Kid, Use, Alg, N, E string
			X5c                      []string
			X5tS256                  string `json:"x5t#S256"`
		}
	}
	if err := json.Unmarshal([]byte(body), &set); err != nil || i < 0 && len(set.Keys) != 1 || i >= len(set.Keys) {
		t.Fatalf("jwks body %s: %v", body, err)
	}
	k := set.Keys[max(i, 0)]
	if k.Kty != "RSA" || k.Use != "sig" || k.Alg != "RS256" || !strings.HasPrefix(k.Kid, "sso_oidc_key_pair_") {
		t.Errorf("jwk = %+v", k)
	}
	n, err1 := base64.RawURLEncoding.DecodeString(k.N)
	e, err2 := base64.RawURLEncoding.DecodeString(k.E)
	if err1 != nil || err2 != nil {
		t.Fatalf("jwk encoding: %v %v", err1, err2)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	// x5c and x5t#S256, required by the official spec, agree with n and e.
	if len(k.X5c) != 1 {
		t.Fatalf("x5c = %q, want one certificate", k.X5c)
	}
	der, err := base64.StdEncoding.DecodeString(k.X5c[0])
	if err != nil {
		t.Fatalf("x5c[0] is not base64: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("x5c[0]: %v", err)
	}
	if certKey, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !certKey.Equal(pub) {
		t.Errorf("x5c certificate holds %T, not the key of n and e", cert.PublicKey)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("x5c certificate is not self-signed: %v", err)
	}
	sum := sha256.Sum256(der)
	if k.X5tS256 != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Errorf("x5t#S256 = %q, not the certificate's SHA-256 thumbprint", k.X5tS256)
	}
	return k.Kid, pub
}

// parse verifies raw with the JWKS key at the fake's time.
func parse(t *testing.T, f *Fake, raw string) (jwt.MapClaims, error) {
	t.Helper()
	kid, key := jwksKey(t, f)
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		if tok.Header["kid"] != kid {
			t.Errorf("kid = %v, want %s", tok.Header["kid"], kid)
		}
		return key, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(f.Now), jwt.WithExpirationRequired())
	return claims, err
}

func TestSession(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	claims, err := parse(t, f, f.Session("om_alice"))
	if err != nil {
		t.Fatal(err)
	}
	want := jwt.MapClaims{
		"iss": f.URL() + "/user_management/client_test", "sub": "user_alice", "sid": "session_000001", "jti": "jti_000001",
		"org_id": "org_acme", "role": "member", "roles": []any{"member"}, "permissions": []any{"workspace:view"},
		"organization_membership_id": "om_alice",
		"iat":                        float64(epoch.Unix()), "exp": float64(epoch.Add(5 * time.Minute).Unix()),
	}
	if d := cmp.Diff(want, claims); d != "" {
		t.Errorf("claims (-want +got):\n%s", d)
	}

	// Options: TTL, extra and removed claims.
	claims, err = parse(t, f, f.Session("om_carol", SessionTTL(time.Hour), SessionClaim("entitlements", []string{"audit"}), SessionWithoutMembership()))
	if err != nil {
		t.Fatal(err)
	}
	if claims["exp"] != float64(epoch.Add(time.Hour).Unix()) || claims["permissions"].([]any)[0] != "project:view" {
		t.Errorf("claims = %v", claims)
	}
	if _, ok := claims["organization_membership_id"]; ok {
		t.Error("SessionWithoutMembership left the membership claim")
	}
	if got := claims["entitlements"]; !cmp.Equal(got, []any{"audit"}) {
		t.Errorf("entitlements = %v", got)
	}

	// The fake's clock expires tokens.
	raw := f.Session("om_alice")
	f.Advance(5*time.Minute + time.Second)
	if _, err := parse(t, f, raw); err == nil {
		t.Error("token still valid after its lifetime on the fake's clock")
	}
}

// The JWKS has every member the official spec's JwksResponse requires, in
// its order, and token.ParseJWKS takes its key without skipping anything.
func TestJWKSShape(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.RotateKey() // two keys, each with its certificate
	status, body, _ := call(t, f, "GET", "/sso/jwks/"+f.ClientID(), "")
	if status != 200 {
		t.Fatalf("jwks: %d %s", status, body)
	}
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal([]byte(body), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("jwks body %s: %v", body, err)
	}
	for i, raw := range set.Keys {
		var names []string
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.Token()
		for dec.More() {
			name, _ := dec.Token()
			names = append(names, name.(string))
			var skip json.RawMessage
			dec.Decode(&skip)
		}
		want := []string{"alg", "kty", "use", "x5c", "n", "e", "kid", "x5t#S256"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("keys[%d] members (-spec +fake):\n%s", i, diff)
		}
		jwksKeyAt(t, f, i) // checks x5c and x5t#S256 against n and e
	}
	ks, err := token.ParseJWKS([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if s := ks.Skipped(); s != nil {
		t.Errorf("token.ParseJWKS skipped %v", s)
	}
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, WithAPIKey("sk_secret"))
	if status, body, _ := call(t, f, "GET", "/sso/jwks/client_nope", ""); status != 404 {
		t.Errorf("unknown client: %d %s", status, body)
	}
	// Public even with an API key, and counted, and not an API call.
	jwksKey(t, f)
	if got := f.JWKSFetches(); got != 2 {
		t.Errorf("JWKSFetches = %d, want 2", got)
	}
	if got := len(f.Calls()); got != 0 {
		t.Errorf("%d calls logged for JWKS fetches", got)
	}
}

func TestAccessTokenEndpoint(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	status, body, _ := call(t, f, "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_bob","expires_in":60}`)
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		SessionID   string `json:"session_id"`
	}
	json.Unmarshal([]byte(body), &out)
	claims, err := parse(t, f, out.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	// session_id is the token's sid: what a client in another language
	// passes to POST /user_management/sessions/revoke.
	if out.SessionID == "" || out.SessionID != claims["sid"] {
		t.Errorf("session_id %q, sid claim %v", out.SessionID, claims["sid"])
	}
	if claims["sub"] != "user_bob" || claims["exp"] != float64(epoch.Add(time.Minute).Unix()) {
		t.Errorf("claims = %v", claims)
	}
	const expiresRule = `{"message":"expires_in must be a positive number of seconds, at most 31622400"}`
	runWire(t, []wireCase{
		{"unknown membership", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_nobody"}`, 404, `{"message":"organization membership \"om_nobody\" not found"}`},
		{"missing membership", "POST", "/_fake/access_tokens", `{}`, 422, `{"message":"organization_membership_id is required"}`},
		{"bad expires_in", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_bob","expires_in":-1}`, 422, expiresRule},
		{"expires_in zero", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_bob","expires_in":0}`, 422, expiresRule},
		{"expires_in over a year", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_bob","expires_in":31622401}`, 422, expiresRule},
		{"expires_in max int64", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_bob","expires_in":9223372036854775807}`, 422, expiresRule},
		{"expires_in that wraps to 60 s as a Duration", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_bob","expires_in":18446744133}`, 422, expiresRule},
		{"expires_in beyond int64", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_bob","expires_in":1e99}`, 422, expiresRule},
		{"expires_in fractional", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_bob","expires_in":0.5}`, 422, expiresRule},
		{"expires_in a string", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_bob","expires_in":"60"}`, 422, expiresRule},
	}, nil)
	if got := len(f.Calls()); got != 0 {
		t.Errorf("%d calls logged for /_fake/", got)
	}
	if status, body, _ := call(t, f, "POST", "/user_management/sessions/revoke", `{"session_id":"`+out.SessionID+`"}`); status != 200 {
		t.Errorf("revoke the session: %d %s", status, body)
	}
	if !f.SessionRevoked(out.SessionID) {
		t.Error("session not revoked")
	}
}

func TestRotateKey(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	kids := func() []string {
		_, body, _ := call(t, f, "GET", "/sso/jwks/client_test", "")
		var set struct{ Keys []struct{ Kid string } }
		json.Unmarshal([]byte(body), &set)
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.Kid)
		}
		return out
	}
	first := f.KeyID()
	if got := kids(); !cmp.Equal(got, []string{first}) {
		t.Fatalf("kids before rotation = %v", got)
	}
	f.RotateKey()
	second := f.KeyID()
	if second == first || !cmp.Equal(kids(), []string{second, first}) {
		t.Errorf("after one rotation: current %s, JWKS %v", second, kids())
	}
	tok, _, err := jwt.NewParser().ParseUnverified(f.Session("om_alice"), jwt.MapClaims{})
	if err != nil || tok.Header["kid"] != second {
		t.Errorf("new sessions are signed with %v, want %s (%v)", tok.Header["kid"], second, err)
	}
	f.RotateKey()
	if got := kids(); len(got) != 2 || got[1] != second || got[0] == first {
		t.Errorf("after two rotations JWKS = %v, want the newest and %s", got, second)
	}
	if f.PublicKey().N.Cmp(currentJWKSModulus(t, f)) != 0 {
		t.Error("PublicKey is not the current key")
	}
}

// currentJWKSModulus returns the modulus of the current key as served by the JWKS.
func currentJWKSModulus(t *testing.T, f *Fake) *big.Int {
	_, key := jwksKeyAt(t, f, 0)
	return key.N
}
