package authztest

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzListEvents sends GET /events with an arbitrary query: the answer is
// 200 with a list, 400 or 422 with a JSON {message}, never a 500; a 200
// lists at most limit events, each of a requested type.
func FuzzListEvents(f *testing.F) {
	for _, seed := range []string{
		"events=permission.created",
		"events=permission.created,organization.created&order=asc&limit=2&after=event_000002",
		"events=organization.created&order=normal&before=event_000005&range_start=2026-01-15T12:03:00Z",
		"events=&limit=0",
		"events=role.created&limit=101&order=sideways",
		"events=role.created&range_end=2026-13-45",
		"events=role.created&organization_id=org_a&after=event_000001&before=event_000002",
		"events=a,,b&events=%00",
		"%zz",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		fake, _ := eventsFake(t)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/events", nil)
		req.URL.RawQuery = query
		fake.Handler().ServeHTTP(rec, req)
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%q: %d, body not JSON: %s", query, rec.Code, rec.Body)
		}
		switch rec.Code {
		case 400, 422:
			var e struct{ Message string }
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Message == "" {
				t.Fatalf("%q: %d without a message: %s", query, rec.Code, rec.Body)
			}
		case 200:
			var page struct {
				Data []struct{ Event string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
				t.Fatal(err)
			}
			q, _ := url.ParseQuery(query)
			want := strings.Join(q["events"], ",")
			limit := 10
			if s := q.Get("limit"); s != "" {
				json.Unmarshal([]byte(s), &limit)
			}
			if len(page.Data) > limit {
				t.Fatalf("%q: %d events, limit %d", query, len(page.Data), limit)
			}
			for _, e := range page.Data {
				if !strings.Contains(","+want+",", ","+e.Event+",") && !strings.Contains(want, e.Event) {
					t.Fatalf("%q: listed a %s event", query, e.Event)
				}
			}
		default:
			t.Fatalf("%q: status %d %s", query, rec.Code, rec.Body)
		}
	})
}

// FuzzWebhookEndpoint creates and updates a webhook endpoint with arbitrary
// bodies: 201/200, 400, 404, 409 or 422 with a JSON body, never a 500, and
// an endpoint that was accepted has an https or loopback http URL.
func FuzzWebhookEndpoint(f *testing.F) {
	for _, seed := range []string{
		`{"endpoint_url":"https://a.example/x","events":["role.updated"]}`,
		`{"endpoint_url":"http://127.0.0.1:1/x","events":[]}`,
		`{"endpoint_url":"http://example.com","events":["role.updated"]}`,
		`{"endpoint_url":"https://a.example/x","events":["nope"],"status":"paused"}`,
		`{"endpoint_url":1}`,
		`{"events":"role.updated"}`,
		`[]`,
		``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fake := New(t, WithClock(epoch))
		h := fake.Handler()
		for _, req := range []struct{ method, path string }{
			{"POST", "/webhook_endpoints"},
			{"PATCH", "/webhook_endpoints/we_000001"},
		} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(req.method, req.path, strings.NewReader(body)))
			switch rec.Code {
			case 200, 201, 400, 404, 409, 422:
			default:
				t.Fatalf("%s %q: status %d %s", req.method, body, rec.Code, rec.Body)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %q: body not JSON: %s", req.method, body, rec.Body)
			}
			if rec.Code == 200 || rec.Code == 201 {
				var ep struct {
					EndpointURL string `json:"endpoint_url"`
				}
				json.Unmarshal(rec.Body.Bytes(), &ep)
				if checkWebhookURL(ep.EndpointURL) != nil {
					t.Fatalf("%s %q: accepted URL %q", req.method, body, ep.EndpointURL)
				}
			}
		}
	})
}
