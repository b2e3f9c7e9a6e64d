package events_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// delivered is one webhook delivery as the receiver got it.
type delivered struct {
	sig  string
	body []byte
	at   time.Time // the receiver's clock when it arrived
}

// recordingHook passes deliveries to an events.Webhook and keeps them.
type recordingHook struct {
	h   *events.Webhook
	now func() time.Time
	mu  sync.Mutex
	d   []delivered
}

func (r *recordingHook) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.d = append(r.d, delivered{req.Header.Get(events.SignatureHeader), body, r.now()})
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.h.ServeHTTP(w, req)
}

func (r *recordingHook) all() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.d)
}

// TestFakeWebhooksVerify: every delivery the fake sends verifies with
// events.VerifySignature and the endpoint's secret on the fake's clock, is
// accepted by events.Webhook, and makes the token issued before the change
// ask the API. It also measures the webhook staleness window: the time
// from the write to the State having applied its event (the delivery).
func TestFakeWebhooksVerify(t *testing.T) {
	t.Parallel()
	e := setup(t)
	hook, err := events.NewWebhook(e.state, secret)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingHook{h: hook, now: e.fake.Now}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	e.fake.AddWebhook(srv.URL, secret, events.Types...)
	e.fake.Advance(10 * time.Second)
	const n = 50
	var windows []time.Duration
	for i := range n {
		claims := e.session(t)
		e.fake.Advance(time.Minute)
		role := []string{"viewer", "admin"}[i%2]
		start := time.Now()
		e.fake.SetMembershipRoles(om, role)
		if err := e.fake.DeliverWebhooks(t.Context()); err != nil {
			t.Fatal(err)
		}
		windows = append(windows, time.Since(start))
		if !e.state.Stale(claims, permission) {
			t.Fatalf("change %d: the token issued before it is not stale after the delivery", i)
		}
	}
	got := rec.all()
	if len(got) != n {
		t.Fatalf("%d deliveries, want %d", len(got), n)
	}
	for i, d := range got {
		if err := events.VerifySignature(d.sig, d.body, secret, d.at, events.DefaultTolerance); err != nil {
			t.Errorf("delivery %d does not verify: %v", i, err)
		}
		if _, err := events.ParseEvent(d.body); err != nil {
			t.Errorf("delivery %d: %v", i, err)
		}
	}
	if st := hook.Stats(); st != (events.WebhookStats{Accepted: n}) {
		t.Errorf("webhook stats %+v, want %d accepted", st, n)
	}
	slices.Sort(windows)
	t.Logf("webhook staleness window over %d changes (write → event applied): p50 %v, p90 %v, max %v",
		n, windows[n/2], windows[n*9/10], windows[n-1])
}

// TestSessionCreatedNeverStale: signing in mints new sessions
// (session.created), which change nothing a token says: a token issued
// before them keeps answering, whether the events come by webhook or by
// the Poller.
func TestSessionCreatedNeverStale(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"webhook", "poller"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			var hook *events.Webhook
			if via == "webhook" {
				hook, _ = events.NewWebhook(e.state, secret)
				srv := httptest.NewServer(hook)
				t.Cleanup(srv.Close)
				e.fake.AddWebhook(srv.URL, secret) // every type, session.created included
			}
			e.fake.Advance(10 * time.Second)
			claims := e.session(t)
			e.fake.Advance(time.Minute)
			for range 3 {
				e.fake.Session(om) // a new session of the same membership: session.created
			}
			if n := countEvents(e, "session.created"); n < 4 {
				t.Fatalf("the fake emitted %d session.created, want 4", n)
			}
			switch via {
			case "webhook":
				if err := e.fake.DeliverWebhooks(t.Context()); err != nil {
					t.Fatal(err)
				}
				if st := hook.Stats(); st.Ignored < 4 || st.Accepted != 0 {
					t.Errorf("webhook stats %+v: want session.created ignored", st)
				}
			case "poller":
				p, err := events.NewPoller(e.fake.APIKey(), e.state, events.WithBaseURL(e.fake.URL()))
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				<-p.Ready()
			}
			// The Poller reads back the setup's events too (membership,
			// role, permission); the webhook was registered after them.
			want := uint64(0)
			if via == "poller" {
				for _, ev := range e.fake.Events() {
					if slices.Contains(events.Types, ev.Event) {
						want++
					}
				}
			}
			if st := e.state.Stats(); st.Applied != want {
				t.Errorf("state %+v: %d events applied, want %d (session.created is not one)", st, st.Applied, want)
			}
			d, err := e.client.Check(t.Context(), claims, permission, e.eng)
			if err != nil || d != (authz.Decision{Allowed: true, Source: authz.SourceToken}) {
				t.Errorf("after session.created: %+v, %v; want the token's answer", d, err)
			}
		})
	}
}

func countEvents(e *env, typ string) int {
	n := 0
	for _, ev := range e.fake.Events() {
		if ev.Event == typ {
			n++
		}
	}
	return n
}

// TestPollerCursorAgedOut: the fake keeps events 30 days; a Poller whose
// cursor the fake has aged out gets 422, reports ErrCursorUnknown, reads
// again from range_start and applies the change made since: the token
// issued before it asks the API. The fake's clock and a synctest bubble
// move time; nothing sleeps for real.
func TestPollerCursorAgedOut(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fake.Advance(10 * time.Second)
	e.fake.SetMembershipRoles(om, "admin") // an event for the cursor to name
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var reported []error
		p, err := events.NewPoller(e.fake.APIKey(), e.state, events.WithBaseURL(e.fake.URL()),
			events.WithHTTPClient(inMemory(withBody(e.fake.Handler()))), events.WithMaxLag(time.Hour),
			events.WithErrorHandler(func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		<-p.Ready()
		cursor := p.Status().Cursor
		if cursor.After == "" {
			t.Fatal("no cursor after the first read")
		}

		e.fake.Advance(31 * 24 * time.Hour) // the cursor's event ages out of the fake
		claims := &token.Claims{OrganizationMembershipID: om, OrganizationID: org, Subject: user, Role: "admin",
			Permissions: []string{permission}, IssuedAt: e.fake.Now()}
		e.fake.Advance(10 * time.Second)
		e.fake.SetMembershipRoles(om, "viewer")
		time.Sleep(events.DefaultPollInterval) // the bubble's clock: the next poll
		synctest.Wait()

		mu.Lock()
		defer mu.Unlock()
		if !slices.ContainsFunc(reported, func(err error) bool { return errors.Is(err, events.ErrCursorUnknown) }) {
			t.Errorf("reported %v, want ErrCursorUnknown", reported)
		}
		if !e.state.Stale(claims, permission) {
			t.Error("the change made after the cursor aged out was not applied")
		}
		if st := p.Status(); st.Cursor.After == cursor.After || st.LastError != nil {
			t.Errorf("status %+v: want a new cursor and no error", st)
		}
	})
}

// TestBadWebhooksChangeNothing: a forged, expired, oversized or malformed
// delivery, or one of a type the State ignores, leaves a token issued
// before it answering — while the same event, signed, makes it stale.
func TestBadWebhooksChangeNothing(t *testing.T) {
	t.Parallel()
	start := t0
	now := t0.Add(time.Hour)
	body := []byte(`{"object":"event","id":"event_1","event":"organization_membership.updated","data":{"id":"om_1"},"created_at":"2026-01-15T13:00:00.000Z"}`)
	other := []byte(`{"object":"event","id":"event_2","event":"session.created","data":{"id":"session_1","organization_id":"org_1"},"created_at":"2026-01-15T13:00:00.000Z"}`)
	big := append(bytes.Repeat([]byte(" "), 2048), body...)
	tests := []struct {
		name  string
		body  []byte
		sig   string
		stale bool
	}{
		{"signed: applied", body, events.Sign(secret, now, body), true},
		{"forged", body, events.Sign("whsec_other", now, body), false},
		{"body swapped", other, events.Sign(secret, now, body), false},
		{"expired", body, events.Sign(secret, now.Add(-10*time.Minute), body), false},
		{"oversized", big, events.Sign(secret, now, big), false},
		{"no signature", body, "", false},
		{"garbage signature", body, "t=abc, v1=xyz", false},
		{"ignored type", other, events.Sign(secret, now, other), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := start
			s, err := events.NewState(events.WithTimeFunc(func() time.Time { return clock }))
			if err != nil {
				t.Fatal(err)
			}
			clock = now
			h, _ := events.NewWebhook(s, secret, events.WithMaxBodySize(1024))
			claims := &token.Claims{OrganizationMembershipID: "om_1", IssuedAt: now.Add(-5 * time.Minute)} // within the token lifetime
			req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(tc.body))
			if tc.sig != "" {
				req.Header.Set(events.SignatureHeader, tc.sig)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got := s.Stale(claims, permission); got != tc.stale {
				t.Errorf("stale = %v, want %v", got, tc.stale)
			}
			if st := s.Stats(); !tc.stale && (st.Entries != 0 || st.Unreadable != 0 || st.Applied != 0) {
				t.Errorf("state changed: %+v", st)
			}
		})
	}
}

// withBody gives a client request without a body the empty body a server
// request has, for a handler called in memory.
func withBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil {
			r.Body = http.NoBody
		}
		h.ServeHTTP(w, r)
	})
}
