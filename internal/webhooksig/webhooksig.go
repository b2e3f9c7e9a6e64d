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
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
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
	// ErrMalformed: the header is not "t=<digits>, v1=<64 hex digits>".
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

func mac(secret, ms string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ms))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Parse splits a header value into its timestamp and its v1 signature
// (decoded). It accepts exactly "t=<digits>,<optional spaces>v1=<64 hex
// digits>", the form WorkOS sends; anything else is [ErrMalformed].
func Parse(header string) (t time.Time, sig []byte, err error) {
	t, _, sig, err = parse(header)
	return t, sig, err
}

// parse also returns the timestamp as sent, which is what was signed.
func parse(header string) (t time.Time, ms string, sig []byte, err error) {
	tPart, v1Part, ok := strings.Cut(header, ",")
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
	hx, ok := strings.CutPrefix(strings.TrimSpace(v1Part), "v1=")
	if !ok || len(hx) != 2*sha256.Size {
		return time.Time{}, "", nil, ErrMalformed
	}
	sig, err = hex.DecodeString(hx)
	if err != nil {
		return time.Time{}, "", nil, ErrMalformed
	}
	return time.UnixMilli(n), ms, sig, nil
}

// Verify checks header against body and secret at time now: the header
// must parse ([ErrMalformed]), its timestamp must be within tolerance of
// now in either direction ([ErrTimestamp]; tolerance <= 0 means
// [DefaultTolerance]), and the HMAC must match, compared in constant time
// ([ErrSignature]). It returns the header's timestamp.
//
// The signature is checked before the timestamp, so a forged header is
// always ErrSignature whatever its time.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) (time.Time, error) {
	t, ms, sig, err := parse(header)
	if err != nil {
		return time.Time{}, err
	}
	if !hmac.Equal(sig, mac(secret, ms, body)) {
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
