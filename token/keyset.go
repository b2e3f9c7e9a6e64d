package token

import (
	"context"
	"crypto"
	"fmt"
	"maps"
	"slices"
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
	keys    map[string]crypto.PublicKey
	skipped []SkippedKey // entries ParseJWKS did not take; nil for NewStaticKeySet
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

// Skipped returns the entries of the JWKS document that [ParseJWKS] did not
// take, in document order, each with the reason; nil for a set made with
// [NewStaticKeySet] or a document whose every entry was taken. The slice is
// a copy.
func (s *StaticKeySet) Skipped() []SkippedKey {
	return slices.Clone(s.skipped)
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
