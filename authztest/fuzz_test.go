package authztest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequests sends arbitrary requests to the fake's handler: whatever a
// client sends, the fake answers with a JSON body (or none) and never with
// a 500, which would mean a bug in the fake.
func FuzzRequests(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"POST", "/authorization/organization_memberships/om_alice/check", `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`},
		{"POST", "/authorization/organization_memberships/om_alice/check", `{"permission_slug":"project:edit","resource_external_id":"web","resource_type_slug":"project","resource_id":"x"}`},
		{"POST", "/authorization/resources", `{"external_id":"api","name":"API","resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_eng"}`},
		{"PATCH", "/authorization/resources/authz_resource_eng", `{"parent_resource_id":"authz_resource_web","description":null}`},
		{"DELETE", "/authorization/resources/authz_resource_sales?cascade_delete=true", ``},
		{"GET", "/authorization/resources?organization_id=org_acme&limit=3&order=asc&after=authz_resource_eng", ``},
		{"POST", "/authorization/organization_memberships/om_bob/role_assignments", `{"role_slug":"workspace-admin","resource_external_id":"eng","resource_type_slug":"workspace"}`},
		{"DELETE", "/authorization/organization_memberships/om_bob/role_assignments", `{"role_slug":"project-viewer","resource_id":"authz_resource_crm"}`},
		{"GET", "/authorization/organization_memberships/om_alice/resources?permission_slug=project:edit&parent_resource_id=authz_resource_eng", ``},
		{"GET", "/authorization/resources/authz_resource_eng/organization_memberships?permission_slug=workspace:view&assignment=indirect", ``},
		{"PUT", "/authorization/roles/member/permissions", `{"permissions":["workspace:view","project:view"]}`},
		{"POST", "/authorization/organizations/org_acme/roles", `{"name":"X Y"}`},
		{"DELETE", "/authorization/organizations/org_acme/roles/org-auditor/permissions/project:view", ``},
		{"PUT", "/authorization/groups/group_1/role_assignments", `{"role_assignments":[{"role_slug":"member"}]}`},
		{"POST", "/_fake/access_tokens", `{"organization_membership_id":"om_alice","expires_in":1e99}`},
		{"GET", "/sso/jwks/client_test", ``},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	fx, err := ParseFixture(strings.NewReader(designFixture))
	if err != nil {
		f.Fatal(err)
	}
	fake := New(f, WithClock(epoch), WithFixture(fx))
	fake.AddGroup("group_1", "org_acme", "One")
	h := fake.Handler()
	f.Fuzz(func(t *testing.T, method, path, body string) {
		req, err := http.NewRequest(method, "http://fake"+path, strings.NewReader(body))
		if err != nil || req.URL.Path == "" || req.URL.Path[0] != '/' {
			return
		}
		if strings.HasPrefix(req.URL.Path, "/_fake/faults") {
			return // a fault would change every later answer of the shared fake; see FuzzFaultBody
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Header().Get("X-Request-ID") == "" {
			t.Fatal("no X-Request-ID")
		}
		if b := rec.Body.Bytes(); len(b) > 0 && !json.Valid(b) {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, b)
		}
	})
}

// FuzzFaultBody feeds arbitrary bodies to every control endpoint with a
// body (POST /_fake/faults, /_fake/clock and /_fake/access_tokens), each on
// a fresh fake: the answer is 204/200 or a 4xx with a JSON message, never a
// 500; a refusal of a JSON object is 422; and what is accepted is in range:
// a fault the fake can serve (a status code in range, a bounded delay, a
// bounded count, at most one kind), a clock from 1970 to 9998, a token
// that lives from 1 s to a year.
func FuzzFaultBody(f *testing.F) {
	for _, seed := range []string{
		`{"status":429,"retry_after":"0","times":3,"path":"/authorization/","method":"post"}`,
		`{"status":503,"body":"{\"message\":\"down\"}","times":-1}`,
		`{"malformed":true,"body":"{"}`,
		`{"drop":true,"delay_ms":5}`,
		`{"status":500,"retry_after":"Wed, 21 Oct 2026 07:28:00 GMT"}`,
		`{"status":1e3}`,
		`{"times":-2,"status":500}`,
		`{"set":"2027-03-01T08:30:00Z"}`,
		`{"advance":"-90m"}`,
		`{"delay_ms":9223372036854775807}`,
		`{"status":500,"times":9223372036854775807}`,
		`{"advance":"2562047h"}`,
		`{"set":"0000-01-01T00:00:00Z"}`,
		`{"organization_membership_id":"om_1","expires_in":18446744133}`,
		`{"organization_membership_id":"om_1","expires_in":300}`,
		`[]`,
		`null`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var obj jsonObject
		if json.Unmarshal([]byte(body), &obj) == nil && obj != nil {
			if fault, err := parseFault(obj); err == nil {
				if fault.Status != 0 && (fault.Status < 200 || fault.Status > 599) || fault.Delay < 0 || fault.Delay > maxFaultDelay ||
					fault.Times < -1 || fault.Status == 0 && !fault.Drop && !fault.Malformed && fault.Delay == 0 {
					t.Fatalf("accepted an unservable fault %+v from %s", fault, body)
				}
			} else if e, ok := err.(*apiError); !ok || e.status != http.StatusUnprocessableEntity {
				t.Fatalf("refusal %v is not a 422", err)
			}
		}
		fake, err := newFake(nil, []Option{WithClock(epoch)}) // the handler only: no listener per input
		if err != nil {
			t.Fatal(err)
		}
		fake.AddOrganization("org_1", "One")
		fake.AddMembership("om_1", "user_1", "org_1", "")
		for _, path := range []string{"/_fake/faults", "/_fake/clock", "/_fake/access_tokens"} {
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(body)))
			if rec.Code >= 500 || rec.Code == http.StatusNoContent != (rec.Body.Len() == 0) {
				t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
			}
			if b := rec.Body.Bytes(); len(b) > 0 && !json.Valid(b) {
				t.Fatalf("POST %s: body is not JSON: %q", path, b)
			}
			if obj != nil && rec.Code >= 400 && rec.Code != http.StatusUnprocessableEntity && rec.Code != http.StatusNotFound {
				t.Fatalf("POST %s %q: refused with %d, want 422 (or 404 for an unknown membership)", path, body, rec.Code)
			}
			if rec.Code != http.StatusOK {
				continue
			}
			switch path {
			case "/_fake/clock":
				if now := fake.Now(); now.Before(minClock) || now.After(maxClock) {
					t.Fatalf("POST %s %q moved the clock to %v", path, body, now)
				}
			case "/_fake/access_tokens":
				var out struct {
					AccessToken string `json:"access_token"`
				}
				json.Unmarshal(rec.Body.Bytes(), &out)
				parts := strings.Split(out.AccessToken, ".")
				var claims struct{ Iat, Exp int64 }
				if raw, err := base64.RawURLEncoding.DecodeString(parts[min(1, len(parts)-1)]); err != nil || json.Unmarshal(raw, &claims) != nil {
					t.Fatalf("POST %s %q: token %q has no readable claims", path, body, out.AccessToken)
				}
				if life := claims.Exp - claims.Iat; life <= 0 || life > maxExpiresIn {
					t.Fatalf("POST %s %q minted a token that lives %d s", path, body, life)
				}
			}
		}
	})
}
