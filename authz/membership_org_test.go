package authz_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

// orgsWorld is two organizations with a workspace "eng" each, and Gina, a
// member of Globex who is workspace-admin on Globex's eng.
func orgsWorld(t *testing.T) (f *authztest.Fake, globexEng string) {
	t.Helper()
	f = authztest.New(t)
	f.AddResourceType("workspace", "organization")
	f.AddPermission("workspace:edit", "workspace")
	f.AddRole("member", "organization")
	f.AddRole("workspace-admin", "workspace", "workspace:edit")
	f.AddOrganization("org_acme", "Acme")
	f.AddOrganization("org_globex", "Globex")
	f.AddResource(authztest.Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	globexEng = f.AddResource(authztest.Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_globex"})
	f.AddMembership("om_gina", "user_gina", "org_globex", "member")
	f.Assign("om_gina", "workspace-admin", globexEng)
	return f, globexEng
}

// A call that names a resource "in" an organization never acts in another
// one, whether the resource is named by external ID or by ID: for a
// membership of Globex, a reference naming Acme is refused with
// ErrOrganizationMismatch before anything is sent, and Globex's own eng is
// untouched. The membership's organization is learned with one GET and
// kept.
func TestReferenceInAnotherOrganizationIsRefused(t *testing.T) {
	t.Parallel()
	drain := func(seq func(yield func(authz.Permission, error) bool)) error {
		for _, err := range seq {
			if err != nil {
				return err
			}
		}
		return nil
	}
	calls := []struct {
		name string
		call func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error
	}{
		{"AssignRole", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			_, err := c.AssignRole(ctx, "om_gina", "workspace-admin", ref)
			return err
		}},
		{"RemoveRole", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			return c.RemoveRole(ctx, "om_gina", "workspace-admin", ref)
		}},
		{"API().Check", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			d, err := c.API().Check(ctx, "om_gina", "workspace:edit", ref)
			if d.Allowed {
				t.Error("allowed")
			}
			return err
		}},
		{"EffectivePermissionsPage", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			_, err := c.EffectivePermissionsPage(ctx, "om_gina", ref, authz.ListOptions{})
			return err
		}},
		{"EffectivePermissions", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			return drain(c.EffectivePermissions(ctx, "om_gina", ref, authz.ListOptions{}))
		}},
		{"ListResourcesForMembershipPage", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			_, err := c.ListResourcesForMembershipPage(ctx, "om_gina", "workspace:edit", ref, authz.ListOptions{})
			return err
		}},
		{"ListResourcesForMembership", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			for _, err := range c.ListResourcesForMembership(ctx, "om_gina", "workspace:edit", ref, authz.ListOptions{}) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
	refs := []struct {
		name string
		ref  func(f *authztest.Fake, globexEng string) authz.ResourceRef
	}{
		{"by external ID", func(*authztest.Fake, string) authz.ResourceRef {
			return authz.ExternalResource("workspace", "eng").InOrganization("org_acme")
		}},
		{"by ID of Acme's", func(f *authztest.Fake, _ string) authz.ResourceRef {
			return authz.ResourceID(f.ResourceID("org_acme", "workspace", "eng")).InOrganization("org_acme")
		}},
		{"by ID of Globex's named in Acme", func(_ *authztest.Fake, globexEng string) authz.ResourceRef {
			return authz.ResourceID(globexEng).InOrganization("org_acme")
		}},
	}
	for _, rc := range refs {
		for _, tt := range calls {
			t.Run(rc.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				f, globexEng := orgsWorld(t)
				ref := rc.ref(f, globexEng)
				c := f.Client()
				f.ResetCalls()
				for i := range 2 {
					if err := tt.call(t.Context(), c, ref); !errors.Is(err, authz.ErrOrganizationMismatch) {
						t.Fatalf("call %d: err = %v, want ErrOrganizationMismatch", i+1, err)
					}
				}
				var got []string
				for _, call := range f.Calls() {
					got = append(got, call.Method+" "+call.Path)
				}
				// One read of the membership, kept for the second call; no write,
				// no check, no listing.
				if diff := cmp.Diff([]string{"GET /user_management/organization_memberships/om_gina"}, got); diff != "" {
					t.Errorf("calls (-want +got):\n%s", diff)
				}
				// Globex's own eng still has Gina's role.
				n := 0
				for a, err := range c.ListResourceRoleAssignments(t.Context(), authz.ResourceID(globexEng), authz.ListResourceRoleAssignmentsOptions{}) {
					if err != nil {
						t.Fatal(err)
					}
					if a.OrganizationMembershipID == "om_gina" && a.Role.Slug == "workspace-admin" {
						n++
					}
				}
				if n != 1 {
					t.Errorf("Globex's eng has %d workspace-admin assignments of om_gina, want 1 (untouched)", n)
				}
			})
		}
	}
}

// With the session's claims known, a reference by ID that names another
// organization than the session's is refused without any call, in a single
// check and item by item in a batch — also when the token grants the
// permission organization-wide.
func TestIDReferenceInAnotherOrganizationWithClaims(t *testing.T) {
	t.Parallel()
	f, globexEng := orgsWorld(t)
	c := f.Client()
	gina := &token.Claims{Subject: "user_gina", OrganizationID: "org_globex", OrganizationMembershipID: "om_gina",
		Permissions: []string{"workspace:edit"}}
	inAcme := authz.ResourceID(globexEng).InOrganization("org_acme")
	f.ResetCalls()
	d, err := c.Check(t.Context(), gina, "workspace:edit", inAcme)
	if !errors.Is(err, authz.ErrOrganizationMismatch) || d.Allowed {
		t.Errorf("Check = %v, %v; want not allowed, ErrOrganizationMismatch", d, err)
	}
	ds, err := c.CheckMany(t.Context(), gina, "workspace:edit", []authz.ResourceRef{inAcme, authz.ResourceID(globexEng).InOrganization("org_globex")})
	var be *authz.BatchError
	if !errors.As(err, &be) || len(be.Failures) != 1 || be.Failures[0].Index != 0 || !errors.Is(be.Failures[0].Err, authz.ErrOrganizationMismatch) {
		t.Errorf("CheckMany err = %v, want a BatchError with item 0 ErrOrganizationMismatch", err)
	}
	want := []authz.Decision{{}, {Allowed: true, Source: authz.SourceToken}}
	if diff := cmp.Diff(want, ds); diff != "" {
		t.Errorf("CheckMany decisions (-want +got):\n%s", diff)
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("%d calls, want 0", n)
	}
}

// The membership's own organization is accepted (one GET, then none), a
// reference without InOrganization needs no GET, and a membership whose
// organization cannot be learned is refused before any write.
func TestExternalReferenceInOwnOrganization(t *testing.T) {
	t.Parallel()
	f, _ := orgsWorld(t)
	c := f.Client()
	ctx := t.Context()
	globexEng := authz.ExternalResource("workspace", "eng").InOrganization("org_globex")
	f.ResetCalls()
	if err := c.RemoveRole(ctx, "om_gina", "workspace-admin", globexEng); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssignRole(ctx, "om_gina", "workspace-admin", globexEng); err != nil {
		t.Fatal(err)
	}
	// Without InOrganization nothing is learned (the API resolves eng in
	// Gina's organization); the answer, 201 or 409 for a duplicate, does not
	// matter here.
	c.AssignRole(ctx, "om_gina", "workspace-admin", authz.ExternalResource("workspace", "eng"))
	var got []string
	for _, call := range f.Calls() {
		got = append(got, call.Method+" "+call.Path)
	}
	want := []string{
		"GET /user_management/organization_memberships/om_gina",
		"DELETE /authorization/organization_memberships/om_gina/role_assignments",
		"POST /authorization/organization_memberships/om_gina/role_assignments",
		"POST /authorization/organization_memberships/om_gina/role_assignments",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}

	f.ResetCalls()
	_, err := c.AssignRole(ctx, "om_nobody", "workspace-admin", globexEng)
	if !errors.Is(err, authz.ErrNotFound) {
		t.Errorf("AssignRole for an unknown membership: err = %v, want ErrNotFound", err)
	}
	for _, call := range f.Calls() {
		if call.Method != http.MethodGet {
			t.Errorf("a write was sent: %s %s", call.Method, call.Path)
		}
	}
}

// A batch whose parent names another organization than the session's fails
// as a whole, without a call.
func TestBatchParentInAnotherOrganization(t *testing.T) {
	t.Parallel()
	f, globexEng := orgsWorld(t)
	c := f.Client()
	gina := &token.Claims{Subject: "user_gina", OrganizationID: "org_globex", OrganizationMembershipID: "om_gina"}
	items := []authz.ResourceRef{authz.ResourceID(globexEng), authz.ResourceID("a"), authz.ResourceID("b"), authz.ResourceID("c")}
	f.ResetCalls()
	ds, err := c.CheckMany(t.Context(), gina, "workspace:edit", items,
		authz.ChildrenOf(authz.ExternalResource("organization", "org_acme").InOrganization("org_acme")))
	if !errors.Is(err, authz.ErrOrganizationMismatch) {
		t.Errorf("err = %v, want ErrOrganizationMismatch", err)
	}
	for i, d := range ds {
		if d.Allowed {
			t.Errorf("item %d allowed", i)
		}
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("%d calls, want 0", n)
	}
}

// The same for a group's role assignments: a group of Globex never gets,
// or loses, a role on Acme's eng, and Globex's own eng is untouched.
func TestGroupReferenceInAnotherOrganization(t *testing.T) {
	t.Parallel()
	for _, byID := range []bool{false, true} {
		t.Run(map[bool]string{false: "by external ID", true: "by ID"}[byID], func(t *testing.T) {
			t.Parallel()
			testGroupReferenceInAnotherOrganization(t, byID)
		})
	}
}

func testGroupReferenceInAnotherOrganization(t *testing.T, byID bool) {
	tests := []struct {
		name string
		call func(ctx context.Context, c *authz.Client, group string, acmeEng authz.ResourceRef) error
	}{
		{"AssignGroupRole", func(ctx context.Context, c *authz.Client, group string, acmeEng authz.ResourceRef) error {
			_, err := c.AssignGroupRole(ctx, group, "workspace-admin", acmeEng)
			return err
		}},
		{"RemoveGroupRole", func(ctx context.Context, c *authz.Client, group string, acmeEng authz.ResourceRef) error {
			return c.RemoveGroupRole(ctx, group, "workspace-admin", acmeEng)
		}},
		{"ReplaceGroupRoleAssignments", func(ctx context.Context, c *authz.Client, group string, acmeEng authz.ResourceRef) error {
			_, err := c.ReplaceGroupRoleAssignments(ctx, group, []authz.GroupRole{{RoleSlug: "workspace-admin", Resource: acmeEng}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, globexEng := orgsWorld(t)
			acmeEng := authz.ExternalResource("workspace", "eng").InOrganization("org_acme")
			if byID {
				acmeEng = authz.ResourceID(f.ResourceID("org_acme", "workspace", "eng")).InOrganization("org_acme")
			}
			group := f.AddGroup("", "org_globex", "Engineers")
			f.AddGroupMember(group, "om_gina")
			c := f.Client()
			f.ResetCalls()
			if err := tt.call(t.Context(), c, group, acmeEng); !errors.Is(err, authz.ErrOrganizationMismatch) {
				t.Fatalf("err = %v, want ErrOrganizationMismatch", err)
			}
			for _, call := range f.Calls() {
				if call.Method != http.MethodGet {
					t.Errorf("a write was sent: %s %s", call.Method, call.Path)
				}
			}
			// Gina still holds exactly her direct role on Globex's eng.
			n := 0
			for a, err := range c.ListResourceRoleAssignments(t.Context(), authz.ResourceID(globexEng), authz.ListResourceRoleAssignmentsOptions{}) {
				if err != nil {
					t.Fatal(err)
				}
				if a.OrganizationMembershipID == "om_gina" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("Globex's eng has %d assignments of om_gina, want 1 (untouched)", n)
			}
			// Its own organization is accepted, learned once.
			f.ResetCalls()
			globexRef := authz.ExternalResource("workspace", "eng").InOrganization("org_globex")
			for range 2 {
				if _, err := c.AssignGroupRole(t.Context(), group, "workspace-admin", globexRef); err != nil && !errors.Is(err, authz.ErrConflict) {
					t.Fatalf("AssignGroupRole in the group's organization: %v", err)
				}
			}
			gets := 0
			for _, call := range f.Calls() {
				if call.Method == http.MethodGet {
					gets++
				}
			}
			if gets != 1 {
				t.Errorf("%d GETs of the group, want 1 (kept)", gets)
			}
		})
	}
}

// The calls that name a resource alone (get, update, delete, its role
// assignments, who can access it) hold a reference by ID "in" an
// organization to that organization too: Globex's eng named in Acme is
// refused with ErrOrganizationMismatch before any write, and stays as it
// was. The resource's organization is learned with one GET and kept.
func TestResourceIDInAnotherOrganizationIsRefused(t *testing.T) {
	t.Parallel()
	name := "Renamed"
	tests := []struct {
		name string
		call func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error
	}{
		{"GetResource", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			res, err := c.GetResource(ctx, ref)
			if res != nil {
				t.Errorf("GetResource returned %+v", res)
			}
			return err
		}},
		{"UpdateResource", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			_, err := c.UpdateResource(ctx, ref, authz.UpdateResourceParams{Name: &name})
			return err
		}},
		{"DeleteResource", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			return c.DeleteResource(ctx, ref, authz.DeleteResourceOptions{Cascade: true})
		}},
		{"ListResourceRoleAssignmentsPage", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			_, err := c.ListResourceRoleAssignmentsPage(ctx, ref, authz.ListResourceRoleAssignmentsOptions{})
			return err
		}},
		{"ListResourceRoleAssignments", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			for _, err := range c.ListResourceRoleAssignments(ctx, ref, authz.ListResourceRoleAssignmentsOptions{}) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"ListMembershipsForResourcePage", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			_, err := c.ListMembershipsForResourcePage(ctx, ref, "workspace:edit", authz.AssignmentDirect, authz.ListOptions{})
			return err
		}},
		{"ListMembershipsForResource", func(ctx context.Context, c *authz.Client, ref authz.ResourceRef) error {
			for _, err := range c.ListMembershipsForResource(ctx, ref, "workspace:edit", authz.AssignmentDirect, authz.ListOptions{}) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, globexEng := orgsWorld(t)
			c := f.Client()
			inAcme := authz.ResourceID(globexEng).InOrganization("org_acme")
			f.ResetCalls()
			for i := range 2 {
				if err := tt.call(t.Context(), c, inAcme); !errors.Is(err, authz.ErrOrganizationMismatch) {
					t.Fatalf("call %d: err = %v, want ErrOrganizationMismatch", i+1, err)
				}
			}
			var got []string
			for _, call := range f.Calls() {
				got = append(got, call.Method+" "+call.Path)
			}
			want := []string{"GET /authorization/resources/" + globexEng} // learned once
			if tt.name == "GetResource" {
				want = append(want, want[0]) // the read is the call itself
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			res, err := c.GetResource(t.Context(), authz.ResourceID(globexEng).InOrganization("org_globex"))
			if err != nil || res.Name != "eng" {
				t.Errorf("Globex's eng in its own organization: %+v, %v; want it untouched, named eng", res, err)
			}
		})
	}

	// A parent named in another organization than the new resource's.
	f, globexEng := orgsWorld(t)
	c := f.Client()
	f.ResetCalls()
	_, err := c.CreateResource(t.Context(), authz.CreateResourceParams{Name: "x", ExternalID: "x", ResourceTypeSlug: "workspace",
		OrganizationID: "org_acme", Parent: authz.ResourceID(globexEng).InOrganization("org_globex")})
	if !errors.Is(err, authz.ErrOrganizationMismatch) || len(f.Calls()) != 0 {
		t.Errorf("CreateResource with a parent of another organization: %v, %d calls; want ErrOrganizationMismatch, 0 calls", err, len(f.Calls()))
	}
}
