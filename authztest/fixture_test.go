package authztest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLoadFixtureErrors(t *testing.T) {
	t.Parallel()
	// base is a valid fixture the bad ones extend.
	const base = `"resource_types":[{"slug":"workspace"},{"slug":"project","parent_types":["workspace"]}],
		"permissions":[{"slug":"workspace:view","resource_type_slug":"workspace"},{"slug":"project:edit","resource_type_slug":"project"}],
		"organizations":[{"id":"org_x","name":"X"}]`
	tests := []struct {
		name    string
		fixture string
		wantErr string
	}{
		{"unknown key", `{"resorces":[]}`, `fixture: unknown field "resorces" (line 1, column 2)`},
		{"unknown nested key", `{"organizations":[{"id":"org_x"},{"id":"org_y","nmae":"X"}]}`, `fixture: organizations[1]: unknown field "nmae"`},
		{"trailing data", `{} {}`, `data after the JSON object at line 1, column 4`},
		{"membership with role and roles", `{"organizations":[{"id":"org_x"}],"roles":[{"slug":"a","permissions":[]},{"slug":"b","permissions":[]}],
			"organization_memberships":[{"id":"om_1","user_id":"u","organization_id":"org_x","role":{"slug":"a"},"roles":[{"slug":"b"}]}]}`,
			`organization_memberships[0] (id "om_1"): give either "role" (one organization role) or "roles" (multiple-roles mode), not both`},
		{"dangling parent", `{` + base + `,"resources":[{"external_id":"eng","resource_type_slug":"workspace","organization_id":"org_x"},
			{"external_id":"web","resource_type_slug":"project","organization_id":"org_x","parent_resource_external_id":"egn","parent_resource_type_slug":"workspace"}]}`,
			`resources[1] (external_id "web"): parent workspace "egn" not found`},
		{"dangling parent id", `{` + base + `,"resources":[{"external_id":"web","resource_type_slug":"project","organization_id":"org_x","parent_resource_id":"authz_resource_nope"}]}`,
			`resources[0] (external_id "web"): parent resource "authz_resource_nope" not found`},
		{"dangling organization", `{` + base + `,"resources":[{"external_id":"eng","resource_type_slug":"workspace","organization_id":"org_y"}]}`,
			`resources[0] (external_id "eng"): organization "org_y" not found`},
		{"dangling role in membership", `{` + base + `,"organization_memberships":[{"id":"om_1","user_id":"u","organization_id":"org_x","role":{"slug":"admin"}}]}`,
			`organization_memberships[0] (id "om_1"): role "admin" not found`},
		{"dangling role in assignment", `{` + base + `,"organization_memberships":[{"id":"om_1","user_id":"u","organization_id":"org_x"}],
			"resources":[{"external_id":"eng","resource_type_slug":"workspace","organization_id":"org_x"}],
			"role_assignments":[{"organization_membership_id":"om_1","role_slug":"admin","resource_external_id":"eng","resource_type_slug":"workspace"}]}`,
			`role_assignments[0] (organization_membership_id "om_1", role_slug "admin"): role "admin" not found`},
		{"dangling membership in assignment", `{` + base + `,"role_assignments":[{"organization_membership_id":"om_9","role_slug":"admin","resource_id":"x"}]}`,
			`role_assignments[0] (organization_membership_id "om_9", role_slug "admin"): organization membership "om_9" not found`},
		{"dangling permission in role", `{` + base + `,"roles":[{"slug":"admin","resource_type_slug":"workspace","permissions":["workspace:edit"]}]}`,
			`roles[0] (slug "admin"): permission "workspace:edit" not found`},
		{"role with a non-descendant permission", `{` + base + `,"roles":[{"slug":"editor","resource_type_slug":"project","permissions":["workspace:view"]}]}`,
			`roles[0] (slug "editor"): permission "workspace:view" of resource type "workspace" cannot be in a role scoped to "project": only its own type and descendant types are allowed`},
		{"membership with a sub-resource role", `{` + base + `,"roles":[{"slug":"ws","resource_type_slug":"workspace","permissions":[]}],
			"organization_memberships":[{"id":"om_1","user_id":"u","organization_id":"org_x","role":{"slug":"ws"}}]}`,
			`organization_memberships[0] (id "om_1"): role "ws" is scoped to "workspace"; a membership's role must be scoped to the organization`},
		{"custom role without org- prefix", `{` + base + `,"roles":[{"slug":"auditor","organization_id":"org_x","permissions":[]}]}`,
			`roles[0] (slug "auditor"): organization role slug "auditor" must start with "org-"`},
		{"duplicate external id", `{` + base + `,"resources":[{"external_id":"eng","resource_type_slug":"workspace","organization_id":"org_x"},
			{"external_id":"eng","resource_type_slug":"workspace","organization_id":"org_x"}]}`,
			`resources[1] (external_id "eng"): a workspace with external_id "eng" already exists in organization "org_x"`},
		{"duplicate id", `{` + base + `,"resources":[{"id":"r1","external_id":"a","resource_type_slug":"workspace","organization_id":"org_x"},
			{"id":"r1","external_id":"b","resource_type_slug":"workspace","organization_id":"org_x"}]}`,
			`resources[1] (external_id "b"): id "r1" is already used`},
		{"unknown parent type", `{"resource_types":[{"slug":"project","parent_types":["workspace"]}]}`,
			`resource_types[0] (slug "project"): parent type "workspace" not found`},
		{"type cycle", `{"resource_types":[{"slug":"a","parent_types":["b"]},{"slug":"b","parent_types":["a"]}]}`,
			`resource_types[0] (slug "a"): its parent is part of a cycle`},
		{"permission of an unknown type", `{"permissions":[{"slug":"doc:view","resource_type_slug":"doc"}]}`,
			`permissions[0] (slug "doc:view"): resource type "doc" not found`},
		{"duplicate permission", `{"permissions":[{"slug":"p"},{"slug":"p"}]}`,
			`permissions[1] (slug "p"): a permission with slug "p" already exists`},
		{"resource name too long", `{` + base + `,"resources":[{"external_id":"eng","name":"` + strings.Repeat("n", 49) + `","resource_type_slug":"workspace","organization_id":"org_x"}]}`,
			`resources[0] (external_id "eng"): name must be at most 48 characters`},
		{"group member of another org", `{"organizations":[{"id":"org_x"},{"id":"org_y"}],
			"organization_memberships":[{"id":"om_y","user_id":"u","organization_id":"org_y"}],
			"groups":[{"id":"group_1","organization_id":"org_x","name":"G","organization_membership_ids":["om_y"]}]}`,
			`groups[0] (id "group_1"): membership "om_y" belongs to organization "org_y", group "group_1" to "org_x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := New(t, WithClock(epoch))
			f.AddOrganization("org_pre", "Pre")
			before := snapshot(t, f)
			fx, err := ParseFixture(strings.NewReader(tc.fixture))
			if err == nil {
				err = f.Load(fx)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
			if after := snapshot(t, f); after != before {
				t.Errorf("a failed load changed the fake:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// snapshot lists what the fake serves, to see that a failed load left it
// unchanged.
func snapshot(t *testing.T, f *Fake) string {
	t.Helper()
	var b strings.Builder
	for _, path := range []string{
		"/authorization/resources?organization_id=org_pre&limit=100&order=asc",
		"/authorization/resources?organization_id=org_x&limit=100&order=asc",
		"/authorization/organizations/org_pre/resources/organization/org_pre",
		"/authorization/organizations/org_x/resources/organization/org_x",
	} {
		_, body, _ := call(t, f, "GET", path, "")
		b.WriteString(body)
	}
	return b.String()
}

func TestLoadFixtureOrderAndDefaults(t *testing.T) {
	t.Parallel()
	f := New(t, WithClock(epoch))
	// Children before parents, generated ids, names defaulting to external ids.
	fx, err := ParseFixture(strings.NewReader(`{
		"client_id": "client_other",
		"resource_types": [{"slug":"project","parent_types":["workspace"]},{"slug":"workspace"}],
		"permissions": [{"slug":"project:edit","resource_type_slug":"project"}],
		"roles": [{"slug":"ws-admin","resource_type_slug":"workspace","permissions":["project:edit"]}],
		"organizations": [{"id":"org_1"}],
		"organization_memberships": [{"id":"om_1","user_id":"user_1","organization_id":"org_1"}],
		"resources": [
			{"external_id":"web","resource_type_slug":"project","organization_id":"org_1","parent_resource_external_id":"eng","parent_resource_type_slug":"workspace"},
			{"external_id":"eng","resource_type_slug":"workspace","organization_id":"org_1"}
		],
		"role_assignments": [{"organization_membership_id":"om_1","role_slug":"ws-admin","resource_external_id":"eng","resource_type_slug":"workspace"}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Load(fx); err != nil {
		t.Fatal(err)
	}
	if got := f.ClientID(); got != "client_other" {
		t.Errorf("ClientID = %q, want client_other", got)
	}
	web := f.ResourceID("org_1", "project", "web")
	if !checkOK(t, f, "om_1", "project:edit", web) {
		t.Error("om_1 cannot edit web through ws-admin on eng")
	}
	_, body, _ := call(t, f, "GET", "/authorization/organizations/org_1/resources/workspace/eng", "")
	equalJSON(t, body, `{"object":"authorization_resource","id":"authz_resource_000002","external_id":"eng","name":"eng","description":null,
		"resource_type_slug":"workspace","organization_id":"org_1","parent_resource_id":null,
		"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`)
}

func TestLoadFixtureFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(designFixture), 0o600); err != nil {
		t.Fatal(err)
	}
	fx, err := LoadFixtureFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(fx.Resources) != 5 || fx.Resources[1].ParentResourceExternalID != "eng" {
		t.Errorf("parsed resources = %+v", fx.Resources)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"rolez":[]}`), 0o600)
	if _, err := LoadFixtureFile(bad); err == nil || !strings.Contains(err.Error(), `unknown field "rolez"`) || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("error = %v, want the unknown key and the file named", err)
	}
	if _, err := LoadFixtureFile(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("no error for a missing file")
	}
}

// TestWithFixtureFile: the fake starts with the file's model, and a bad file
// fails NewServer with an error naming the file and the line of the mistake.
func TestWithFixtureFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(designFixture), 0o600); err != nil {
		t.Fatal(err)
	}
	f := New(t, WithFixtureFile(good))
	if !checkOK(t, f, "om_alice", "workspace:view", f.ResourceID("org_acme", "workspace", "eng")) {
		t.Error("om_alice cannot view eng after WithFixtureFile")
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"roles\": [\n    {\"slug\": \"member\", \"permisions\": []}\n  ]\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"unknown key", bad, `authztest: fixture: roles[0]: unknown field "permisions" (line 3, column 24) (in ` + bad + `)`},
		{"missing file", filepath.Join(dir, "missing.json"), "no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := NewServer("127.0.0.1:0", WithFixtureFile(tc.path))
			if err == nil {
				g.Close()
				t.Fatal("NewServer accepted a bad fixture file")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// TestParseFixtureJSONErrors: a mistake at the JSON level names the entry
// (section[i]) and where it is, as the model-level errors do.
func TestParseFixtureJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fixture string
		wantErr string // the whole error
	}{
		{"empty", "", `authztest: fixture: the input is empty; want a JSON object, e.g. {}`},
		{"only white space", " \n\t", `authztest: fixture: the input is empty; want a JSON object, e.g. {}`},
		{"null", "null", `authztest: fixture: the document is null; want a JSON object`},
		{"array", `[{"organizations":[]}]`, `authztest: fixture: the document is an array; want a JSON object`},
		{"syntax error", "{\n  \"resources\": [\n    {\"external_id\": \"a\",\n     }\n  ]\n}",
			`authztest: fixture: syntax error at line 4, column 6: invalid character '}' looking for beginning of object key string`},
		{"truncated", "{\"organizations\": [{\"id\": \"org_x\"}",
			`authztest: fixture: syntax error at line 1, column 35: the JSON ends early (an unclosed object, array or string)`},
		{"unknown key in an entry", "{\"resources\": [\n  {\"external_id\": \"eng\"},\n  {\"external_id\": \"web\", \"parrent_resource_id\": \"x\"}\n]}",
			`authztest: fixture: resources[1]: unknown field "parrent_resource_id" (line 3, column 26)`},
		{"unknown key with escapes", `{"resources":[{"a\nb\"":1}]}`,
			`authztest: fixture: resources[0]: unknown field "a\nb\"" (line 1, column 16)`}, // as written in the file
		{"unknown key in a nested object", `{"organization_memberships":[{"id":"om_1","role":{"slug":"a","slgu":"b"}}]}`,
			`authztest: fixture: organization_memberships[0]: unknown field "slgu" (line 1, column 62)`},
		{"string for an array", `{"roles":[{"slug":"member","permissions":"workspace:view"}]}`,
			`authztest: fixture: roles[0]: field "permissions": want an array of strings, got a string (line 1, column 42)`},
		{"number in a string array", `{"roles":[{"slug":"member","permissions":[7]}]}`,
			`authztest: fixture: roles[0]: field "permissions": want a string, got a number (line 1, column 43)`},
		{"wrong type nested", `{"organization_memberships":[{"id":"om_1","role":{"slug":3}}]}`,
			`authztest: fixture: organization_memberships[0]: field "role.slug": want a string, got a number (line 1, column 58)`},
		{"string for a boolean", `{"permissions":[{"slug":"p","system":"yes"}]}`,
			`authztest: fixture: permissions[0]: field "system": want a boolean, got a string (line 1, column 38)`},
		{"object for a section", `{"resources":{"external_id":"eng"}}`,
			`authztest: fixture: resources: want an array, got an object (line 1, column 14)`},
		{"null entry", `{"resources":[null]}`, `authztest: fixture: resources[0]: want an object, got null (line 1, column 15)`},
		{"number for client_id", `{"client_id":7}`, `authztest: fixture: client_id: want a string, got a number (line 1, column 14)`},
		{"key twice", "{\"roles\":[],\n\"roles\":[]}", `authztest: fixture: key "roles" appears twice (again at line 2, column 1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx, err := ParseFixture(strings.NewReader(tc.fixture))
			if err == nil {
				t.Fatalf("ParseFixture = %+v, nil; want error %q", fx, tc.wantErr)
			}
			if err.Error() != tc.wantErr {
				t.Errorf("error:\n got  %s\n want %s", err, tc.wantErr)
			}
		})
	}
	// A null section is an empty one.
	if fx, err := ParseFixture(strings.NewReader(`{"resources":null,"client_id":"c"}`)); err != nil || fx.Resources != nil || fx.ClientID != "c" {
		t.Errorf("null section: %+v, %v", fx, err)
	}
}

func FuzzLoadFixture(f *testing.F) {
	f.Add(designFixture)
	// Mistakes a user makes, each with its own error path.
	f.Add(``)
	f.Add(`null`)
	f.Add(`[]`)
	f.Add(`{} {}`)
	f.Add(`{"organizations": [{"id": "org_x"}`)
	f.Add(`{"resources":[{"external_id":"web","parrent_resource_id":"x"}]}`)
	f.Add(`{"roles":[{"slug":"m","permissions":"workspace:view"}]}`)
	f.Add(`{"organization_memberships":[{"id":"om_1","user_id":"u","organization_id":"o","role":{"slug":3}}]}`)
	f.Add(`{"organizations":[{"id":"o"}],"roles":[{"slug":"a","permissions":[]}],
		"organization_memberships":[{"id":"om_1","user_id":"u","organization_id":"o","role":{"slug":"a"},"roles":[{"slug":"a"}]}]}`)
	f.Add(`{"resources":[null,"x",{}],"client_id":7}`)
	f.Add(`{"roles":[],"roles":[]}`)
	f.Add(`{"resources":[{"a\nb\"":1}]}`)
	f.Add(`{"Resources":[{"External_ID":"a"}]}`)
	f.Add(`{}`)
	f.Add(`{"resources":[{"external_id":"a","resource_type_slug":"x","organization_id":"o","parent_resource_id":"a"}]}`)
	f.Add(`{"resource_types":[{"slug":"a","parent_types":["a"]}],"organizations":[{"id":"o"}],
		"resources":[{"id":"r","external_id":"a","resource_type_slug":"a","organization_id":"o","parent_resource_id":"r"}]}`)
	f.Add(`{"groups":[{"organization_id":"o","name":"g"}],"group_role_assignments":[{"group_id":"g","role_slug":"r"}]}`)
	fake := New(f, WithClock(epoch))
	f.Fuzz(func(t *testing.T, s string) {
		fx, err := ParseFixture(strings.NewReader(s))
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "authztest: fixture: ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q: want one line starting with the package and \"fixture\"", msg)
			}
			return
		}
		// What the strict parser accepts, plain encoding/json reads the same.
		var plain Fixture
		if err := json.Unmarshal([]byte(s), &plain); err != nil {
			t.Fatalf("ParseFixture accepted %q, json.Unmarshal: %v", s, err)
		}
		if diff := cmp.Diff(&plain, fx, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("ParseFixture and json.Unmarshal differ (-json +ParseFixture):\n%s", diff)
		}
		fake.Load(fx) // must not panic; errors are fine
	})
}

func TestClientIDPrecedence(t *testing.T) {
	t.Parallel()
	fx := &Fixture{ClientID: "client_fixture"}
	if got := New(t, WithFixture(fx)).ClientID(); got != "client_fixture" {
		t.Errorf("fixture only: %q", got)
	}
	if got := New(t, WithFixture(fx), WithClientID("client_flag")).ClientID(); got != "client_flag" {
		t.Errorf("option and fixture: %q, want the option", got)
	}
	if got := New(t).ClientID(); got != DefaultClientID {
		t.Errorf("default: %q", got)
	}
}

// fatalRecorder is a testing.TB whose Fatalf records instead of stopping.
type fatalRecorder struct {
	testing.TB
	fatals []string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func TestSetupMisuseFailsTheTest(t *testing.T) {
	t.Parallel()
	rec := &fatalRecorder{TB: t}
	f := New(rec, WithClock(epoch))
	f.AddResourceType("workspace")
	f.AddOrganization("org_1", "One")
	for _, misuse := range []func(){
		func() { f.AddResourceType("project", "folder") },
		func() { f.AddPermission("Bad Slug", "workspace") },
		func() { f.AddRole("admin", "workspace", "nope") },
		func() { f.AddOrganizationRole("org_1", "auditor", "organization") },
		func() { f.AddOrganization("org_1", "Again") },
		func() { f.AddMembership("om_1", "user_1", "org_2", "") },
		func() { f.AddResource(Resource{ExternalID: "x", ResourceTypeSlug: "folder", OrganizationID: "org_1"}) },
		func() { f.Assign("om_nope", "admin", "r") },
		func() { f.Unassign("role_assignment_nope") },
		func() { f.ResourceID("org_1", "workspace", "nope") },
		func() { f.Session("om_nope") },
		func() { f.AddGroupMember("group_nope", "om_1") },
	} {
		misuse()
	}
	if len(rec.fatals) != 12 {
		t.Errorf("%d failures reported, want 12:\n%s", len(rec.fatals), strings.Join(rec.fatals, "\n"))
	}
	if !strings.Contains(rec.fatals[0], `authztest: AddResourceType project: parent type "folder" not found`) {
		t.Errorf("first failure = %q", rec.fatals[0])
	}
}

// TestClosedFakeRefusesSetup: after Close, a setup call is a mistake the
// test hears about, not a change to a server that no longer answers.
func TestClosedFakeRefusesSetup(t *testing.T) {
	t.Parallel()
	rec := &fatalRecorder{TB: t}
	f := New(rec, WithClock(epoch))
	f.AddResourceType("workspace")
	f.AddOrganization("org_1", "One")
	f.AddMembership("om_1", "user_1", "org_1", "")
	f.Close()
	f.Close() // still safe twice
	misuses := map[string]func(){
		"AddResourceType": func() { f.AddResourceType("project", "workspace") },
		"AddPermission":   func() { f.AddPermission("workspace:view", "workspace") },
		"AddRole":         func() { f.AddRole("admin", "workspace") },
		"AddOrganization": func() { f.AddOrganization("org_2", "Two") },
		"AddMembership":   func() { f.AddMembership("om_2", "user_2", "org_1", "") },
		"AddResource": func() {
			f.AddResource(Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_1"})
		},
		"Session":          func() { f.Session("om_1") },
		"InjectFault":      func() { f.InjectFault(Fault{Status: 500}) },
		"FailNext":         func() { f.FailNext(500) },
		"Client":           func() { f.Client() },
		"Verifier":         func() { f.Verifier() },
		"AddGroup":         func() { f.AddGroup("group_1", "org_1", "G") },
		"RemoveMembership": func() { f.RemoveMembership("om_1") },
	}
	for name, misuse := range misuses {
		rec.fatals = nil
		misuse()
		if len(rec.fatals) != 1 || !strings.Contains(rec.fatals[0], "the fake is closed") {
			t.Errorf("%s after Close: failures %q, want one saying the fake is closed", name, rec.fatals)
		}
	}
	if err := f.Load(&Fixture{Organizations: []FixtureOrganization{{ID: "org_3"}}}); err == nil || !strings.Contains(err.Error(), "the fake is closed") {
		t.Errorf("Load after Close: %v, want an error saying the fake is closed", err)
	}
	if len(f.Calls()) != 0 {
		t.Error("Calls after Close")
	}

	srv, err := NewServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "authztest: AddOrganization: the fake is closed") {
			t.Errorf("recover() = %v, want a panic saying the fake is closed", r)
		}
	}()
	srv.AddOrganization("org_1", "One")
}
