package fleet

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// FuzzParsePage feeds GET /events bodies (untrusted: the network) to the
// leader's parser: it never panics, and every event it accepts has an ID,
// a type and a creation time.
func FuzzParsePage(f *testing.F) {
	f.Add([]byte(`{"object":"list","data":[{"object":"event","id":"event_1","event":"role.updated","created_at":"2026-11-30T08:00:00.000Z","data":{"slug":"admin"}}],"list_metadata":{"after":"event_1"}}`))
	f.Add([]byte(`{"data":[{"object":"event","id":"event_2","event":"session.revoked","created_at":"2026-11-30T08:00:00Z","data":{"id":"session_1"}}]}`))
	f.Add([]byte(`{"data":[]}`))
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`{"data":[{"id":"","event":"x","created_at":"2026-11-30T08:00:00Z"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		its, err := parsePage(body)
		if err != nil {
			return
		}
		for _, it := range its {
			if it.ev.ID == "" || it.ev.Event == "" || it.ev.CreatedAt.IsZero() || len(it.raw) == 0 {
				t.Fatalf("accepted an incomplete event %+v", it.ev)
			}
		}
	})
}

// FuzzCacheVerify feeds Redis values (untrusted: anyone who can write to
// Redis) to the cache's verifier: without the fleet secret, nothing
// verifies.
func FuzzCacheVerify(f *testing.F) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	fl, err := New(rdb, WithSecret(testSecret))
	if err != nil {
		f.Fatal(err)
	}
	c, err := fl.NewCache(CacheConfig{})
	if err != nil {
		f.Fatal(err)
	}
	ekey := c.entryKey(key("om_1", "read"))
	good := c.value(ekey, gens{all: "0", om: "0"}, true, 1000) // deterministic across fuzz workers (long expired)
	f.Add(good)
	f.Add(strings.Replace(good, ".1.", ".0.", 1))
	f.Add("v1.0.0.1.99999999999999.00")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		allowed, current, valid := c.verify(ekey, v, gens{all: "0", om: "0"})
		if v == good {
			return
		}
		if valid && strings.Count(v, ".") >= 1 {
			// Forging needs the HMAC: only a byte-identical signed body
			// can verify (the fuzzer will not find one by chance).
			t.Fatalf("verified a value the fleet did not sign: %q (allowed %v, current %v)", v, allowed, current)
		}
	})
}
