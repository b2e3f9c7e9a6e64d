package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event is one WorkOS event, as the Events API lists it and a webhook
// delivers it: {"object":"event","id":"event_…","event":"<type>",
// "data":{…},"created_at":"<ISO-8601>","context":{…}}.
type Event struct {
	// ID is the event's ID (event_…); the Events API's cursor.
	ID string
	// Event is the event type, e.g. "organization_membership.updated".
	Event string
	// Data is the event's payload: the API object the event is about
	// (a membership, a role, a session…), as received.
	Data json.RawMessage
	// CreatedAt is when WorkOS created the event, in WorkOS's clock — the
	// clock of the session tokens' iat.
	CreatedAt time.Time

	// bad is why an item of an Events API page is not a well-formed event
	// although it has an ID (see parsePage); nil for a well-formed one.
	bad error
}

// Types are the event types that change what a session token says or
// whether it may be used, in the order of the Events API documentation.
// The [Poller] asks for exactly these; the [Webhook] handler ignores every
// other type.
var Types = []string{
	"organization_membership.created",
	"organization_membership.updated",
	"organization_membership.deleted",
	"role.created",
	"role.updated",
	"role.deleted",
	"organization_role.created",
	"organization_role.updated",
	"organization_role.deleted",
	"permission.created",
	"permission.updated",
	"permission.deleted",
	"group.member_added",
	"group.member_removed",
	"group.deleted",
	"organization.deleted",
	"user.deleted",
	"session.revoked",
}

// ErrMalformed is wrapped by every error about an event, a page of events
// or a webhook body that is not what WorkOS sends.
var ErrMalformed = errors.New("events: malformed")

// maxIDLength bounds every identifier read from an event: WorkOS IDs are
// about 30 characters, slugs a few dozen.
const maxIDLength = 256

// wireEvent is an event on the wire; pointers tell a missing member from
// an empty one.
type wireEvent struct {
	Object    *string         `json:"object"`
	ID        *string         `json:"id"`
	Event     *string         `json:"event"`
	Data      json.RawMessage `json:"data"`
	CreatedAt *string         `json:"created_at"`
}

// ParseEvent reads one event (a webhook body, or an item of an Events API
// page). It requires a JSON object with "object":"event", a non-empty
// "id" and "event", an object "data" and an RFC 3339 "created_at";
// other members ("context"…) are ignored. It does not look inside data:
// [State.Apply] does, for the types it knows. Errors wrap [ErrMalformed]
// and name the member at fault.
func ParseEvent(body []byte) (Event, error) {
	var w wireEvent
	if err := json.Unmarshal(body, &w); err != nil {
		return Event{}, fmt.Errorf("%w: event: not a JSON object of the event shape", ErrMalformed)
	}
	return w.event()
}

func (w *wireEvent) event() (Event, error) {
	switch {
	case w.Object == nil || *w.Object != "event":
		return Event{}, fmt.Errorf(`%w: event: "object" must be "event"`, ErrMalformed)
	case w.ID == nil || !validID(*w.ID):
		return Event{}, fmt.Errorf(`%w: event: "id" missing, empty or too long`, ErrMalformed)
	case w.Event == nil || !validID(*w.Event):
		return Event{}, fmt.Errorf(`%w: event %s: "event" missing, empty or too long`, ErrMalformed, *w.ID)
	case w.CreatedAt == nil:
		return Event{}, fmt.Errorf(`%w: event %s: "created_at" missing`, ErrMalformed, *w.ID)
	}
	t, err := time.Parse(time.RFC3339Nano, *w.CreatedAt)
	if err != nil {
		return Event{}, fmt.Errorf(`%w: event %s: "created_at" is not an RFC 3339 time`, ErrMalformed, *w.ID)
	}
	data := bytes.TrimSpace(w.Data)
	if len(data) == 0 || data[0] != '{' {
		return Event{}, fmt.Errorf(`%w: event %s: "data" must be an object`, ErrMalformed, *w.ID)
	}
	return Event{ID: *w.ID, Event: *w.Event, Data: w.Data, CreatedAt: t}, nil
}

// validID reports whether s is a usable identifier: non-empty, bounded,
// printable ASCII without spaces.
func validID(s string) bool {
	if s == "" || len(s) > maxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// page is one page of GET /events.
type page struct {
	Object       *string            `json:"object"`
	Data         *[]json.RawMessage `json:"data"`
	ListMetadata *struct {
		After *string `json:"after"`
	} `json:"list_metadata"`
}

// parsePage reads a GET /events answer: {"object":"list","data":[event…],
// "list_metadata":{"after":…}}. It returns the events and the next cursor
// ("" at the end of the list). An item with a usable ID that is not a
// well-formed event is returned with bad set (and the CreatedAt it has,
// if any); one without a usable ID fails the page.
func parsePage(body []byte) ([]Event, string, error) {
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, "", fmt.Errorf("%w: event list: not a JSON object of the list shape", ErrMalformed)
	}
	switch {
	case p.Object == nil || *p.Object != "list":
		return nil, "", fmt.Errorf(`%w: event list: "object" must be "list"`, ErrMalformed)
	case p.Data == nil:
		return nil, "", fmt.Errorf(`%w: event list: "data" missing`, ErrMalformed)
	case p.ListMetadata == nil:
		return nil, "", fmt.Errorf(`%w: event list: "list_metadata" missing`, ErrMalformed)
	}
	evs := make([]Event, 0, len(*p.Data))
	for i, raw := range *p.Data {
		var w wireEvent
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, "", fmt.Errorf("%w: event list: data[%d]: not a JSON object of the event shape", ErrMalformed, i)
		}
		ev, err := w.event()
		if err != nil {
			if w.ID == nil || !validID(*w.ID) {
				// Without its ID the cursor cannot move past it.
				return nil, "", fmt.Errorf("event list: data[%d]: %w", i, err)
			}
			// An event the API sent that cannot be read: kept, so that the
			// Poller moves past it instead of asking for the same page
			// forever, and the State treats it as unreadable (every token
			// issued at or before it is stale).
			ev = Event{ID: *w.ID, bad: fmt.Errorf("event list: data[%d]: %w", i, err)}
			if w.CreatedAt != nil {
				ev.CreatedAt, _ = time.Parse(time.RFC3339Nano, *w.CreatedAt)
			}
		}
		evs = append(evs, ev)
	}
	after := ""
	if a := p.ListMetadata.After; a != nil {
		if !validID(*a) {
			return nil, "", fmt.Errorf(`%w: event list: "list_metadata.after" empty or too long`, ErrMalformed)
		}
		after = *a
	}
	return evs, after, nil
}
