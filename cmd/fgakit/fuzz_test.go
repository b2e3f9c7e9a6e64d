package main

import (
	"strings"
	"testing"
)

// FuzzDecodeMintAnswer feeds arbitrary answers of a server that claims to
// be "fgakit serve": whatever it sends, token mint prints either a
// JWT-shaped token or a one-line error of bounded length, never both.
func FuzzDecodeMintAnswer(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyX2FsaWNlIn0.c2ln"}`))
	f.Add(201, []byte(`{"access_token":"a.b.c"}`))
	f.Add(404, []byte(`{"message":"organization membership \"om_x\" not found"}`))
	f.Add(401, []byte(`{"message":"Unauthorized"}`))
	f.Add(200, []byte(`<html>not the fake</html>`))
	f.Add(200, []byte(`{"access_token":"a.b.c\nallowed"}`))
	f.Add(500, []byte(`{"message":"line one\nline two"}`))
	f.Add(200, []byte(`{"access_token":""}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		tok, err := decodeMintAnswer(status, body)
		switch {
		case err == nil && !isJWTShaped(tok):
			t.Fatalf("accepted %q", tok)
		case err == nil && status != 200 && status != 201:
			t.Fatalf("accepted a token from status %d", status)
		case err != nil && tok != "":
			t.Fatalf("token %q returned with error %v", tok, err)
		case err != nil && (strings.ContainsAny(err.Error(), "\r\n") || len(err.Error()) > 300):
			t.Fatalf("error is not one short line: %q", err)
		}
	})
}
