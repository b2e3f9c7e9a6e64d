package contract

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/fgakit/fgakit/authz"
)

// TestClientDecodesEveryDeclaredField holds the Go client's result types to
// the spec: every property a response schema declares must have a field
// (by its json tag) in the type the client decodes it into, so that no
// declared field is silently dropped. Maps (metadata, custom_attributes)
// and time.Time end the walk.
func TestClientDecodesEveryDeclaredField(t *testing.T) {
	t.Parallel()
	sp := loadSpec(t)
	cases := []struct {
		op     string // operationId
		status string
		list   bool // the type decodes the items of data[]
		v      any
	}{
		{"AuthorizationPermissionsController_find", "200", false, authz.Permission{}},
		{"AuthorizationPermissionsController_list", "200", true, authz.Permission{}},
		{"AuthorizationController_listEffectivePermissions", "200", true, authz.Permission{}},
		{"AuthorizationRolesController_get", "200", false, authz.Role{}},
		{"AuthorizationRolesController_list", "200", true, authz.Role{}},
		{"AuthorizationOrganizationRolesController_get", "200", false, authz.Role{}},
		{"AuthorizationOrganizationRolesController_list", "200", true, authz.Role{}},
		{"AuthorizationResourcesController_findById", "200", false, authz.AuthorizationResource{}},
		{"AuthorizationResourcesController_list", "200", true, authz.AuthorizationResource{}},
		{"AuthorizationController_listResourcesForMembership", "200", true, authz.AuthorizationResource{}},
		{"AuthorizationRoleAssignmentsController_assignRole", "201", false, authz.RoleAssignment{}},
		{"AuthorizationRoleAssignmentsController_listRoleAssignments", "200", true, authz.RoleAssignment{}},
		{"AuthorizationRoleAssignmentsController_listRoleAssignmentsForResource", "200", true, authz.RoleAssignment{}},
		{"AuthorizationGroupRoleAssignmentsController_get", "200", false, authz.GroupRoleAssignment{}},
		{"AuthorizationGroupRoleAssignmentsController_list", "200", true, authz.GroupRoleAssignment{}},
		{"AuthorizationResourcesController_listOrganizationMembershipsForResource", "200", true, authz.OrganizationMembership{}},
		{"UserlandUserOrganizationMembershipsController_create", "201", false, authz.OrganizationMembership{}},
		{"UserlandUserOrganizationMembershipsController_get", "200", false, authz.OrganizationMembership{}},
		{"UserlandUserOrganizationMembershipsController_update", "200", false, authz.OrganizationMembership{}},
		{"UserlandUserOrganizationMembershipsController_deactivate", "200", false, authz.OrganizationMembership{}},
		{"UserlandUserOrganizationMembershipsController_reactivate", "200", false, authz.OrganizationMembership{}},
		{"UserlandUserOrganizationMembershipsController_list", "200", true, authz.OrganizationMembership{}},
		{"OrganizationMembershipGroupsController_listGroups", "200", true, authz.Group{}},
		{"GroupsController_create", "201", false, authz.Group{}},
		{"GroupsController_get", "200", false, authz.Group{}},
		{"GroupsController_update", "200", false, authz.Group{}},
		{"GroupsController_list", "200", true, authz.Group{}},
		{"GroupMembershipsController_addMember", "200", false, authz.Group{}},
		{"GroupMembershipsController_listMembers", "200", true, authz.OrganizationMembership{}},
		{"JwtTemplatesController_getJwtTemplate", "200", false, authz.JWTTemplate{}},
		{"JwtTemplatesController_updateJwtTemplate", "200", false, authz.JWTTemplate{}},
		{"AuthorizationGroupRoleAssignmentsController_create", "201", false, authz.GroupRoleAssignment{}},
	}
	ops := map[string]*openapi3.Operation{}
	for _, item := range sp.Doc.Paths.Map() {
		for _, op := range item.Operations() {
			ops[op.OperationID] = op
		}
	}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			t.Parallel()
			op := ops[tc.op]
			if op == nil {
				t.Fatalf("no operation %s in the spec", tc.op)
			}
			resp := op.Responses.Value(tc.status)
			if resp == nil || resp.Value == nil || resp.Value.Content.Get("application/json") == nil {
				t.Fatalf("%s declares no JSON %s", tc.op, tc.status)
			}
			schema := resp.Value.Content.Get("application/json").Schema
			path := "$"
			if tc.list {
				shape := objectShape{props: map[string]*openapi3.SchemaRef{}}
				collect(schema.Value, &shape, map[*openapi3.Schema]bool{})
				data := shape.props["data"]
				if data == nil || data.Value == nil || itemsOf(data.Value) == nil {
					t.Fatalf("%s %s is not a list", tc.op, tc.status)
				}
				schema, path = itemsOf(data.Value), "$.data[]"
			}
			for _, m := range MissingFields(schema, reflect.TypeOf(tc.v), path) {
				t.Errorf("%T drops %s", tc.v, m)
			}
		})
	}
}

var timeType = reflect.TypeFor[time.Time]()

// MissingFields returns the properties schema declares that the Go type t
// has no json field for, recursively.
func MissingFields(schema *openapi3.SchemaRef, t reflect.Type, path string) []string {
	if schema == nil || schema.Value == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return nil
	case t.Kind() == reflect.Slice:
		return MissingFields(itemsOf(schema.Value), t.Elem(), path+"[]")
	case t.Kind() != reflect.Struct:
		return nil
	}
	fields := jsonFields(t)
	props := map[string]*openapi3.SchemaRef{}
	for _, alt := range alternatives(schema.Value) {
		maps.Copy(props, alt.props)
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(props)) {
		f, ok := fields[name]
		if !ok {
			out = append(out, fmt.Sprintf("%s.%s", path, name))
			continue
		}
		out = append(out, MissingFields(props[name], f, path+"."+name)...)
	}
	return out
}

// jsonFields maps the JSON names of t's fields (embedded structs included)
// to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			maps.Copy(out, jsonFields(f.Type))
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
