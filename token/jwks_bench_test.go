package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"
)

// benchJWKS is a JWKS as the official spec describes WorkOS's: two RSA keys
// (current and previous), each with n, e, x5c and x5t#S256.
func benchJWKS(tb testing.TB) []byte {
	type jwk struct {
		Alg     string   `json:"alg"`
		Kty     string   `json:"kty"`
		Use     string   `json:"use"`
		X5c     []string `json:"x5c"`
		N       string   `json:"n"`
		E       string   `json:"e"`
		Kid     string   `json:"kid"`
		X5tS256 string   `json:"x5t#S256"`
	}
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	for _, kid := range []string{kidA, kidB} {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: kid},
			NotBefore: t0, NotAfter: t0.Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, publicKey(kid), privateKey(kid))
		if err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(der)
		doc.Keys = append(doc.Keys, jwk{Alg: "RS256", Kty: "RSA", Use: "sig",
			X5c: []string{base64.StdEncoding.EncodeToString(der)},
			N:   base64.RawURLEncoding.EncodeToString(publicKey(kid).N.Bytes()), E: "AQAB",
			Kid: kid, X5tS256: base64.RawURLEncoding.EncodeToString(sum[:])})
	}
	data, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// BenchmarkParseJWKS measures one parse of a fetched JWKS (done on each
// fetch: at most once a cooldown, and hourly in the background).
func BenchmarkParseJWKS(b *testing.B) {
	data := benchJWKS(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJWKS(data); err != nil {
			b.Fatal(err)
		}
	}
}
