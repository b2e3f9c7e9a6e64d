package events

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fgakit/fgakit/token"
)

var fuzzNow = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// eventSeeds are real event shapes (the spec's examples) and near misses.
var eventSeeds = []string{
	`{"object":"event","id":"event_01EHZNVPK3SFK441A1RGBFSHRT","event":"organization_membership.updated","data":{"object":"organization_membership","id":"om_01EHWNCE74X7JSDV0X3SZ3KJNY","user_id":"user_1","organization_id":"org_1","status":"active","role":{"slug":"member"}},"created_at":"2026-01-15T12:00:00.000Z","context":{}}`,
	`{"object":"event","id":"event_2","event":"session.revoked","data":{"object":"session","id":"session_01H93ZY4F80QPBEZ1R5B2SHQG8","user_id":"user_1"},"created_at":"2026-01-15T12:00:00Z"}`,
	`{"object":"event","id":"event_3","event":"group.member_added","data":{"group_id":"group_1","organization_membership_id":"om_1"},"created_at":"2026-01-15T12:00:00.5+01:00"}`,
	`{"object":"event","id":"event_4","event":"role.updated","data":{"slug":"admin","permissions":["a"]},"created_at":"2026-01-15T12:00:00Z"}`,
	`{"object":"event","id":"event_5","event":"role.updated","data":{"slug":7},"created_at":"2026-01-15T12:00:00Z"}`,
	`{"object":"event","id":"","event":"x","data":{},"created_at":"nope"}`,
	`{"object":"list"}`, `[]`, `null`, ``, `{"object":"event","data":[]}`,
}

// FuzzParseEvent: any body either parses into an event whose fields are
// usable, or fails with ErrMalformed; applying a parsed event never
// panics, and a State never calls a token stale that no event touched
// when nothing was applied.
func FuzzParseEvent(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body)
		if err != nil {
			return
		}
		if !validID(ev.ID) || !validID(ev.Event) || !json.Valid(ev.Data) {
			t.Fatalf("parsed an unusable event: %+v", ev)
		}
		s, err := NewState(WithTimeFunc(func() time.Time { return fuzzNow }))
		if err != nil {
			t.Fatal(err)
		}
		applied, _ := s.Apply(ev)
		if _, dup, _ := s.applyAll([]Event{ev}); applied && dup != 1 {
			t.Fatalf("an applied event applied again was not a duplicate")
		}
	})
}

// FuzzParsePage: any GET /events answer parses into events or fails with
// ErrMalformed, never panics.
func FuzzParsePage(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(`{"object":"list","data":[` + s + `],"list_metadata":{"after":null}}`))
	}
	f.Add([]byte(`{"object":"list","data":[],"list_metadata":{"after":"event_1"}}`))
	f.Add([]byte(`{"object":"list","data":null,"list_metadata":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, after, err := parsePage(body)
		if err != nil {
			if evs != nil || after != "" {
				t.Fatal("results with an error")
			}
			return
		}
		for _, ev := range evs {
			if !validID(ev.ID) || ev.bad == nil && !validID(ev.Event) {
				t.Fatalf("unusable event %+v", ev)
			}
		}
	})
}

// FuzzWebhook: arbitrary bodies and signature headers are never accepted
// unless signed with the secret, and never panic; an accepted delivery is
// a parsed event.
func FuzzWebhook(f *testing.F) {
	const secret = "whsec_fuzz"
	for _, s := range eventSeeds {
		f.Add([]byte(s), Sign(secret, fuzzNow, []byte(s)), true)
		f.Add([]byte(s), Sign("other", fuzzNow, []byte(s)), false)
	}
	f.Add([]byte(`{}`), "t=1, v1=00", false)
	f.Add([]byte(`{}`), "t=, v1=,v1=", false)
	f.Fuzz(func(t *testing.T, body []byte, header string, resign bool) {
		s, _ := NewState(WithTimeFunc(func() time.Time { return fuzzNow }))
		w, err := NewWebhook(s, secret, WithMaxBodySize(4096))
		if err != nil {
			t.Fatal(err)
		}
		if resign {
			header = Sign(secret, fuzzNow, body)
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set(SignatureHeader, header)
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, req)
		verified := VerifySignature(header, body, secret, fuzzNow, DefaultTolerance) == nil
		if rec.Code == http.StatusOK && !verified {
			t.Fatalf("accepted a delivery that does not verify (header %q)", header)
		}
		if rec.Code == http.StatusOK {
			if _, err := ParseEvent(body); err != nil {
				t.Fatalf("accepted a body that does not parse: %v", err)
			}
		}
		st := w.Stats()
		if total := st.Accepted + st.Ignored + st.Duplicates + st.Forged + st.Expired + st.Malformed + st.Oversized; total != 1 {
			t.Fatalf("delivery counted %d times: %+v", total, st)
		}
		// Whatever happened, a token issued after everything is not stale
		// (unless an event from the future was applied).
		if s.Stats().Applied == 0 && s.Stats().Unreadable == 0 {
			c := &token.Claims{IssuedAt: fuzzNow.Add(time.Minute)}
			if s.Stale(c, "p") {
				t.Fatal("stale without any event applied")
			}
		}
	})
}
