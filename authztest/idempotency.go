package authztest

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"time"
)

// Idempotency keys, as WorkOS documents them (Idempotency-Key header on a
// create; "each subsequent request matching this unique string will return
// the same response"; keys expire after 24 hours) and as the official SDKs
// use them (a POST retried with the same retry-<uuid> key).
const (
	// idempotencyTTL is how long a key is remembered, on the fake's clock.
	idempotencyTTL = 24 * time.Hour
	// maxIdempotencyKeys bounds the remembered keys; beyond it the oldest
	// finished key is forgotten first, as if it had expired.
	maxIdempotencyKeys = 10_000
)

// idempotencyCheckPattern is the one POST that only reads: a check is
// answered anew every time, whatever key it carries.
const idempotencyCheckPattern = "POST /authorization/organization_memberships/{om}/check"

// idempotent is one Idempotency-Key the fake has seen: the request it
// belongs to and, once that request finished with a 2xx, its answer. A key
// belongs to one request (method, path and body): the same request again
// answers the same, another request with the key is refused ([Fake.keyReused]).
//
// Keys and paths are kept as SHA-256 digests: both may be as long as the
// header limit allows (64 KiB), and up to maxIdempotencyKeys are kept.
type idempotent struct {
	key     [32]byte  // SHA-256 of the Idempotency-Key
	method  string    // one of the few methods the mux serves
	pathSum [32]byte  // SHA-256 of the path
	sum     [32]byte  // SHA-256 of the body, byte for byte
	at      time.Time // when the key was first received (fake's clock)
	done    chan struct{}

	// Set under f.mu when the first request finished; a request that did
	// not end in a 2xx forgets the key (removed from f.idempotent) so that
	// a retry applies anew.
	finished bool
	status   int
	body     []byte
}

// idempotentWrite reports whether r is a request whose Idempotency-Key the
// fake honours: a POST to an endpoint that writes. A check (the one POST
// that reads), an unknown path and every other method ignore the header.
func (f *Fake) idempotentWrite(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Idempotency-Key") == "" {
		return false
	}
	_, pattern := f.mux.Handler(r)
	return pattern != "" && pattern != "/" && pattern != idempotencyCheckPattern
}

// beginIdempotent claims r's Idempotency-Key before r is applied. It returns
// the claim to finish with [Fake.endIdempotent], or done when it answered r
// itself: the remembered answer of the same request, the refusal of
// [Fake.keyReused] for a reuse with another request, or nothing when the client went away while the first
// request with the key was still being applied (the second waits for it, so
// that concurrent requests with one key apply it once).
func (f *Fake) beginIdempotent(w http.ResponseWriter, r *http.Request, body []byte, record func(int)) (claim *idempotent, done bool) {
	if !f.idempotentWrite(r) {
		return nil, false
	}
	key := sha256.Sum256([]byte(r.Header.Get("Idempotency-Key")))
	pathSum := sha256.Sum256([]byte(r.URL.Path))
	sum := sha256.Sum256(body)
	for {
		now := f.Now()
		f.mu.Lock()
		e := f.idempotent[key]
		if e != nil && e.finished && !now.Before(e.at.Add(idempotencyTTL)) {
			delete(f.idempotent, key) // expired: a new request
			e = nil
		}
		if e == nil {
			e = &idempotent{key: key, method: r.Method, pathSum: pathSum, sum: sum, at: now, done: make(chan struct{})}
			f.idempotent[key] = e
			f.idempotentOrder = append(f.idempotentOrder, e)
			f.mu.Unlock()
			return e, false
		}
		if e.method != r.Method || e.pathSum != pathSum || e.sum != sum {
			f.mu.Unlock()
			reused := f.keyReused(r)
			record(reused.status)
			writeError(w, reused)
			return nil, true
		}
		if e.finished {
			status, b := e.status, e.body
			f.mu.Unlock()
			record(status)
			if len(b) > 0 {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(status)
			w.Write(b)
			return nil, true
		}
		wait := e.done
		f.mu.Unlock()
		select {
		case <-wait: // finished or forgotten: look again
		case <-r.Context().Done():
			record(0)
			return nil, true
		}
	}
}

// keyReusedMessage explains a refused reuse of an Idempotency-Key.
const keyReusedMessage = "this Idempotency-Key belongs to another request (method, path or body differ); send a new key with a new request"

// keyReused is the answer to a request that reuses another request's
// Idempotency-Key, in the status and body its operation declares for input
// it refuses (WorkOS documents no answer of its own): 422 {"message"} for
// the /authorization and group operations, whose 422 has no code; 422
// invalid_request_parameters for a membership create; 422
// invalid_request_parameters with an errors entry (code
// idempotency_key_reused) for a webhook endpoint create; 400 {"message"}
// for session revocation, which declares no 422.
func (f *Fake) keyReused(r *http.Request) *apiError {
	_, pattern := f.mux.Handler(r)
	switch pattern {
	case "POST /user_management/organization_memberships":
		return errInvalidCode("invalid_request_parameters", keyReusedMessage)
	case "POST /webhook_endpoints":
		e := errInvalidCode("invalid_request_parameters", "Validation failed.")
		e.errs = []fieldError{{Code: "idempotency_key_reused", Message: keyReusedMessage}}
		return e
	case "POST /user_management/sessions/revoke":
		return &apiError{status: http.StatusBadRequest, message: keyReusedMessage}
	}
	return errInvalid("%s", keyReusedMessage)
}

// endIdempotent finishes a claim of [Fake.beginIdempotent] with the answer
// rec recorded: a 2xx is remembered for replay, anything else (or a handler
// that never answered) forgets the key. Waiting requests are woken either
// way.
func (f *Fake) endIdempotent(e *idempotent, rec *statusRecorder) {
	now := f.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if rec.status >= 200 && rec.status <= 299 {
		e.finished, e.status, e.body = true, rec.status, bytes.Clone(rec.body.Bytes())
	} else if f.idempotent[e.key] == e {
		delete(f.idempotent, e.key)
	}
	close(e.done)
	f.pruneIdempotent(now)
}

// pruneIdempotent forgets expired keys and, beyond f.idempotentCap
// (maxIdempotencyKeys), the oldest finished ones; f.mu is held. f.idempotentOrder holds the keys in
// the order they were first received, so the oldest are at its front.
func (f *Fake) pruneIdempotent(now time.Time) {
	for len(f.idempotentOrder) > 0 {
		e := f.idempotentOrder[0]
		if f.idempotent[e.key] == e {
			expired := e.finished && !now.Before(e.at.Add(idempotencyTTL))
			over := e.finished && len(f.idempotent) > f.idempotentCap
			if !expired && !over {
				break
			}
			delete(f.idempotent, e.key)
		}
		f.idempotentOrder[0] = nil
		f.idempotentOrder = f.idempotentOrder[1:]
	}
	// Keys forgotten behind the front (failed requests) are dropped from
	// the order once they are half of it, so it stays within twice the map.
	if n := len(f.idempotentOrder); n > 64 && n > 2*len(f.idempotent) {
		live := make([]*idempotent, 0, len(f.idempotent))
		for _, e := range f.idempotentOrder {
			if f.idempotent[e.key] == e {
				live = append(live, e)
			}
		}
		f.idempotentOrder = live
	}
}
