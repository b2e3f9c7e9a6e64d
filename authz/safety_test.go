package authz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fgakit/fgakit/internal/redact"
)

// keyPieces returns every redact.Window-byte piece of key found in text.
func keyPieces(key, text string) []string {
	var found []string
	for i := 0; i+redact.Window <= len(key); i++ {
		if p := key[i : i+redact.Window]; strings.Contains(text, p) {
			found = append(found, p)
		}
	}
	return found
}

// assertNoKeyPiece fails the test when any text holds an 8-byte piece of key.
func assertNoKeyPiece(t *testing.T, key string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if p := keyPieces(key, s); len(p) > 0 {
			t.Fatalf("text holds pieces %q of the key %q:\n%s", p, key, s)
		}
	}
}

// formatted returns err as every fmt verb a logger would use.
func formatted(err error) []string {
	if err == nil {
		return nil
	}
	return []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%q", err)}
}

// keyAlphabet is what fuzzed keys are made of: WorkOS keys are
// sk_test_/sk_live_ and letters, digits and underscores.
const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

// hostileAnswer is what FuzzErrorTextsHoldNoKeyPiece's server sends, built
// from the fuzz input around the key.
type hostileAnswer struct {
	status int
	body   string
	header http.Header
	netErr string // when not empty, the round trip fails with this text
	panic  bool   // the round trip panics with body
}

// FuzzErrorTextsHoldNoKeyPiece: whatever the server sends — the key (or the
// Authorization header) echoed at any offset of a body, a header, a
// network error or a panic, whole, cut, split in two, JSON- or URL-escaped,
// around the 200-byte echo cut — no 8-byte piece of the key appears in
// err.Error() or in %v/%+v/%#v/%q of the error, for a check and for a
// management call.
func FuzzErrorTextsHoldNoKeyPiece(f *testing.F) {
	f.Add([]byte("S3CRETkey0123456789abcdefXYZ"), "", 0, 0, uint8(0), uint16(500))
	f.Add([]byte("a1b2c3d4e5f6g7h8i9j0"), "x", 190, 18, uint8(1), uint16(400))
	f.Add([]byte("0123456789012345678901234567"), strings.Repeat(" ", 700), 700, 10, uint8(2), uint16(200))
	f.Add([]byte("k"), "{\"message\":\"", 3, 1, uint8(3), uint16(429))
	f.Add([]byte("Zz9_Zz9_Zz9_Zz9_Zz9_"), "<html>", 5, 5, uint8(4), uint16(503))
	f.Add([]byte("abcdefghijklmnopqrstuvwxyz"), "", 0, 13, uint8(5), uint16(401))
	f.Add([]byte("abcdefghijklmnopqrstuvwxyz"), "boom ", 0, 20, uint8(6), uint16(0))
	f.Add([]byte("abcdefghijklmnopqrstuvwxyz"), "", 196, 7, uint8(7), uint16(302))
	f.Fuzz(func(t *testing.T, keyTail []byte, filler string, at, cut int, shape uint8, status uint16) {
		if len(keyTail) == 0 || len(keyTail) > 64 || len(filler) > 2000 {
			return
		}
		var kb strings.Builder
		kb.WriteString("sk_test_")
		for _, b := range keyTail {
			kb.WriteByte(keyAlphabet[int(b)%len(keyAlphabet)])
		}
		key := kb.String()
		cut = abs(cut) % (len(key) + 1)
		at = abs(at) % (len(filler) + 1)
		insert := func(piece string) string { return filler[:at] + piece + filler[at:] }
		var a hostileAnswer
		a.status = int(status)%500 + 100
		a.header = http.Header{}
		switch shape % 8 {
		case 0: // the key in a text body
			a.body = insert(key)
		case 1: // the Authorization header echoed in a JSON message
			m, _ := json.Marshal(insert("Authorization: Bearer " + key))
			a.body = `{"code":"x","message":` + string(m) + `}`
		case 2: // split in two by whitespace
			a.body = insert(key[:cut] + "\n\t" + key[cut:])
		case 3: // in the code, the request ID, field errors
			a.body = `{"code":"` + insert(key) + `","errors":[{"field":"` + key[cut:] + `","code":"` + key[:cut] + `"}]}`
			a.header.Set("X-Request-ID", insert(key))
		case 4: // URL-escaped
			a.body = insert(url.QueryEscape("Bearer " + key))
		case 5: // a 2xx body that does not decode
			a.status = 200
			a.body = `{"object":` + insert(key) + `}`
		case 6: // a network error
			a.netErr = insert(key[:cut] + " " + key)
		case 7: // a panic in the round trip
			a.panic = true
			a.body = insert(key)
		}
		for _, call := range []func(*Client) error{
			func(c *Client) error {
				d, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
				if d.Allowed && err != nil {
					t.Fatal("allowed with an error")
				}
				return err
			},
			func(c *Client) error {
				if a.panic {
					return nil // only merged checks recover panics
				}
				_, err := c.GetResource(t.Context(), ResourceID("r"))
				return err
			},
		} {
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if a.panic {
					panic(a.body)
				}
				if a.netErr != "" {
					return nil, errors.New(a.netErr)
				}
				return &http.Response{StatusCode: a.status, Header: a.header, Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
			})
			c, err := New(key, WithHTTPClient(&http.Client{Transport: rt}), WithRetry(RetryPolicy{}))
			if err != nil {
				t.Fatal(err)
			}
			err = call(c)
			c.Close()
			assertNoKeyPiece(t, key, formatted(err)...)
			var ae *APIError
			if errors.As(err, &ae) {
				assertNoKeyPiece(t, key, ae.Message, ae.Code, ae.RequestID, fmt.Sprintf("%#v", *ae))
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n = -n; n < 0 {
			return 0
		}
	}
	return n
}

// TestEchoedKeyCutByTruncation is the case: a body echoing the
// Authorization header so that a cut falls inside the key — the 200-byte
// echo cut, or the 800-byte read cut after which whitespace is collapsed
// (800 spaces and a key cut at 800 bytes left the key's first bytes at the
// start of the message).
func TestEchoedKeyCutByTruncation(t *testing.T) {
	t.Parallel()
	const key = "sk_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqR" // 36 bytes
	for cut := 0; cut <= len(key); cut++ {
		var bodies []string
		for _, pad := range []string{"x", " "} {
			for _, at := range []int{100, 400, maxEchoedBody, 4 * maxEchoedBody} { // the cuts of codes and messages
				body := strings.Repeat(pad, at-len("Bearer ")-cut) + "Bearer " + key + " trailing"
				bodies = append(bodies, body, `{"message":"`+body+`"}`, `{"code":"`+body+`"}`)
			}
		}
		for _, b := range bodies {
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 401, Body: io.NopCloser(strings.NewReader(b))}, nil
			})
			c, err := New(key, WithHTTPClient(&http.Client{Transport: rt}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
			c.Close()
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", err)
			}
			assertNoKeyPiece(t, key, formatted(err)...)
		}
	}
}

// TestClientFormatsWithoutKey: no way of printing or logging a Client, or
// a value holding one, shows a piece of its API key.
func TestClientFormatsWithoutKey(t *testing.T) {
	t.Parallel()
	c, err := New(testKey, WithBaseURL("https://api.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	type holder struct {
		Client *Client
		client *Client
		Name   string
	}
	h := holder{Client: c, client: c, Name: "svc"}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("client", "c", c, "holder", h, "ptr", &h)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("client", "c", c, "holder", h, "ptr", &h)
	jm, _ := json.Marshal(h)
	outs := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%s": fmt.Sprintf("%s", c), "%q": fmt.Sprintf("%q", c), "%x": fmt.Sprintf("%x", c), "%d": fmt.Sprintf("%d", c),
		"holder %v": fmt.Sprintf("%v", h), "holder %+v": fmt.Sprintf("%+v", h), "holder %#v": fmt.Sprintf("%#v", h),
		"&holder %+v": fmt.Sprintf("%+v", &h), "config %#v": fmt.Sprintf("%#v", c.cfg), "Println": fmt.Sprintln(c, h),
		"slog text": text.String(), "slog JSON": js.String(), "json": string(jm),
		"ResourceLayer %+v": fmt.Sprintf("%+v", c.API()), "ResourceLayer %#v": fmt.Sprintf("%#v", *c.API()),
		"credential %+v": fmt.Sprintf("%+v", c.cred), "redactor %#v": fmt.Sprintf("%#v", c.key),
	}
	for name, out := range outs {
		if p := keyPieces(testKey, out); len(p) > 0 {
			t.Errorf("%s holds pieces %q of the key: %s", name, p, out)
		}
	}
	if want := "authz.Client(https://api.example.test)"; outs["%v"] != want || !strings.Contains(text.String(), "c.base_url=https://api.example.test") {
		t.Errorf("%%v = %q, slog = %q; want %q and the base URL", outs["%v"], text.String(), want)
	}
}

// TestRedirectsAreNeverFollowed: whatever *http.Client is given, a 3xx to
// another origin (another port of the same host) receives no request, no
// key, and its {"authorized":true} never becomes a decision: the check
// fails with the 3xx as an *APIError.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	t.Parallel()
	jar, _ := cookiejar.New(nil)
	clients := map[string]*http.Client{
		"default":                   nil,
		"timeout only":              {Timeout: 5 * time.Second},
		"CheckRedirect follows all": {CheckRedirect: func(*http.Request, []*http.Request) error { return nil }},
		"CheckRedirect copies the key": {CheckRedirect: func(r *http.Request, via []*http.Request) error {
			r.Header.Set("Authorization", via[0].Header.Get("Authorization"))
			return nil
		}},
		"cookie jar": {Jar: jar},
	}
	for name, hc := range clients {
		for _, status := range []int{301, 302, 303, 307, 308} {
			t.Run(fmt.Sprintf("%s/%d", name, status), func(t *testing.T) {
				t.Parallel()
				var elsewhere atomic.Int32
				evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					elsewhere.Add(1)
					if strings.Contains(r.Header.Get("Authorization"), testKey) {
						t.Errorf("the redirect target received the API key")
					}
					io.WriteString(w, `{"authorized":true}`)
				}))
				defer evil.Close()
				opts := []Option{}
				if hc != nil {
					opts = append(opts, WithHTTPClient(hc))
				}
				c, mux := setup(t, opts...)
				mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, evil.URL+r.URL.Path, status)
				})
				d, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
				var ae *APIError
				if d.Allowed || !errors.As(err, &ae) || ae.StatusCode != status {
					t.Errorf("Check = %+v, %v; want not allowed, an *APIError with status %d", d, err, status)
				}
				if _, err := c.GetResource(t.Context(), ResourceID("r")); err == nil {
					t.Errorf("GetResource followed the redirect")
				}
				if n := elsewhere.Load(); n != 0 {
					t.Errorf("the redirect target received %d requests", n)
				}
			})
		}
	}
	// The caller's client itself is left as it was.
	hc := &http.Client{Timeout: time.Second}
	c, err := New(testKey, WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if hc.CheckRedirect != nil {
		t.Errorf("New changed the caller's http.Client")
	}
}

// TestEveryCallIsBoundedByDefault: with no deadline and a server that never
// answers, a management call, a list page and a check each end after
// DefaultCallTimeout (or WithCallTimeout's) with ErrUnavailable and
// context.DeadlineExceeded — fake time, no waiting.
func TestEveryCallIsBoundedByDefault(t *testing.T) {
	t.Parallel()
	calls := map[string]func(context.Context, *Client) error{
		"GetResource": func(ctx context.Context, c *Client) error { _, err := c.GetResource(ctx, ResourceID("r")); return err },
		"DeleteResource": func(ctx context.Context, c *Client) error {
			return c.DeleteResource(ctx, ResourceID("r"), DeleteResourceOptions{})
		},
		"ListResourcesPage": func(ctx context.Context, c *Client) error {
			_, err := c.ListResourcesPage(ctx, ListResourcesOptions{})
			return err
		},
		"Check": func(ctx context.Context, c *Client) error {
			_, err := c.API().Check(ctx, "om_1", "p", ResourceID("r"))
			return err
		},
	}
	for name, call := range calls {
		for _, timeout := range []time.Duration{0, 3 * time.Second} {
			t.Run(fmt.Sprintf("%s/%v", name, timeout), func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					silent := roundTripFunc(func(r *http.Request) (*http.Response, error) {
						<-r.Context().Done()
						return nil, r.Context().Err()
					})
					opts := []Option{WithHTTPClient(&http.Client{Transport: silent})}
					want := DefaultCallTimeout
					if timeout > 0 {
						opts, want = append(opts, WithCallTimeout(timeout)), timeout
					}
					c, err := New(testKey, opts...)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					start := time.Now()
					err = call(context.Background(), c)
					if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("err = %v, want ErrUnavailable and context.DeadlineExceeded", err)
					}
					if got := time.Since(start); got != want {
						t.Errorf("returned after %v, want %v", got, want)
					}
				})
			})
		}
	}
}

// TestClientValueFormatsWithoutKey: a copy of a Client (a Client value, a
// []Client, a struct holding a Client value) has no methods, so fmt prints
// it field by field; with a verb a pointer field does not take (%s, %q…)
// fmt prints what the pointer points to. No verb shows a piece of the key.
func TestClientValueFormatsWithoutKey(t *testing.T) {
	t.Parallel()
	c, err := New(testKey, WithBaseURL("https://api.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// reflect makes the copies without tripping vet's copylocks: a user's
	// code may hold a Client value through an interface or a generic.
	value := reflect.ValueOf(c).Elem().Interface()
	type holder struct {
		C    Client
		Name string
	}
	held := reflect.New(reflect.TypeFor[holder]()).Elem()
	held.Field(0).Set(reflect.ValueOf(c).Elem())
	slice := reflect.Append(reflect.MakeSlice(reflect.TypeFor[[]Client](), 0, 1), reflect.ValueOf(c).Elem()).Interface()
	for name, v := range map[string]any{"Client": value, "holder": held.Interface(), "[]Client": slice} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%c", "%U", "%e"} {
			if out := fmt.Sprintf(verb, v); len(keyPieces(testKey, out)) > 0 || strings.Contains(out, "Bearer") {
				t.Errorf("%s %s holds pieces %q of the key", name, verb, keyPieces(testKey, out))
			}
		}
	}
}
