package contract

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fgakit/fgakit/events"
)

// The Events API and webhook endpoints (issue 10): GET /events lists the
// fake's event log, whose payloads the recorder validates against the
// spec's EventSchema variants, and /webhook_endpoints registers the
// endpoints the fake delivers signed events to.

// seenEventTypes collects the event types of every GET /events answer
// the recorder validated (a 200 read by rawJSON).
type seenEventTypes struct {
	mu    sync.Mutex
	types map[string]int
}

func (s *seenEventTypes) add(typ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.types == nil {
		s.types = map[string]int{}
	}
	s.types[typ]++
}

func (s *seenEventTypes) count(typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.types[typ]
}

// rawJSON sends a request through the recorder like raw and decodes a 2xx
// answer into out (when out is not nil).
func (s *suite) rawJSON(method, path, body string, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(s.ctx, method, s.f.URL()+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.f.APIKey())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			s.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type eventPage struct {
	Data []struct {
		ID    string `json:"id"`
		Event string `json:"event"`
	} `json:"data"`
	ListMetadata struct {
		After *string `json:"after"`
	} `json:"list_metadata"`
}

// listAllEvents pages through GET /events for types, ascending, and
// records each event type seen.
func (s *suite) listAllEvents(types []string, extra string) []string {
	s.t.Helper()
	var ids []string
	after := ""
	for range 1000 {
		q := "/events?order=asc&limit=100&events=" + url.QueryEscape(strings.Join(types, ",")) + extra
		if after != "" {
			q += "&after=" + url.QueryEscape(after)
		}
		var p eventPage
		if st := s.rawJSON("GET", q, "", &p); st != http.StatusOK {
			s.t.Fatalf("GET %s: status %d", q, st)
		}
		for _, e := range p.Data {
			ids = append(ids, e.ID)
			s.events.add(e.Event)
		}
		if p.ListMetadata.After == nil {
			return ids
		}
		after = *p.ListMetadata.After
	}
	s.t.Fatal("GET /events never reached the end of the list")
	return nil
}

// switchHandler is a webhook receiver whose handler is set once the
// endpoint's secret is known (the create answer carries it).
type switchHandler struct {
	mu sync.Mutex
	h  http.Handler
}

func (s *switchHandler) set(h http.Handler) { s.mu.Lock(); s.h = h; s.mu.Unlock() }

func (s *switchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	if h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

var eventScenarios = []struct {
	name string
	run  func(*suite)
}{
	{"webhook endpoints", func(s *suite) {
		recv := &switchHandler{}
		srv := httptest.NewServer(recv)
		s.t.Cleanup(srv.Close)
		other := httptest.NewServer(http.NotFoundHandler())
		s.t.Cleanup(other.Close)

		var ep struct {
			ID     string   `json:"id"`
			Secret string   `json:"secret"`
			Events []string `json:"events"`
		}
		s.rawStatus("create", s.rawJSON("POST", "/webhook_endpoints",
			`{"endpoint_url": "`+srv.URL+`/hook", "events": ["organization_membership.updated", "session.revoked"]}`, &ep), http.StatusCreated)
		if ep.ID == "" || ep.Secret == "" {
			s.t.Fatalf("create answered %+v, want an ID and a secret", ep)
		}
		state, err := events.NewState()
		s.must("state", err)
		hook, err := events.NewWebhook(state, ep.Secret)
		s.must("webhook", err)
		recv.set(hook)

		s.rawStatus("create a duplicate", s.raw(false, "POST", "/webhook_endpoints",
			`{"endpoint_url": "`+srv.URL+`/hook", "events": ["session.revoked"]}`), http.StatusConflict)
		s.rawStatus("create with a bad URL", s.raw(false, "POST", "/webhook_endpoints",
			`{"endpoint_url": "ftp://example.com/hook", "events": ["session.revoked"]}`), http.StatusUnprocessableEntity)
		s.rawStatus("create with an unknown event type", s.raw(true, "POST", "/webhook_endpoints",
			`{"endpoint_url": "`+other.URL+`/hook", "events": ["no.such_event"]}`), http.StatusUnprocessableEntity)
		var second struct {
			ID string `json:"id"`
		}
		s.rawStatus("create a second", s.rawJSON("POST", "/webhook_endpoints",
			`{"endpoint_url": "`+other.URL+`/hook", "events": ["group.created"]}`, &second), http.StatusCreated)

		s.rawStatus("list", s.raw(false, "GET", "/webhook_endpoints?limit=1&order=asc", ""), http.StatusOK)
		s.rawStatus("list all", s.raw(false, "GET", "/webhook_endpoints", ""), http.StatusOK)

		s.rawStatus("update", s.raw(false, "PATCH", "/webhook_endpoints/"+ep.ID,
			`{"events": ["organization_membership.updated", "session.revoked", "organization_membership.deleted"]}`), http.StatusOK)
		s.rawStatus("update unknown", s.raw(false, "PATCH", "/webhook_endpoints/we_nope", `{"status": "disabled"}`), http.StatusNotFound)
		s.rawStatus("update to a duplicate URL", s.raw(false, "PATCH", "/webhook_endpoints/"+second.ID,
			`{"endpoint_url": "`+srv.URL+`/hook"}`), http.StatusConflict)
		s.rawStatus("update with a bad URL", s.raw(false, "PATCH", "/webhook_endpoints/"+second.ID,
			`{"endpoint_url": "not a url"}`), http.StatusUnprocessableEntity)
		s.rawStatus("update with an unknown event type", s.raw(true, "PATCH", "/webhook_endpoints/"+second.ID,
			`{"events": ["no.such_event"]}`), http.StatusUnprocessableEntity)

		// A delivery of the subscribed endpoint verifies with the endpoint's
		// secret and is applied.
		_, err = s.c.UpdateMembership(s.ctx, "om_bob", updateRole("admin"))
		s.must("update a membership", err)
		s.must("deliver", s.f.DeliverWebhooks(s.ctx))
		if st := hook.Stats(); st.Accepted == 0 || st.Forged+st.Expired+st.Malformed+st.Oversized > 0 {
			s.t.Errorf("webhook stats %+v: want the delivery verified and applied", st)
		}

		s.rawStatus("delete", s.raw(false, "DELETE", "/webhook_endpoints/"+second.ID, ""), http.StatusNoContent)
		s.rawStatus("delete again", s.raw(false, "DELETE", "/webhook_endpoints/"+second.ID, ""), http.StatusNotFound)
	}},
	{"events", func(s *suite) {
		// Every event the fake emitted, of every type, through GET /events:
		// each page's payloads are validated against EventSchema.
		all := s.f.Events()
		var types []string
		for _, e := range all {
			if !slices.Contains(types, e.Event) {
				types = append(types, e.Event)
			}
		}
		slices.Sort(types)
		ids := s.listAllEvents(types, "")
		if len(ids) != len(all) {
			s.t.Errorf("GET /events listed %d events, the fake emitted %d", len(ids), len(all))
		}
		for _, typ := range types {
			if s.events.count(typ) == 0 {
				s.t.Errorf("event type %s never appeared in a validated GET /events answer", typ)
			}
		}
		// The types a user of events.State relies on, and session.created,
		// are all emitted by the scenarios.
		for _, typ := range emittedTypes {
			if !slices.Contains(types, typ) {
				s.t.Errorf("the scenarios never made the fake emit %s", typ)
			}
		}

		// The other parameters.
		last := ids[len(ids)-1]
		s.rawStatus("desc", s.raw(false, "GET", "/events?events=organization_membership.updated&limit=2", ""), http.StatusOK)
		s.rawStatus("normal, before", s.raw(false, "GET", "/events?events=organization_membership.updated&order=normal&before="+last, ""), http.StatusOK)
		s.rawStatus("organization", s.raw(false, "GET", "/events?events=organization_membership.created,organization_membership.updated&organization_id=org_acme", ""), http.StatusOK)
		rs := url.QueryEscape(s.f.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
		re := url.QueryEscape(s.f.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		s.rawStatus("range", s.raw(false, "GET", "/events?events=session.created&range_start="+rs+"&range_end="+re, ""), http.StatusOK)

		s.rawStatus("unknown organization", s.raw(false, "GET", "/events?events=organization_membership.updated&organization_id=org_nope", ""), http.StatusBadRequest)
		s.rawStatus("no events filter", s.raw(false, "GET", "/events", ""), http.StatusUnprocessableEntity)
		s.rawStatus("unknown event type", s.raw(false, "GET", "/events?events=no.such_event", ""), http.StatusUnprocessableEntity)
		s.rawStatus("unknown cursor", s.raw(false, "GET", "/events?events=session.created&after=event_nope", ""), http.StatusUnprocessableEntity)
		s.rawStatus("bad range_start", s.raw(false, "GET", "/events?events=session.created&range_start=yesterday", ""), http.StatusUnprocessableEntity)
		s.rawStatus("limit over 100", s.raw(true, "GET", "/events?events=session.created&limit=500", ""), http.StatusUnprocessableEntity)
		s.rawStatus("bad order", s.raw(true, "GET", "/events?events=session.created&order=sideways", ""), http.StatusUnprocessableEntity)

		// The Poller's own requests, through the recorder.
		state, err := events.NewState()
		s.must("state", err)
		p, err := events.NewPoller(s.f.APIKey(), state, events.WithBaseURL(s.f.URL()), events.WithHTTPClient(s.http))
		s.must("poller", err)
		defer p.Close()
		ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
		defer cancel()
		select {
		case <-p.Ready():
		case <-ctx.Done():
			s.t.Fatalf("the Poller never caught up: %+v", p.Status())
		}
		if st := state.Stats(); st.Applied == 0 || st.Unreadable != 0 {
			s.t.Errorf("the Poller applied %+v, want the fake's events and none unreadable", st)
		}
	}},
}

// emittedTypes are the event types the fake emits for the writes the
// scenarios make: every type it can emit (the types of events.Types
// except role.deleted, organization.deleted and user.deleted, which no
// write of the fake or of the spec's in-scope operations makes), plus
// organization.created, group.created, group.updated and session.created.
var emittedTypes = []string{
	"organization.created",
	"organization_membership.created", "organization_membership.updated", "organization_membership.deleted",
	"role.created", "role.updated",
	"organization_role.created", "organization_role.updated", "organization_role.deleted",
	"permission.created", "permission.updated", "permission.deleted",
	"group.created", "group.updated", "group.deleted", "group.member_added", "group.member_removed",
	"session.created", "session.revoked",
}
