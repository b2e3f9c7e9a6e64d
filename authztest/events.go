package authztest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Events (WIRE.md §8). Every change the model applies — over HTTP, from Go
// setup or from a fixture — appends the event WorkOS would emit to the
// model's event log, with the payload of the official spec
// (EventSchema in workos-openapi.yaml). GET /events lists the log, and the
// webhook worker (webhooks.go) delivers it.

// Event is one event the fake emitted, as [Fake.Events] returns it.
type Event struct {
	// ID is "event_" plus a counter: IDs sort in the order the events were
	// emitted.
	ID string
	// Event is the event type, e.g. "organization_membership.updated".
	Event string
	// OrganizationID is the organization the event concerns, the one
	// GET /events?organization_id= filters on; "" for an environment-wide
	// event (role.*, permission.*).
	OrganizationID string
	// CreatedAt is the fake's clock when the event was emitted
	// (milliseconds, as the API answers).
	CreatedAt time.Time
	// Data is the payload, byte for byte as GET /events and webhooks
	// carry it.
	Data json.RawMessage
}

// event is the model's record of an emitted event. It never changes.
type event struct {
	id      string
	typ     string
	orgID   string
	created time.Time
	data    json.RawMessage
}

// eventJSON is the event object of the API (EventSchema).
type eventJSON struct {
	Object    string          `json:"object"`
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	CreatedAt string          `json:"created_at"`
}

func renderEvent(e *event) eventJSON {
	return eventJSON{Object: "event", ID: e.id, Event: e.typ, Data: e.data, CreatedAt: ts(e.created)}
}

// marshalCompact encodes v as compact JSON without HTML escaping, the form
// JSON.stringify produces: the official Node SDK recomputes a webhook's
// signature over JSON.stringify of the parsed body when it is given an
// object, so the bytes the fake signs must survive that round trip.
func marshalCompact(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("authztest: cannot encode an event: " + err.Error()) // only fake-built values reach here
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// emit records that eventType happened with payload data (one of the
// *EventJSON structs below, or an API object). The model's lock must be
// held; call it after the change is applied, never for a change that
// failed. The organization the event concerns is read from the payload:
// its organization_id, its id for an organization, or its group's
// organization for group.member_*.
func (m *model) emit(eventType string, data any) {
	raw := marshalCompact(data)
	var probe struct {
		Object         string `json:"object"`
		ID             string `json:"id"`
		OrganizationID string `json:"organization_id"`
		GroupID        string `json:"group_id"`
	}
	json.Unmarshal(raw, &probe)
	orgID := probe.OrganizationID
	switch {
	case probe.Object == "organization":
		orgID = probe.ID
	case orgID == "" && probe.GroupID != "":
		if g := m.groups[probe.GroupID]; g != nil {
			orgID = g.orgID
		}
	}
	e := &event{id: m.newID("event_"), typ: eventType, orgID: orgID, created: m.now().Truncate(time.Millisecond), data: raw}
	m.eventAt[e.id] = m.eventBase + len(m.events)
	m.events = append(m.events, e)
	m.pruneEvents()
	if m.onEvent != nil {
		m.onEvent()
	}
}

// EventRetention is how long the fake keeps an event, on its clock: the
// Events API returns events up to 30 days old (workos.com/docs/events).
// At most [MaxEvents] are kept besides, so a long-running `fgakit serve`
// stays bounded.
const EventRetention = 30 * 24 * time.Hour

// MaxEvents bounds the event log: beyond it, the oldest events are dropped
// as if they had aged out.
const MaxEvents = 100_000

// pruneEvents drops, from the oldest, events older than EventRetention on
// the fake's clock and those beyond MaxEvents. A dropped event is no
// longer listed, and its ID is no longer a cursor.
func (m *model) pruneEvents() {
	cutoff := m.now().Add(-EventRetention)
	n := 0
	for n < len(m.events) && (m.events[n].created.Before(cutoff) || len(m.events)-n > MaxEvents) {
		delete(m.eventAt, m.events[n].id)
		m.events[n] = nil // let it go before append reallocates
		n++
	}
	if n > 0 {
		m.events = m.events[n:]
		m.eventBase += n
	}
}

// Payloads of the event types whose data is not the API's own object
// (field for field as the spec's EventSchema variant).

// roleEventJSON is the data of role.created|updated|deleted.
type roleEventJSON struct {
	Object           string   `json:"object"`
	Slug             string   `json:"slug"`
	ResourceTypeSlug string   `json:"resource_type_slug"`
	Permissions      []string `json:"permissions"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
}

// organizationRoleEventJSON is the data of organization_role.*.
type organizationRoleEventJSON struct {
	Object           string   `json:"object"`
	OrganizationID   string   `json:"organization_id"`
	Slug             string   `json:"slug"`
	Name             string   `json:"name"`
	Description      *string  `json:"description"`
	ResourceTypeSlug string   `json:"resource_type_slug"`
	Permissions      []string `json:"permissions"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
}

// emitRole emits role.<what> for an environment role and
// organization_role.<what> for an organization's custom role.
func (m *model) emitRole(what string, r *role) {
	api := renderRole(r)
	if r.orgID == "" {
		m.emit("role."+what, roleEventJSON{Object: "role", Slug: api.Slug, ResourceTypeSlug: api.ResourceTypeSlug,
			Permissions: api.Permissions, CreatedAt: api.CreatedAt, UpdatedAt: api.UpdatedAt})
		return
	}
	m.emit("organization_role."+what, organizationRoleEventJSON{Object: "organization_role", OrganizationID: r.orgID,
		Slug: api.Slug, Name: api.Name, Description: api.Description, ResourceTypeSlug: api.ResourceTypeSlug,
		Permissions: api.Permissions, CreatedAt: api.CreatedAt, UpdatedAt: api.UpdatedAt})
}

// groupMemberEventJSON is the data of group.member_added|member_removed.
type groupMemberEventJSON struct {
	GroupID                  string `json:"group_id"`
	OrganizationMembershipID string `json:"organization_membership_id"`
}

// organizationJSON is an organization (the data of organization.*).
type organizationJSON struct {
	Object     string            `json:"object"`
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Domains    []json.RawMessage `json:"domains"`
	Metadata   map[string]string `json:"metadata"`
	ExternalID *string           `json:"external_id"`
	CreatedAt  string            `json:"created_at"`
	UpdatedAt  string            `json:"updated_at"`
}

func renderOrganization(o *organization) organizationJSON {
	return organizationJSON{Object: "organization", ID: o.id, Name: o.name, Domains: []json.RawMessage{},
		Metadata: map[string]string{}, CreatedAt: ts(o.created), UpdatedAt: ts(o.updated)}
}

// membershipEventJSON is an organization membership as the
// organization_membership.* events carry it: with its role and roles,
// without the nested user.
type membershipEventJSON struct {
	Object           string            `json:"object"`
	ID               string            `json:"id"`
	UserID           string            `json:"user_id"`
	OrganizationID   string            `json:"organization_id"`
	Status           string            `json:"status"`
	Role             *slugJSON         `json:"role"`
	Roles            []slugJSON        `json:"roles"`
	CustomAttributes map[string]string `json:"custom_attributes"`
	DirectoryManaged bool              `json:"directory_managed"`
	CreatedAt        string            `json:"created_at"`
	UpdatedAt        string            `json:"updated_at"`
}

// renderMembershipEvent renders om for its events. Its role is its first
// organization role; null when it has none (a membership set up in Go
// without a role), as the fake's membership answers say.
func renderMembershipEvent(om *membership) membershipEventJSON {
	role, roles := membershipRolesJSON(om)
	return membershipEventJSON{Object: "organization_membership", ID: om.id, UserID: om.userID,
		OrganizationID: om.orgID, Status: om.status, Role: role, Roles: roles, CustomAttributes: map[string]string{},
		CreatedAt: ts(om.created), UpdatedAt: ts(om.updated)}
}

// Events returns a copy of the event log in the order the events were
// emitted (oldest first), for tests that assert what a change emitted.
// GET /events serves the same log.
func (f *Fake) Events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m.pruneEvents()
	out := make([]Event, len(f.m.events))
	for i, e := range f.m.events {
		out[i] = Event{ID: e.id, Event: e.typ, OrganizationID: e.orgID, CreatedAt: e.created, Data: slices.Clone(e.data)}
	}
	return out
}

func (f *Fake) eventRoutes(mux *http.ServeMux) {
	f.handle(mux, "GET /events", f.listEvents)
}

// fieldError is one entry of the "errors" list of a 422 of GET /events and
// /webhook_endpoints.
type fieldError struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message,omitempty"`
}

// errEventsParam is the 422 of GET /events for one bad parameter:
// {"message", "errors": [{"code", "field"}]}.
func errEventsParam(code, field, format string, args ...any) *apiError {
	e := errInvalid(format, args...)
	e.errs = []fieldError{{Code: code, Field: field}}
	return e
}

// parseEventTime reads range_start or range_end: ISO-8601, a date-time
// with a zone (RFC 3339) or a date (midnight UTC).
func parseEventTime(field, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, errEventsParam("invalid", field, "%s must be an ISO-8601 date-time, e.g. 2026-01-15T12:00:00.000Z", field)
}

// listEvents serves GET /events (WIRE.md §8):
//
//   - events (required; comma-separated, style form, explode false): the
//     types to list. Missing or empty is 422 {code "required", field
//     "events"}; a type the spec does not know is 422 {code "invalid"}.
//   - organization_id: only events concerning that organization; an
//     organization the fake never had is 400.
//   - range_start (inclusive) and range_end (exclusive): ISO-8601.
//   - limit 1–100 (default 10); order asc, desc (default) or normal
//     (newest first, with after fetching newer events and before older
//     ones); after or before: an event ID. A cursor that names no event
//     this fake emitted, or both at once, is 422.
//
// list_metadata.after is the cursor to pass as after for the next page in
// the after direction (null at its end). The spec's EventList has no
// list_metadata.before: to page the other way, pass the page's last ID as
// before.
func (f *Fake) listEvents(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	m := f.m
	m.pruneEvents()
	types, err := eventFilter(q)
	if err != nil {
		return 0, nil, err
	}
	lq, err := parseEventQuery(q)
	if err != nil {
		return 0, nil, err
	}
	var start, end time.Time
	if s := q.Get("range_start"); s != "" {
		if start, err = parseEventTime("range_start", s); err != nil {
			return 0, nil, err
		}
	}
	if s := q.Get("range_end"); s != "" {
		if end, err = parseEventTime("range_end", s); err != nil {
			return 0, nil, err
		}
	}
	org := q.Get("organization_id")
	if org != "" && m.orgs[org] == nil && !slices.ContainsFunc(m.events, func(e *event) bool { return e.orgID == org }) {
		return 0, nil, &apiError{status: http.StatusBadRequest, message: "Organization not found: '" + org + "'."}
	}
	cursor := -1
	if c := lq.after + lq.before; c != "" {
		i, ok := m.eventAt[c]
		if !ok {
			field := "after"
			if lq.before != "" {
				field = "before"
			}
			return 0, nil, errEventsParam("invalid", field, "%s cursor %q does not name an event of the last 30 days", field, c)
		}
		cursor = i - m.eventBase
	}
	// Matching events, oldest first, with their positions in the log.
	var idx []int
	for i, e := range m.events {
		if types[e.typ] && (org == "" || e.orgID == org) &&
			(start.IsZero() || !e.created.Before(start)) && (end.IsZero() || e.created.Before(end)) {
			idx = append(idx, i)
		}
	}
	lo, hi := pageOfEvents(idx, cursor, lq)
	out := eventListJSON{Object: "list", Data: make([]eventJSON, 0, hi-lo)}
	for _, i := range idx[lo:hi] {
		out.Data = append(out.Data, renderEvent(m.events[i]))
	}
	if !lq.asc {
		slices.Reverse(out.Data)
	}
	if lo < hi {
		newest, oldest := m.events[idx[hi-1]].id, m.events[idx[lo]].id
		moreNewer, moreOlder := hi < len(idx), lo > 0
		// forward is the direction of "after": newer for asc and normal,
		// older for desc.
		if lq.afterIsNewer() {
			out.ListMetadata.After = cond(moreNewer, newest)
		} else {
			out.ListMetadata.After = cond(moreOlder, oldest)
		}
	}
	return http.StatusOK, out, nil
}

// eventListJSON is the answer of GET /events (EventList in the spec): its
// list_metadata has after only.
type eventListJSON struct {
	Object       string      `json:"object"`
	Data         []eventJSON `json:"data"`
	ListMetadata struct {
		After *string `json:"after"`
	} `json:"list_metadata"`
}

func cond(ok bool, s string) *string {
	if !ok {
		return nil
	}
	return &s
}

// eventQuery is the pagination of GET /events.
type eventQuery pageParams

// afterIsNewer reports whether the after cursor fetches newer events.
func (q eventQuery) afterIsNewer() bool { return q.asc || q.normal }

// parseEventQuery reads the pagination of GET /events as every list does
// (parsePageParams); a bad parameter is 422 {code "invalid", field}.
func parseEventQuery(q url.Values) (eventQuery, error) {
	p, field, msg := parsePageParams(q)
	if msg != "" {
		return eventQuery(p), errEventsParam("invalid", field, "%s", msg)
	}
	return eventQuery(p), nil
}

// eventFilter reads the events parameter: one or more comma-separated
// types (repeated parameters are joined too).
func eventFilter(q url.Values) (map[string]bool, error) {
	types := map[string]bool{}
	for _, v := range q["events"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t == "" {
				continue
			}
			if !eventTypes[t] {
				return nil, errEventsParam("invalid", "events", "unknown event type %q", t)
			}
			types[t] = true
		}
	}
	if len(types) == 0 {
		return nil, errEventsParam("required", "events", "events is required: name the event types to list")
	}
	return types, nil
}

// pageOfEvents chooses the page [lo, hi) of idx (positions in the log,
// ascending) for the query: the limit events nearest the cursor on the
// side it asks for, or without a cursor the oldest (asc) or newest (desc,
// normal) ones.
func pageOfEvents(idx []int, cursor int, q eventQuery) (lo, hi int) {
	// first is the first entry of idx after the cursor position.
	first, _ := slices.BinarySearch(idx, cursor+1)
	last, _ := slices.BinarySearch(idx, cursor) // entries before the cursor: idx[:last]
	switch {
	case cursor < 0 && q.asc:
		return 0, min(q.limit, len(idx))
	case cursor < 0:
		return max(0, len(idx)-q.limit), len(idx)
	case (q.after != "") == q.afterIsNewer(): // newer than the cursor
		return first, min(first+q.limit, len(idx))
	default: // older than the cursor
		return max(0, last-q.limit), last
	}
}
