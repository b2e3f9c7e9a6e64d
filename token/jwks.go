package token

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// SkippedKey is an entry of a JWKS document that [ParseJWKS] did not take,
// and why. A set is never refused for one entry: the other entries stay
// usable.
type SkippedKey struct {
	// Index is the entry's position in the "keys" array, from 0.
	Index int
	// KeyID is the entry's "kid", shortened to 64 bytes; empty when the
	// entry has no kid or its kid is not a string.
	KeyID string
	// Reason says why the entry was not taken, e.g. "RSA modulus of 1024
	// bits, want 2048 to 8192". It never contains key material.
	Reason string
}

// String returns "keys[i] (kid "…"): reason".
func (s SkippedKey) String() string {
	if s.KeyID == "" {
		return fmt.Sprintf("keys[%d]: %s", s.Index, s.Reason)
	}
	return fmt.Sprintf("keys[%d] (kid %q): %s", s.Index, s.KeyID, s.Reason)
}

// ParseJWKS parses a JSON Web Key Set document ({"keys": [...]}, RFC 7517)
// such as the one served at /sso/jwks/{clientID}.
//
// Each entry is judged on its own. An entry is taken when it is an RSA
// signing key: a JSON object with exactly spelled, unrepeated members, kty
// "RSA", a string kid, use "sig" or absent, key_ops absent or holding
// "verify", alg absent or an RSA algorithm (RS256…RS512, PS256…PS512), and n
// and e in unpadded base64url (RFC 7518 §6.3.1) with a modulus of 2048 to
// 8192 bits and an odd exponent of at least 3. The key is always read from n
// and e; x5c is never used as a key, but when it is present its first
// certificate must hold the same key, and an x5t#S256 must be its SHA-256
// thumbprint (raw or hex digest, base64url), else the entry is skipped as
// inconsistent (an x5c or thumbprint that cannot be decoded proves nothing
// and is ignored). Two entries with one kid: a repeat of the same key is
// skipped, two different keys under one kid are both skipped, since a token
// naming that kid cannot say which one it means.
//
// Every other entry — a bare string or number in "keys", another kty, no or a
// non-string kid, an encryption key, an entry with only x5c, a padded or
// malformed n, a key that is too small, … — is skipped and listed by
// [StaticKeySet.Skipped]; tokens signed by the keys taken keep verifying.
// The document as a whole fails, with an error wrapping [ErrNoUsableKey],
// only when it is not a JSON object with a "keys" array or when no entry can
// be taken; the error lists the skipped entries.
func ParseJWKS(data []byte) (*StaticKeySet, error) {
	ks, err := parseJWKS(data)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	return ks, nil
}

// jwksError is a JWKS document with no usable key. Its text has no "token: "
// prefix, so that [RemoteKeySet] can wrap it under its own.
type jwksError struct {
	msg string
}

func (e *jwksError) Error() string        { return "JWKS has no usable signing key: " + e.msg }
func (e *jwksError) Is(target error) bool { return target == ErrNoUsableKey }

// jwkNames are the members of a JWKS entry that are read; they must be
// spelled exactly and appear once (encoding/json would otherwise match "N"
// or "KID", and keep the last of two "n").
var jwkNames = newClaimNames("kty", "kid", "use", "alg", "key_ops", "n", "e", "x5c", "x5t#S256")

// jwksNames is the one member of the document that is read.
var jwksNames = newClaimNames("keys")

// jsonWebKey is one entry of "keys", as far as it is read.
type jsonWebKey struct {
	Kty     string   `json:"kty"`
	Kid     string   `json:"kid"`
	Use     string   `json:"use"`
	Alg     string   `json:"alg"`
	KeyOps  []string `json:"key_ops"`
	N       string   `json:"n"`
	E       string   `json:"e"`
	X5c     []string `json:"x5c"`
	X5tS256 string   `json:"x5t#S256"`
}

// maxSkippedInError bounds the entries an error text lists.
const maxSkippedInError = 5

func parseJWKS(data []byte) (*StaticKeySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute) && ute.Field == "keys":
			return nil, &jwksError{msg: `"keys" is not an array`}
		case errors.As(err, &ute):
			return nil, &jwksError{msg: "the document is not a JSON object"}
		}
		return nil, &jwksError{msg: "invalid JSON: " + err.Error()}
	}
	if _, _, err := jwksNames.check(data); err != nil {
		return nil, &jwksError{msg: "ambiguous document: " + memberWording(err)}
	}
	if doc.Keys == nil {
		return nil, &jwksError{msg: `no "keys" array`}
	}

	type taken struct {
		index int
		key   *rsa.PublicKey
	}
	var (
		skipped []SkippedKey
		byKid   = map[string][]taken{}
		order   []string // kids in document order of their first entry
	)
	for i, raw := range doc.Keys {
		kid, pub, reason := parseJWK(raw)
		if reason != "" {
			skipped = append(skipped, SkippedKey{Index: i, KeyID: truncate(kid), Reason: reason})
			continue
		}
		if _, seen := byKid[kid]; !seen {
			order = append(order, kid)
		}
		byKid[kid] = append(byKid[kid], taken{i, pub})
	}

	keys := make(map[string]crypto.PublicKey, len(order))
	for _, kid := range order {
		entries := byKid[kid]
		first := entries[0]
		same := true
		for _, e := range entries[1:] {
			same = same && e.key.Equal(first.key)
		}
		if same {
			keys[kid] = first.key
			for _, e := range entries[1:] {
				skipped = append(skipped, SkippedKey{Index: e.index, KeyID: truncate(kid),
					Reason: fmt.Sprintf("repeats keys[%d] (same kid, same key)", first.index)})
			}
			continue
		}
		for _, e := range entries {
			skipped = append(skipped, SkippedKey{Index: e.index, KeyID: truncate(kid),
				Reason: fmt.Sprintf("kid names %d different keys", len(entries))})
		}
	}
	slices.SortFunc(skipped, func(a, b SkippedKey) int { return a.Index - b.Index })

	if len(keys) == 0 {
		return nil, &jwksError{msg: describeSkipped(len(doc.Keys), skipped)}
	}
	return &StaticKeySet{keys: keys, skipped: skipped}, nil
}

// describeSkipped says why no entry of a document was taken.
func describeSkipped(entries int, skipped []SkippedKey) string {
	if entries == 0 {
		return `empty "keys" array`
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d entries skipped: ", len(skipped), entries)
	for i, s := range skipped {
		if i == maxSkippedInError {
			fmt.Fprintf(&b, "; and %d more", len(skipped)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// memberWording turns an error of [claimNames.check], which speaks of
// claims, into one about JSON members.
func memberWording(err error) string {
	return strings.ReplaceAll(err.Error(), "claim ", "")
}

// parseJWK returns the entry's kid and RSA public key, or the reason it
// cannot be used (kid is then whatever could be read, possibly empty).
func parseJWK(raw json.RawMessage) (kid string, pub *rsa.PublicKey, reason string) {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", nil, "not a JSON object"
	}
	if _, _, err := jwkNames.check(raw); err != nil {
		return "", nil, "ambiguous entry: " + memberWording(err)
	}
	var k jsonWebKey
	if err := json.Unmarshal(raw, &k); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			// Keep the kid if it was a string, to name the entry.
			var named struct {
				Kid string `json:"kid"`
			}
			json.Unmarshal(raw, &named)
			return named.Kid, nil, fmt.Sprintf("member %q is not of the right JSON type (%s)", ute.Field, ute.Value)
		}
		return "", nil, "invalid JSON entry"
	}
	switch {
	case k.Kid == "":
		return "", nil, "no kid"
	case k.Kty != "RSA":
		return k.Kid, nil, fmt.Sprintf("kty %q is not supported (only RSA)", truncate(k.Kty))
	case k.Use != "" && k.Use != "sig":
		return k.Kid, nil, fmt.Sprintf("use %q is not a signature key", truncate(k.Use))
	case k.KeyOps != nil && !slices.Contains(k.KeyOps, "verify"):
		return k.Kid, nil, `key_ops without "verify"`
	case !rsaAlgorithms[k.Alg]:
		return k.Kid, nil, fmt.Sprintf("alg %q is not an RSA signature algorithm", truncate(k.Alg))
	case k.N == "" && k.E == "" && len(k.X5c) > 0:
		return k.Kid, nil, "no n and e (a key is never taken from x5c)"
	}
	pub, err := k.rsaPublicKey()
	if err != nil {
		return k.Kid, nil, err.Error()
	}
	if reason := k.inconsistency(pub); reason != "" {
		return k.Kid, nil, reason
	}
	return k.Kid, pub, ""
}

// rsaAlgorithms are the alg values of an RSA signing key; "" is an absent alg.
var rsaAlgorithms = map[string]bool{
	"": true, "RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
}

const (
	minRSABits = 2048
	maxRSABits = 8192
)

func (k *jsonWebKey) rsaPublicKey() (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.Strict().DecodeString(k.N)
	if err != nil || len(n) == 0 {
		return nil, errors.New(`modulus "n" is not unpadded base64url (RFC 7518)`)
	}
	e, err := base64.RawURLEncoding.Strict().DecodeString(k.E)
	if err != nil || len(e) == 0 {
		return nil, errors.New(`exponent "e" is not unpadded base64url (RFC 7518)`)
	}
	if len(e) > 4 {
		return nil, errors.New(`exponent "e" is too large`)
	}
	var exp int
	for _, b := range e {
		exp = exp<<8 | int(b)
	}
	if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
		return nil, fmt.Errorf(`exponent "e" is %d, want an odd number of at least 3`, exp)
	}
	mod := new(big.Int).SetBytes(n)
	if bits := mod.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA modulus of %d bits, want %d to %d", bits, minRSABits, maxRSABits)
	}
	return &rsa.PublicKey{N: mod, E: exp}, nil
}

// inconsistency checks x5c and x5t#S256 against the key read from n and e,
// as go-jose does: a certificate that holds another key, or a thumbprint
// that is not the certificate's, makes the entry unusable, since the
// document contradicts itself. What cannot be decoded proves nothing and is
// ignored: x5c is never used as a key.
func (k *jsonWebKey) inconsistency(pub *rsa.PublicKey) string {
	if len(k.X5c) == 0 {
		return ""
	}
	der, err := base64.StdEncoding.DecodeString(k.X5c[0]) // RFC 7517 §4.7: base64, not base64url
	if err != nil {
		return ""
	}
	if cert, err := x509.ParseCertificate(der); err == nil {
		if certKey, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !certKey.Equal(pub) {
			return "x5c certificate holds another key than n and e"
		}
	}
	if k.X5tS256 == "" {
		return ""
	}
	got, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.X5tS256, "="))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	switch len(got) {
	case sha256.Size:
		if !bytes.Equal(got, sum[:]) {
			return "x5t#S256 is not the thumbprint of the x5c certificate"
		}
	case 2 * sha256.Size: // a hex digest, as some servers write it
		if !strings.EqualFold(string(got), hex.EncodeToString(sum[:])) {
			return "x5t#S256 is not the thumbprint of the x5c certificate"
		}
	}
	return ""
}
