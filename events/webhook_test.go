package events_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fgakit/fgakit/events"
	"github.com/google/go-cmp/cmp"
)

// rotated is the header of a sender that signs body with each of secrets
// (a secret rotation): "t=<ms>, v1=<sig 1>, v1=<sig 2>…".
func rotated(at time.Time, body []byte, secrets ...string) string {
	h := events.Sign(secrets[0], at, body)
	for _, s := range secrets[1:] {
		_, v1, _ := strings.Cut(events.Sign(s, at, body), ", ")
		h += ", " + v1
	}
	return h
}

// TestWebhook: each kind of delivery gets its status, is counted, and only
// a verified event of a known type changes the State.
func TestWebhook(t *testing.T) {
	t.Parallel()
	now := t0.Add(time.Hour)
	body := []byte(`{"object":"event","id":"event_1","event":"organization_membership.updated","data":{"id":"om_1"},"created_at":"2026-01-15T13:00:00.000Z"}`)
	unknown := []byte(`{"object":"event","id":"event_2","event":"dsync.user.created","data":{"id":"x"},"created_at":"2026-01-15T13:00:00.000Z"}`)
	noID := []byte(`{"object":"event","id":"event_3","event":"organization_membership.updated","data":{},"created_at":"2026-01-15T13:00:00.000Z"}`)
	tests := []struct {
		name    string
		method  string
		body    []byte
		sig     string
		status  int
		want    events.WebhookStats
		applied uint64
	}{
		{"valid", http.MethodPost, body, events.Sign(secret, now, body), 200, events.WebhookStats{Accepted: 1}, 1},
		{"unknown type", http.MethodPost, unknown, events.Sign(secret, now, unknown), 200, events.WebhookStats{Ignored: 1}, 0},
		{"forged: other secret", http.MethodPost, body, events.Sign("whsec_other", now, body), 401, events.WebhookStats{Forged: 1}, 0},
		{"forged: body changed", http.MethodPost, bytes.Replace(body, []byte("om_1"), []byte("om_2"), 1), events.Sign(secret, now, body), 401, events.WebhookStats{Forged: 1}, 0},
		{"expired", http.MethodPost, body, events.Sign(secret, now.Add(-181*time.Second), body), 401, events.WebhookStats{Expired: 1}, 0},
		{"from the future", http.MethodPost, body, events.Sign(secret, now.Add(181*time.Second), body), 401, events.WebhookStats{Expired: 1}, 0},
		{"within tolerance", http.MethodPost, body, events.Sign(secret, now.Add(-179*time.Second), body), 200, events.WebhookStats{Accepted: 1}, 1},
		{"no header", http.MethodPost, body, "", 400, events.WebhookStats{Malformed: 1}, 0},
		{"header without v1", http.MethodPost, body, "t=1", 400, events.WebhookStats{Malformed: 1}, 0},
		{"second v1 malformed", http.MethodPost, body, events.Sign(secret, now, body) + ", v1=00", 400, events.WebhookStats{Malformed: 1}, 0},
		{"rotation: old secret first, ours second", http.MethodPost, body, rotated(now, body, "whsec_old", secret), 200, events.WebhookStats{Accepted: 1}, 1},
		{"rotation: ours first", http.MethodPost, body, rotated(now, body, secret, "whsec_new"), 200, events.WebhookStats{Accepted: 1}, 1},
		{"rotation: neither is ours", http.MethodPost, body, rotated(now, body, "whsec_old", "whsec_new"), 401, events.WebhookStats{Forged: 1}, 0},
		{"nine v1 signatures", http.MethodPost, body, rotated(now, body, "a", "b", "c", "d", "e", "f", "g", "h", secret), 400, events.WebhookStats{Malformed: 1}, 0},
		{"short signature", http.MethodPost, body, "t=" + strings.Repeat("1", 13) + ", v1=abcd", 400, events.WebhookStats{Malformed: 1}, 0},
		{"not an event", http.MethodPost, []byte(`[1]`), events.Sign(secret, now, []byte(`[1]`)), 400, events.WebhookStats{Malformed: 1}, 0},
		{"event without its ID", http.MethodPost, noID, events.Sign(secret, now, noID), 400, events.WebhookStats{Malformed: 1}, 0},
		{"oversized", http.MethodPost, bytes.Repeat([]byte(" "), 1025), "", 400, events.WebhookStats{Oversized: 1}, 0},
		{"GET", http.MethodGet, nil, "", 405, events.WebhookStats{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			var reported error
			h, err := events.NewWebhook(s, secret, events.WithMaxBodySize(1024), events.WithWebhookErrors(func(err error) { reported = err }))
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tc.method, "/webhooks/workos", bytes.NewReader(tc.body))
			if tc.sig != "" {
				req.Header.Set(events.SignatureHeader, tc.sig)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			if diff := cmp.Diff(tc.want, h.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			if got := s.Stats().Applied; got != tc.applied {
				t.Errorf("%d events applied, want %d", got, tc.applied)
			}
			if (tc.status >= 400 && tc.status != 405) != (reported != nil) {
				t.Errorf("reported error %v for status %d", reported, tc.status)
			}
			if reported != nil && strings.Contains(reported.Error(), secret) {
				t.Errorf("reported error contains the secret: %v", reported)
			}
		})
	}
}

// TestVerifySignatureErrors: each rejection wraps its sentinel.
func TestVerifySignatureErrors(t *testing.T) {
	t.Parallel()
	body := []byte(`{}`)
	now := t0
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"valid", events.Sign(secret, now, body), nil},
		{"no spaces after the comma", strings.ReplaceAll(events.Sign(secret, now, body), ", ", ","), nil},
		{"an extra part", events.Sign(secret, now, body) + ", v0=ab", events.ErrMalformed},
		{"forged and old", events.Sign("x", now.Add(-time.Hour), body), events.ErrSignature},
		{"forged", events.Sign("x", now, body), events.ErrSignature},
		{"old", events.Sign(secret, now.Add(-time.Hour), body), events.ErrTimestamp},
		{"empty", "", events.ErrMalformed},
		{"t not a number", "t=abc, v1=" + strings.Repeat("0", 64), events.ErrMalformed},
		{"negative t", "t=-5, v1=" + strings.Repeat("0", 64), events.ErrMalformed},
		{"v1 not hex", "t=1, v1=" + strings.Repeat("z", 64), events.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := events.VerifySignature(tc.header, body, secret, now, events.DefaultTolerance)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestWebhookFormatsWithoutSecret: no formatting or logging of a Webhook,
// or of a struct holding one, shows its signing secret.
func TestWebhookFormatsWithoutSecret(t *testing.T) {
	t.Parallel()
	const whsec = "whsec_a1B2c3D4e5F6g7H8i9J0kLmNoPqR"
	s, _ := events.NewState()
	w, err := events.NewWebhook(s, whsec)
	if err != nil {
		t.Fatal(err)
	}
	holder := struct {
		W *events.Webhook
		w *events.Webhook
	}{w, w}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("webhook", "w", w, "holder", holder)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("webhook", "w", w)
	outs := []string{logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, w), fmt.Sprintf(verb, holder))
	}
	for _, out := range outs {
		for i := 0; i+8 <= len(whsec); i++ {
			if strings.Contains(out, whsec[i:i+8]) {
				t.Fatalf("output holds %q of the secret: %s", whsec[i:i+8], out)
			}
		}
	}
}
