package authztest

import (
	"net/http"
)

// replay is the remembered success answer of a POST with an
// Idempotency-Key: the same key on the same path answers the same again
// without applying the request twice, as the API does for creates.
type replay struct {
	status int
	body   []byte
}

func idempotencyKey(r *http.Request) string {
	if r.Method != http.MethodPost {
		return ""
	}
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return ""
	}
	return r.URL.Path + "\x00" + k
}

func (f *Fake) replayIdempotent(w http.ResponseWriter, r *http.Request, record func(int)) (int, bool) {
	key := idempotencyKey(r)
	if key == "" {
		return 0, false
	}
	f.mu.Lock()
	rp := f.idempotent[key]
	f.mu.Unlock()
	if rp == nil {
		return 0, false
	}
	record(rp.status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rp.status)
	w.Write(rp.body)
	return rp.status, true
}

func (f *Fake) rememberIdempotent(r *http.Request, rec *statusRecorder) {
	key := idempotencyKey(r)
	if key == "" || rec.status < 200 || rec.status > 299 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.idempotent[key] = &replay{status: rec.status, body: rec.body.Bytes()}
}
