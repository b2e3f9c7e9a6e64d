package authztest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The ranges of the numeric fields of the control bodies. A value outside
// its range (or one that is not a whole number, or does not fit in 64 bits)
// is 422 naming the field: it is never wrapped, clamped or overflowed into
// a value the fake would then serve.
const (
	// maxFaultDelay caps delay_ms of POST /_fake/faults (one minute): a
	// fault injected over HTTP must not hold a request for ever.
	maxFaultDelay = time.Minute
	// maxFaultTimes caps times of POST /_fake/faults; -1 means every
	// request until DELETE /_fake/faults.
	maxFaultTimes = 1_000_000
	// maxPendingFaults caps the faults waiting to be used: each may hold a
	// body of up to a MiB, and POST /_fake/faults may be open to anyone.
	maxPendingFaults = 1000
	// MaxPendingFaultBytes caps the bytes the waiting faults hold (their
	// path, method, body and retry_after), 64 MiB: a fault posted beyond
	// it is 422. With maxPendingFaults alone, a thousand faults of a MiB
	// each would hold a gigabyte.
	MaxPendingFaultBytes = 64 << 20
)

// faultBytes is what a fault holds in memory, as MaxPendingFaultBytes
// counts it.
func faultBytes(f *Fault) int {
	return len(f.Path) + len(f.Method) + len(f.Body) + len(f.RetryAfter)
}

// The fake's clock stays within [minClock, maxClock] when it is moved over
// HTTP: timestamps render as four-digit years, and a session token minted
// at maxClock with the longest expires_in still expires before year 10000.
var (
	minClock = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxClock = time.Date(9998, 1, 1, 0, 0, 0, 0, time.UTC)
)

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
	f.control(mux, "POST /_fake/faults", f.postFault, true)
	f.control(mux, "DELETE /_fake/faults", func(*http.Request) (int, any, error) {
		f.ClearFaults()
		return http.StatusNoContent, nil, nil
	}, true)
	f.control(mux, "POST /_fake/clock", f.postClock, true)
}

// control registers a /_fake/ endpoint: the API key when the fake demands
// one and keyed is set, then fn, which (unlike [Fake.handle]) runs without
// f.mu held and takes it itself where it needs it.
func (f *Fake) control(mux *http.ServeMux, pattern string, fn func(r *http.Request) (int, any, error), keyed bool) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if keyed && f.keyRefused(r) {
			writeUnauthorized(w)
			return
		}
		status, body, err := fn(r)
		writeAnswer(w, status, body, err)
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
	body = body.withoutNulls() // a /_fake/ endpoint: null is "not sent"
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
	if len(f.faults) >= maxPendingFaults {
		return 0, nil, errInvalid("%d faults are already waiting; DELETE /_fake/faults clears them", maxPendingFaults)
	}
	held := faultBytes(&fault)
	for _, fs := range f.faults {
		held += faultBytes(&fs.Fault)
	}
	if held > MaxPendingFaultBytes {
		return 0, nil, errInvalid("the waiting faults would hold more than %d bytes; DELETE /_fake/faults clears them", MaxPendingFaultBytes)
	}
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
	times, err := intField(body, "times", -1, maxFaultTimes,
		fmt.Sprintf("-1 (every request until DELETE /_fake/faults) or a count from 1 to %d (0 or absent means 1)", maxFaultTimes))
	if err != nil {
		return Fault{}, err
	}
	fault.Times = int(times)
	status, err := intField(body, "status", 200, 599, "an HTTP status code from 200 to 599")
	if err != nil {
		return Fault{}, err
	}
	fault.Status = int(status)
	if fault.RetryAfter != "" && !validRetryAfter(fault.RetryAfter) {
		return Fault{}, errInvalid("retry_after must be a whole number of seconds or an HTTP date, e.g. \"1\" or \"Wed, 21 Oct 2026 07:28:00 GMT\"")
	}
	// The range is checked on the number of milliseconds, before it is
	// turned into a Duration: 9223372036854775807 ms would overflow.
	ms, err := intField(body, "delay_ms", 0, maxFaultDelay.Milliseconds(), fmt.Sprintf("from 0 to %d", maxFaultDelay.Milliseconds()))
	if err != nil {
		return Fault{}, err
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
// A time, or a clock after the advance, outside [minClock, maxClock] is
// 422 and leaves the clock where it was.
func (f *Fake) postClock(r *http.Request) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	body = body.withoutNulls() // a /_fake/ endpoint: null is "not sent"
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
		if t.Before(minClock) || t.After(maxClock) {
			return 0, nil, errInvalid("set must be a time from %s to %s", minClock.Format(time.RFC3339), maxClock.Format(time.RFC3339))
		}
		f.SetTime(t)
	} else {
		d, err := time.ParseDuration(v[1])
		if err != nil {
			return 0, nil, errInvalid("advance must be a duration such as \"90s\", \"10m\" or \"-1h\"")
		}
		if !f.clock.advanceWithin(d, minClock, maxClock) {
			return 0, nil, errInvalid("advance must keep the clock from %s to %s", minClock.Format(time.RFC3339), maxClock.Format(time.RFC3339))
		}
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

// intField returns the whole number at key, which must be from lo to hi
// (rule says so in words); absent and null are 0, whatever the range. A
// number that is not whole or does not fit in an int64 is refused as not a
// whole number, never wrapped.
func intField(body jsonObject, key string, lo, hi int64, rule string) (int64, error) {
	if !body.has(key) {
		return 0, nil
	}
	var n int64
	if err := json.Unmarshal(body[key], &n); err != nil {
		return 0, errInvalid("%s must be a whole number", key)
	}
	if n < lo || n > hi {
		return 0, errInvalid("%s must be %s", key, rule)
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

// maxRetryAfterDigits bounds the delay-seconds of retry_after. RFC 9110
// allows any number of digits, and a client must cope with a value beyond
// what it will wait (e.g. 99999999999999999999, past int64), so such
// values may be injected; the fake only sends the header, never reads it.
const maxRetryAfterDigits = 30

// validRetryAfter reports whether v is a Retry-After value: delay seconds
// (1 to maxRetryAfterDigits ASCII digits) or an HTTP date.
func validRetryAfter(v string) bool {
	if v != "" && len(v) <= maxRetryAfterDigits && strings.Trim(v, "0123456789") == "" {
		return true
	}
	_, err := http.ParseTime(v)
	return err == nil
}
