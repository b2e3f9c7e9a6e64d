package token

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var discardLogger = slog.New(slog.DiscardHandler)

// recordingHandler keeps the log records of a RemoteKeySet, for assertions.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

// messages returns "LEVEL message attr=value…" for each record.
func (h *recordingHandler) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		var b strings.Builder
		b.WriteString(r.Level.String() + " " + r.Message)
		r.Attrs(func(a slog.Attr) bool {
			b.WriteString(" " + a.Key + "=" + a.Value.String())
			return true
		})
		out = append(out, b.String())
	}
	return out
}

// selfSigned returns a DER certificate for key, as x5c carries it.
var selfSigned = sync.OnceValue(func() map[string][]byte {
	out := map[string][]byte{}
	for _, kid := range []string{kidA, kidB, kidAttacker} {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: kid},
			NotBefore:    t0.Add(-time.Hour),
			NotAfter:     t0.Add(24 * time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, publicKey(kid), privateKey(kid))
		if err != nil {
			panic(err)
		}
		out[kid] = der
	}
	return out
})

func certB64(kid string) string { return base64.StdEncoding.EncodeToString(selfSigned()[kid]) }

func thumbprint(kid string) string {
	sum := sha256.Sum256(selfSigned()[kid])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func modulus(kid string) string {
	return base64.RawURLEncoding.EncodeToString(publicKey(kid).N.Bytes())
}

// entry is a JWKS entry as JSON, built from alternating names and values;
// values are marshalled, except json.RawMessage.
func entry(kv ...any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(kv[i])
		v, err := json.Marshal(kv[i+1])
		if err != nil {
			panic(err)
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

// goodEntry is key A as WorkOS serves it, the official spec's fields all set.
func goodEntry() string {
	return entry("alg", "RS256", "kty", "RSA", "use", "sig", "x5c", []string{certB64(kidA)},
		"n", modulus(kidA), "e", "AQAB", "kid", kidA, "x5t#S256", thumbprint(kidA))
}

func doc(entries ...string) string { return `{"keys":[` + strings.Join(entries, ",") + `]}` }

// unusableEntries are JWKS entries fgakit cannot use, each with the kid
// Skipped reports (as far as it can be read) and a part of the reason.
func unusableEntries() []struct {
	name    string
	entries []string // one bad entry, or several that are bad together
	kid     string
	reason  string
} {
	nB := modulus(kidB)
	small := base64.RawURLEncoding.EncodeToString(append([]byte{0x80}, make([]byte, 127)...))
	huge := base64.RawURLEncoding.EncodeToString(append([]byte{0x80}, make([]byte, 1024)...))
	padded := base64.URLEncoding.EncodeToString(publicKey(kidB).N.Bytes())
	type tc = struct {
		name    string
		entries []string
		kid     string
		reason  string
	}
	one := func(name, e, kid, reason string) tc { return tc{name, []string{e}, kid, reason} }
	return []tc{
		one("padded modulus", entry("kty", "RSA", "kid", "padded", "n", padded, "e", "AQAB"), "padded", `"n" is not unpadded base64url`),
		one("1024-bit key", entry("kty", "RSA", "kid", "small", "n", small, "e", "AQAB"), "small", "RSA modulus of 1024 bits, want 2048 to 8192"),
		one("8200-bit key", entry("kty", "RSA", "kid", "huge", "n", huge, "e", "AQAB"), "huge", "RSA modulus of 8200 bits"),
		one("only x5c", entry("kty", "RSA", "kid", "x5c-only", "use", "sig", "x5c", []string{certB64(kidB)}), "x5c-only", "no n and e (a key is never taken from x5c)"),
		one("numeric kid", `{"kty":"RSA","kid":7,"n":"`+nB+`","e":"AQAB"}`, "", `member "kid" is not of the right JSON type (number)`),
		one("null kid", `{"kty":"RSA","kid":null,"n":"`+nB+`","e":"AQAB"}`, "", "no kid"),
		one("empty kid", entry("kty", "RSA", "kid", "", "n", nB, "e", "AQAB"), "", "no kid"),
		one("no kid", entry("kty", "RSA", "n", nB, "e", "AQAB"), "", "no kid"),
		one("bare string", `"sso_oidc_key_pair_X"`, "", "not a JSON object"),
		one("number", `42`, "", "not a JSON object"),
		one("null", `null`, "", "not a JSON object"),
		one("array", `[{"kty":"RSA"}]`, "", "not a JSON object"),
		one("EC key", entry("kty", "EC", "kid", "ec", "crv", "P-256", "x", "AA", "y", "AA"), "ec", `kty "EC" is not supported`),
		one("unknown kty", entry("kty", "PQC", "kid", "pqc"), "pqc", `kty "PQC" is not supported`),
		one("no kty", entry("kid", "nokty", "n", nB, "e", "AQAB"), "nokty", `kty "" is not supported`),
		one("symmetric key", entry("kty", "oct", "kid", "oct", "k", "c2VjcmV0"), "oct", `kty "oct"`),
		one("encryption key", entry("kty", "RSA", "kid", "enc", "use", "enc", "n", nB, "e", "AQAB"), "enc", `use "enc"`),
		one("key_ops without verify", entry("kty", "RSA", "kid", "ops", "key_ops", []string{"encrypt"}, "n", nB, "e", "AQAB"), "ops", "key_ops"),
		one("EC algorithm on an RSA key", entry("kty", "RSA", "kid", "es", "alg", "ES256", "n", nB, "e", "AQAB"), "es", `alg "ES256"`),
		one("HMAC algorithm on an RSA key", entry("kty", "RSA", "kid", "hs", "alg", "HS256", "n", nB, "e", "AQAB"), "hs", `alg "HS256"`),
		one("alg none", entry("kty", "RSA", "kid", "none", "alg", "none", "n", nB, "e", "AQAB"), "none", `alg "none"`),
		one("exponent 0", entry("kty", "RSA", "kid", "e0", "n", nB, "e", "AA"), "e0", `exponent "e" is 0`),
		one("even exponent", entry("kty", "RSA", "kid", "e2", "n", nB, "e", "Ag"), "e2", `exponent "e" is 2`),
		one("exponent too large", entry("kty", "RSA", "kid", "e5", "n", nB, "e", "AQAAAAAB"), "e5", `exponent "e" is too large`),
		one("padded exponent", entry("kty", "RSA", "kid", "epad", "n", nB, "e", "AQAB="), "epad", `"e" is not unpadded base64url`),
		one("modulus with a space", entry("kty", "RSA", "kid", "sp", "n", nB[:10]+" "+nB[10:], "e", "AQAB"), "sp", `"n" is not unpadded base64url`),
		one("no modulus", entry("kty", "RSA", "kid", "non", "e", "AQAB"), "non", `"n" is not unpadded base64url`),
		one("modulus a number", `{"kty":"RSA","kid":"nnum","n":12345,"e":"AQAB"}`, "nnum", `member "n"`),
		one("x5c a string", entry("kty", "RSA", "kid", "x5cs", "n", nB, "e", "AQAB", "x5c", certB64(kidB)), "x5cs", `member "x5c"`),
		one("x5c of another key", entry("kty", "RSA", "kid", "mix", "n", nB, "e", "AQAB", "x5c", []string{certB64(kidA)}), "mix", "x5c certificate holds another key than n and e"),
		one("x5t#S256 of another certificate", entry("kty", "RSA", "kid", "x5t", "n", nB, "e", "AQAB", "x5c", []string{certB64(kidB)}, "x5t#S256", thumbprint(kidA)), "x5t", "x5t#S256 is not the thumbprint"),
		one("member in another case", `{"kty":"RSA","kid":"case","N":"`+nB+`","e":"AQAB"}`, "", `member name matches "n" only case-insensitively`),
		one("member twice", `{"kty":"RSA","kid":"twice","n":"`+nB+`","n":"`+modulus(kidA)+`","e":"AQAB"}`, "", `ambiguous entry: "n" appears twice`),
		{"one kid, two keys", []string{entry("kty", "RSA", "kid", "dup", "n", nB, "e", "AQAB"), entry("kty", "RSA", "kid", "dup", "n", small, "e", "AQAB")}, "dup", ""}, // the second is too small: only one is taken, nothing ambiguous
		{"one kid, two usable keys", []string{entry("kty", "RSA", "kid", "dup", "n", nB, "e", "AQAB"), entry("kty", "RSA", "kid", "dup", "n", modulus(kidAttacker), "e", "AQAB")}, "dup", "kid names 2 different keys"},
		{"good key repeated", []string{goodEntry()}, kidA, "repeats keys[0] (same kid, same key)"},
	}
}

// Each unusable entry, next to a good key, is skipped and reported, and
// tokens signed by the good key verify — from a static set, and through a
// RemoteKeySet, which logs what it skipped.
func TestParseJWKSSkipsUnusableEntries(t *testing.T) {
	t.Parallel()
	for _, tt := range unusableEntries() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := doc(append(append([]string{}, tt.entries...), goodEntry())...)
			if tt.name == "good key repeated" {
				body = doc(goodEntry(), goodEntry())
			}
			ks, err := ParseJWKS([]byte(body))
			if err != nil {
				t.Fatalf("ParseJWKS: %v", err)
			}
			wantIDs := []string{kidA}
			if tt.name == "one kid, two keys" {
				wantIDs = []string{"dup", kidA}
			}
			if diff := cmp.Diff(wantIDs, ks.KeyIDs(), cmpSorted); diff != "" {
				t.Errorf("key IDs (-want +got):\n%s", diff)
			}
			skipped := ks.Skipped()
			if tt.name == "one kid, two keys" {
				if len(skipped) != 1 || skipped[0].Index != 1 || !strings.Contains(skipped[0].Reason, "1024 bits") {
					t.Errorf("Skipped = %v, want the small key only", skipped)
				}
				return
			}
			if len(skipped) != len(tt.entries) {
				t.Fatalf("Skipped = %v, want %d entries", skipped, len(tt.entries))
			}
			for i, s := range skipped {
				wantIndex := i
				if tt.name == "good key repeated" {
					wantIndex = 1
				}
				if s.Index != wantIndex || s.KeyID != tt.kid || !strings.Contains(s.Reason, tt.reason) {
					t.Errorf("Skipped[%d] = %+v, want index %d, kid %q, reason containing %q", i, s, wantIndex, tt.kid, tt.reason)
				}
			}

			v := newTestVerifier(t, WithKeySet(ks))
			verifyOK(t, v, sign(t, kidA, sessionClaims(), nil))

			// The same document served over HTTP.
			s := newJWKSServer(t)
			s.set(http.StatusOK, []byte(body))
			h := &recordingHandler{}
			rv := newRemoteVerifier(t, s, newClock(), WithLogger(slog.New(h)))
			verifyOK(t, rv, tokenAt(t, kidA, t0))
			if diff := cmp.Diff(skipped, rv.remote.Skipped()); diff != "" {
				t.Errorf("RemoteKeySet.Skipped (-ParseJWKS +remote):\n%s", diff)
			}
			logs := h.messages()
			if len(logs) != 1 || !strings.HasPrefix(logs[0], "WARN token: JWKS entries skipped") || !strings.Contains(logs[0], skipped[0].String()) {
				t.Errorf("log = %q, want one warning listing %s", logs, skipped[0])
			}
		})
	}
}

// Entries that are taken, with the fields WorkOS may add.
func TestParseJWKSTakes(t *testing.T) {
	t.Parallel()
	nA := modulus(kidA)
	sum := sha256.Sum256(selfSigned()[kidA])
	tests := []struct {
		name  string
		entry string
	}{
		{"official spec shape", goodEntry()},
		{"n and e only", entry("kty", "RSA", "kid", kidA, "n", nA, "e", "AQAB")},
		{"PS256", entry("kty", "RSA", "kid", kidA, "alg", "PS256", "n", nA, "e", "AQAB")},
		{"key_ops verify", entry("kty", "RSA", "kid", kidA, "key_ops", []string{"verify"}, "n", nA, "e", "AQAB")},
		{"hex thumbprint", entry("kty", "RSA", "kid", kidA, "n", nA, "e", "AQAB", "x5c", []string{certB64(kidA)},
			"x5t#S256", base64.RawURLEncoding.EncodeToString([]byte(hex.EncodeToString(sum[:]))))},
		{"x5c that is no certificate", entry("kty", "RSA", "kid", kidA, "n", nA, "e", "AQAB", "x5c", []string{"bm90IGEgY2VydA=="})},
		{"x5c not base64", entry("kty", "RSA", "kid", kidA, "n", nA, "e", "AQAB", "x5c", []string{"!!"})},
		{"thumbprint without x5c", entry("kty", "RSA", "kid", kidA, "n", nA, "e", "AQAB", "x5t#S256", thumbprint(kidB))},
		{"x5u and jku are ignored", entry("kty", "RSA", "kid", kidA, "n", nA, "e", "AQAB", "x5u", "http://127.0.0.1:1/evil", "jku", "http://127.0.0.1:1/evil")},
		{"leading zero in n", entry("kty", "RSA", "kid", kidA, "n", base64.RawURLEncoding.EncodeToString(append([]byte{0}, publicKey(kidA).N.Bytes()...)), "e", "AQAB")},
		{"other members in any case", entry("kty", "RSA", "kid", kidA, "n", nA, "e", "AQAB", "Custom", 1, "CUSTOM", 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := ParseJWKS([]byte(doc(tt.entry)))
			if err != nil {
				t.Fatalf("ParseJWKS: %v", err)
			}
			if s := ks.Skipped(); s != nil {
				t.Errorf("Skipped = %v", s)
			}
			verifyOK(t, newTestVerifier(t, WithKeySet(ks)), sign(t, kidA, sessionClaims(), nil))
		})
	}
}

// A JWKS entry whose n and e are key A's verifies tokens of key A only, even
// when its x5c certificate is key B's (such an entry is skipped as
// inconsistent) and whatever the token header's x5c says.
func TestJWKSKeyComesFromNAndE(t *testing.T) {
	t.Parallel()
	ks, err := ParseJWKS([]byte(doc(goodEntry())))
	if err != nil {
		t.Fatal(err)
	}
	v := newTestVerifier(t, WithKeySet(ks))
	// A token signed by B, naming kid A, carrying B's certificate in x5c.
	forged := sign(t, kidB, sessionClaims(), map[string]any{"kid": kidA, "x5c": []string{certB64(kidB)}})
	verifyErr(t, v, forged, ErrSignature)
	// Key A's own token with a foreign x5c header still verifies: x5c is ignored.
	verifyOK(t, v, sign(t, kidA, sessionClaims(), map[string]any{"x5c": []string{certB64(kidB)}}))
}

func TestParseJWKSNoUsableKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"empty keys", `{"keys":[]}`, `empty "keys" array`},
		{"no keys array", `{"key":[]}`, `no "keys" array`},
		{"keys null", `{"keys":null}`, `no "keys" array`},
		{"keys a string", `{"keys":"x"}`, `"keys" is not an array`},
		{"document an array", `[]`, `not a JSON object`},
		{"document null", `null`, `no "keys" array`},
		{"not JSON", `{"keys":`, `invalid JSON`},
		{"keys twice", `{"keys":[],"keys":` + doc(goodEntry())[8:], `"keys" appears twice`},
		{"keys in another case", doc(goodEntry())[:len(doc(goodEntry()))-1] + `,"Keys":[]}`, `only case-insensitively`},
		{"every entry unusable", doc(`"x"`, entry("kty", "EC", "kid", "ec")), `2 of 2 entries skipped: keys[0]: not a JSON object; keys[1] (kid "ec"): kty "EC"`},
		{"many unusable", doc(`1`, `2`, `3`, `4`, `5`, `6`, `7`), `7 of 7 entries skipped: keys[0]: not a JSON object; keys[1]: not a JSON object; keys[2]: not a JSON object; keys[3]: not a JSON object; keys[4]: not a JSON object; and 2 more`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := ParseJWKS([]byte(tt.doc))
			if ks != nil || !errors.Is(err, ErrNoUsableKey) {
				t.Fatalf("ParseJWKS = %v, %v; want ErrNoUsableKey", ks, err)
			}
			if !strings.HasPrefix(err.Error(), "token: JWKS has no usable signing key: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}

			// Served: Verify cannot decide, and says why.
			s := newJWKSServer(t)
			s.set(http.StatusOK, []byte(tt.doc))
			v := newRemoteVerifier(t, s, newClock())
			_, err = v.Verify(t.Context(), tokenAt(t, kidA, t0))
			if !errors.Is(err, ErrKeySetUnavailable) || !errors.Is(err, ErrNoUsableKey) {
				t.Errorf("Verify = %v, want ErrKeySetUnavailable and ErrNoUsableKey", err)
			}
		})
	}
}

// A refetch that brings a document with no usable key is a failed fetch:
// the keys fetched before stay in use.
func TestRemoteUnusableRefetchKeepsKeys(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	c := newClock()
	v := newRemoteVerifier(t, s, c)
	verifyOK(t, v, tokenAt(t, kidA, t0))
	s.set(http.StatusOK, []byte(doc(entry("kty", "RSA", "kid", kidB, "n", "short", "e", "AQAB"))))
	c.Advance(DefaultKeyRefresh)
	verifyOK(t, v, tokenAt(t, kidA, c.Now()))
	v.remote.waitIdle()
	wantHits(t, s, 2)
	verifyOK(t, v, tokenAt(t, kidA, c.Now()))
}

// FuzzParseJWKSEntry puts one fuzzed entry next to a good key: whatever the
// entry, ParseJWKS must not fail, must keep key A (unless the entry is key A
// under its kid) and must account for every entry.
func FuzzParseJWKSEntry(f *testing.F) {
	for _, tt := range unusableEntries() {
		f.Add(strings.Join(tt.entries, ","))
	}
	f.Add(goodEntry())
	f.Add(entry("kty", "RSA", "kid", kidB, "n", modulus(kidB), "e", "AQAB"))
	f.Fuzz(func(t *testing.T, e string) {
		var probe []json.RawMessage
		if json.Unmarshal([]byte("["+e+"]"), &probe) != nil || len(probe) == 0 {
			return // not one or more JSON values: not an entry list
		}
		ks, err := ParseJWKS([]byte(`{"keys":[` + e + `,` + goodEntry() + `]}`))
		if err != nil {
			t.Fatalf("one fuzzed entry next to a good key: %v", err)
		}
		if len(ks.keys)+len(ks.Skipped()) != len(probe)+1 {
			t.Fatalf("%d keys and %d skipped for %d entries", len(ks.keys), len(ks.Skipped()), len(probe)+1)
		}
		if k, ok := ks.keys[kidA]; ok {
			if !k.(*rsa.PublicKey).Equal(publicKey(kidA)) {
				t.Fatal("kid A maps to another key")
			}
		} else if !namesKid(probe, kidA) {
			t.Fatal("key A was dropped")
		}
	})
}

// namesKid reports whether an entry has a kid member (in any case, as
// encoding/json reads it) equal to kid.
func namesKid(entries []json.RawMessage, kid string) bool {
	for _, e := range entries {
		var m map[string]any
		if json.Unmarshal(e, &m) != nil {
			continue
		}
		for k, v := range m {
			if strings.EqualFold(k, "kid") && v == kid {
				return true
			}
		}
	}
	return false
}

func TestSkippedStringsBounded(t *testing.T) {
	t.Parallel()
	many := make([]SkippedKey, 25)
	for i := range many {
		many[i] = SkippedKey{Index: i, Reason: "not a JSON object"}
	}
	got := skippedStrings(many)
	if len(got) != maxSkippedLogged+1 || got[0] != "keys[0]: not a JSON object" || got[maxSkippedLogged] != "and 15 more" {
		t.Errorf("skippedStrings = %q", got)
	}
	if got := skippedStrings(many[:2]); len(got) != 2 {
		t.Errorf("skippedStrings of 2 = %q", got)
	}
}
