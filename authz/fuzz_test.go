package authz

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
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

// FuzzAPIErrorBody feeds arbitrary error bodies to the *APIError builder:
// it never panics, keeps the status, echoes at most ~200 bytes of valid
// UTF-8, and never the API key.
func FuzzAPIErrorBody(f *testing.F) {
	for _, seed := range []string{
		``, `null`, `{"message":"Not found"}`, `{"code":"rate_limit_exceeded","message":"Too many requests."}`,
		`{"message":"Validation failed.","errors":[{"field":"x","code":"required"}]}`, `<html>502 Bad Gateway</html>`,
		`{"message":"` + testKey + `"}`, `{"errors":"x","message":5}`, "\xff\xfe", strings.Repeat("é", 300),
	} {
		f.Add([]byte(seed), 429)
	}
	c, err := New(testKey)
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {"1"}, "X-Request-Id": {string(body)}}}
		e := c.apiError(resp, body)
		if e.StatusCode != status {
			t.Fatalf("status %d, want %d", e.StatusCode, status)
		}
		msg := e.Error()
		if strings.Contains(msg, testKey) {
			t.Fatalf("error holds the key: %q", msg)
		}
		if len(e.Message) > maxEchoedBody+len("…") || !utf8.ValidString(e.Message) {
			t.Fatalf("message of %d bytes (valid UTF-8: %v)", len(e.Message), utf8.ValidString(e.Message))
		}
	})
}
