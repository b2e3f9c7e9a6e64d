package authztest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxFaultDelay caps delay_ms of POST /_fake/faults (one minute): a fault
// injected over HTTP must not hold a request for ever.
const maxFaultDelay = time.Minute

// faultFields are the keys of a POST /_fake/faults body, in the order of
// [Fault]'s fields.
var faultFields = []string{"path", "method", "times", "status", "body", "retry_after", "delay_ms", "drop", "malformed"}

// faultMethods are the methods a fault may select.
var faultMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// controlRoutes serves the control endpoints that reach the fault injection
// and the clock from any language: POST and DELETE /_fake/faults, POST
// /_fake/clock. With [WithAPIKey] they demand the key, as the API paths do:
// they change the answers of every client of the fake.
func (f *Fake) controlRoutes(mux *http.ServeMux) {
	f.control(mux, "POST /_fake/faults", f.postFault)
	f.control(mux, "DELETE /_fake/faults", func(*http.Request) (int, any, error) {
		f.ClearFaults()
		return http.StatusNoContent, nil, nil
	})
	f.control(mux, "POST /_fake/clock", f.postClock)
}

// control registers a control endpoint: the API key when the fake demands
// one, then fn, which (unlike [Fake.handle]) runs without f.mu held.
func (f *Fake) control(mux *http.ServeMux, pattern string, fn func(r *http.Request) (int, any, error)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if f.needKey && r.Header.Get("Authorization") != "Bearer "+f.apiKey {
			writeJSON(w, http.StatusUnauthorized, errorBody{Message: "Unauthorized"})
			return
		}
		status, body, err := fn(r)
		switch {
		case err != nil:
			writeError(w, err)
		case status == http.StatusNoContent:
			writeNoContent(w)
		default:
			writeJSON(w, status, body)
		}
	})
}

// postFault serves POST /_fake/faults: the body is a [Fault] in snake_case
// ({"path", "method", "times", "status", "body", "retry_after",
// "delay_ms", "drop", "malformed"}) → 204. An unknown key or a bad value
// is 422 naming the field.
func (f *Fake) postFault(r *http.Request) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	fault, err := parseFault(body)
	if err != nil {
		return 0, nil, err
	}
	left := fault.Times
	if left == 0 {
		left = 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &faultState{Fault: fault, left: left})
	return http.StatusNoContent, nil, nil
}

// parseFault reads a POST /_fake/faults body into a Fault.
func parseFault(body jsonObject) (Fault, error) {
	if err := onlyFields(body, faultFields...); err != nil {
		return Fault{}, err
	}
	var fault Fault
	s, err := body.strs("path", "method", "body", "retry_after")
	if err != nil {
		return Fault{}, err
	}
	fault.Path, fault.Method, fault.Body, fault.RetryAfter = s[0], s[1], s[2], s[3]
	if fault.Path != "" && !strings.HasPrefix(fault.Path, "/") {
		return Fault{}, errInvalid("path must start with /, e.g. \"/authorization/\" (empty matches every API path)")
	}
	if fault.Method != "" {
		m := strings.ToUpper(fault.Method)
		if !slices.Contains(faultMethods, m) {
			return Fault{}, errInvalid("method must be one of %s (empty matches any)", strings.Join(faultMethods, ", "))
		}
		fault.Method = m
	}
	if fault.Times, err = intField(body, "times"); err != nil {
		return Fault{}, err
	}
	if fault.Times < -1 {
		return Fault{}, errInvalid("times must be -1 (every request until DELETE /_fake/faults) or a count of at least 1 (0 or absent means 1)")
	}
	if fault.Status, err = intField(body, "status"); err != nil {
		return Fault{}, err
	}
	if body.has("status") && (fault.Status < 200 || fault.Status > 599) {
		return Fault{}, errInvalid("status must be an HTTP status code from 200 to 599")
	}
	if fault.RetryAfter != "" && !validRetryAfter(fault.RetryAfter) {
		return Fault{}, errInvalid("retry_after must be a whole number of seconds or an HTTP date, e.g. \"1\" or \"Wed, 21 Oct 2026 07:28:00 GMT\"")
	}
	ms, err := intField(body, "delay_ms")
	if err != nil {
		return Fault{}, err
	}
	if ms < 0 || time.Duration(ms)*time.Millisecond > maxFaultDelay {
		return Fault{}, errInvalid("delay_ms must be from 0 to %d", maxFaultDelay.Milliseconds())
	}
	fault.Delay = time.Duration(ms) * time.Millisecond
	if fault.Drop, err = boolField(body, "drop"); err != nil {
		return Fault{}, err
	}
	if fault.Malformed, err = boolField(body, "malformed"); err != nil {
		return Fault{}, err
	}

	kinds := 0
	for _, set := range []bool{fault.Status != 0, fault.Drop, fault.Malformed} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		return Fault{}, errInvalid("status, drop and malformed exclude each other: give one")
	case kinds == 0 && fault.Delay == 0:
		return Fault{}, errInvalid("a fault needs status, drop, malformed or delay_ms")
	case fault.RetryAfter != "" && fault.Status == 0:
		return Fault{}, errInvalid("retry_after needs status")
	case fault.Body != "" && fault.Status == 0 && !fault.Malformed:
		return Fault{}, errInvalid("body needs status or malformed")
	}
	return fault, nil
}

// clockFields are the keys of a POST /_fake/clock body.
var clockFields = []string{"set", "advance"}

// postClock serves POST /_fake/clock: {"set": RFC 3339 time} freezes the
// clock there ([Fake.SetTime]); {"advance": Go duration, e.g. "10m"}
// moves it ([Fake.Advance]). Exactly one of them → 200 {"now": RFC 3339}.
func (f *Fake) postClock(r *http.Request) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	if err := onlyFields(body, clockFields...); err != nil {
		return 0, nil, err
	}
	if body.has("set") == body.has("advance") {
		return 0, nil, errInvalid("give exactly one of set (an RFC 3339 time) and advance (a duration such as \"10m\")")
	}
	v, err := body.strs("set", "advance")
	if err != nil {
		return 0, nil, err
	}
	if body.has("set") {
		t, err := time.Parse(time.RFC3339Nano, v[0])
		if err != nil {
			return 0, nil, errInvalid("set must be an RFC 3339 time, e.g. \"2026-01-15T12:00:00Z\"")
		}
		f.SetTime(t)
	} else {
		d, err := time.ParseDuration(v[1])
		if err != nil {
			return 0, nil, errInvalid("advance must be a duration such as \"90s\", \"10m\" or \"-1h\"")
		}
		f.Advance(d)
	}
	return http.StatusOK, map[string]string{"now": f.Now().UTC().Format(time.RFC3339Nano)}, nil
}

// onlyFields refuses a body with a key outside known. The control
// endpoints are strict, unlike the API's: a misspelt key would otherwise
// inject a different fault than the one meant.
func onlyFields(body jsonObject, known ...string) error {
	var unknown []string
	for k := range body {
		if !slices.Contains(known, k) {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown) // map order: name the first in a stable order
	return errInvalid("unknown field %s; known fields: %s", unknown[0], strings.Join(known, ", "))
}

// intField returns the whole number at key; absent and null are 0.
func intField(body jsonObject, key string) (int, error) {
	if !body.has(key) {
		return 0, nil
	}
	var n int
	if err := json.Unmarshal(body[key], &n); err != nil {
		return 0, errInvalid("%s must be a whole number", key)
	}
	return n, nil
}

// boolField returns the boolean at key; absent and null are false.
func boolField(body jsonObject, key string) (bool, error) {
	if !body.has(key) {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(body[key], &b); err != nil {
		return false, errInvalid("%s must be true or false", key)
	}
	return b, nil
}

// validRetryAfter reports whether v is a Retry-After value: delay seconds
// or an HTTP date.
func validRetryAfter(v string) bool {
	if n, err := strconv.Atoi(v); err == nil {
		return n >= 0 && strconv.Itoa(n) == v
	}
	_, err := http.ParseTime(v)
	return err == nil
}
