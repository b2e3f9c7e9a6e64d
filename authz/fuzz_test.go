package authz

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeCheckResponse feeds arbitrary bodies to the decoder of check
// answers. Property: it says "authorized" only for a body that is valid JSON,
// an object, whose key "authorized" (exact spelling) is true — and then
// without error. Every error answers false.
func FuzzDecodeCheckResponse(f *testing.F) {
	for _, seed := range []string{
		`{"authorized":true}`, `{"authorized":false}`, `{"authorized": true, "object": "check"}`,
		`{}`, `null`, `[true]`, `true`, `{"authorized":"true"}`, `{"authorized":null}`, `{"Authorized":true}`,
		`{"authorized":false,"authorized":true}`, `{"authorized":true} x`, `{"authorized":true`, ``,
		`{"a":{"authorized":true}}`, `{"authorized":true,"x":[1,{"y":null}]}`, "\ufeff{\"authorized\":true}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		allowed, err := decodeCheckResponse(body)
		if err != nil {
			if allowed {
				t.Fatalf("error %v with authorized=true", err)
			}
			return
		}
		if !allowed {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("authorized on invalid JSON %q", body)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
			t.Fatalf("authorized on a body that is not an object: %q", body)
		}
		var v bool
		if raw, ok := obj["authorized"]; !ok || json.Unmarshal(raw, &v) != nil || !v {
			t.Fatalf("authorized although \"authorized\" is not true in %q", body)
		}
	})
}
