package token_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/fgakit/fgakit/token"
	"github.com/golang-jwt/jwt/v5"
)

// This example verifies a token signed locally, with the public key in a
// StaticKeySet. In production, leave WithKeySet out: the Verifier fetches
// WorkOS's JWKS for the client ID.
func ExampleVerifier_Verify() {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	keys := token.NewStaticKeySet(map[string]crypto.PublicKey{"key_1": &key.PublicKey})
	v, err := token.NewVerifier("client_123", token.WithKeySet(keys))
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	// What AuthKit would mint for a signed-in member of org_acme.
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"sub":                        "user_alice",
		"sid":                        "session_1",
		"org_id":                     "org_acme",
		"role":                       "member",
		"permissions":                []string{"workspace:view"},
		"organization_membership_id": "om_alice",
		"iat":                        time.Now().Unix(),
		"exp":                        time.Now().Add(5 * time.Minute).Unix(),
	})
	tok.Header["kid"] = "key_1"
	raw, err := tok.SignedString(key)
	if err != nil {
		log.Fatal(err)
	}

	claims, err := v.Verify(context.Background(), raw)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject, claims.OrganizationID, claims.OrganizationMembershipID)
	fmt.Println("workspace:view:", claims.HasPermission("workspace:view"))
	// Output:
	// user_alice org_acme om_alice
	// workspace:view: true
}

// Every rejection wraps a sentinel error: test it with errors.Is, and answer
// 401 for any of them. The error text never contains the token.
func ExampleVerifier_Verify_errorChecking() {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	v, err := token.NewVerifier("client_123",
		token.WithKeySet(token.NewStaticKeySet(map[string]crypto.PublicKey{"key_1": &key.PublicKey})),
		token.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	signed := func(kid string, exp time.Time) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "user_alice", "exp": exp.Unix()})
		tok.Header["kid"] = kid
		raw, err := tok.SignedString(key)
		if err != nil {
			log.Fatal(err)
		}
		return raw
	}
	for _, raw := range []string{
		signed("key_1", now.Add(-time.Hour)),       // expired an hour ago
		signed("key_2", now.Add(time.Minute)),      // a key the set does not have
		signed("key_1", now.Add(time.Minute))[:40], // cut short
	} {
		_, err := v.Verify(context.Background(), raw)
		switch {
		case errors.Is(err, token.ErrExpired):
			fmt.Println("expired: ask the client to refresh its session")
		case errors.Is(err, token.ErrUnknownKey):
			fmt.Println("signed with an unknown key")
		case errors.Is(err, token.ErrMalformed):
			fmt.Println("not a token")
		case err != nil:
			fmt.Println("rejected:", err)
		}
	}
	// Output:
	// expired: ask the client to refresh its session
	// signed with an unknown key
	// not a token
}

func ExampleClaims_HasPermission() {
	claims := &token.Claims{
		OrganizationID: "org_acme",
		Role:           "admin",
		Permissions:    []string{"project:edit", "workspace:view"},
	}
	fmt.Println(claims.HasPermission("project:edit"))
	fmt.Println(claims.HasPermission("billing:manage"))
	fmt.Println(claims.HasRole("admin"))
	// Output:
	// true
	// false
	// true
}

// A JWKS entry that cannot be used is skipped and reported; the keys of the
// other entries keep verifying tokens. Only a set with no usable key at all
// is an error.
func ExampleParseJWKS() {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	n := base64.RawURLEncoding.EncodeToString(key.N.Bytes())
	jwks := `{"keys": [
		"not a key",
		{"kty": "RSA", "kid": "padded", "n": "` + base64.URLEncoding.EncodeToString(key.N.Bytes()) + `", "e": "AQAB"},
		{"kty": "RSA", "kid": 7, "n": "` + n + `", "e": "AQAB"},
		{"kty": "RSA", "kid": "key_1", "use": "sig", "alg": "RS256", "n": "` + n + `", "e": "AQAB"}
	]}`
	keys, err := token.ParseJWKS([]byte(jwks))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("usable:", keys.KeyIDs())
	for _, s := range keys.Skipped() {
		fmt.Println("skipped:", s)
	}

	_, err = token.ParseJWKS([]byte(`{"keys": ["not a key"]}`))
	fmt.Println(errors.Is(err, token.ErrNoUsableKey), err)
	// Output:
	// usable: [key_1]
	// skipped: keys[0]: not a JSON object
	// skipped: keys[1] (kid "padded"): modulus "n" is not unpadded base64url (RFC 7518)
	// skipped: keys[2]: member "kid" is not of the right JSON type (number)
	// true token: JWKS has no usable signing key: 1 of 1 entries skipped: keys[0]: not a JSON object
}
