package authztest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

const aliceMembershipJSON = `{"object":"organization_membership","id":"om_alice","user_id":"user_alice",
	"organization_id":"org_acme","organization_name":"Acme","status":"active","directory_managed":false,
	"custom_attributes":{},"role":{"slug":"member"},"roles":[{"slug":"member"}],
	"user":{"object":"user","id":"user_alice","email":"user_alice@example.com","first_name":null,"last_name":null,
	  "email_verified":true,"profile_picture_url":null,"external_id":null,"metadata":{},"last_sign_in_at":null,
	  "created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"},
	"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`

func TestMembershipWire(t *testing.T) {
	t.Parallel()
	const base = "/user_management/organization_memberships"
	inactive := strings.Replace(aliceMembershipJSON, `"status":"active"`, `"status":"inactive"`, 1)
	runWire(t, []wireCase{
		{name: "get", method: "GET", path: base + "/om_alice", wantStatus: 200, wantBody: aliceMembershipJSON},
		{name: "get unknown", method: "GET", path: base + "/om_nobody", wantStatus: 404,
			wantBody: `{"message":"organization membership \"om_nobody\" not found"}`},
		{name: "list needs a user or an organization", method: "GET", path: base, wantStatus: 400,
			wantBody: `{"code":"missing_user_id_or_organization_id","message":"user_id or organization_id is required"}`},
		{name: "list by user", method: "GET", path: base + "?user_id=user_alice", wantStatus: 200,
			wantBody: `{"object":"list","data":[` + aliceMembershipJSON + `],"list_metadata":{"before":null,"after":null}}`},
		{name: "list of an unknown organization", method: "GET", path: base + "?organization_id=org_nope", wantStatus: 404,
			wantBody: `{"message":"Organization not found: 'org_nope'."}`},
		{name: "list with a bad status", method: "GET", path: base + "?user_id=user_alice&statuses=active,gone", wantStatus: 400,
			wantBody: `{"code":"invalid_request_parameters","message":"statuses must list active, inactive or pending, got \"gone\""}`},
		{name: "list only inactive ones", method: "GET", path: base + "?organization_id=org_acme&statuses=inactive", wantStatus: 200,
			wantBody: `{"object":"list","data":[],"list_metadata":{"before":null,"after":null}}`},
		{name: "create with both role forms", method: "POST", path: base,
			body:       `{"user_id":"user_dave","organization_id":"org_acme","role_slug":"member","role_slugs":["member"]}`,
			wantStatus: 422, wantBody: `{"code":"invalid_request_parameters","message":"give role_slug or role_slugs, not both"}`},
		{name: "create with a sub-resource role", method: "POST", path: base,
			body:       `{"user_id":"user_dave","organization_id":"org_acme","role_slug":"workspace-admin"}`,
			wantStatus: 422, wantBody: `{"code":"sub_resource_scoped_role_not_allowed","role_slug":"workspace-admin",
				"message":"role \"workspace-admin\" is scoped to \"workspace\"; a membership's role must be scoped to the organization"}`},
		{name: "create with an unknown role", method: "POST", path: base,
			body:       `{"user_id":"user_dave","organization_id":"org_acme","role_slugs":["member","boss"]}`,
			wantStatus: 422, wantBody: `{"code":"invalid_role","message":"role \"boss\" not found: it is not a valid role"}`},
		{name: "create in an unknown organization", method: "POST", path: base,
			body: `{"user_id":"user_dave","organization_id":"org_nope"}`, wantStatus: 404,
			wantBody: `{"message":"Organization not found: 'org_nope'."}`},
		{name: "create a second active membership", method: "POST", path: base,
			body: `{"user_id":"user_alice","organization_id":"org_acme"}`, wantStatus: 422,
			wantBody: `{"code":"invalid_request_parameters","message":"user \"user_alice\" is already a member of organization \"org_acme\" (om_alice)"}`},
		{name: "update with an empty role_slugs", method: "PUT", path: base + "/om_alice", body: `{"role_slugs":[]}`,
			wantStatus: 422, wantBody: `{"code":"invalid_request_parameters","message":"role_slugs must name at least one role"}`},
		// role_slug and role_slugs are not nullable: null is not "absent"
		// (the spec's oneOf matches no variant when the key is present).
		{name: "create with a null role_slug", method: "POST", path: base,
			body:       `{"user_id":"user_dave","organization_id":"org_acme","role_slug":null}`,
			wantStatus: 422, wantBody: `{"code":"invalid_request_parameters","message":"role_slug must be a string"}`},
		{name: "create with a null role_slugs", method: "POST", path: base,
			body:       `{"user_id":"user_dave","organization_id":"org_acme","role_slugs":null}`,
			wantStatus: 422, wantBody: `{"code":"invalid_request_parameters","message":"role_slugs must be a list of strings"}`},
		{name: "update with a null role_slug", method: "PUT", path: base + "/om_alice", body: `{"role_slug":null}`,
			wantStatus: 422, wantBody: `{"code":"invalid_request_parameters","message":"role_slug must be a string"}`},
		{name: "update with a null role_slugs beside role_slug", method: "PUT", path: base + "/om_alice", body: `{"role_slug":"member","role_slugs":null}`,
			wantStatus: 422, wantBody: `{"code":"invalid_request_parameters","message":"give role_slug or role_slugs, not both"}`},
		{name: "update without a role changes nothing", method: "PUT", path: base + "/om_alice", body: `{}`,
			wantStatus: 200, wantBody: aliceMembershipJSON},
		{name: "delete answers 200 without a body", method: "DELETE", path: base + "/om_alice", wantStatus: 200},
		{name: "deactivate", method: "PUT", path: base + "/om_alice/deactivate", wantStatus: 200, wantBody: inactive},
		{name: "reactivate an active one is a no-op", method: "PUT", path: base + "/om_alice/reactivate", wantStatus: 200,
			wantBody: aliceMembershipJSON},
		{name: "groups of a membership", method: "GET", path: base + "/om_alice/groups", wantStatus: 200,
			wantBody: `{"object":"list","data":[],"list_metadata":{"before":null,"after":null}}`},
	}, nil)
}

func TestCreateMembershipHTTP(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	status, body, _ := call(t, f, "POST", "/user_management/organization_memberships",
		`{"user_id":"user_dave","organization_id":"org_acme","role_slugs":["org-auditor","member"]}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	equalJSON(t, body, `{"object":"organization_membership","id":"om_000001","user_id":"user_dave",
	"organization_id":"org_acme","organization_name":"Acme","status":"active","directory_managed":false,
	"custom_attributes":{},"role":{"slug":"org-auditor"},"roles":[{"slug":"org-auditor"},{"slug":"member"}],
	"user":{"object":"user","id":"user_dave","email":"user_dave@example.com","first_name":null,"last_name":null,
	  "email_verified":true,"profile_picture_url":null,"external_id":null,"metadata":{},"last_sign_in_at":null,
	  "created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"},
	"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`)
	// Checkable at once: org-auditor holds project:view on every project.
	if status, body, _ := call(t, f, "POST", "/authorization/organization_memberships/om_000001/check",
		`{"permission_slug":"project:view","resource_id":"authz_resource_web"}`); status != 200 || body != `{"authorized":true}` {
		t.Errorf("check of the new membership: %d %s", status, body)
	}
}

// checkWeb asks whether om may edit project web, over HTTP.
func checkWeb(t *testing.T, f *Fake, om string) string {
	t.Helper()
	status, body, _ := call(t, f, "POST", "/authorization/organization_memberships/"+om+"/check",
		`{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`)
	if status != 200 {
		return body
	}
	return strings.TrimSuffix(strings.TrimPrefix(body, `{"authorized":`), "}")
}

func TestMembershipLifecycle(t *testing.T) {
	t.Parallel()
	const base = "/user_management/organization_memberships/"
	tests := []struct {
		name  string
		steps func(t *testing.T, f *Fake)
		want  string // checkWeb of om_alice afterwards
	}{
		{"untouched", func(*testing.T, *Fake) {}, "true"},
		{"deactivated over HTTP", func(t *testing.T, f *Fake) { call(t, f, "PUT", base+"om_alice/deactivate", "") }, "false"},
		{"deactivated in Go", func(t *testing.T, f *Fake) { f.DeactivateMembership("om_alice") }, "false"},
		{"deactivated then reactivated", func(t *testing.T, f *Fake) {
			call(t, f, "PUT", base+"om_alice/deactivate", "")
			call(t, f, "PUT", base+"om_alice/reactivate", "")
		}, "true"},
		{"deactivated then created again", func(t *testing.T, f *Fake) {
			f.DeactivateMembership("om_alice")
			if status, body, _ := call(t, f, "POST", "/user_management/organization_memberships",
				`{"user_id":"user_alice","organization_id":"org_acme","role_slug":"org-auditor"}`); status != 201 ||
				!strings.Contains(body, `"id":"om_alice"`) || !strings.Contains(body, `"roles":[{"slug":"org-auditor"}]`) {
				t.Errorf("create over an inactive membership: %d %s", status, body)
			}
		}, "true"},
		{"deleted", func(t *testing.T, f *Fake) { call(t, f, "DELETE", base+"om_alice", "") },
			`{"message":"organization membership \"om_alice\" not found"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			tc.steps(t, f)
			if got := checkWeb(t, f, "om_alice"); got != tc.want {
				t.Errorf("check = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDeleteMembershipRemovesItsAssignments(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	g := f.AddGroup("group_eng", "org_acme", "Engineering")
	f.AddGroupMember(g, "om_alice")
	f.AssignGroup(g, "workspace-admin", "authz_resource_sales")
	call(t, f, "DELETE", "/user_management/organization_memberships/om_alice", "")
	for _, path := range []string{"/authorization/resources/authz_resource_eng/role_assignments",
		"/authorization/resources/authz_resource_sales/role_assignments"} {
		_, body, _ := call(t, f, "GET", path, "")
		if strings.Contains(body, "om_alice") {
			t.Errorf("%s still lists om_alice: %s", path, body)
		}
	}
	_, body, _ := call(t, f, "GET", "/organizations/org_acme/groups/group_eng/organization-memberships", "")
	if strings.Contains(body, "om_alice") {
		t.Errorf("the group still lists om_alice: %s", body)
	}
}

func TestDeactivationRules(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.Load(&Fixture{OrganizationMemberships: []FixtureMembership{
		{ID: "om_invited", UserID: "user_eve", OrganizationID: "org_acme", Status: "pending"}}})
	for _, tc := range []struct{ path, want string }{
		{"/deactivate", `{"code":"cannot_deactivate_pending_organization_membership","message":"A pending organization membership cannot be deactivated. This membership should be deleted instead."}`},
		{"/reactivate", `{"code":"cannot_reactivate_pending_organization_membership","message":"A pending organization membership cannot be reactivated. The user needs to accept the invitation instead."}`},
	} {
		status, body, _ := call(t, f, "PUT", "/user_management/organization_memberships/om_invited"+tc.path, "")
		if status != 400 {
			t.Errorf("%s of a pending membership: %d", tc.path, status)
		}
		equalJSON(t, body, tc.want)
	}
	f.DeactivateMembership("om_alice")
	f.DeactivateMembership("om_alice") // a no-op, not an error
	if got := f.MembershipStatus("om_alice"); got != "inactive" {
		t.Errorf("status = %q", got)
	}
	status, body, _ := call(t, f, "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_alice"}`)
	if status != 422 {
		t.Errorf("a token for an inactive membership: %d %s", status, body)
	}
}

func TestUpdatedRoleReachesNewTokens(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	old := f.Session("om_alice")
	if status, body, _ := call(t, f, "PUT", "/user_management/organization_memberships/om_alice",
		`{"role_slug":"org-auditor"}`); status != 200 || !strings.Contains(body, `"role":{"slug":"org-auditor"}`) {
		t.Fatalf("update: %d %s", status, body)
	}
	for _, tc := range []struct {
		raw  string
		want []any
	}{{old, []any{"member"}}, {f.Session("om_alice"), []any{"org-auditor"}}} {
		claims, err := parse(t, f, tc.raw)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, claims["roles"]); d != "" {
			t.Errorf("roles (-want +got):\n%s", d)
		}
	}
	status, body, _ := call(t, f, "PUT", "/user_management/organization_memberships/om_alice", `{"role_slug":"project-viewer"}`)
	if status != 422 || !strings.Contains(body, `"code":"sub_resource_scoped_role_not_allowed"`) {
		t.Errorf("update to a project role: %d %s", status, body)
	}
}

func TestGroupWire(t *testing.T) {
	t.Parallel()
	const base = "/organizations/org_acme/groups"
	const eng = `{"object":"group","id":"group_eng","organization_id":"org_acme","name":"Engineering","description":null,
		"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`
	setup := func(f *Fake) {
		f.AddGroup("group_eng", "org_acme", "Engineering")
		f.AddGroupMember("group_eng", "om_bob")
	}
	bob := `{"object":"organization_membership","id":"om_bob","user_id":"user_bob","organization_id":"org_acme",
		"organization_name":"Acme","status":"active","directory_managed":false,"custom_attributes":{},
		"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`
	runWire(t, []wireCase{
		{name: "create", method: "POST", path: base, body: `{"name":"Sales","description":"the sellers"}`, wantStatus: 201,
			wantBody: `{"object":"group","id":"group_000001","organization_id":"org_acme","name":"Sales","description":"the sellers",
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`},
		{name: "create without a name", method: "POST", path: base, body: `{}`, wantStatus: 422, wantBody: `{"message":"name is required"}`},
		{name: "create in an unknown organization", method: "POST", path: "/organizations/org_nope/groups", body: `{"name":"x"}`,
			wantStatus: 404, wantBody: `{"message":"Organization not found: 'org_nope'."}`},
		{name: "list", method: "GET", path: base, wantStatus: 200,
			wantBody: `{"object":"list","data":[` + eng + `],"list_metadata":{"before":null,"after":null}}`},
		{name: "get", method: "GET", path: base + "/group_eng", wantStatus: 200, wantBody: eng},
		{name: "get through another organization", method: "GET", path: "/organizations/org_globex/groups/group_eng",
			wantStatus: 404, wantBody: `{"message":"group \"group_eng\" not found"}`},
		{name: "patch", method: "PATCH", path: base + "/group_eng", body: `{"name":"Eng","description":"builders"}`, wantStatus: 200,
			wantBody: strings.Replace(strings.Replace(eng, `"Engineering"`, `"Eng"`, 1), `null`, `"builders"`, 1)},
		{name: "patch an empty name", method: "PATCH", path: base + "/group_eng", body: `{"name":""}`, wantStatus: 422,
			wantBody: `{"message":"name is required"}`},
		{name: "delete", method: "DELETE", path: base + "/group_eng", wantStatus: 204},
		{name: "members", method: "GET", path: base + "/group_eng/organization-memberships", wantStatus: 200,
			wantBody: `{"object":"list","data":[` + bob + `],"list_metadata":{"before":null,"after":null}}`},
		{name: "add a member", method: "POST", path: base + "/group_eng/organization-memberships",
			body: `{"organization_membership_id":"om_alice"}`, wantStatus: 200, wantBody: eng},
		{name: "add a member of another organization", method: "POST", path: base + "/group_eng/organization-memberships",
			body: `{"organization_membership_id":"om_mallory"}`, wantStatus: 404,
			wantBody: `{"message":"organization membership \"om_mallory\" not found"}`},
		{name: "remove a member", method: "DELETE", path: base + "/group_eng/organization-memberships/om_bob", wantStatus: 204},
		{name: "remove a non-member", method: "DELETE", path: base + "/group_eng/organization-memberships/om_alice",
			wantStatus: 404, wantBody: `{"message":"organization membership \"om_alice\" is not in group \"group_eng\""}`},
		{name: "groups of a member", method: "GET", path: "/user_management/organization_memberships/om_bob/groups", wantStatus: 200,
			wantBody: `{"object":"list","data":[` + eng + `],"list_metadata":{"before":null,"after":null}}`},
	}, setup)
}

func TestGroupMembershipGrantsAndRevokes(t *testing.T) {
	t.Parallel()
	const base = "/organizations/org_acme/groups/group_eng"
	tests := []struct {
		name  string
		steps []struct{ method, path, body string }
		want  string // checkWeb of om_bob
	}{
		{"not a member", nil, "false"},
		{"added", []struct{ method, path, body string }{
			{"POST", base + "/organization-memberships", `{"organization_membership_id":"om_bob"}`}}, "true"},
		{"added then removed", []struct{ method, path, body string }{
			{"POST", base + "/organization-memberships", `{"organization_membership_id":"om_bob"}`},
			{"DELETE", base + "/organization-memberships/om_bob", ""}}, "false"},
		{"added then the group deleted", []struct{ method, path, body string }{
			{"POST", base + "/organization-memberships", `{"organization_membership_id":"om_bob"}`},
			{"DELETE", base, ""}}, "false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			f.AddGroup("group_eng", "org_acme", "Engineering")
			f.AssignGroup("group_eng", "workspace-admin", "authz_resource_eng")
			for _, s := range tc.steps {
				if status, body, _ := call(t, f, s.method, s.path, s.body); status >= 300 {
					t.Fatalf("%s %s: %d %s", s.method, s.path, status, body)
				}
			}
			if got := checkWeb(t, f, "om_bob"); got != tc.want {
				t.Errorf("check = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRevokeSession(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	tok, _, err := jwt.NewParser().ParseUnverified(f.Session("om_alice"), jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	sid := tok.Claims.(jwt.MapClaims)["sid"].(string)
	if f.SessionRevoked(sid) {
		t.Fatal("revoked before the revocation")
	}
	for i, want := range []int{200, 200} { // revoking twice is no error
		status, body, _ := call(t, f, "POST", "/user_management/sessions/revoke", `{"session_id":"`+sid+`"}`)
		if status != want || body != "" {
			t.Errorf("revoke #%d: %d %q", i+1, status, body)
		}
	}
	if !f.SessionRevoked(sid) {
		t.Error("SessionRevoked = false after the revocation")
	}
	for _, tc := range []struct{ body, want string }{
		{`{"session_id":"session_nope"}`, `{"message":"Session not found: 'session_nope'."}`},
		{`{}`, `{"message":"session_id is required and must be a string"}`},
	} {
		status, body, _ := call(t, f, "POST", "/user_management/sessions/revoke", tc.body)
		if status != 400 {
			t.Errorf("%s: status %d", tc.body, status)
		}
		equalJSON(t, body, tc.want)
	}
}

func TestJWTTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		content    string
		wantStatus int
		wantClaims map[string]any // custom claims of a token minted afterwards (nil: unchanged default)
		wantBody   string         // for errors
	}{
		{name: "default", wantClaims: map[string]any{"organization_membership_id": "om_alice"}},
		{name: "several variables", wantStatus: 200,
			content: `{"organization_membership_id":"{{ organization_membership.id }}","email":"{{user.email}}",
				"tenant":"{{ organization.name }} ({{ organization.id }})","nick":"{{ user.first_name }}","nested":{"r":"{{ organization_membership.role }}"}}`,
			wantClaims: map[string]any{"organization_membership_id": "om_alice", "email": "user_alice@example.com",
				"tenant": "Acme (org_acme)", "nested": map[string]any{"r": "member"}}},
		{name: "empty template drops the membership ID", content: `{}`, wantStatus: 200, wantClaims: map[string]any{}},
		{name: "reserved claim", content: `{"sub":"x"}`, wantStatus: 422,
			wantBody: `{"code":"invalid_request_parameters","message":"Claim \"sub\" is reserved and cannot be used."}`},
		{name: "not an object", content: `[1]`, wantStatus: 422,
			wantBody: `{"code":"invalid_request_parameters","message":"content must be a JSON object"}`},
		{name: "too long", content: `{"x":"` + strings.Repeat("a", 3070) + `"}`, wantStatus: 422,
			wantBody: `{"code":"invalid_request_parameters","message":"content is 3078 bytes, at most 3072 allowed"}`},
		{name: "unclosed expression", content: `{"x":"{{ user.id"}`, wantStatus: 422,
			wantBody: `{"code":"invalid_request_parameters","message":"unclosed or malformed {{ }} expression in \"{{ user.id\""}`},
		// WorkOS's own example (docs/authkit/jwt-templates): fallbacks with
		// ||, string literals, an expression outside a string literal (its
		// value as JSON), and variables the fake does not hold (null).
		{name: "the WorkOS docs example", wantStatus: 200,
			content: `{ "urn:myapp:full_name": "{{ user.first_name || 'Someone' }} {{ user.last_name || 'Unknown' }}",
				"urn:myapp:email": {{ user.email }}, "urn:myapp:organization_tier": "{{ organization.metadata.tier || 'bronze' }}",
				"urn:myapp:user_language": "{{ user.metadata.language || 'en' }}", "urn:myapp:organization_domain": "{{ organization.domains.0.domain }}" }`,
			wantClaims: map[string]any{"urn:myapp:full_name": "Someone Unknown", "urn:myapp:email": "user_alice@example.com",
				"urn:myapp:organization_tier": "bronze", "urn:myapp:user_language": "en"}}, // the domain renders null: dropped
		{name: "unquoted expressions", wantStatus: 200,
			content:    `{"om": {{ organization_membership.id }}, "nick": {{ user.first_name || user.email }}, "gone": {{ user.nope }}, "l": [{{ organization.id }}]}`,
			wantClaims: map[string]any{"om": "om_alice", "nick": "user_alice@example.com", "l": []any{"org_acme"}}},
		{name: "Liquid tags are not rendered", content: `{"x":"{% if true %}a{% endif %}"}`, wantStatus: 422,
			wantBody: `{"code":"invalid_request_parameters","message":"unsupported Liquid tag in \"{% if true %}a{% endif %}\": the fake renders {{ }} expressions only"}`},
		{name: "expression as a claim name", content: `{ {{ user.id }}: 1}`, wantStatus: 422,
			wantBody: `{"code":"invalid_request_parameters","message":"a claim name cannot be a {{ }} expression"}`},
		{name: "unclosed unquoted expression", content: `{"x": {{ user.id }`, wantStatus: 422,
			wantBody: `{"code":"invalid_request_parameters","message":"unclosed {{ }} expression outside a string"}`},
		{name: "filter in an unquoted expression", content: `{"x": {{ user.email | upcase }} }`, wantStatus: 422,
			wantBody: `{"code":"invalid_request_parameters","message":"unsupported expression {{ user.email | upcase }}: the fake renders user.*, organization.* and organization_membership.* variables, with || fallbacks"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			if tc.content != "" {
				body := jsonString(tc.content)
				status, got, _ := call(t, f, "PUT", "/user_management/jwt_template", `{"content":`+body+`}`)
				if status != tc.wantStatus {
					t.Fatalf("PUT: %d %s", status, got)
				}
				if tc.wantBody != "" {
					equalJSON(t, got, tc.wantBody)
				}
			}
			_, got, _ := call(t, f, "GET", "/user_management/jwt_template", "")
			want := DefaultJWTTemplate
			if tc.wantStatus == 200 {
				want = tc.content
			}
			wantJSON := jsonString(want)
			equalJSON(t, got, `{"object":"jwt_template","content":`+wantJSON+`,
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`)
			if tc.wantClaims == nil {
				if tc.wantStatus != 422 {
					t.Fatal("case without wantClaims")
				}
				tc.wantClaims = map[string]any{"organization_membership_id": "om_alice"}
			}
			claims, err := parse(t, f, f.Session("om_alice"))
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"iss", "sub", "sid", "jti", "org_id", "role", "roles", "permissions", "iat", "exp"} {
				if _, ok := claims[k]; !ok {
					t.Errorf("standard claim %s missing", k)
				}
				delete(claims, k)
			}
			if d := cmp.Diff(tc.wantClaims, map[string]any(claims)); d != "" {
				t.Errorf("template claims (-want +got):\n%s", d)
			}
		})
	}
}

func TestJWTTemplateRenderedLimit(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.SetJWTTemplate(`{"a":"` + strings.Repeat("{{ user.email }}", 150) + `"}`) // 2,408 bytes, renders 3,300
	status, body, _ := call(t, f, "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_alice"}`)
	if status != 422 || !strings.Contains(body, "at most 3072 allowed") {
		t.Errorf("minting past the limit: %d %s", status, body)
	}
}

func TestInactiveMembershipDiscovery(t *testing.T) {
	t.Parallel()
	paths := []string{
		"/authorization/resources/authz_resource_eng/organization_memberships?permission_slug=workspace:view&assignment=direct",
		"/authorization/resources/authz_resource_web/organization_memberships?permission_slug=project:edit&assignment=indirect",
		"/authorization/organization_memberships/om_alice/resources?permission_slug=project:edit&parent_resource_id=authz_resource_eng",
		"/authorization/organization_memberships/om_alice/resources/authz_resource_web/permissions",
	}
	for _, inactive := range []bool{false, true} {
		f := newTestFake(t)
		if inactive {
			f.DeactivateMembership("om_alice")
		}
		for _, path := range paths {
			status, body, _ := call(t, f, "GET", path, "")
			empty := strings.Contains(body, `"data":[]`)
			if status != 200 || empty != inactive {
				t.Errorf("inactive=%v: %s: %d %s", inactive, path, status, body)
			}
		}
	}
}

func TestRenderSession(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.Session("om_alice", SessionTTL(time.Minute))
	f.Session("om_bob", SessionTTL(time.Hour))
	f.RevokeSession("session_000002")
	f.Advance(2 * time.Minute)
	f.mu.Lock()
	got := []sessionJSON{renderSession(f.sessions["session_000001"], f.Now()), renderSession(f.sessions["session_000002"], f.Now())}
	f.mu.Unlock()
	b, _ := json.Marshal(got)
	equalJSON(t, string(b), `[
	{"object":"session","id":"session_000001","ip_address":null,"user_agent":null,"user_id":"user_alice","organization_id":"org_acme",
	 "auth_method":"unknown","status":"expired","expires_at":"2026-01-15T12:01:00.000Z","ended_at":"2026-01-15T12:01:00.000Z",
	 "created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"},
	{"object":"session","id":"session_000002","ip_address":null,"user_agent":null,"user_id":"user_bob","organization_id":"org_acme",
	 "auth_method":"unknown","status":"revoked","expires_at":"2026-01-15T13:00:00.000Z","ended_at":"2026-01-15T12:00:00.000Z",
	 "created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}]`)
}

// TestMembershipWriteLeavesTheUser: a membership's role or status change
// updates the membership, not its user (the fake has no user writes).
func TestMembershipWriteLeavesTheUser(t *testing.T) {
	t.Parallel()
	const base = "/user_management/organization_memberships/om_alice"
	for _, tc := range []struct{ method, path, body string }{
		{"PUT", base, `{"role_slug":"org-auditor"}`},
		{"PUT", base + "/deactivate", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			f.Advance(time.Hour)
			status, body, _ := call(t, f, tc.method, tc.path, tc.body)
			if status != 200 {
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, status, body)
			}
			var got struct {
				UpdatedAt string `json:"updated_at"`
				User      struct {
					UpdatedAt string `json:"updated_at"`
				} `json:"user"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			want := [2]string{"2026-01-15T13:00:00.000Z", "2026-01-15T12:00:00.000Z"}
			if d := cmp.Diff(want, [2]string{got.UpdatedAt, got.User.UpdatedAt}); d != "" {
				t.Errorf("membership and user updated_at (-want +got):\n%s", d)
			}
		})
	}
}
