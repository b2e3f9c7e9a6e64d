package contract

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

// scenarios reach every in-scope operation the fake serves, with success
// and with each declared error status the fake can be made to answer.
// They run in order on one fake (newSuite's model), as a user's
// onboarding and administration code would.
// longName is a PATCH body whose name is longer than the spec's maxLength
// (48): a request the spec refuses, sent raw.
var longName = `{"name": "` + strings.Repeat("n", 60) + `"}`

var scenarios = []struct {
	name string
	run  func(*suite)
}{
	{"permissions", func(s *suite) {
		c, ctx := s.c, s.ctx
		p, err := c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "report:export", Name: "Export reports", Description: "CSV", ResourceTypeSlug: "workspace"})
		s.must("create", err)
		_, err = c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: p.Slug, Name: "again"})
		s.status("create duplicate", err, http.StatusConflict)
		_, err = c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "x:y", Name: "x", ResourceTypeSlug: "no-such-type"})
		s.status("create with unknown type", err, http.StatusNotFound)
		_, err = c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "Bad Slug", Name: "x"})
		s.status("create with bad slug", err, http.StatusUnprocessableEntity)
		s.rawStatus("create without a body", s.raw(true, "POST", "/authorization/permissions", `{"slug": 1}`), http.StatusUnprocessableEntity)
		s.rawStatus("create malformed", s.raw(true, "POST", "/authorization/permissions", `{`), http.StatusBadRequest)

		_, err = c.GetPermission(ctx, p.Slug)
		s.must("get", err)
		_, err = c.GetPermission(ctx, "nope")
		s.status("get unknown", err, http.StatusNotFound)

		_, err = c.UpdatePermission(ctx, p.Slug, authz.UpdatePermissionParams{Name: ptr("Export")})
		s.must("update", err)
		_, err = c.UpdatePermission(ctx, p.Slug, authz.UpdatePermissionParams{Description: authz.Null[string]()})
		s.must("clear the description", err)
		_, err = c.UpdatePermission(ctx, "nope", authz.UpdatePermissionParams{Name: ptr("x")})
		s.status("update unknown", err, http.StatusNotFound)
		s.rawStatus("update with a long name", s.raw(true, "PATCH", "/authorization/permissions/"+p.Slug, longName), http.StatusUnprocessableEntity)

		page, err := c.ListPermissionsPage(ctx, authz.ListOptions{Limit: 2, Order: authz.OrderAsc})
		s.must("list page", err)
		drain(s, "list", c.ListPermissions(ctx, authz.ListOptions{}))
		if all := drain(s, "list one by one, order normal", c.ListPermissions(ctx, authz.ListOptions{Limit: 1, Order: authz.OrderNormal})); len(all) < 5 {
			s.t.Errorf("order normal listed %d permissions, want every one", len(all))
		}
		_, err = c.ListPermissionsPage(ctx, authz.ListOptions{After: page.After, Order: authz.OrderNormal})
		s.must("list page normal", err)

		s.must("delete", c.DeletePermission(ctx, p.Slug))
		s.status("delete unknown", c.DeletePermission(ctx, p.Slug), http.StatusNotFound)
	}},
	{"environment roles", func(s *suite) {
		c, ctx := s.c, s.ctx
		r, err := c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Slug: "auditor", Name: "Auditor", Description: "reads", ResourceTypeSlug: "workspace"})
		s.must("create", err)
		_, err = c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Slug: r.Slug, Name: "again"})
		s.status("create duplicate", err, http.StatusConflict)
		_, err = c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Slug: "x", Name: "x", ResourceTypeSlug: "no-such-type"})
		s.status("create with unknown type", err, http.StatusNotFound)
		_, err = c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Slug: "Bad Slug", Name: "x"})
		s.status("create with a bad slug", err, http.StatusUnprocessableEntity)
		s.rawStatus("create malformed", s.raw(true, "POST", "/authorization/roles", `{`), http.StatusBadRequest)

		_, err = c.ListEnvironmentRoles(ctx)
		s.must("list", err)
		_, err = c.GetEnvironmentRole(ctx, r.Slug)
		s.must("get", err)
		_, err = c.GetEnvironmentRole(ctx, "nope")
		s.status("get unknown", err, http.StatusNotFound)

		_, err = c.UpdateEnvironmentRole(ctx, r.Slug, authz.UpdateRoleParams{Description: authz.Value("reads all")})
		s.must("update", err)
		_, err = c.UpdateEnvironmentRole(ctx, r.Slug, authz.UpdateRoleParams{Description: authz.Null[string]()})
		s.must("clear the description", err)
		_, err = c.UpdateEnvironmentRole(ctx, "nope", authz.UpdateRoleParams{Name: ptr("x")})
		s.status("update unknown", err, http.StatusNotFound)
		s.rawStatus("update with a long name", s.raw(true, "PATCH", "/authorization/roles/"+r.Slug, longName), http.StatusUnprocessableEntity)
		s.rawStatus("update malformed", s.raw(true, "PATCH", "/authorization/roles/"+r.Slug, `{`), http.StatusBadRequest)

		_, err = c.SetEnvironmentRolePermissions(ctx, r.Slug, []string{"workspace:view", "project:view"})
		s.must("set permissions", err)
		_, err = c.SetEnvironmentRolePermissions(ctx, "nope", []string{"workspace:view"})
		s.status("set permissions of unknown", err, http.StatusNotFound)
		_, err = c.SetEnvironmentRolePermissions(ctx, r.Slug, []string{"billing:manage"})
		s.status("set a permission of an ancestor type", err, http.StatusUnprocessableEntity)
		s.rawStatus("set permissions malformed", s.raw(true, "PUT", "/authorization/roles/"+r.Slug+"/permissions", `{`), http.StatusBadRequest)

		_, err = c.AddEnvironmentRolePermission(ctx, r.Slug, "project:edit")
		s.must("add permission", err)
		_, err = c.AddEnvironmentRolePermission(ctx, "nope", "project:edit")
		s.status("add permission to unknown", err, http.StatusNotFound)
		_, err = c.AddEnvironmentRolePermission(ctx, r.Slug, "billing:manage")
		s.status("add a permission of an ancestor type", err, http.StatusUnprocessableEntity)
		s.rawStatus("add permission malformed", s.raw(true, "POST", "/authorization/roles/"+r.Slug+"/permissions", `{`), http.StatusBadRequest)
	}},
	{"organization roles", func(s *suite) {
		c, ctx := s.c, s.ctx
		r, err := c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Name: "Billing", Slug: "org-billing", Description: "pays"})
		s.must("create", err)
		_, err = c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Name: "again", Slug: r.Slug})
		s.status("create duplicate", err, http.StatusConflict)
		_, err = c.CreateOrganizationRole(ctx, "org_nope", authz.CreateOrganizationRoleParams{Name: "x", Slug: "org-x"})
		s.status("create in unknown organization", err, http.StatusNotFound)
		_, err = c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Name: "x", Slug: "no-prefix"})
		s.status("create without the org- prefix", err, http.StatusUnprocessableEntity)
		s.rawStatus("create malformed", s.raw(true, "POST", "/authorization/organizations/org_acme/roles", `{`), http.StatusBadRequest)

		_, err = c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Name: "Support"})
		s.must("create without a slug", err)
		_, err = c.ListOrganizationRoles(ctx, "org_acme")
		s.must("list", err)
		_, err = c.ListOrganizationRoles(ctx, "org_nope")
		s.status("list of unknown organization", err, http.StatusNotFound)
		_, err = c.GetOrganizationRole(ctx, "org_acme", r.Slug)
		s.must("get", err)
		_, err = c.GetOrganizationRole(ctx, "org_acme", "org-nope")
		s.status("get unknown", err, http.StatusNotFound)

		_, err = c.UpdateOrganizationRole(ctx, "org_acme", r.Slug, authz.UpdateRoleParams{Name: ptr("Billing admins")})
		s.must("update", err)
		_, err = c.UpdateOrganizationRole(ctx, "org_acme", r.Slug, authz.UpdateRoleParams{Description: authz.Null[string]()})
		s.must("clear the description", err)
		_, err = c.UpdateOrganizationRole(ctx, "org_acme", "org-nope", authz.UpdateRoleParams{Name: ptr("x")})
		s.status("update unknown", err, http.StatusNotFound)
		s.rawStatus("update with a long name", s.raw(true, "PATCH", "/authorization/organizations/org_acme/roles/"+r.Slug, longName), http.StatusUnprocessableEntity)
		s.rawStatus("update malformed", s.raw(true, "PATCH", "/authorization/organizations/org_acme/roles/"+r.Slug, `{`), http.StatusBadRequest)

		_, err = c.SetOrganizationRolePermissions(ctx, "org_acme", r.Slug, []string{"billing:manage"})
		s.must("set permissions", err)
		_, err = c.SetOrganizationRolePermissions(ctx, "org_acme", "org-nope", nil)
		s.status("set permissions of unknown", err, http.StatusNotFound)
		_, err = c.SetOrganizationRolePermissions(ctx, "org_acme", r.Slug, []string{"Bad Slug!"})
		s.status("set permissions with a bad slug", err, http.StatusNotFound)
		_, err = c.AddOrganizationRolePermission(ctx, "org_acme", r.Slug, "workspace:view")
		s.must("add permission", err)
		ws, err := c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Name: "Ws viewer", Slug: "org-ws-viewer", ResourceTypeSlug: "workspace"})
		s.must("create a workspace role", err)
		_, err = c.AddOrganizationRolePermission(ctx, "org_acme", ws.Slug, "billing:manage")
		s.status("add a permission of an ancestor type", err, http.StatusUnprocessableEntity)
		_, err = c.SetOrganizationRolePermissions(ctx, "org_acme", ws.Slug, []string{"billing:manage"})
		s.status("set a permission of an ancestor type", err, http.StatusUnprocessableEntity)
		_, err = c.AddOrganizationRolePermission(ctx, "org_acme", "org-nope", "workspace:view")
		s.status("add permission to unknown", err, http.StatusNotFound)
		s.rawStatus("add permission malformed", s.raw(true, "POST", "/authorization/organizations/org_acme/roles/"+r.Slug+"/permissions", `{`), http.StatusBadRequest)
		_, err = c.RemoveOrganizationRolePermission(ctx, "org_acme", r.Slug, "workspace:view")
		s.must("remove permission", err)
		_, err = c.RemoveOrganizationRolePermission(ctx, "org_acme", r.Slug, "workspace:view")
		s.status("remove a permission the role lacks", err, http.StatusNotFound)

		// A role scoped to workspace, assigned, cannot be deleted.
		scoped, err := c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Name: "Ws", Slug: "org-ws", ResourceTypeSlug: "workspace"})
		s.must("create scoped", err)
		_, err = c.AssignRole(ctx, "om_bob", scoped.Slug, authz.ResourceID("res_eng"))
		s.must("assign scoped", err)
		s.status("delete an assigned role", c.DeleteOrganizationRole(ctx, "org_acme", scoped.Slug), http.StatusConflict)
		s.must("unassign scoped", c.RemoveRole(ctx, "om_bob", scoped.Slug, authz.ResourceID("res_eng")))
		s.must("delete", c.DeleteOrganizationRole(ctx, "org_acme", scoped.Slug))
		s.status("delete unknown", c.DeleteOrganizationRole(ctx, "org_acme", scoped.Slug), http.StatusNotFound)
	}},
	{"resources", func(s *suite) {
		c, ctx := s.c, s.ctx
		r, err := c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: "mobile", Name: "Mobile", Description: "apps",
			ResourceTypeSlug: "project", OrganizationID: "org_acme", Parent: authz.ExternalResource("workspace", "eng")})
		s.must("create", err)
		_, err = c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: "mobile", Name: "Mobile", ResourceTypeSlug: "project",
			OrganizationID: "org_acme", Parent: authz.ResourceID("res_eng")})
		s.status("create duplicate", err, http.StatusConflict)
		_, err = c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: "x", Name: "x", ResourceTypeSlug: "project",
			OrganizationID: "org_acme", Parent: authz.ResourceID("res_nope")})
		s.status("create under an unknown parent", err, http.StatusNotFound)
		_, err = c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: "x", Name: "x", ResourceTypeSlug: "project", OrganizationID: "org_acme"})
		s.status("create a project directly under the organization", err, http.StatusUnprocessableEntity)
		s.rawStatus("create malformed", s.raw(true, "POST", "/authorization/resources", `{`), http.StatusBadRequest)
		root, err := c.GetResource(ctx, authz.ExternalResource("organization", "org_acme").InOrganization("org_acme"))
		s.must("get the organization root", err)
		s.status("delete the organization root", c.DeleteResource(ctx, authz.ResourceID(root.ID), authz.DeleteResourceOptions{Cascade: true}), http.StatusForbidden)
		_, err = c.UpdateResource(ctx, authz.ResourceID(root.ID), authz.UpdateResourceParams{Name: ptr("Acme Inc")})
		s.status("update the organization root", err, http.StatusUnprocessableEntity)

		_, err = c.GetResource(ctx, authz.ResourceID(r.ID))
		s.must("get", err)
		_, err = c.GetResource(ctx, authz.ResourceID("res_nope"))
		s.status("get unknown", err, http.StatusNotFound)
		_, err = c.GetResource(ctx, authz.ExternalResource("project", "mobile").InOrganization("org_acme"))
		s.must("get by external ID", err)
		_, err = c.GetResource(ctx, authz.ExternalResource("project", "nope").InOrganization("org_acme"))
		s.status("get unknown by external ID", err, http.StatusNotFound)

		_, err = c.UpdateResource(ctx, authz.ResourceID(r.ID), authz.UpdateResourceParams{Name: ptr("Mobile apps")})
		s.must("update", err)
		moved, err := c.UpdateResource(ctx, authz.ResourceID(r.ID), authz.UpdateResourceParams{Description: authz.Null[string](), Parent: ptr(authz.ResourceID("res_eng"))})
		s.must("clear the description and move", err)
		if moved.Description != "" {
			s.t.Errorf("description %q after Null", moved.Description)
		}
		_, err = c.UpdateResource(ctx, authz.ResourceID("res_nope"), authz.UpdateResourceParams{Name: ptr("x")})
		s.status("update unknown", err, http.StatusNotFound)
		s.rawStatus("update with a long name", s.raw(true, "PATCH", "/authorization/resources/"+r.ID, longName), http.StatusUnprocessableEntity)
		_, err = c.UpdateResource(ctx, authz.ExternalResource("project", "mobile").InOrganization("org_acme"), authz.UpdateResourceParams{Description: authz.Value("iOS and Android")})
		s.must("update by external ID", err)
		_, err = c.UpdateResource(ctx, authz.ExternalResource("project", "nope").InOrganization("org_acme"), authz.UpdateResourceParams{Name: ptr("x")})
		s.status("update unknown by external ID", err, http.StatusNotFound)
		s.rawStatus("update by external ID with a long name", s.raw(true, "PATCH", "/authorization/organizations/org_acme/resources/project/mobile", longName), http.StatusUnprocessableEntity)

		drain(s, "list", c.ListResources(ctx, authz.ListResourcesOptions{OrganizationID: "org_acme", ListOptions: authz.ListOptions{Limit: 2}}))
		drain(s, "list by external ID", c.ListResources(ctx, authz.ListResourcesOptions{ResourceTypeSlug: "project", ResourceExternalID: "web"}))
		_, err = c.ListResourcesPage(ctx, authz.ListResourcesOptions{OrganizationID: "org_acme", Parent: authz.ResourceID("res_eng"), ListOptions: authz.ListOptions{Limit: 1, Order: authz.OrderNormal}})
		s.must("list children", err)
		_, err = c.ListResourcesPage(ctx, authz.ListResourcesOptions{ResourceTypeSlug: "project", Parent: authz.ExternalResource("workspace", "eng")})
		s.must("list children by external ID", err)
		s.rawStatus("list with a limit over 100", s.raw(true, "GET", "/authorization/resources?organization_id=org_acme&limit=500", ""), http.StatusUnprocessableEntity)
		_, err = c.ListResourcesPage(ctx, authz.ListResourcesOptions{Parent: authz.ResourceID("res_eng")})
		s.status("list without organization_id or resource_type_slug", err, http.StatusBadRequest)
		s.rawStatus("list with both parent forms", s.raw(true, "GET",
			"/authorization/resources?organization_id=org_acme&parent_resource_id=res_eng&parent_resource_type_slug=workspace&parent_external_id=eng", ""), http.StatusUnprocessableEntity)

		// A resource with children or assignments: 409 unless cascading.
		ws, err := c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: "ops", Name: "Ops", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
		s.must("create workspace", err)
		_, err = c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: "infra", Name: "Infra", ResourceTypeSlug: "project", OrganizationID: "org_acme", Parent: authz.ResourceID(ws.ID)})
		s.must("create child", err)
		s.status("delete with children", c.DeleteResource(ctx, authz.ResourceID(ws.ID), authz.DeleteResourceOptions{}), http.StatusConflict)
		s.status("delete by external ID with children", c.DeleteResource(ctx, authz.ExternalResource("workspace", "ops").InOrganization("org_acme"), authz.DeleteResourceOptions{}), http.StatusConflict)
		s.must("delete by external ID", c.DeleteResource(ctx, authz.ExternalResource("project", "infra").InOrganization("org_acme"), authz.DeleteResourceOptions{}))
		s.must("delete", c.DeleteResource(ctx, authz.ResourceID(ws.ID), authz.DeleteResourceOptions{Cascade: true}))
		s.status("delete unknown", c.DeleteResource(ctx, authz.ResourceID(ws.ID), authz.DeleteResourceOptions{}), http.StatusNotFound)
		s.status("delete unknown by external ID", c.DeleteResource(ctx, authz.ExternalResource("workspace", "ops").InOrganization("org_acme"), authz.DeleteResourceOptions{}), http.StatusNotFound)
	}},
	{"role assignments", func(s *suite) {
		c, ctx := s.c, s.ctx
		a, err := c.AssignRole(ctx, "om_bob", "project-editor", authz.ResourceID("res_web"))
		s.must("assign", err)
		_, err = c.AssignRole(ctx, "om_bob", "project-editor", authz.ExternalResource("project", "api").InOrganization("org_acme"))
		s.must("assign by external ID", err)
		_, err = c.AssignRole(ctx, "om_bob", "nope", authz.ResourceID("res_web"))
		s.status("assign unknown role", err, http.StatusNotFound)
		_, err = c.AssignRole(ctx, "om_bob", "project-editor", authz.ResourceID("res_eng"))
		s.status("assign a role of another type", err, http.StatusUnprocessableEntity)

		drain(s, "list", c.ListRoleAssignments(ctx, "om_bob", authz.ListRoleAssignmentsOptions{}))
		drain(s, "list on a resource", c.ListRoleAssignments(ctx, "om_bob", authz.ListRoleAssignmentsOptions{ResourceID: "res_web"}))
		drain(s, "list on a resource by external ID", c.ListRoleAssignments(ctx, "om_bob", authz.ListRoleAssignmentsOptions{ResourceExternalID: "api", ResourceTypeSlug: "project",
			ListOptions: authz.ListOptions{Limit: 1, Order: authz.OrderAsc}}))
		_, err = c.ListRoleAssignmentsPage(ctx, "om_nope", authz.ListRoleAssignmentsOptions{})
		s.status("list of unknown membership", err, http.StatusNotFound)
		drain(s, "list on resource", c.ListResourceRoleAssignments(ctx, authz.ResourceID("res_web"), authz.ListResourceRoleAssignmentsOptions{}))
		_, err = c.ListResourceRoleAssignmentsPage(ctx, authz.ResourceID("res_nope"), authz.ListResourceRoleAssignmentsOptions{})
		s.status("list on unknown resource", err, http.StatusNotFound)
		drain(s, "list on resource by external ID", c.ListResourceRoleAssignments(ctx, authz.ExternalResource("project", "web").InOrganization("org_acme"), authz.ListResourceRoleAssignmentsOptions{RoleSlug: "project-editor"}))
		_, err = c.ListResourceRoleAssignmentsPage(ctx, authz.ExternalResource("project", "nope").InOrganization("org_acme"), authz.ListResourceRoleAssignmentsOptions{})
		s.status("list on unknown resource by external ID", err, http.StatusNotFound)

		s.must("remove", c.RemoveRole(ctx, "om_bob", "project-editor", authz.ExternalResource("project", "api").InOrganization("org_acme")))
		s.status("remove again", c.RemoveRole(ctx, "om_bob", "project-editor", authz.ExternalResource("project", "api").InOrganization("org_acme")), http.StatusNotFound)
		s.status("remove a role of another type", c.RemoveRole(ctx, "om_bob", "project-editor", authz.ResourceID("res_eng")), http.StatusNotFound)
		s.rawStatus("remove naming the resource both ways", s.raw(true, "DELETE", "/authorization/organization_memberships/om_bob/role_assignments",
			`{"role_slug": "project-editor", "resource_id": "res_web", "resource_type_slug": "project"}`), http.StatusUnprocessableEntity)
		_, err = c.AssignRole(ctx, "om_alice", "workspace-admin", authz.ResourceID("res_eng"))
		s.status("assign a role already assigned", err, http.StatusUnprocessableEntity)
		s.rawStatus("assign naming the resource both ways", s.raw(true, "POST", "/authorization/organization_memberships/om_bob/role_assignments",
			`{"role_slug": "project-editor", "resource_id": "res_web", "resource_external_id": "web", "resource_type_slug": "project"}`), http.StatusUnprocessableEntity)
		s.must("remove by ID", c.RemoveRoleAssignment(ctx, "om_bob", a.ID))
		s.status("remove by ID again", c.RemoveRoleAssignment(ctx, "om_bob", a.ID), http.StatusNotFound)
	}},
	{"check", func(s *suite) {
		r := s.c.API()
		d, err := r.Check(s.ctx, "om_alice", "project:edit", authz.ResourceID("res_web"))
		s.must("check", err)
		if !d.Allowed {
			s.t.Error("alice may edit web through her workspace role")
		}
		_, err = r.Check(s.ctx, "om_alice", "project:edit", authz.ExternalResource("project", "web"))
		s.must("check by external ID", err)
		// The API answers 404; the client turns it into a deny.
		d, err = r.Check(s.ctx, "om_nope", "project:edit", authz.ResourceID("res_web"))
		s.must("check of unknown membership", err)
		if d.Allowed || !d.NotFound {
			s.t.Errorf("check of unknown membership = %+v, want a NotFound deny", d)
		}
		s.rawStatus("check naming the resource both ways", s.raw(true, "POST", "/authorization/organization_memberships/om_alice/check",
			`{"permission_slug": "project:edit", "resource_id": "res_web", "resource_type_slug": "project"}`), http.StatusUnprocessableEntity)
		s.rawStatus("check without permission_slug",
			s.raw(true, "POST", "/authorization/organization_memberships/om_alice/check", `{"resource_id": "res_web"}`), http.StatusUnprocessableEntity)
	}},
	{"discovery", func(s *suite) {
		c, ctx := s.c, s.ctx
		drain(s, "resources for membership", c.ListResourcesForMembership(ctx, "om_alice", "project:edit", authz.ResourceID("res_eng"), authz.ListOptions{}))
		_, err := c.ListResourcesForMembershipPage(ctx, "om_alice", "project:edit", authz.ExternalResource("workspace", "eng"), authz.ListOptions{Limit: 1})
		s.must("resources for membership by external parent", err)
		_, err = c.ListResourcesForMembershipPage(ctx, "om_nope", "project:edit", authz.ResourceID("res_eng"), authz.ListOptions{})
		s.status("resources for unknown membership", err, http.StatusNotFound)
		s.rawStatus("resources without a parent",
			s.raw(true, "GET", "/authorization/organization_memberships/om_alice/resources?permission_slug=project:edit", ""), http.StatusBadRequest)
		s.rawStatus("resources without permission_slug",
			s.raw(true, "GET", "/authorization/organization_memberships/om_alice/resources?parent_resource_id=res_eng", ""), http.StatusUnprocessableEntity)

		drain(s, "effective permissions", c.EffectivePermissions(ctx, "om_alice", authz.ResourceID("res_web"), authz.ListOptions{}))
		_, err = c.EffectivePermissionsPage(ctx, "om_alice", authz.ResourceID("res_nope"), authz.ListOptions{})
		s.status("effective permissions on unknown resource", err, http.StatusNotFound)
		s.rawStatus("effective permissions with a limit over 100", s.raw(true, "GET",
			"/authorization/organization_memberships/om_alice/resources/res_web/permissions?limit=500", ""), http.StatusUnprocessableEntity)
		drain(s, "effective permissions by external ID", c.EffectivePermissions(ctx, "om_alice", authz.ExternalResource("project", "web"), authz.ListOptions{}))
		_, err = c.EffectivePermissionsPage(ctx, "om_alice", authz.ExternalResource("project", "nope"), authz.ListOptions{})
		s.status("effective permissions on unknown resource by external ID", err, http.StatusNotFound)
		s.rawStatus("effective permissions by external ID with a limit over 100", s.raw(true, "GET",
			"/authorization/organization_memberships/om_alice/resources/project/web/permissions?limit=500", ""), http.StatusUnprocessableEntity)

		drain(s, "memberships with access", c.ListMembershipsForResource(ctx, authz.ResourceID("res_web"), "project:edit", "", authz.ListOptions{}))
		_, err = c.ListMembershipsForResourcePage(ctx, authz.ResourceID("res_web"), "project:edit", authz.AssignmentDirect, authz.ListOptions{Order: authz.OrderAsc})
		s.must("memberships with direct access", err)
		_, err = c.ListMembershipsForResourcePage(ctx, authz.ResourceID("res_nope"), "project:edit", "", authz.ListOptions{})
		s.status("memberships with access to unknown resource", err, http.StatusNotFound)
		s.rawStatus("memberships with access without permission_slug",
			s.raw(true, "GET", "/authorization/resources/res_web/organization_memberships", ""), http.StatusUnprocessableEntity)
		drain(s, "memberships with access by external ID", c.ListMembershipsForResource(ctx, authz.ExternalResource("project", "web").InOrganization("org_acme"), "project:edit", authz.AssignmentIndirect, authz.ListOptions{}))
		_, err = c.ListMembershipsForResourcePage(ctx, authz.ExternalResource("project", "nope").InOrganization("org_acme"), "project:edit", "", authz.ListOptions{})
		s.status("memberships with access to unknown resource by external ID", err, http.StatusNotFound)
		s.rawStatus("memberships with access by external ID without permission_slug",
			s.raw(true, "GET", "/authorization/organizations/org_acme/resources/project/web/organization_memberships", ""), http.StatusUnprocessableEntity)
	}},
	{"group role assignments", func(s *suite) {
		c, ctx := s.c, s.ctx
		g, err := c.AssignGroupRole(ctx, "group_eng", "project-editor", authz.ResourceID("res_web"))
		s.must("assign", err)
		_, err = c.AssignGroupRole(ctx, "group_eng", "project-editor", authz.ResourceID("res_web"))
		s.status("assign duplicate", err, http.StatusConflict)
		_, err = c.AssignGroupRole(ctx, "group_nope", "project-editor", authz.ResourceID("res_web"))
		s.status("assign to unknown group", err, http.StatusNotFound)
		_, err = c.AssignGroupRole(ctx, "group_eng", "project-editor", authz.ResourceID("res_eng"))
		s.status("assign a role of another type", err, http.StatusUnprocessableEntity)

		drain(s, "list", c.ListGroupRoleAssignments(ctx, "group_eng", authz.ListOptions{}))
		_, err = c.ListGroupRoleAssignmentsPage(ctx, "group_nope", authz.ListOptions{})
		s.status("list of unknown group", err, http.StatusNotFound)
		_, err = c.GetGroupRoleAssignment(ctx, "group_eng", g.ID)
		s.must("get", err)
		_, err = c.GetGroupRoleAssignment(ctx, "group_eng", "gra_nope")
		s.status("get unknown", err, http.StatusNotFound)

		_, err = c.ReplaceGroupRoleAssignments(ctx, "group_eng", []authz.GroupRole{
			{RoleSlug: "project-editor", Resource: authz.ResourceID("res_web")},
			{RoleSlug: "workspace-admin", Resource: authz.ExternalResource("workspace", "eng")},
		})
		s.must("replace", err)
		_, err = c.ReplaceGroupRoleAssignments(ctx, "group_nope", nil)
		s.status("replace of unknown group", err, http.StatusNotFound)
		_, err = c.ReplaceGroupRoleAssignments(ctx, "group_eng", []authz.GroupRole{{RoleSlug: "project-editor", Resource: authz.ResourceID("res_eng")}})
		s.status("replace with a role of another type", err, http.StatusUnprocessableEntity)

		s.must("remove", c.RemoveGroupRole(ctx, "group_eng", "workspace-admin", authz.ExternalResource("workspace", "eng")))
		s.status("remove from unknown group", c.RemoveGroupRole(ctx, "group_nope", "workspace-admin", authz.ResourceID("res_eng")), http.StatusNotFound)
		s.rawStatus("remove without role_slug",
			s.raw(true, "DELETE", "/authorization/groups/group_eng/role_assignments", `{"resource_id": "res_eng"}`), http.StatusUnprocessableEntity)
		s.must("remove by ID", c.RemoveGroupRoleAssignment(ctx, "group_eng", g.ID))
		s.status("remove by ID again", c.RemoveGroupRoleAssignment(ctx, "group_eng", g.ID), http.StatusNotFound)
	}},
	{"organization memberships", func(s *suite) {
		c, ctx := s.c, s.ctx
		om, err := c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_carol", OrganizationID: "org_acme", RoleSlug: "member"})
		s.must("create", err)
		d, err := c.API().Check(ctx, om.ID, "billing:manage", authz.ExternalResource("organization", "org_acme"))
		s.must("check the new membership", err)
		if d.Allowed {
			s.t.Error("a member may not manage billing")
		}
		_, err = c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_dan", OrganizationID: "org_acme", RoleSlugs: []string{"member", "admin"}})
		s.must("create with several roles", err)
		_, err = c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_carol", OrganizationID: "org_nope"})
		s.status("create in an unknown organization", err, http.StatusNotFound)
		_, err = c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_erin", OrganizationID: "org_acme", RoleSlug: "nope"})
		s.status("create with an unknown role", err, http.StatusUnprocessableEntity)
		_, err = c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_erin", OrganizationID: "org_acme", RoleSlug: "workspace-admin"})
		s.status("create with a sub-resource scoped role", err, http.StatusUnprocessableEntity)
		const members = "/user_management/organization_memberships"
		s.rawStatus("create with both role forms", s.raw(true, "POST", members,
			`{"user_id": "user_erin", "organization_id": "org_acme", "role_slug": "member", "role_slugs": ["member"]}`), http.StatusUnprocessableEntity)
		s.rawStatus("create with a null role_slug", s.raw(true, "POST", members,
			`{"user_id": "user_erin", "organization_id": "org_acme", "role_slug": null}`), http.StatusUnprocessableEntity)
		s.rawStatus("create without a user", s.raw(true, "POST", members, `{"organization_id": "org_acme"}`), http.StatusUnprocessableEntity)
		s.rawStatus("update with both role forms", s.raw(true, "PUT", members+"/"+om.ID,
			`{"role_slug": "member", "role_slugs": ["member"]}`), http.StatusUnprocessableEntity)
		s.rawStatus("list with an unknown cursor", s.raw(true, "GET", members+"?organization_id=org_acme&after=om_nope", ""), http.StatusUnprocessableEntity)
		s.rawStatus("list with a limit of 0", s.raw(true, "GET", members+"?organization_id=org_acme&limit=0", ""), http.StatusUnprocessableEntity)
		// order=normal pages newest first with before as the forward cursor:
		// one by one it must reach every membership asc does.
		asc := drain(s, "list one by one, order asc", c.ListMemberships(ctx, authz.ListMembershipsOptions{OrganizationID: "org_acme", ListOptions: authz.ListOptions{Limit: 1, Order: authz.OrderAsc}}))
		normal := drain(s, "list one by one, order normal", c.ListMemberships(ctx, authz.ListMembershipsOptions{OrganizationID: "org_acme", ListOptions: authz.ListOptions{Limit: 1, Order: authz.OrderNormal}}))
		if len(asc) < 2 || len(normal) != len(asc) || normal[0].ID != asc[len(asc)-1].ID {
			s.t.Errorf("order normal listed %d memberships starting with the newest, asc %d", len(normal), len(asc))
		}
		// A pending membership (an invitation not yet accepted) can be
		// neither created again, deactivated nor reactivated.
		fx, err := authztest.ParseFixture(strings.NewReader(`{"organization_memberships": [
			{"id": "om_pat", "user_id": "user_pat", "organization_id": "org_acme", "status": "pending"}]}`))
		s.must("parse fixture", err)
		s.must("load a pending membership", s.f.Load(fx))
		_, err = c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_pat", OrganizationID: "org_acme"})
		s.status("create for a user with a pending membership", err, http.StatusBadRequest)
		_, err = c.DeactivateMembership(ctx, "om_pat")
		s.status("deactivate a pending membership", err, http.StatusBadRequest)
		_, err = c.ReactivateMembership(ctx, "om_pat")
		s.status("reactivate a pending membership", err, http.StatusBadRequest)

		_, err = c.GetMembership(ctx, om.ID)
		s.must("get", err)
		_, err = c.GetMembership(ctx, "om_nope")
		s.status("get unknown", err, http.StatusNotFound)
		_, err = c.UpdateMembership(ctx, om.ID, authz.UpdateMembershipParams{RoleSlug: "admin"})
		s.must("update", err)
		_, err = c.UpdateMembership(ctx, "om_nope", authz.UpdateMembershipParams{RoleSlug: "admin"})
		s.status("update unknown", err, http.StatusNotFound)
		_, err = c.UpdateMembership(ctx, om.ID, authz.UpdateMembershipParams{RoleSlug: "nope"})
		s.status("update with an unknown role", err, http.StatusUnprocessableEntity)

		drain(s, "list by organization", c.ListMemberships(ctx, authz.ListMembershipsOptions{OrganizationID: "org_acme"}))
		drain(s, "list by user, every status", c.ListMemberships(ctx, authz.ListMembershipsOptions{UserID: "user_carol",
			Statuses: []string{authz.MembershipActive, authz.MembershipInactive, authz.MembershipPending}}))
		_, err = c.ListMembershipsPage(ctx, authz.ListMembershipsOptions{OrganizationID: "org_nope"})
		s.status("list of an unknown organization", err, http.StatusNotFound)
		s.rawStatus("list with an unknown status", s.raw(true, "GET", "/user_management/organization_memberships?organization_id=org_acme&statuses=gone", ""), http.StatusBadRequest)
		s.rawStatus("list with a limit over 100", s.raw(true, "GET", "/user_management/organization_memberships?organization_id=org_acme&limit=500", ""), http.StatusUnprocessableEntity)

		_, err = c.DeactivateMembership(ctx, om.ID)
		s.must("deactivate", err)
		again, err := c.DeactivateMembership(ctx, om.ID)
		s.must("deactivate an inactive membership (no change)", err)
		if again.Status != authz.MembershipInactive {
			s.t.Errorf("deactivated twice: status %q", again.Status)
		}
		d, err = c.API().Check(ctx, om.ID, "project:edit", authz.ResourceID("res_web"))
		s.must("check a deactivated membership", err)
		if d.Allowed {
			s.t.Error("a deactivated membership is allowed")
		}
		_, err = c.DeactivateMembership(ctx, "om_nope")
		s.status("deactivate unknown", err, http.StatusNotFound)
		_, err = c.ReactivateMembership(ctx, om.ID)
		s.must("reactivate", err)
		again, err = c.ReactivateMembership(ctx, om.ID)
		s.must("reactivate an active membership (no change)", err)
		if again.Status != authz.MembershipActive {
			s.t.Errorf("reactivated twice: status %q", again.Status)
		}
		_, err = c.ReactivateMembership(ctx, "om_nope")
		s.status("reactivate unknown", err, http.StatusNotFound)

		drain(s, "groups of a membership", c.ListMembershipGroups(ctx, "om_bob", authz.ListOptions{}))
		_, err = c.ListMembershipGroupsPage(ctx, "om_nope", authz.ListOptions{})
		s.status("groups of an unknown membership", err, http.StatusNotFound)

		s.must("delete", c.DeleteMembership(ctx, om.ID))
		s.status("delete again", c.DeleteMembership(ctx, om.ID), http.StatusNotFound)
	}},
	{"groups", func(s *suite) {
		c, ctx := s.c, s.ctx
		g, err := c.CreateGroup(ctx, "org_acme", authz.CreateGroupParams{Name: "Designers", Description: "Pixels"})
		s.must("create", err)
		_, err = c.CreateGroup(ctx, "org_nope", authz.CreateGroupParams{Name: "x"})
		s.status("create in an unknown organization", err, http.StatusNotFound)
		s.rawStatus("create without a name", s.raw(true, "POST", "/organizations/org_acme/groups", `{"description": "x"}`), http.StatusUnprocessableEntity)
		s.rawStatus("create malformed", s.raw(true, "POST", "/organizations/org_acme/groups", `{`), http.StatusBadRequest)

		drain(s, "list", c.ListGroups(ctx, "org_acme", authz.ListOptions{}))
		_, err = c.ListGroupsPage(ctx, "org_nope", authz.ListOptions{})
		s.status("list of an unknown organization", err, http.StatusNotFound)
		_, err = c.GetGroup(ctx, "org_acme", g.ID)
		s.must("get", err)
		_, err = c.GetGroup(ctx, "org_acme", "group_nope")
		s.status("get unknown", err, http.StatusNotFound)
		_, err = c.UpdateGroup(ctx, "org_acme", g.ID, authz.UpdateGroupParams{Name: ptr("Design"), Description: authz.Null[string]()})
		s.must("update", err)
		_, err = c.UpdateGroup(ctx, "org_acme", "group_nope", authz.UpdateGroupParams{Name: ptr("x")})
		s.status("update unknown", err, http.StatusNotFound)
		s.rawStatus("update with an empty name", s.raw(true, "PATCH", "/organizations/org_acme/groups/"+g.ID, `{"name": ""}`), http.StatusUnprocessableEntity)
		s.rawStatus("update malformed", s.raw(true, "PATCH", "/organizations/org_acme/groups/"+g.ID, `{`), http.StatusBadRequest)

		_, err = c.AddGroupMember(ctx, "org_acme", g.ID, "om_alice")
		s.must("add a member", err)
		_, err = c.AddGroupMember(ctx, "org_acme", g.ID, "om_alice")
		s.must("add a member again (no change)", err)
		s.rawStatus("add a member given as null", s.raw(true, "POST", "/organizations/org_acme/groups/"+g.ID+"/organization-memberships",
			`{"organization_membership_id": null}`), http.StatusUnprocessableEntity)
		_, err = c.AddGroupMember(ctx, "org_acme", g.ID, "om_eve")
		s.status("add a member of another organization", err, http.StatusNotFound)
		s.rawStatus("add without a membership", s.raw(true, "POST", "/organizations/org_acme/groups/"+g.ID+"/organization-memberships", `{}`), http.StatusUnprocessableEntity)
		drain(s, "list members", c.ListGroupMembers(ctx, "org_acme", g.ID, authz.ListOptions{}))
		_, err = c.ListGroupMembersPage(ctx, "org_acme", "group_nope", authz.ListOptions{})
		s.status("list members of an unknown group", err, http.StatusNotFound)
		s.must("remove a member", c.RemoveGroupMember(ctx, "org_acme", g.ID, "om_alice"))
		s.status("remove a non-member", c.RemoveGroupMember(ctx, "org_acme", g.ID, "om_alice"), http.StatusNotFound)

		s.must("delete", c.DeleteGroup(ctx, "org_acme", g.ID))
		s.status("delete again", c.DeleteGroup(ctx, "org_acme", g.ID), http.StatusNotFound)
	}},
	{"malformed bodies", func(s *suite) {
		// A body that is not JSON, on the in-scope operations that take one
		// and declare no 400 bad_request: each must answer a status and body
		// the operation declares (the table checks the body).
		for _, r := range []struct {
			method, path string
			want         int
		}{
			{"POST", "/authorization/organization_memberships/om_alice/check", 422},
			{"POST", "/authorization/organization_memberships/om_alice/role_assignments", 422},
			{"DELETE", "/authorization/organization_memberships/om_alice/role_assignments", 422},
			{"POST", "/authorization/groups/group_eng/role_assignments", 422},
			{"PUT", "/authorization/groups/group_eng/role_assignments", 422},
			{"DELETE", "/authorization/groups/group_eng/role_assignments", 422},
			{"PATCH", "/authorization/permissions/project:edit", 422},
			{"PATCH", "/authorization/resources/res_web", 422},
			{"PATCH", "/authorization/organizations/org_acme/resources/project/web", 422},
			{"POST", "/user_management/organization_memberships", 422},
			{"PUT", "/user_management/organization_memberships/om_alice", 422},
			{"POST", "/organizations/org_acme/groups/group_eng/organization-memberships", 422},
			{"POST", "/user_management/sessions/revoke", 400},
			{"PUT", "/user_management/jwt_template", 422},
		} {
			s.rawStatus("malformed "+r.method+" "+r.path, s.raw(true, r.method, r.path, `{`), r.want)
		}
	}},
	{"sessions and the JWT template", func(s *suite) {
		c, ctx := s.c, s.ctx
		tok := s.f.Session("om_alice")
		claims, err := s.f.Verifier().Verify(ctx, tok)
		s.must("verify", err)
		s.must("revoke", c.RevokeSession(ctx, claims.SessionID))
		s.rawStatus("the JWKS", s.raw(false, "GET", "/sso/jwks/"+s.f.ClientID(), ""), http.StatusOK)
		s.rawStatus("the JWKS of an unknown client", s.raw(false, "GET", "/sso/jwks/client_nope", ""), http.StatusNotFound)
		s.status("revoke an unknown session", c.RevokeSession(ctx, "session_nope"), http.StatusBadRequest)

		_, err = c.GetJWTTemplate(ctx)
		s.must("get the JWT template", err)
		_, err = c.UpdateJWTTemplate(ctx, `{"organization_membership_id": "{{ organization_membership.id }}"}`)
		s.must("update the JWT template", err)
		_, err = c.UpdateJWTTemplate(ctx, `{"sub": "{{ user.id }}"}`)
		s.status("update the JWT template with a reserved claim", err, http.StatusUnprocessableEntity)
		_, err = c.UpdateJWTTemplate(ctx, `{"act": {"sub": "user_admin"}}`)
		s.status("update the JWT template with a claim the verifier rejects", err, http.StatusUnprocessableEntity)
		_, err = c.UpdateJWTTemplate(ctx, `["not", "an", "object"]`)
		s.status("update the JWT template with content that is not an object", err, http.StatusUnprocessableEntity)
		_, err = c.UpdateJWTTemplate(ctx, `{"x": "`+strings.Repeat("x", 3100)+`"}`)
		s.status("update the JWT template with content over 3072 bytes", err, http.StatusUnprocessableEntity)
		s.rawStatus("update the JWT template without content", s.raw(true, "PUT", "/user_management/jwt_template", `{}`), http.StatusUnprocessableEntity)
		s.rawStatus("revoke without a session", s.raw(true, "POST", "/user_management/sessions/revoke", `{}`), http.StatusBadRequest)
	}},
	{"nulls, default roles and reused idempotency keys", func(s *suite) {
		c, ctx := s.c, s.ctx
		// null is a value: refused for fields the spec does not declare
		// nullable, taken where it does.
		for _, r := range []struct{ method, path, body string }{
			{"PATCH", "/authorization/permissions/project:edit", `{"name": null}`},
			{"PATCH", "/authorization/roles/member", `{"name": null}`},
			{"PATCH", "/authorization/resources/res_web", `{"name": null}`},
			{"PATCH", "/authorization/resources/res_web", `{"parent_resource_id": null}`},
			{"POST", "/authorization/organization_memberships/om_alice/check",
				`{"permission_slug": "project:edit", "resource_id": null, "resource_external_id": "web", "resource_type_slug": "project"}`},
			{"POST", "/authorization/resources",
				`{"external_id": "nul", "name": "Nul", "resource_type_slug": "workspace", "organization_id": "org_acme", "parent_resource_external_id": null}`},
			{"POST", "/organizations/org_acme/groups", `{"name": null}`},
		} {
			s.rawStatus("null in "+r.method+" "+r.path+" "+r.body, s.raw(true, r.method, r.path, r.body), http.StatusUnprocessableEntity)
		}
		s.rawStatus("create a resource with a null parent_resource_id", s.raw(false, "POST", "/authorization/resources",
			`{"external_id": "top", "name": "Top", "resource_type_slug": "workspace", "organization_id": "org_acme", "parent_resource_id": null}`), http.StatusCreated)

		// A membership set up without a role has the default role.
		s.f.AddMembership("om_norole", "user_norole", "org_acme", "")
		om, err := c.GetMembership(ctx, "om_norole")
		s.must("get a membership set up without a role", err)
		if om.Role == nil || om.Role.Slug != "member" {
			s.t.Errorf("role %+v, want the default role member", om.Role)
		}

		// A reused Idempotency-Key is refused in the status and body the
		// operation declares.
		for i, r := range []struct {
			path, first, second string
			want                int
		}{
			{"/authorization/permissions", `{"slug": "k:one", "name": "K"}`, `{"slug": "k:two", "name": "K"}`, http.StatusUnprocessableEntity},
			{"/user_management/organization_memberships", `{"user_id": "user_key1", "organization_id": "org_acme"}`,
				`{"user_id": "user_key2", "organization_id": "org_acme"}`, http.StatusUnprocessableEntity},
			{"/webhook_endpoints", `{"endpoint_url": "https://key1.example/hook", "events": ["role.created"]}`,
				`{"endpoint_url": "https://key2.example/hook", "events": ["role.created"]}`, http.StatusUnprocessableEntity},
			{"/user_management/sessions/revoke", `{"session_id": "SID1"}`, `{"session_id": "SID2"}`, http.StatusBadRequest},
		} {
			first, second := r.first, r.second
			for _, sid := range []string{"SID1", "SID2"} {
				claims, err := s.f.Verifier().Verify(ctx, s.f.Session("om_bob"))
				s.must("verify", err)
				first, second = strings.Replace(first, sid, claims.SessionID, 1), strings.Replace(second, sid, claims.SessionID, 1)
			}
			key := map[string]string{"Idempotency-Key": fmt.Sprint("contract-key-", i)}
			if got := s.rawWith(false, "POST", r.path, first, key); got/100 != 2 {
				s.t.Errorf("POST %s with a new key: status %d", r.path, got)
			}
			s.rawStatus("POST "+r.path+" reusing the key", s.rawWith(false, "POST", r.path, second, key), r.want)
		}
	}},
}
