package authztest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/fgakit/fgakit/authz"
)

// ConformanceEnv names what the conformance scenarios ([Conformance]) need
// in the environment under test. In a WorkOS environment the resource
// types, the permission and the role must already exist (types are
// configured in the Dashboard); the scenarios create and delete their own
// resources and role assignments.
type ConformanceEnv struct {
	// Client talks to the environment: a fake's [Fake.Client], or an
	// authz.Client with a real API key.
	Client *authz.Client `json:"-"`
	// OrganizationID is an organization of the environment.
	OrganizationID string `json:"organization_id"`
	// MembershipID is a membership of that organization whose organization
	// role does not grant Permission.
	MembershipID string `json:"organization_membership_id"`
	// WorkspaceType is a resource type whose parent type is organization.
	WorkspaceType string `json:"workspace_type"`
	// ProjectType is a resource type whose parent type is WorkspaceType.
	ProjectType string `json:"project_type"`
	// Permission is a permission of ProjectType.
	Permission string `json:"permission"`
	// Role is a role scoped to WorkspaceType that contains Permission.
	Role string `json:"role"`
}

// LoadConformanceEnv reads a ConformanceEnv (without Client) from a JSON
// file naming real IDs and slugs:
//
//	{"organization_id": "org_…", "organization_membership_id": "om_…",
//	 "workspace_type": "workspace", "project_type": "project",
//	 "permission": "project:edit", "role": "workspace-admin"}
func LoadConformanceEnv(path string) (ConformanceEnv, error) {
	var env ConformanceEnv
	b, err := os.ReadFile(path)
	if err != nil {
		return env, fmt.Errorf("authztest: %w", err)
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return env, fmt.Errorf("authztest: %s: %w", path, err)
	}
	return env, nil
}

// ConformanceFixture is a fixture that gives a fake what the default
// [Fake.ConformanceEnv] names.
func ConformanceFixture() *Fixture {
	return &Fixture{
		ResourceTypes: []FixtureResourceType{{Slug: "workspace"}, {Slug: "project", ParentTypes: []string{"workspace"}}},
		Permissions:   []FixturePermission{{Slug: "project:edit", ResourceTypeSlug: "project"}},
		Roles: []FixtureRole{
			{Slug: "member", ResourceTypeSlug: "organization", Permissions: []string{}},
			{Slug: "workspace-admin", ResourceTypeSlug: "workspace", Permissions: []string{"project:edit"}},
		},
		Organizations:           []FixtureOrganization{{ID: "org_conformance", Name: "Conformance"}},
		OrganizationMemberships: []FixtureMembership{{ID: "om_conformance", UserID: "user_conformance", OrganizationID: "org_conformance", Role: &FixtureSlug{"member"}}},
	}
}

// ConformanceEnv returns the environment of a fake loaded with
// [ConformanceFixture], with a client from [Fake.Client].
func (f *Fake) ConformanceEnv() ConformanceEnv {
	f.helper()
	return ConformanceEnv{Client: f.Client(), OrganizationID: "org_conformance", MembershipID: "om_conformance",
		WorkspaceType: "workspace", ProjectType: "project", Permission: "project:edit", Role: "workspace-admin"}
}

// Conformance runs the same scenarios against any environment — the fake,
// or a real WorkOS environment — through env.Client: resources (create,
// get, update, list, delete with and without cascade), checks with
// inheritance, role assignments (assign, list, remove by body and by ID),
// discovery, effective permissions, pagination, and the documented errors.
// It creates resources with external IDs starting with
// "fgakit-conformance-" and deletes them (cascade) when it ends.
func Conformance(t *testing.T, env ConformanceEnv) {
	t.Helper()
	c := env.Client
	ctx := t.Context()
	var sfx [4]byte
	rand.Read(sfx[:])
	prefix := "fgakit-conformance-" + hex.EncodeToString(sfx[:]) + "-"
	ws, err := c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: prefix + "ws", Name: "Conformance workspace",
		ResourceTypeSlug: env.WorkspaceType, OrganizationID: env.OrganizationID})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	t.Cleanup(func() {
		c.DeleteResource(context.WithoutCancel(ctx), authz.ResourceID(ws.ID), authz.DeleteResourceOptions{Cascade: true})
	})
	project, err := c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: prefix + "p0", Name: "Conformance project",
		ResourceTypeSlug: env.ProjectType, OrganizationID: env.OrganizationID,
		Parent: authz.ExternalResource(env.WorkspaceType, prefix+"ws")})
	if err != nil {
		t.Fatalf("create project: %v", err)
	}
	check := func(t *testing.T) bool {
		t.Helper()
		d, err := c.API().Check(ctx, env.MembershipID, env.Permission, authz.ResourceID(project.ID))
		if err != nil {
			t.Fatalf("check: %v", err)
		}
		return d.Allowed
	}

	t.Run("resources", func(t *testing.T) {
		if project.ParentResourceID != ws.ID || project.OrganizationID != env.OrganizationID || project.ResourceTypeSlug != env.ProjectType {
			t.Errorf("created project = %+v", project)
		}
		got, err := c.GetResource(ctx, authz.ResourceID(project.ID))
		if err != nil || got.ExternalID != prefix+"p0" || got.Name != "Conformance project" {
			t.Errorf("get by ID = %+v, %v", got, err)
		}
		got, err = c.GetResource(ctx, authz.ExternalResource(env.ProjectType, prefix+"p0").InOrganization(env.OrganizationID))
		if err != nil || got.ID != project.ID {
			t.Errorf("get by external ID = %+v, %v", got, err)
		}
		name := "Renamed project"
		got, err = c.UpdateResource(ctx, authz.ResourceID(project.ID), authz.UpdateResourceParams{Name: &name})
		if err != nil || got.Name != name || got.ParentResourceID != ws.ID {
			t.Errorf("update = %+v, %v", got, err)
		}
	})

	t.Run("check follows assignments", func(t *testing.T) {
		if check(t) {
			t.Fatalf("%s already holds %s on a new project: the membership's organization role must not grant it", env.MembershipID, env.Permission)
		}
		a, err := c.AssignRole(ctx, env.MembershipID, env.Role, authz.ExternalResource(env.WorkspaceType, prefix+"ws"))
		if err != nil {
			t.Fatalf("assign: %v", err)
		}
		if a.Role.Slug != env.Role || a.Resource.ID != ws.ID || a.OrganizationMembershipID != env.MembershipID {
			t.Errorf("assignment = %+v", a)
		}
		if !check(t) {
			t.Error("a role on the workspace does not reach its project")
		}
		var listed bool
		for ra, err := range c.ListResourceRoleAssignments(ctx, authz.ResourceID(ws.ID), authz.ListResourceRoleAssignmentsOptions{}) {
			if err != nil {
				t.Fatalf("list resource assignments: %v", err)
			}
			listed = listed || ra.ID == a.ID
		}
		if !listed {
			t.Error("the assignment is not listed on the workspace")
		}
		if err := c.RemoveRole(ctx, env.MembershipID, env.Role, authz.ResourceID(ws.ID)); err != nil {
			t.Fatalf("remove by body: %v", err)
		}
		if check(t) {
			t.Error("still allowed after the role was removed")
		}
		a, err = c.AssignRole(ctx, env.MembershipID, env.Role, authz.ResourceID(ws.ID))
		if err != nil {
			t.Fatalf("assign again: %v", err)
		}
		if !check(t) {
			t.Error("not allowed after assigning again")
		}
		if err := c.RemoveRoleAssignment(ctx, env.MembershipID, a.ID); err != nil {
			t.Fatalf("remove by ID: %v", err)
		}
		if check(t) {
			t.Error("still allowed after the assignment was removed by ID")
		}
	})

	t.Run("discovery", func(t *testing.T) {
		a, err := c.AssignRole(ctx, env.MembershipID, env.Role, authz.ResourceID(ws.ID))
		if err != nil {
			t.Fatalf("assign: %v", err)
		}
		defer c.RemoveRoleAssignment(ctx, env.MembershipID, a.ID)
		var ids []string
		for r, err := range c.ListResourcesForMembership(ctx, env.MembershipID, env.Permission, authz.ResourceID(ws.ID), authz.ListOptions{}) {
			if err != nil {
				t.Fatalf("resources for membership: %v", err)
			}
			ids = append(ids, r.ID)
		}
		if !slices.Contains(ids, project.ID) {
			t.Errorf("resources for membership = %v, want the project", ids)
		}
		var perms []string
		for p, err := range c.EffectivePermissions(ctx, env.MembershipID, authz.ResourceID(project.ID), authz.ListOptions{}) {
			if err != nil {
				t.Fatalf("effective permissions: %v", err)
			}
			perms = append(perms, p.Slug)
		}
		if !slices.Contains(perms, env.Permission) {
			t.Errorf("effective permissions = %v, want %s", perms, env.Permission)
		}
		var oms []string
		for om, err := range c.ListMembershipsForResource(ctx, authz.ResourceID(project.ID), env.Permission, authz.AssignmentIndirect, authz.ListOptions{}) {
			if err != nil {
				t.Fatalf("memberships for resource: %v", err)
			}
			oms = append(oms, om.ID)
		}
		if !slices.Contains(oms, env.MembershipID) {
			t.Errorf("memberships with inherited access = %v, want %s", oms, env.MembershipID)
		}
	})

	t.Run("pagination", func(t *testing.T) {
		want := []string{project.ID}
		for i := 1; i <= 3; i++ {
			p, err := c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: fmt.Sprintf("%sp%d", prefix, i), Name: "Page item",
				ResourceTypeSlug: env.ProjectType, OrganizationID: env.OrganizationID, Parent: authz.ResourceID(ws.ID)})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			want = append(want, p.ID)
		}
		var got []string
		for r, err := range c.ListResources(ctx, authz.ListResourcesOptions{OrganizationID: env.OrganizationID, Parent: authz.ResourceID(ws.ID), ListOptions: authz.ListOptions{Limit: 1}}) {
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			got = append(got, r.ID)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("listed %v, want each of %v once", got, want)
		}
	})

	t.Run("errors", func(t *testing.T) {
		wantAPI := func(what string, err error, sentinel error, status int, code string) {
			t.Helper()
			var api *authz.APIError
			if !errors.Is(err, sentinel) || !errors.As(err, &api) || api.StatusCode != status || code != "" && api.Code != code {
				t.Errorf("%s: %v, want status %d %s", what, err, status, code)
			}
		}
		_, err := c.GetResource(ctx, authz.ResourceID("authz_resource_fgakit_conformance_missing"))
		wantAPI("get unknown", err, authz.ErrNotFound, 404, "")
		_, err = c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: prefix + "ws", Name: "Duplicate",
			ResourceTypeSlug: env.WorkspaceType, OrganizationID: env.OrganizationID})
		wantAPI("duplicate external ID", err, authz.ErrConflict, 409, "authorization_resource_external_id_conflict")
		err = c.DeleteResource(ctx, authz.ResourceID(ws.ID), authz.DeleteResourceOptions{})
		wantAPI("delete with children", err, authz.ErrConflict, 409, "resource_has_dependents")
		// The API answers the check 404; the client makes that a deny with
		// NotFound (authz.Decision.NotFound), not an error.
		d, err := c.API().Check(ctx, env.MembershipID, env.Permission, authz.ResourceID("authz_resource_fgakit_conformance_missing"))
		if err != nil || d != (authz.Decision{Source: authz.SourceAPI, NotFound: true}) {
			t.Errorf("check unknown resource: %+v, %v; want denied: not found, no error", d, err)
		}
	})

	t.Run("cascade delete", func(t *testing.T) {
		if err := c.DeleteResource(ctx, authz.ResourceID(ws.ID), authz.DeleteResourceOptions{Cascade: true}); err != nil {
			t.Fatalf("cascade delete: %v", err)
		}
		for _, id := range []string{ws.ID, project.ID} {
			if _, err := c.GetResource(ctx, authz.ResourceID(id)); !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("get %s after cascade: %v, want not found", id, err)
			}
		}
	})
}
