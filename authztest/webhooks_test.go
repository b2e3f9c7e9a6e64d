package authztest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgakit/fgakit/internal/webhooksig"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// receiver is a webhook endpoint for tests: it records each request and
// answers the next status of its script (200 once the script is used up).
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	statuses []int
	got      []received
}

type received struct {
	body      []byte
	signature string
	header    http.Header
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	rc := &receiver{statuses: statuses}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{body: b, signature: r.Header.Get("WorkOS-Signature"), header: r.Header.Clone()})
		status := http.StatusOK
		if len(rc.statuses) > 0 {
			status, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func deliver(t *testing.T, f *Fake) {
	t.Helper()
	if err := f.DeliverWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookDeliveryIsSignedAndVerifiable(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	f := newTestFake(t, WithWebhook(rc.srv.URL+"/hooks", "whsec_test"))
	f.Advance(time.Minute)
	f.SetMembershipRoles("om_alice", "org-auditor")
	deliver(t, f)

	events := f.Events()
	// The endpoint was registered before the fixture loaded: it receives
	// the setup events too, then the update.
	got := rc.requests()
	if len(got) != len(events) {
		t.Fatalf("%d deliveries, want %d (one per event)", len(got), len(events))
	}
	last, lastEvent := got[len(got)-1], events[len(events)-1]
	if _, err := webhooksig.Verify("whsec_test", last.signature, last.body, f.Now(), 0); err != nil {
		t.Fatalf("signature %q does not verify: %v", last.signature, err)
	}
	if !strings.HasPrefix(last.signature, "t=1768478460000, v1=") {
		t.Errorf("signature %q: want t = the fake's clock in ms", last.signature)
	}
	if ct := last.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	equalJSON(t, string(last.body), `{"object":"event","id":"`+lastEvent.ID+`","event":"organization_membership.updated",
		"data":`+string(lastEvent.Data)+`,"created_at":"2026-01-15T12:01:00.000Z"}`)
	log := f.WebhookDeliveries()
	want := WebhookDelivery{EventID: lastEvent.ID, Event: "organization_membership.updated", EndpointID: "we_000001",
		URL: rc.srv.URL + "/hooks", Attempt: 1, At: epoch.Add(time.Minute), Status: 200, Signature: last.signature}
	if diff := cmp.Diff(want, log[len(log)-1]); diff != "" {
		t.Errorf("delivery log (-want +got):\n%s", diff)
	}

	// The body is what JSON.stringify(JSON.parse(body)) gives back (no
	// \u003c escapes), which the Node SDK signs when handed a parsed
	// payload.
	f.AddOrganization("org_html", "A <&> B")
	deliver(t, f)
	got = rc.requests()
	if b := string(got[len(got)-1].body); !strings.Contains(b, `"name":"A <&> B"`) {
		t.Errorf("body %s escapes HTML characters", b)
	}
}

func TestWebhookRetriesOnTheFakeClock(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 500, 503) // then 200
	f := New(t, WithClock(epoch), WithWebhookRetries(time.Minute, 5*time.Minute))
	id := f.AddWebhook(rc.srv.URL, "whsec_r", "permission.created")
	f.AddPermission("p1", "")
	ev := f.Events()[0]
	deliver(t, f)

	ignoreSig := cmpopts.IgnoreFields(WebhookDelivery{}, "Signature")
	base := WebhookDelivery{EventID: ev.ID, Event: "permission.created", EndpointID: id, URL: rc.srv.URL}
	at := func(d time.Duration, attempt, status int, next time.Duration, errText string) WebhookDelivery {
		w := base
		w.Attempt, w.At, w.Status, w.Error = attempt, epoch.Add(d), status, errText
		if next > 0 {
			w.NextAttempt = epoch.Add(next)
		}
		return w
	}
	want := []WebhookDelivery{at(0, 1, 500, time.Minute, "endpoint answered 500")}
	if diff := cmp.Diff(want, f.WebhookDeliveries(), ignoreSig); diff != "" {
		t.Fatalf("after the first attempt (-want +got):\n%s", diff)
	}

	f.Advance(59 * time.Second) // not yet due
	deliver(t, f)
	if n := len(f.WebhookDeliveries()); n != 1 {
		t.Fatalf("%d attempts before the retry was due", n)
	}
	f.Advance(time.Second)
	deliver(t, f)
	want = append(want, at(time.Minute, 2, 503, 6*time.Minute, "endpoint answered 503"))
	if diff := cmp.Diff(want, f.WebhookDeliveries(), ignoreSig); diff != "" {
		t.Fatalf("after the second attempt (-want +got):\n%s", diff)
	}
	f.Advance(5 * time.Minute)
	deliver(t, f)
	want = append(want, at(6*time.Minute, 3, 200, 0, ""))
	if diff := cmp.Diff(want, f.WebhookDeliveries(), ignoreSig); diff != "" {
		t.Fatalf("after the third attempt (-want +got):\n%s", diff)
	}
	// Each attempt is signed afresh with its own time, over the same body.
	got := rc.requests()
	if len(got) != 3 {
		t.Fatalf("%d requests, want 3", len(got))
	}
	for i, r := range got {
		if _, err := webhooksig.Verify("whsec_r", r.signature, r.body, f.WebhookDeliveries()[i].At, 0); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
		if string(r.body) != string(got[0].body) {
			t.Errorf("attempt %d body differs", i+1)
		}
	}
}

func TestWebhookGivesUpAfterTheSchedule(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 500, 500, 500, 500)
	f := New(t, WithClock(epoch), WithWebhookRetries(time.Minute))
	f.AddWebhook(rc.srv.URL, "s")
	f.AddPermission("p1", "")
	deliver(t, f)
	f.Advance(time.Hour)
	deliver(t, f)
	f.Advance(time.Hour)
	deliver(t, f)
	log := f.WebhookDeliveries()
	if len(log) != 2 {
		t.Fatalf("%d attempts, want 2 (one retry)", len(log))
	}
	if !log[1].NextAttempt.IsZero() || log[1].Status != 500 {
		t.Errorf("last attempt %+v: want status 500 and no next attempt", log[1])
	}
}

func TestWebhookTimeoutAndUnreachable(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	f := New(t, WithClock(epoch), WithWebhookRetries(time.Minute),
		WithWebhookClient(&http.Client{Timeout: 50 * time.Millisecond}))
	f.AddWebhook(slow.URL, "s")
	f.AddWebhook(gone.URL, "s")
	f.AddPermission("p1", "")
	deliver(t, f)
	log := f.WebhookDeliveries()
	if len(log) != 2 {
		t.Fatalf("%d attempts, want 2", len(log))
	}
	for _, d := range log {
		if d.Status != 0 || d.Error == "" || !d.NextAttempt.Equal(epoch.Add(time.Minute)) {
			t.Errorf("%s: %+v: want no status, an error and a retry in a minute", d.URL, d)
		}
	}
}

func TestWebhookSubscriptionsAndStatus(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	f := New(t, WithClock(epoch))
	id := f.AddWebhook(rc.srv.URL, "s", "role.created")
	f.AddPermission("p1", "")
	f.AddRole("r1", "", "p1")
	deliver(t, f)
	if got := rc.requests(); len(got) != 1 || !strings.Contains(string(got[0].body), `"event":"role.created"`) {
		t.Fatalf("deliveries %d, want only role.created", len(got))
	}
	if s, body, _ := call(t, f, "PATCH", "/webhook_endpoints/"+id, `{"status":"disabled"}`); s != 200 {
		t.Fatalf("disable: %d %s", s, body)
	}
	f.AddRole("r2", "")
	deliver(t, f)
	if n := len(rc.requests()); n != 1 {
		t.Errorf("a disabled endpoint received %d deliveries", n-1)
	}
	// Enabled again, it receives new events, not those emitted while off.
	call(t, f, "PATCH", "/webhook_endpoints/"+id, `{"status":"enabled","events":["role.created","permission.created"]}`)
	f.AddPermission("p2", "")
	deliver(t, f)
	if got := rc.requests(); len(got) != 2 || !strings.Contains(string(got[1].body), `"slug":"p2"`) {
		t.Errorf("after re-enabling: %d deliveries", len(got))
	}
	// Deleted, it receives nothing more.
	if s, _, _ := call(t, f, "DELETE", "/webhook_endpoints/"+id, ""); s != 204 {
		t.Fatalf("delete: %d", s)
	}
	f.AddPermission("p3", "")
	deliver(t, f)
	if n := len(rc.requests()); n != 2 {
		t.Errorf("a deleted endpoint received %d deliveries", n-2)
	}
}

func TestWebhookEndpointsAPI(t *testing.T) {
	t.Parallel()
	f := New(t, WithClock(epoch))
	status, body, _ := call(t, f, "POST", "/webhook_endpoints", `{"endpoint_url":"https://example.com/hooks","events":["role.updated","session.revoked"]}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	var ep webhookEndpointJSON
	json.Unmarshal([]byte(body), &ep)
	if !strings.HasPrefix(ep.Secret, "whsec_") || len(ep.Secret) < 30 {
		t.Errorf("secret %q", ep.Secret)
	}
	equalJSON(t, body, `{"object":"webhook_endpoint","id":"we_000001","endpoint_url":"https://example.com/hooks",
		"secret":"`+ep.Secret+`","status":"enabled","events":["role.updated","session.revoked"],
		"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`)
	if f.WebhookSecret("we_000001") != ep.Secret {
		t.Error("WebhookSecret differs from the create answer")
	}

	runWire(t, []wireCase{
		{name: "list", method: "GET", path: "/webhook_endpoints", wantStatus: 200,
			wantBody: `{"object":"list","data":[{"object":"webhook_endpoint","id":"we_000001","endpoint_url":"http://127.0.0.1:9/x",
				"secret":"whsec_fixed","status":"enabled","events":[],"created_at":"2026-01-15T12:00:00.000Z",
				"updated_at":"2026-01-15T12:00:00.000Z"}],"list_metadata":{"before":null,"after":null}}`},
		{name: "duplicate URL", method: "POST", path: "/webhook_endpoints", body: `{"endpoint_url":"http://127.0.0.1:9/x","events":["role.updated"]}`,
			wantStatus: 409, wantBody: `{"code":"duplicate_endpoint","message":"a webhook endpoint for \"http://127.0.0.1:9/x\" already exists"}`},
		{name: "http off loopback", method: "POST", path: "/webhook_endpoints", body: `{"endpoint_url":"http://example.com/x","events":["role.updated"]}`,
			wantStatus: 422, wantBody: `{"code":"invalid_url","message":"endpoint_url \"http://example.com/x\" must be https (http only on a loopback host)"}`},
		{name: "not a URL", method: "POST", path: "/webhook_endpoints", body: `{"endpoint_url":"hooks","events":["role.updated"]}`,
			wantStatus: 422, wantBody: `{"code":"invalid_url","message":"endpoint_url \"hooks\" must be an absolute https URL"}`},
		{name: "unknown event type", method: "POST", path: "/webhook_endpoints", body: `{"endpoint_url":"https://a.example/x","events":["role.updated","role.exploded"]}`,
			wantStatus: 422, wantBody: `{"code":"invalid_request_parameters","message":"Validation failed.","errors":[{"code":"unknown_event_type","message":"Invalid enum value: \"role.exploded\"."}]}`},
		{name: "missing fields", method: "POST", path: "/webhook_endpoints", body: `{}`,
			wantStatus: 422, wantBody: `{"code":"invalid_request_parameters","message":"Validation failed.","errors":[
				{"code":"required","field":"endpoint_url","message":"endpoint_url is required"},
				{"code":"required","field":"events","message":"events is required"}]}`},
		{name: "update", method: "PATCH", path: "/webhook_endpoints/we_000001", body: `{"endpoint_url":"https://b.example/y","status":"disabled","events":["group.deleted"]}`,
			wantStatus: 200, wantBody: `{"object":"webhook_endpoint","id":"we_000001","endpoint_url":"https://b.example/y",
				"secret":"whsec_fixed","status":"disabled","events":["group.deleted"],"created_at":"2026-01-15T12:00:00.000Z",
				"updated_at":"2026-01-15T12:00:00.000Z"}`},
		{name: "update bad status", method: "PATCH", path: "/webhook_endpoints/we_000001", body: `{"status":"paused"}`,
			wantStatus: 422, wantBody: `{"code":"invalid_request_parameters","message":"Validation failed.","errors":[{"code":"invalid_enum_value","field":"status","message":"status must be enabled or disabled"}]}`},
		{name: "update unknown", method: "PATCH", path: "/webhook_endpoints/we_nope", body: `{}`,
			wantStatus: 404, wantBody: `{"code":"entity_not_found","message":"webhook endpoint \"we_nope\" not found"}`},
		{name: "delete unknown", method: "DELETE", path: "/webhook_endpoints/we_nope",
			wantStatus: 404, wantBody: `{"code":"entity_not_found","message":"webhook endpoint \"we_nope\" not found"}`},
	}, func(f *Fake) { f.SetTime(epoch); f.AddWebhook("http://127.0.0.1:9/x", "whsec_fixed", []string{}...) })
}

func TestDeliverWebhooksWithoutEndpoints(t *testing.T) {
	t.Parallel()
	f := New(t)
	f.AddPermission("p1", "")
	if err := f.DeliverWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.WebhookDeliveries()); n != 0 {
		t.Fatalf("%d deliveries", n)
	}
}

// TestCloseStopsDeliveries: Close cancels an attempt in flight and
// returns; DeliverWebhooks after Close returns at once.
func TestCloseStopsDeliveries(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 1)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // the server notices the client hanging up only once the body is read
		entered <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(hang.Close)
	f := New(t, WithClock(epoch))
	f.AddWebhook(hang.URL, "s")
	f.AddPermission("p1", "")
	<-entered
	f.Close()
	if err := f.DeliverWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestWithWebhookErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, url, secret string }{
		{"empty secret", "https://a.example/x", ""},
		{"bad URL", "ftp://a.example/x", "s"},
	} {
		if _, err := NewServer("127.0.0.1:0", WithWebhook(tt.url, tt.secret)); err == nil {
			t.Errorf("%s: NewServer succeeded", tt.name)
		}
	}
}

func TestSignWebhook(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"event"}`)
	h := SignWebhook("whsec_x", epoch, body)
	if _, err := webhooksig.Verify("whsec_x", h, body, epoch, 0); err != nil {
		t.Fatal(err)
	}
}

// TestSignWebhookAll: a header signed with the old and the new secret of a
// rotation verifies with either, not with a third; its first part is
// SignWebhook's.
func TestSignWebhookAll(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"event"}`)
	h := SignWebhookAll([]string{"whsec_old", "whsec_new"}, epoch, body)
	if !strings.HasPrefix(h, SignWebhook("whsec_old", epoch, body)+", v1=") {
		t.Errorf("SignWebhookAll = %q, want SignWebhook's header and a second v1", h)
	}
	for _, tt := range []struct {
		secret  string
		wantErr error
	}{{"whsec_old", nil}, {"whsec_new", nil}, {"whsec_other", webhooksig.ErrSignature}} {
		if _, err := webhooksig.Verify(tt.secret, h, body, epoch, 0); !errors.Is(err, tt.wantErr) {
			t.Errorf("Verify with %s = %v, want %v", tt.secret, err, tt.wantErr)
		}
	}
}

// TestWebhookRetryOnTheRunningClock: without a frozen clock the retry is
// due after real time passes, and the delivery goroutine's timer sends it
// without anyone calling DeliverWebhooks.
func TestWebhookRetryOnTheRunningClock(t *testing.T) {
	t.Parallel()
	second := make(chan struct{})
	var mu sync.Mutex
	n := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if k == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if k == 2 {
			close(second)
		}
	}))
	t.Cleanup(hook.Close)
	f := New(t, WithWebhookRetries(20*time.Millisecond))
	f.AddWebhook(hook.URL, "s")
	f.AddPermission("p1", "")
	select {
	case <-second:
	case <-time.After(10 * time.Second): // a bound, not a wait for time: the retry is due after 20ms
		t.Fatal("the retry never came")
	}
	deliver(t, f)
	log := f.WebhookDeliveries()
	if len(log) != 2 || log[0].Status != 502 || log[1].Status != 200 || log[1].At.Sub(log[0].At) < 20*time.Millisecond {
		t.Fatalf("deliveries %+v: want a 502, then a 200 at least 20ms later", log)
	}
}
