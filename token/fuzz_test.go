package token

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify feeds raw token strings to Verify, with and without the cache.
// It must never panic, never return claims together with an error, always
// return one of the sentinels, never echo the token, and accept only tokens
// whose RS256 signature by key A checks out independently.
func FuzzVerify(f *testing.F) {
	good := sign(f, kidA, sessionClaims(), nil)
	parts := strings.Split(good, ".")
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(sessionClaims()))
	hs.Header["kid"] = kidA
	hsRaw, _ := hs.SignedString([]byte("secret"))
	for _, seed := range []string{
		good,
		sign(f, kidA, map[string]any{"sub": "user_1", "exp": t0.Add(time.Minute).Unix(), "aud": []string{"a"}, "nbf": 1, "act": map[string]any{"sub": "x"}}, nil),
		sign(f, kidA, claimsWith(map[string]any{"exp": nil}), nil),
		b64(map[string]any{"alg": "none", "kid": kidA}) + "." + parts[1] + ".",
		hsRaw,
		parts[0] + "." + parts[1],
		"garbage",
		"a.b.c",
		"..",
		"",
		"eyJhbGciOiJSUzI1NiJ9.bnVsbA.",
		parts[0] + "." + b64("null") + "." + parts[2],
		// Claim names in another case or twice: rejected, never read.
		signRawPayload(f, namedPayload(`"org_id":"org_1"`)),
		signRawPayload(f, namedPayload(`"ORG_ID":"org_evil"`)),
		signRawPayload(f, namedPayload(`"org_id":"org_1","Org_Id":"org_evil"`)),
		signRawPayload(f, namedPayload(`"Permissions":["*"],"om":"om_1"`)),
		signRawPayload(f, namedPayload(`"org_id":"org_1","org_id":"org_evil"`)),
		signRawPayload(f, namedPayload("\"permi\u017f\u017fions\":[\"*\"]")),
		signRawPayload(f, namedPayload(`"act":{"SUB":"admin"}`)),
		signRawPayload(f, namedPayload(`"om":"om_1","OM":"om_evil","meta":{"ORG_ID":"x"}`)),
	} {
		f.Add(seed)
	}
	verifiers := []*Verifier{
		newTestVerifier(f),
		newTestVerifier(f, WithCache(64)),
		newTestVerifier(f, WithMembershipClaim("om"), WithIssuer("https://api.workos.com/user_management/client_123")),
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, v := range verifiers {
			c, err := v.Verify(t.Context(), raw)
			if err != nil {
				if c != nil {
					t.Fatalf("claims returned with error %v", err)
				}
				if !isSentinel(err) {
					t.Fatalf("error %v wraps no sentinel", err)
				}
				assertNoSecret(t, err, raw)
				continue
			}
			if c == nil {
				t.Fatal("nil claims without an error")
			}
			if !signedByA(raw) {
				t.Fatalf("accepted a token whose signature does not check out: %q", raw)
			}
			if !readAsWritten(raw, c, v.claimNames.names) {
				t.Fatalf("claims %+v differ from the payload's exactly named members: %q", c, raw)
			}
		}
	})
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// readAsWritten reports whether c holds what the payload's members named
// exactly "sub", "org_id", "permissions" and the membership claim say, and
// whether no member name is a claim name in another case.
func readAsWritten(raw string, c *Claims, names []string) bool {
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	if err != nil {
		return false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(payload, &members) != nil {
		return false
	}
	for key := range members {
		for _, name := range names {
			if key != name && strings.EqualFold(key, name) {
				return false
			}
		}
	}
	var exact struct {
		sub, org, om string
		perms        []string
	}
	json.Unmarshal(members["sub"], &exact.sub)
	json.Unmarshal(members["org_id"], &exact.org)
	json.Unmarshal(members["permissions"], &exact.perms)
	json.Unmarshal(members[names[len(names)-1]], &exact.om)
	return c.Subject == exact.sub && c.OrganizationID == exact.org &&
		c.OrganizationMembershipID == exact.om && slices.Equal(c.Permissions, exact.perms)
}

// signedByA checks the token independently of the Verifier: an RS256 header
// and a PKCS #1 v1.5 SHA-256 signature by key A over header.payload.
func signedByA(raw string) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return false
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hb, &h) != nil || h.Alg != "RS256" {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(publicKey(kidA), crypto.SHA256, sum[:], sig) == nil
}

// FuzzParseJWKS feeds JWKS response bodies to ParseJWKS: it must never panic,
// fail only with ErrNoUsableKey, account for every entry (taken or skipped),
// and a key it accepts is an RSA key of an allowed size.
func FuzzParseJWKS(f *testing.F) {
	for _, seed := range []string{
		string(jwksJSON(kidA, kidB)),
		`{"keys":[]}`,
		`{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[{"kty":"EC","kid":"e","crv":"P-256","x":"AA","y":"AA"}]}`,
		`{"keys":[{"kty":"RSA","kid":"k","use":"enc","n":"AQAB","e":"AQAB"}]}`,
		`null`,
		`{"keys":null}`,
		`[`,
		doc(goodEntry()),
		doc(goodEntry(), goodEntry()),
		`{"keys":[],"KEYS":[]}`,
	} {
		f.Add([]byte(seed))
	}
	for _, tt := range unusableEntries() {
		f.Add([]byte(doc(append(tt.entries, goodEntry())...)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := ParseJWKS(data)
		if err != nil {
			if ks != nil {
				t.Fatal("key set returned with an error")
			}
			if !errors.Is(err, ErrNoUsableKey) {
				t.Fatalf("error %v does not wrap ErrNoUsableKey", err)
			}
			return
		}
		var d struct{ Keys []json.RawMessage }
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("accepted a document encoding/json rejects: %v", err)
		}
		if got := len(ks.keys) + len(ks.skipped); got != len(d.Keys) {
			t.Fatalf("%d keys and %d skipped for %d entries", len(ks.keys), len(ks.skipped), len(d.Keys))
		}
		if len(ks.keys) == 0 {
			t.Fatal("empty key set without an error")
		}
		for kid, k := range ks.keys {
			pub, ok := k.(*rsa.PublicKey)
			if !ok || kid == "" {
				t.Fatalf("key %q of type %T", kid, k)
			}
			if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits || pub.E < 3 {
				t.Fatalf("key %q: %d bits, e=%d", kid, bits, pub.E)
			}
		}
	})
}
