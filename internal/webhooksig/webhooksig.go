// Package webhooksig signs and verifies WorkOS webhook bodies: the
// WorkOS-Signature header scheme of WIRE.md §8, shared by the fake that
// sends webhooks (authztest) and the consumer that receives them.
//
// A delivery carries
//
//	WorkOS-Signature: t=<unix milliseconds>, v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// as the official Node SDK computes and checks it
// (src/common/crypto/signature-provider.ts in @workos-inc/node: the header
// split at the first "," into the t and v1 parts, each split at "=", the
// HMAC compared in constant time, a timestamp older than the tolerance —
// 180 000 ms by default — refused).
//
// A sender rotating its secret may sign with each secret it holds and send
// several v1 parts ("t=…, v1=<old>, v1=<new>"): [Verify] accepts the body
// when any of them matches, as stripe-go does for its own scheme (the Node
// SDK reads the first v1 only), and [SignAll] makes such a header.
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the name of the signature header.
const Header = "WorkOS-Signature"

// DefaultTolerance is the Node SDK's default: a signature older than this is
// refused.
const DefaultTolerance = 180 * time.Second

// Errors of [Verify]. Each wraps nothing and names no secret; compare with
// errors.Is.
var (
	// ErrMalformed: the header is not "t=<digits>, v1=<64 hex digits>"
	// (with up to [MaxSignatures] v1 parts).
	ErrMalformed = errors.New("webhooksig: malformed WorkOS-Signature header")
	// ErrTimestamp: the timestamp lies outside the tolerance (too old, or
	// more than the tolerance in the future).
	ErrTimestamp = errors.New("webhooksig: signature timestamp outside the tolerance")
	// ErrSignature: the HMAC does not match the body and secret.
	ErrSignature = errors.New("webhooksig: signature does not match")
)

// Sign returns the WorkOS-Signature header value for body signed with
// secret at time t: "t=<t in unix milliseconds>, v1=<hex HMAC-SHA256>".
func Sign(secret string, t time.Time, body []byte) string {
	ms := strconv.FormatInt(t.UnixMilli(), 10)
	return "t=" + ms + ", v1=" + hex.EncodeToString(mac(secret, ms, body))
}

// SignAll is [Sign] with one v1 part per secret, in order: the header a
// sender rotating its secret sends, "t=<ms>, v1=<sig 1>, v1=<sig 2>…". It
// panics without a secret or with more than [MaxSignatures].
func SignAll(secrets []string, t time.Time, body []byte) string {
	if len(secrets) == 0 || len(secrets) > MaxSignatures {
		panic("webhooksig: SignAll: want 1 to MaxSignatures secrets")
	}
	ms := strconv.FormatInt(t.UnixMilli(), 10)
	var b strings.Builder
	b.WriteString("t=" + ms)
	for _, s := range secrets {
		b.WriteString(", v1=" + hex.EncodeToString(mac(s, ms, body)))
	}
	return b.String()
}

func mac(secret, ms string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ms))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// MaxSignatures is the most v1 signatures a header may carry. A sender
// rotating its secret signs with each secret it holds (the old and the
// new); more than a few is not a rotation, and a header with more than
// MaxSignatures is [ErrMalformed], so that one request costs at most
// MaxSignatures HMAC comparisons.
const MaxSignatures = 8

// Parse splits a header value into its timestamp and its v1 signatures
// (decoded), in the order sent. It accepts "t=<digits>" followed by one to
// [MaxSignatures] parts "v1=<64 hex digits>", each after a comma and
// optional spaces — the form WorkOS sends, with one v1 part per signing
// secret during a rotation (as Stripe's scheme does); anything else is
// [ErrMalformed].
func Parse(header string) (t time.Time, sigs [][]byte, err error) {
	t, _, sigs, err = parse(header)
	return t, sigs, err
}

// parse also returns the timestamp as sent, which is what was signed.
func parse(header string) (t time.Time, ms string, sigs [][]byte, err error) {
	tPart, rest, ok := strings.Cut(header, ",")
	if !ok {
		return time.Time{}, "", nil, ErrMalformed
	}
	ms, ok = strings.CutPrefix(strings.TrimSpace(tPart), "t=")
	if !ok || ms == "" || len(ms) > 18 {
		return time.Time{}, "", nil, ErrMalformed
	}
	for i := 0; i < len(ms); i++ {
		if ms[i] < '0' || ms[i] > '9' {
			return time.Time{}, "", nil, ErrMalformed
		}
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, "", nil, ErrMalformed
	}
	for more := true; more; {
		if len(sigs) == MaxSignatures {
			return time.Time{}, "", nil, ErrMalformed // read no further
		}
		var part string
		part, rest, more = strings.Cut(rest, ",")
		hx, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok || len(hx) != 2*sha256.Size {
			return time.Time{}, "", nil, ErrMalformed
		}
		sig, err := hex.DecodeString(hx)
		if err != nil {
			return time.Time{}, "", nil, ErrMalformed
		}
		sigs = append(sigs, sig)
	}
	return time.UnixMilli(n), ms, sigs, nil
}

// Verify checks header against body and secret at time now: the header
// must parse ([ErrMalformed]), its timestamp must be within tolerance of
// now in either direction ([ErrTimestamp]; tolerance <= 0 means
// [DefaultTolerance]), and one of its v1 signatures must match the HMAC,
// each compared in constant time ([ErrSignature]). A header with several
// v1 signatures (a sender signing with each of its secrets during a
// rotation) is accepted when any one matches; every one is compared, so
// the time taken does not tell which. It returns the header's timestamp.
//
// The signature is checked before the timestamp, so a forged header is
// always ErrSignature whatever its time.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) (time.Time, error) {
	t, ms, sigs, err := parse(header)
	if err != nil {
		return time.Time{}, err
	}
	want := mac(secret, ms, body)
	match := 0
	for _, sig := range sigs {
		match |= subtle.ConstantTimeCompare(sig, want)
	}
	if match != 1 {
		return time.Time{}, ErrSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return t, ErrTimestamp
	}
	return t, nil
}
