package authztest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzJWTTemplate sets arbitrary template content over HTTP, on a fresh
// fake each time: the answer is 200 or 422 with a JSON body, never a 500;
// and a token minted under an accepted template keeps the standard claims
// (the template never sets sub, iss, exp…), carries no null top-level
// claim, and its template claims fit in 3072 bytes — or is refused (422) —
// and no value is the marker of an expression outside a string; and
// fgakit's token.Verifier accepts it.
func FuzzJWTTemplate(f *testing.F) {
	for _, seed := range []string{
		DefaultJWTTemplate,
		`{}`,
		`{"sub":"x"}`,
		`{"a":"{{ user.email }} at {{ organization.name }}","b":["{{ organization_membership.role }}"],"c":{"d":"{{ user.nope }}"}}`,
		`{"x":"{{ user.id"}`,
		`{"x":"}} {{"}`,
		`{"n":null,"m":1.5e300,"t":true}`,
		`{"a":"{{ organization_membership.id | upcase }}"}`,
		`[1]`,
		`{"a":1} {"b":2}`,
		`{"e": {{ user.email }}, "n": "{{ user.first_name || 'Someone' }}", "l": [{{ organization.id || "x" }}]}`,
		`{"x": {{ user.id }`,
		`{"x": "{% if true %}a{% endif %}"}`,
		`{ {{ user.id }}: 1}`,
		`{"x": "\"{{ user.id }}\"", "y": {{user.nope||'a'||user.id}}}`,
		`{"act": {"sub": "x"}}`,
		`{"aud": ["a", {{ user.first_name }}], "entitlements": ["e"]}`,
		`{"Org_Id": "x"}`,
	} {
		f.Add(seed)
	}
	fx, err := ParseFixture(strings.NewReader(designFixture))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, content string) {
		fake := New(t, WithClock(epoch), WithFixture(fx))
		h := fake.Handler()
		body, _ := json.Marshal(map[string]string{"content": content})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("PUT", "/user_management/jwt_template", strings.NewReader(string(body))))
		if rec.Code != 200 && rec.Code != 422 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("PUT %q: %d %s", content, rec.Code, rec.Body)
		}
		if rec.Code != 200 {
			return
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/_fake/access_tokens", strings.NewReader(`{"organization_membership_id":"om_alice"}`)))
		if rec.Code == 422 {
			return // rendered past the limit
		}
		var out struct {
			AccessToken string `json:"access_token"`
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("mint under %q: %d %s", content, rec.Code, rec.Body)
		}
		// Every accepted template mints tokens fgakit's verifier accepts.
		if _, err := fake.Verifier().Verify(t.Context(), out.AccessToken); err != nil {
			t.Fatalf("template %q mints a token the verifier rejects: %v", content, err)
		}
		tok, _, err := jwt.NewParser().ParseUnverified(out.AccessToken, jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		claims := tok.Claims.(jwt.MapClaims)
		if claims["sub"] != "user_alice" || claims["iss"] != fake.URL()+"/user_management/client_test" || claims["org_id"] != "org_acme" {
			t.Fatalf("template %q changed the standard claims: %v", content, claims)
		}
		custom := map[string]any{}
		for k, v := range claims {
			if v == nil {
				t.Fatalf("template %q left a null claim %q", content, k)
			}
			if !slices.Contains([]string{"iss", "sub", "sid", "jti", "org_id", "role", "roles", "permissions", "iat", "exp"}, k) {
				custom[k] = v
			}
		}
		b, _ := json.Marshal(custom)
		if len(b) > maxJWTTemplate {
			t.Fatalf("template %q renders %d bytes", content, len(b))
		}
		if strings.Contains(string(b), `\u0000expr:`) {
			t.Fatalf("template %q leaks the fake's expression marker: %s", content, b)
		}
	})
}

// FuzzUserManagementRequests sends arbitrary requests to the membership,
// group and session paths: never a 500, always JSON or no body.
func FuzzUserManagementRequests(f *testing.F) {
	for _, s := range []struct{ method, path, body string }{
		{"POST", "/user_management/organization_memberships", `{"user_id":"user_x","organization_id":"org_acme","role_slugs":["member","org-auditor"]}`},
		{"GET", "/user_management/organization_memberships", `?statuses=active,inactive&organization_id=org_acme&limit=1&order=asc`},
		{"PUT", "/user_management/organization_memberships/om_alice", `{"role_slug":"workspace-admin"}`},
		{"PUT", "/user_management/organization_memberships/om_alice/deactivate", ``},
		{"DELETE", "/user_management/organization_memberships/om_bob", ``},
		{"GET", "/user_management/organization_memberships/om_alice/groups?limit=0", ``},
		{"POST", "/organizations/org_acme/groups", `{"name":"G","description":null}`},
		{"PATCH", "/organizations/org_acme/groups/group_1", `{"name":7}`},
		{"POST", "/organizations/org_acme/groups/group_1/organization-memberships", `{"organization_membership_id":["om_alice"]}`},
		{"DELETE", "/organizations/org_acme/groups/group_1/organization-memberships/om_alice", ``},
		{"POST", "/user_management/sessions/revoke", `{"session_id":"session_000001"}`},
	} {
		f.Add(s.method, s.path, s.body)
	}
	fx, err := ParseFixture(strings.NewReader(designFixture))
	if err != nil {
		f.Fatal(err)
	}
	fake := New(f, WithClock(epoch), WithFixture(fx))
	fake.AddGroup("group_1", "org_acme", "One")
	fake.Session("om_alice")
	h := fake.Handler()
	f.Fuzz(func(t *testing.T, method, path, body string) {
		req, err := http.NewRequest(method, "http://fake"+path, strings.NewReader(body))
		if err != nil || req.URL.Path == "" || req.URL.Path[0] != '/' || strings.HasPrefix(req.URL.Path, "/_fake/") {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		if b := rec.Body.Bytes(); len(b) > 0 && !json.Valid(b) {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, b)
		}
	})
}
