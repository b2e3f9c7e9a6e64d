package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// SignatureHeader is the header that carries a webhook's signature.
const SignatureHeader = "WorkOS-Signature"

// Defaults of a [Webhook].
const (
	// DefaultTolerance is how far a webhook's signed timestamp may be from
	// the receiver's clock: 180 s, the official Node SDK's
	// (webhooks.constructEvent, tolerance 180000 ms).
	DefaultTolerance = 180 * time.Second
	// DefaultMaxBodySize caps a webhook body. A WorkOS event is a few KiB.
	DefaultMaxBodySize = 256 << 10
)

// Errors of webhook verification, wrapped by [VerifySignature] and counted
// by the [Webhook] handler.
var (
	// ErrSignature: the signature does not match the body and secret
	// (forged, or signed with another secret). 401.
	ErrSignature = errors.New("events: webhook signature does not match")
	// ErrTimestamp: the signed timestamp is further from now than the
	// tolerance (a replay of an old delivery, or a clock far off). 401.
	ErrTimestamp = errors.New("events: webhook timestamp outside the tolerance")
	// ErrTooLarge: the body exceeds the size cap. 400.
	ErrTooLarge = errors.New("events: webhook body too large")
)

// Sign returns the WorkOS-Signature header value for body signed with
// secret at t: "t=<unix ms>, v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
// Use it in tests to post webhooks your handler accepts, as WorkOS signs
// them.
func Sign(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.UnixMilli(), 10)
	return "t=" + ts + ", v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// VerifySignature checks header (the WorkOS-Signature value) against body
// and secret at now: the header must hold exactly one t (Unix
// milliseconds) and one v1 (hex), other keys are ignored; the timestamp
// must be within tolerance of now, either way; v1 must equal
// HMAC-SHA256(secret, "<t>.<body>"), compared in constant time. Errors wrap
// [ErrMalformed] (no usable header), [ErrTimestamp] or [ErrSignature]; they
// never contain the secret or the signature.
func VerifySignature(header string, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	var nts, nsig int
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: %s header: a part is not key=value", ErrMalformed, SignatureHeader)
		}
		switch k {
		case "t":
			ts, nts = v, nts+1
		case "v1":
			sig, nsig = v, nsig+1
		}
	}
	if nts != 1 || nsig != 1 {
		return fmt.Errorf("%w: %s header: want one t and one v1", ErrMalformed, SignatureHeader)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ms < 0 || len(ts) > 16 {
		return fmt.Errorf("%w: %s header: t is not Unix milliseconds", ErrMalformed, SignatureHeader)
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: %s header: v1 is not a hex SHA-256", ErrMalformed, SignatureHeader)
	}
	if d := now.Sub(time.UnixMilli(ms)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %v from now, tolerance %v", ErrTimestamp, d.Round(time.Second), tolerance)
	}
	if !hmac.Equal(got, mac(secret, ts, body)) {
		return ErrSignature
	}
	return nil
}

// Webhook is an [http.Handler] that receives WorkOS webhooks and applies
// them to a [State]. Mount it at the endpoint URL registered with WorkOS
// (Dashboard or /webhook_endpoints) and give it that endpoint's secret.
// Create it with [NewWebhook]; it is safe for concurrent use.
//
// Answers: 200 for an accepted event — applied, of another type
// (ignored), or already applied (a retry or a replay within the tolerance
// changes nothing); 401 for a forged or expired signature; 400 for a
// missing or malformed signature header, an oversized body or a body that
// is not an event; 405 for another method than POST. Each is counted
// ([Webhook.Stats]). Bodies are the bare status text.
type Webhook struct {
	state     *State
	secret    string
	tolerance time.Duration
	maxBody   int64
	onError   func(error)

	accepted, ignored, duplicates, forged, expired, malformed, oversized atomic.Uint64
}

// WebhookOption configures a [Webhook].
type WebhookOption func(*Webhook) error

// WithTolerance sets how far the signed timestamp may be from now (default
// [DefaultTolerance], at least one second).
func WithTolerance(d time.Duration) WebhookOption {
	return func(w *Webhook) error {
		if d < time.Second {
			return fmt.Errorf("events: WithTolerance: %v, want at least 1s", d)
		}
		w.tolerance = d
		return nil
	}
}

// WithMaxBodySize caps the body in bytes (default [DefaultMaxBodySize]).
func WithMaxBodySize(n int64) WebhookOption {
	return func(w *Webhook) error {
		if n < 1 {
			return fmt.Errorf("events: WithMaxBodySize: %d, want at least 1", n)
		}
		w.maxBody = n
		return nil
	}
}

// WithWebhookErrors sets a function told about every rejected delivery
// (for logs); the error never holds the secret or the body.
func WithWebhookErrors(f func(error)) WebhookOption {
	return func(w *Webhook) error {
		w.onError = f
		return nil
	}
}

// NewWebhook returns a handler that verifies deliveries signed with secret
// and applies them to state.
func NewWebhook(state *State, secret string, opts ...WebhookOption) (*Webhook, error) {
	if state == nil {
		return nil, errors.New("events: NewWebhook: nil State")
	}
	if secret == "" {
		return nil, errors.New("events: NewWebhook: empty secret")
	}
	w := &Webhook{state: state, secret: secret, tolerance: DefaultTolerance, maxBody: DefaultMaxBodySize}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("events: NewWebhook: option %d is nil", i)
		}
		if err := o(w); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// WebhookStats counts a [Webhook]'s deliveries by outcome.
type WebhookStats struct {
	Accepted   uint64 // verified and applied (200)
	Ignored    uint64 // verified, of a type that changes no token, or too old (200)
	Duplicates uint64 // verified, already applied (200)
	Forged     uint64 // signature mismatch (401)
	Expired    uint64 // timestamp outside the tolerance (401)
	Malformed  uint64 // bad header, bad body, or an event lacking its IDs (400)
	Oversized  uint64 // body over the cap (400)
}

// Stats returns the counters.
func (w *Webhook) Stats() WebhookStats {
	return WebhookStats{
		Accepted: w.accepted.Load(), Ignored: w.ignored.Load(), Duplicates: w.duplicates.Load(),
		Forged: w.forged.Load(), Expired: w.expired.Load(), Malformed: w.malformed.Load(), Oversized: w.oversized.Load(),
	}
}

// ServeHTTP verifies and applies one delivery.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	status, err := w.handle(r)
	if err != nil && w.onError != nil {
		w.onError(err)
	}
	http.Error(rw, http.StatusText(status), status)
}

// handle returns the status of a delivery and, when rejected, why.
func (w *Webhook) handle(r *http.Request) (int, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, w.maxBody+1))
	if err != nil {
		w.malformed.Add(1)
		return http.StatusBadRequest, fmt.Errorf("%w: reading the body: %v", ErrMalformed, err)
	}
	if int64(len(body)) > w.maxBody {
		w.oversized.Add(1)
		return http.StatusBadRequest, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, w.maxBody)
	}
	hdr := r.Header.Values(SignatureHeader)
	if len(hdr) != 1 {
		w.malformed.Add(1)
		return http.StatusBadRequest, fmt.Errorf("%w: want one %s header, got %d", ErrMalformed, SignatureHeader, len(hdr))
	}
	if err := VerifySignature(hdr[0], body, w.secret, w.state.now(), w.tolerance); err != nil {
		switch {
		case errors.Is(err, ErrSignature):
			w.forged.Add(1)
			return http.StatusUnauthorized, err
		case errors.Is(err, ErrTimestamp):
			w.expired.Add(1)
			return http.StatusUnauthorized, err
		default:
			w.malformed.Add(1)
			return http.StatusBadRequest, err
		}
	}
	ev, err := ParseEvent(body)
	if err != nil {
		w.malformed.Add(1)
		return http.StatusBadRequest, err
	}
	applied, dups, err := w.state.applyAll([]Event{ev})
	switch {
	case err != nil:
		w.malformed.Add(1)
		return http.StatusBadRequest, err
	case applied > 0:
		w.accepted.Add(1)
	case dups > 0:
		w.duplicates.Add(1)
	default:
		w.ignored.Add(1)
	}
	return http.StatusOK, nil
}
