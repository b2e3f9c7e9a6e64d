package events

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/fgakit/fgakit/internal/webhooksig"
)

// SignatureHeader is the header that carries a webhook's signature.
const SignatureHeader = webhooksig.Header

// MaxSignatures is the most v1 signatures a WorkOS-Signature header may
// carry (one per secret of a sender rotating its secret); a header with
// more is malformed (400).
const MaxSignatures = webhooksig.MaxSignatures

// Defaults of a [Webhook].
const (
	// DefaultTolerance is how far a webhook's signed timestamp may be from
	// the receiver's clock: 180 s, the official Node SDK's
	// (webhooks.constructEvent, tolerance 180000 ms).
	DefaultTolerance = webhooksig.DefaultTolerance
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
// secret at t: "t=<unix ms>, v1=<hex HMAC-SHA256(secret, "<t>.<body>")>",
// as WorkOS signs its webhooks (and authztest.SignWebhook, the same
// scheme). Use it in tests to post webhooks your handler accepts.
func Sign(secret string, t time.Time, body []byte) string {
	return webhooksig.Sign(secret, t, body)
}

// VerifySignature checks header (the WorkOS-Signature value) against body
// and secret at now, as the official Node SDK does: the header must be
// "t=<unix ms>, v1=<64 hex digits>" ([ErrMalformed]); v1 must equal
// HMAC-SHA256(secret, "<t>.<body>"), compared in constant time
// ([ErrSignature], checked first, so a forged header is always that); the
// timestamp must be within tolerance of now, either way ([ErrTimestamp]).
// Errors never contain the secret or the signature.
//
// A sender rotating its secret may sign with each secret it holds: the
// header then carries several v1 parts ("t=…, v1=<a>, v1=<b>"), and the
// body is accepted when any one matches (each compared in constant time,
// as stripe-go does; the Node SDK reads the first only). At most
// [MaxSignatures] are considered: a header with more, or with any part
// that is not "v1=<64 hex digits>", is [ErrMalformed].
func VerifySignature(header string, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		return fmt.Errorf("%w: tolerance %v, want > 0", ErrMalformed, tolerance)
	}
	t, err := webhooksig.Verify(secret, header, body, now, tolerance)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, webhooksig.ErrSignature):
		return ErrSignature
	case errors.Is(err, webhooksig.ErrTimestamp):
		return fmt.Errorf("%w: signed %v from now, tolerance %v", ErrTimestamp, now.Sub(t).Round(time.Second), tolerance)
	default:
		return fmt.Errorf("%w: %s header: want \"t=<unix ms>, v1=<hex HMAC-SHA256>\" (up to %d v1 parts)", ErrMalformed, SignatureHeader, MaxSignatures)
	}
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
// is not an event; 405 for another method than POST. A delivery signed
// with several secrets (several v1 parts, a rotation) is accepted when one
// of them is the handler's ([VerifySignature]). Each is counted
// ([Webhook.Stats]). Bodies are the bare status text.
type Webhook struct {
	state     *State
	secret    func() string // a closure: printing a Webhook never shows it (see Poller)
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
	w := &Webhook{state: state, secret: func() string { return secret }, tolerance: DefaultTolerance, maxBody: DefaultMaxBodySize}
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

// String returns "events.Webhook", never the signing secret.
func (w *Webhook) String() string { return "events.Webhook" }

// GoString is String: %#v prints no secret either.
func (w *Webhook) GoString() string { return w.String() }

// Format prints [Webhook.String] for every verb (%v, %+v, %#v, %s, %q…).
func (w *Webhook) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", w.String())
		return
	}
	io.WriteString(f, w.String())
}

// LogValue makes [log/slog] log a Webhook without its secret.
func (w *Webhook) LogValue() slog.Value { return slog.StringValue(w.String()) }

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
	if err := VerifySignature(hdr[0], body, w.secret(), w.state.now(), w.tolerance); err != nil {
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
