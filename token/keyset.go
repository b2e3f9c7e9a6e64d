package token

import (
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
)

// KeySet looks up signature verification keys by key ID ("kid" in the token
// header). It is the seam between a [Verifier] and where keys come from:
// [RemoteKeySet] fetches a JWKS over HTTP, [StaticKeySet] holds fixed keys.
//
// Key returns an error wrapping [ErrUnknownKey] when the set has no key with
// that ID, and [ErrKeySetUnavailable] when it cannot tell (the keys could not
// be fetched). Implementations must be safe for concurrent use.
type KeySet interface {
	Key(ctx context.Context, kid string) (crypto.PublicKey, error)
}

// StaticKeySet is a fixed set of keys, for tests and air-gapped use. It is
// immutable and safe for concurrent use.
type StaticKeySet struct {
	keys map[string]crypto.PublicKey
}

// NewStaticKeySet returns a key set holding a copy of keys, indexed by key
// ID. The keys are used as given: an *rsa.PublicKey for the RS* and PS*
// algorithms, an *ecdsa.PublicKey for ES*, an ed25519.PublicKey for EdDSA.
func NewStaticKeySet(keys map[string]crypto.PublicKey) *StaticKeySet {
	return &StaticKeySet{keys: maps.Clone(keys)}
}

// Key returns the key with ID kid, or an error wrapping [ErrUnknownKey].
func (s *StaticKeySet) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return nil, unknownKeyError(kid)
}

// KeyIDs returns the key IDs in the set, in no particular order.
func (s *StaticKeySet) KeyIDs() []string {
	ids := make([]string, 0, len(s.keys))
	for id := range s.keys {
		ids = append(ids, id)
	}
	return ids
}

// ParseJWKS parses a JSON Web Key Set document ({"keys": [...]}, RFC 7517)
// such as the one served at /sso/jwks/{clientID}.
//
// Only RSA signing keys are taken: kty "RSA", use "sig" or absent, alg absent
// or an RSA algorithm, a kid, and a modulus of 2048 to 8192 bits. Other keys
// (encryption keys, other key types, keys without kid) are skipped. Invalid
// JSON, a duplicate kid, malformed RSA parameters of a key that would
// otherwise be taken, or a document with no usable key is an error.
// Certificates (x5c) and URLs (x5u, jku) in the document are ignored.
func ParseJWKS(data []byte) (*StaticKeySet, error) {
	var doc struct {
		Keys []jsonWebKey `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("token: invalid JWKS JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`token: invalid JWKS: no "keys" array`)
	}
	keys := make(map[string]crypto.PublicKey, len(doc.Keys))
	for i, k := range doc.Keys {
		if !k.wanted() {
			continue
		}
		pub, err := k.rsaPublicKey()
		if err != nil {
			return nil, fmt.Errorf("token: invalid JWKS: key %d (kid %q): %w", i, truncate(k.Kid), err)
		}
		if _, dup := keys[k.Kid]; dup {
			return nil, fmt.Errorf("token: invalid JWKS: duplicate kid %q", truncate(k.Kid))
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("token: invalid JWKS: no usable RSA signing key")
	}
	return &StaticKeySet{keys: keys}, nil
}

type jsonWebKey struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (k *jsonWebKey) wanted() bool {
	if k.Kty != "RSA" || k.Kid == "" {
		return false
	}
	if k.Use != "" && k.Use != "sig" {
		return false
	}
	switch k.Alg {
	case "", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return true
	}
	return false
}

const (
	minRSABits = 2048
	maxRSABits = 8192
)

func (k *jsonWebKey) rsaPublicKey() (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil || len(n) == 0 {
		return nil, errors.New(`bad modulus "n"`)
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New(`bad exponent "e"`)
	}
	var exp int
	for _, b := range e {
		exp = exp<<8 | int(b)
	}
	if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
		return nil, errors.New(`bad exponent "e"`)
	}
	mod := new(big.Int).SetBytes(n)
	if bits := mod.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA modulus of %d bits, want %d to %d", bits, minRSABits, maxRSABits)
	}
	return &rsa.PublicKey{N: mod, E: exp}, nil
}

func unknownKeyError(kid string) error {
	return fmt.Errorf("%w: kid %q", ErrUnknownKey, truncate(kid))
}

// truncate shortens attacker-controlled strings (a kid) before they go into
// an error message.
func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
