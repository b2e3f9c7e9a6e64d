package authztest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
)

// Fixture is a whole scenario in the API's own vocabulary: the JSON keys
// and values of the API's own bodies. Every key is optional. Load it with
// [Fake.Load] or [WithFixture]; read it with [ParseFixture] or
// [LoadFixtureFile].
//
//	{
//	  "client_id": "client_test",
//	  "resource_types": [{"slug": "workspace", "parent_types": ["organization"]}],
//	  "permissions": [{"slug": "workspace:view", "resource_type_slug": "workspace"}],
//	  "roles": [{"slug": "member", "resource_type_slug": "organization", "permissions": ["workspace:view"]}],
//	  "organizations": [{"id": "org_acme", "name": "Acme"}],
//	  "organization_memberships": [{"id": "om_alice", "user_id": "user_alice",
//	    "organization_id": "org_acme", "role": {"slug": "member"}}],
//	  "resources": [{"external_id": "eng", "name": "Engineering",
//	    "resource_type_slug": "workspace", "organization_id": "org_acme"}],
//	  "role_assignments": [{"organization_membership_id": "om_alice",
//	    "role_slug": "member", "resource_external_id": "org_acme", "resource_type_slug": "organization"}]
//	}
type Fixture struct {
	// ClientID, when set, replaces the fake's AuthKit client ID (but
	// [WithClientID] wins over it).
	ClientID string `json:"client_id,omitempty"`
	// ResourceTypes declares the resource types, in any order.
	ResourceTypes []FixtureResourceType `json:"resource_types,omitempty"`
	// Permissions are the environment's permissions.
	Permissions []FixturePermission `json:"permissions,omitempty"`
	// Roles are environment roles and organizations' custom roles.
	Roles []FixtureRole `json:"roles,omitempty"`
	// Organizations are created with their root resources.
	Organizations []FixtureOrganization `json:"organizations,omitempty"`
	// OrganizationMemberships are the members of the organizations, with
	// their organization roles.
	OrganizationMemberships []FixtureMembership `json:"organization_memberships,omitempty"`
	// Resources may name parents listed after them.
	Resources []FixtureResource `json:"resources,omitempty"`
	// RoleAssignments give memberships roles on resources.
	RoleAssignments []FixtureRoleAssignment `json:"role_assignments,omitempty"`
	// Groups are groups of memberships of one organization.
	Groups []FixtureGroup `json:"groups,omitempty"`
	// GroupRoleAssignments give every member of a group a role.
	GroupRoleAssignments []FixtureGroupRoleAssignment `json:"group_role_assignments,omitempty"`
}

// FixtureResourceType declares a resource type. Without parent_types it
// hangs under "organization".
type FixtureResourceType struct {
	// Slug names the type, e.g. "workspace" (required).
	Slug string `json:"slug"`
	// Name is a display name; the fake does not serve resource types, so
	// it is informational.
	Name string `json:"name,omitempty"`
	// Description is informational, as Name.
	Description string `json:"description,omitempty"`
	// ParentTypes are the types a resource of this type may hang under
	// ("organization" when empty); they may be declared later in the list.
	ParentTypes []string `json:"parent_types,omitempty"`
}

// FixturePermission is a permission; name defaults to the slug and
// resource_type_slug to "organization".
type FixturePermission struct {
	// ID is the permission's ID; empty generates one ("perm_…").
	ID string `json:"id,omitempty"`
	// Slug is the permission as checked, e.g. "project:edit" (required).
	Slug string `json:"slug"`
	// Name defaults to Slug.
	Name string `json:"name,omitempty"`
	// Description is answered as given; nil is JSON null.
	Description *string `json:"description,omitempty"`
	// ResourceTypeSlug is the type the permission applies to (default
	// "organization").
	ResourceTypeSlug string `json:"resource_type_slug,omitempty"`
	// System marks a permission the API manages (it cannot be deleted).
	System bool `json:"system,omitempty"`
}

// FixtureRole is an environment role, or with organization_id that
// organization's custom role (slug starting with "org-").
type FixtureRole struct {
	// ID is the role's ID; empty generates one ("role_…").
	ID string `json:"id,omitempty"`
	// Slug names the role (required); a custom role's starts with "org-".
	Slug string `json:"slug"`
	// Name defaults to Slug.
	Name string `json:"name,omitempty"`
	// Description is answered as given; nil is JSON null.
	Description *string `json:"description,omitempty"`
	// OrganizationID makes the role that organization's custom role;
	// empty is an environment role.
	OrganizationID string `json:"organization_id,omitempty"`
	// ResourceTypeSlug is the type the role is assigned on (default
	// "organization": an organization role).
	ResourceTypeSlug string `json:"resource_type_slug,omitempty"`
	// Permissions are permission slugs of that type or of descendant types.
	Permissions []string `json:"permissions"`
}

// FixtureOrganization is an organization; its root resource is created
// with it.
type FixtureOrganization struct {
	// ID is the organization ID, e.g. "org_acme" (required); it is also the
	// external ID of its root resource (type "organization").
	ID string `json:"id"`
	// Name is the organization's name.
	Name string `json:"name,omitempty"`
}

// FixtureSlug is a {"slug": …} reference, as in a membership's role.
type FixtureSlug struct {
	// Slug names the referenced object, e.g. a role.
	Slug string `json:"slug"`
}

// FixtureUser is the user shown nested in membership lists.
type FixtureUser struct {
	// Email is the user's email address.
	Email string `json:"email,omitempty"`
	// FirstName is the user's first name.
	FirstName string `json:"first_name,omitempty"`
	// LastName is the user's last name.
	LastName string `json:"last_name,omitempty"`
}

// FixtureMembership is an organization membership with its organization
// role ("role") or roles ("roles", multiple-roles mode). Giving both is an
// error; giving neither gives the default role "member" (see
// [Fake.AddMembership]).
type FixtureMembership struct {
	// ID is the membership ID, e.g. "om_alice"; empty generates one.
	ID string `json:"id,omitempty"`
	// UserID is the member's user ID (required), the token's sub claim.
	UserID string `json:"user_id"`
	// OrganizationID is the organization (required).
	OrganizationID string `json:"organization_id"`
	// Status is "active" (the default), "inactive" (every check denies) or
	// "pending" (checked like active).
	Status string `json:"status,omitempty"`
	// Role is the organization role, a role scoped to "organization".
	Role *FixtureSlug `json:"role,omitempty"`
	// Roles are several organization roles (multiple-roles mode); not
	// together with Role.
	Roles []FixtureSlug `json:"roles,omitempty"`
	// User is shown nested in membership lists.
	User *FixtureUser `json:"user,omitempty"`
}

// FixtureResource is a resource. Name its parent by parent_resource_id, or
// by parent_resource_external_id and parent_resource_type_slug (in any
// order within the fixture); without one it hangs under the organization
// root. name defaults to external_id.
type FixtureResource struct {
	// ID is the resource ID; empty generates one ("authz_resource_…").
	ID string `json:"id,omitempty"`
	// ExternalID is your own ID of the resource, unique per type within the
	// organization (required).
	ExternalID string `json:"external_id"`
	// Name defaults to ExternalID.
	Name string `json:"name,omitempty"`
	// Description is answered as given; nil is JSON null.
	Description *string `json:"description,omitempty"`
	// ResourceTypeSlug is the resource's type (required).
	ResourceTypeSlug string `json:"resource_type_slug"`
	// OrganizationID is the organization the resource belongs to (required).
	OrganizationID string `json:"organization_id"`
	// ParentResourceID names the parent by resource ID.
	ParentResourceID string `json:"parent_resource_id,omitempty"`
	// ParentResourceExternalID names the parent by external ID, with
	// ParentResourceTypeSlug, within the same organization.
	ParentResourceExternalID string `json:"parent_resource_external_id,omitempty"`
	// ParentResourceTypeSlug is the parent's type, with
	// ParentResourceExternalID.
	ParentResourceTypeSlug string `json:"parent_resource_type_slug,omitempty"`
}

// FixtureRoleAssignment gives a membership a role on a resource named by
// resource_id or by resource_external_id and resource_type_slug.
type FixtureRoleAssignment struct {
	// ID is the assignment's ID; empty generates one ("role_assignment_…").
	ID string `json:"id,omitempty"`
	// OrganizationMembershipID is the membership given the role (required).
	OrganizationMembershipID string `json:"organization_membership_id"`
	// RoleSlug is the role, scoped to the resource's type (required).
	RoleSlug string `json:"role_slug"`
	// ResourceID names the resource by ID.
	ResourceID string `json:"resource_id,omitempty"`
	// ResourceExternalID names the resource by external ID, with
	// ResourceTypeSlug, in the membership's organization.
	ResourceExternalID string `json:"resource_external_id,omitempty"`
	// ResourceTypeSlug is the resource's type, with ResourceExternalID.
	ResourceTypeSlug string `json:"resource_type_slug,omitempty"`
}

// FixtureGroup is a group of memberships of one organization.
type FixtureGroup struct {
	// ID is the group ID; empty generates one ("group_…").
	ID string `json:"id,omitempty"`
	// OrganizationID is the group's organization (required).
	OrganizationID string `json:"organization_id"`
	// Name is the group's name (required).
	Name string `json:"name"`
	// Description is answered as given; nil is JSON null.
	Description *string `json:"description,omitempty"`
	// OrganizationMembershipIDs are the members, all of the group's
	// organization.
	OrganizationMembershipIDs []string `json:"organization_membership_ids,omitempty"`
}

// FixtureGroupRoleAssignment gives every member of a group a role on a
// resource; without a resource, on the organization itself.
type FixtureGroupRoleAssignment struct {
	// ID is the group role assignment's ID; empty generates one ("gra_…").
	ID string `json:"id,omitempty"`
	// GroupID is the group (required).
	GroupID string `json:"group_id"`
	// RoleSlug is the role, scoped to the resource's type (required).
	RoleSlug string `json:"role_slug"`
	// ResourceID names the resource by ID.
	ResourceID string `json:"resource_id,omitempty"`
	// ResourceExternalID names the resource by external ID, with
	// ResourceTypeSlug, in the group's organization.
	ResourceExternalID string `json:"resource_external_id,omitempty"`
	// ResourceTypeSlug is the resource's type, with ResourceExternalID.
	ResourceTypeSlug string `json:"resource_type_slug,omitempty"`
}

// ParseFixture reads one JSON fixture. Every mistake is one error that names
// the entry and points at the line and column of the mistake itself — the
// misspelled key, the value of the wrong type, the character the syntax
// trips on — e.g. (from the errors example below):
//
//	authztest: fixture: resources[1]: unknown field "parrent_resource_id" (line 7, column 6)
//	authztest: fixture: roles[0]: field "permissions": want an array of strings, got a string (line 3, column 39)
//	authztest: fixture: syntax error at line 3, column 23: invalid character '}' looking for beginning of object key string
//
// An empty input, a document that is not a JSON object (null included),
// an unknown key at any level, a key given twice at the top level, a value
// of the wrong JSON type and data after the object are errors. References
// between entries are checked by [Fake.Load].
func ParseFixture(r io.Reader) (*Fixture, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("authztest: fixture: %w", err)
	}
	fx, err := parseFixture(data)
	if err != nil {
		return nil, fmt.Errorf("authztest: fixture: %w", err)
	}
	return fx, nil
}

// jsonSpace is the white space JSON allows between values.
const jsonSpace = " \t\r\n"

// fixtureSection decodes the entries of one top-level array of a fixture.
type fixtureSection func(fx *Fixture, entry []byte) error

// strictInto decodes one entry into a new T appended to *list, refusing
// unknown keys.
func strictInto[T any](list func(*Fixture) *[]T) fixtureSection {
	return func(fx *Fixture, entry []byte) error {
		dec := json.NewDecoder(bytes.NewReader(entry))
		dec.DisallowUnknownFields()
		var v T
		if err := dec.Decode(&v); err != nil {
			return err
		}
		l := list(fx)
		*l = append(*l, v)
		return nil
	}
}

// fixtureSections maps each array key of the fixture format to its decoder.
var fixtureSections = map[string]fixtureSection{
	"resource_types":           strictInto(func(fx *Fixture) *[]FixtureResourceType { return &fx.ResourceTypes }),
	"permissions":              strictInto(func(fx *Fixture) *[]FixturePermission { return &fx.Permissions }),
	"roles":                    strictInto(func(fx *Fixture) *[]FixtureRole { return &fx.Roles }),
	"organizations":            strictInto(func(fx *Fixture) *[]FixtureOrganization { return &fx.Organizations }),
	"organization_memberships": strictInto(func(fx *Fixture) *[]FixtureMembership { return &fx.OrganizationMemberships }),
	"resources":                strictInto(func(fx *Fixture) *[]FixtureResource { return &fx.Resources }),
	"role_assignments":         strictInto(func(fx *Fixture) *[]FixtureRoleAssignment { return &fx.RoleAssignments }),
	"groups":                   strictInto(func(fx *Fixture) *[]FixtureGroup { return &fx.Groups }),
	"group_role_assignments":   strictInto(func(fx *Fixture) *[]FixtureGroupRoleAssignment { return &fx.GroupRoleAssignments }),
}

// parseFixture checks the syntax of the whole document first, then walks
// its top-level keys in order and decodes every entry of every section on
// its own, so an error can name the entry (section[i]) and its position.
func parseFixture(data []byte) (*Fixture, error) {
	if len(bytes.Trim(data, jsonSpace)) == 0 {
		return nil, errors.New("the input is empty; want a JSON object, e.g. {}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var doc json.RawMessage
	if err := dec.Decode(&doc); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("syntax error at %s: %v", position(data, se.Offset-1), se)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("syntax error at %s: the JSON ends early (an unclosed object, array or string)", position(data, int64(len(data))))
		}
		return nil, err
	}
	if rest := dec.InputOffset(); len(bytes.Trim(data[rest:], jsonSpace)) > 0 {
		i := rest + int64(len(data[rest:])-len(bytes.TrimLeft(data[rest:], jsonSpace)))
		return nil, fmt.Errorf("data after the JSON object at %s", position(data, i))
	}
	docStart := dec.InputOffset() - int64(len(doc))
	if doc[0] != '{' {
		return nil, fmt.Errorf("the document is %s; want a JSON object", jsonKind(doc))
	}

	fx := &Fixture{}
	seen := map[string]bool{}
	top := json.NewDecoder(bytes.NewReader(doc))
	top.Token() // {, checked above
	for top.More() {
		tok, err := top.Token()
		if err != nil {
			return nil, err // cannot happen: the syntax is checked
		}
		key, _ := tok.(string)
		keyAt := position(data, docStart+top.InputOffset()-int64(len(key))-2) // the opening quote, for a key without escapes
		var raw json.RawMessage
		if err := top.Decode(&raw); err != nil {
			return nil, err
		}
		valueStart := docStart + top.InputOffset() - int64(len(raw))
		if seen[key] {
			return nil, fmt.Errorf("key %q appears twice (again at %s)", key, keyAt)
		}
		seen[key] = true
		if key == "client_id" {
			if err := json.Unmarshal(raw, &fx.ClientID); err != nil {
				return nil, fmt.Errorf("client_id: want a string, got %s (%s)", jsonKind(raw), position(data, valueStart))
			}
			continue
		}
		section, ok := fixtureSections[key]
		if !ok {
			return nil, fmt.Errorf("unknown field %q (%s)", key, keyAt)
		}
		if err := parseSection(data, key, raw, valueStart, fx, section); err != nil {
			return nil, err
		}
	}
	return fx, nil
}

// parseSection decodes the array raw of section key, which starts at byte
// start of data, entry by entry. null is an empty section.
func parseSection(data []byte, key string, raw []byte, start int64, fx *Fixture, section fixtureSection) error {
	if string(raw) == "null" {
		return nil
	}
	if raw[0] != '[' {
		return fmt.Errorf("%s: want an array, got %s (%s)", key, jsonKind(raw), position(data, start))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.Token() // [
	for i := 0; dec.More(); i++ {
		var entry json.RawMessage
		if err := dec.Decode(&entry); err != nil {
			return err // cannot happen: the syntax is checked
		}
		entryStart := start + dec.InputOffset() - int64(len(entry))
		name := fmt.Sprintf("%s[%d]", key, i)
		if entry[0] != '{' {
			return fmt.Errorf("%s: want an object, got %s (%s)", name, jsonKind(entry), position(data, entryStart))
		}
		if err := section(fx, entry); err != nil {
			return entryError(data, name, entryStart, err)
		}
	}
	return nil
}

// entryError words a decoding error of the entry name that starts at byte
// start of data.
func entryError(data []byte, name string, start int64, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// Point at the start of the bad value: after its key (a known
		// field name, so without escapes or colons) and the colon. The
		// decoder's own offset is the end of the value.
		at := start + te.Offset - 1
		field := te.Field[strings.LastIndexByte(te.Field, '.')+1:]
		if off, ok := keyOffset(data[start:], field); ok {
			rest := data[start+off+int64(len(field))+2:]
			if colon := bytes.IndexByte(rest, ':'); colon >= 0 {
				value := bytes.TrimLeft(rest[colon+1:], jsonSpace)
				// Only if the whole value is the wrong one: an element of
				// an array keeps the decoder's offset, which is its own.
				if len(value) > 0 && startsKind(value[0], te.Value) {
					at = start + off + int64(len(field)) + 2 + int64(len(rest)-len(value))
				}
			}
		}
		return fmt.Errorf("%s: field %q: want %s, got %s (%s)", name, te.Field, goKind(te.Type), article(te.Value), position(data, at))
	}
	// An unknown key (json: unknown field "x") is the only other error of a
	// well-formed entry. It carries no offset, so find the key in the entry
	// and point at it; only if it cannot be found, at the entry's start.
	msg := strings.TrimPrefix(err.Error(), "json: ")
	var key string
	if _, perr := fmt.Sscanf(msg, "unknown field %q", &key); perr == nil {
		if off, ok := keyOffset(data[start:], key); ok {
			return fmt.Errorf("%s: %s (%s)", name, msg, position(data, start+off))
		}
	}
	return fmt.Errorf("%s: %s (in the entry at %s)", name, msg, position(data, start))
}

// startsKind reports whether c can start a JSON value of the kind an
// UnmarshalTypeError names ("string", "number", "bool", "array", "object").
func startsKind(c byte, kind string) bool {
	switch {
	case strings.HasPrefix(kind, "number"):
		return c == '-' || c >= '0' && c <= '9'
	case kind == "string":
		return c == '"'
	case kind == "bool":
		return c == 't' || c == 'f'
	case kind == "array":
		return c == '['
	case kind == "object":
		return c == '{'
	}
	return false
}

// keyOffset returns the byte offset, in the well-formed JSON value v, of
// the opening quote of the first object key (at any depth) equal to key.
func keyOffset(v []byte, key string) (int64, bool) {
	type frame struct{ object, wantKey bool }
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(v))
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			if stack[n-1].wantKey {
				stack[n-1].wantKey = false
				if s, _ := tok.(string); s == key {
					q := bytes.IndexByte(v[before:], '"')
					return before + int64(q), q >= 0
				}
				continue
			}
			stack[n-1].wantKey = true // after this value, a key again
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{object: d == '{', wantKey: d == '{'})
		}
	}
}

// position is the 1-based line and column of byte offset off of data, as an
// editor counts them (columns in bytes).
func position(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}

// jsonKind names the JSON type of a well-formed value, with its article.
func jsonKind(v []byte) string {
	switch c := v[0]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	default:
		return "a number"
	}
}

// article puts an article before a JSON type named by encoding/json
// ("string", "number", "number 1.5", "bool", "array", "object").
func article(value string) string {
	switch {
	case strings.HasPrefix(value, "number"):
		return "a number"
	case value == "bool":
		return "a boolean"
	case value == "array" || value == "object":
		return "an " + value
	}
	return "a " + value
}

// goKind names the JSON shape a Go type of the fixture types decodes from.
func goKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		elem := strings.TrimPrefix(strings.TrimPrefix(goKind(t.Elem()), "a "), "an ")
		return "an array of " + elem + "s"
	}
	return "a number"
}

// LoadFixtureFile reads and parses the fixture file at path.
func LoadFixtureFile(path string) (*Fixture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authztest: %w", err)
	}
	fx, err := ParseFixture(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return fx, nil
}

// Load adds the fixture to the fake's model, all or nothing: a dangling
// reference or a rule the API would refuse is an error naming the entry,
// e.g. `resources[1] (external_id "web"): parent workspace "eng" not
// found`, and leaves the fake unchanged. Entries may refer to entries
// earlier in the fixture or already in the fake.
func (f *Fake) Load(fx *Fixture) error {
	if fx == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return fmt.Errorf("authztest: fixture: %w", errClosed)
	}
	m := f.m.clone()
	if err := m.load(fx); err != nil {
		return fmt.Errorf("authztest: fixture: %w", err)
	}
	f.m = m
	if fx.ClientID != "" {
		f.clientID = fx.ClientID
	}
	return nil
}

// errMissingParent marks an error that a later entry may resolve.
var errMissingParent = errors.New("missing parent")

func (m *model) load(fx *Fixture) error {
	// Resource types may name parent types declared later in the list.
	if err := inPasses(fx.ResourceTypes, func(t FixtureResourceType) error {
		for _, p := range t.ParentTypes {
			if m.types[p] == nil && p != t.Slug && declared(fx.ResourceTypes, p) {
				return errMissingParent
			}
		}
		return m.addResourceType(t.Slug, t.ParentTypes)
	}, func(i int, t FixtureResourceType) string {
		return fmt.Sprintf("resource_types[%d] (slug %q)", i, t.Slug)
	}); err != nil {
		return err
	}
	for i, p := range fx.Permissions {
		if _, err := m.addPermission(permissionInput{id: p.ID, slug: p.Slug, name: p.Name, description: p.Description,
			typeSlug: p.ResourceTypeSlug, system: p.System}); err != nil {
			return fmt.Errorf("permissions[%d] (slug %q): %w", i, p.Slug, err)
		}
	}
	for i, o := range fx.Organizations {
		if _, err := m.addOrganization(o.ID, o.Name); err != nil {
			return fmt.Errorf("organizations[%d] (id %q): %w", i, o.ID, err)
		}
	}
	for i, r := range fx.Roles {
		if r.Slug == "" {
			return fmt.Errorf("roles[%d]: slug is required", i)
		}
		if _, err := m.addRole(roleInput{id: r.ID, slug: r.Slug, name: r.Name, description: r.Description,
			orgID: r.OrganizationID, typeSlug: r.ResourceTypeSlug, permissions: r.Permissions, adopt: true}); err != nil {
			return fmt.Errorf("roles[%d] (slug %q): %w", i, r.Slug, err)
		}
	}
	for i, om := range fx.OrganizationMemberships {
		if om.Role != nil && len(om.Roles) > 0 {
			return fmt.Errorf("organization_memberships[%d] (id %q): give either \"role\" (one organization role) or \"roles\" (multiple-roles mode), not both", i, om.ID)
		}
		in := membershipInput{id: om.ID, userID: om.UserID, orgID: om.OrganizationID, status: om.Status}
		if om.Role != nil {
			in.roles = append(in.roles, om.Role.Slug)
		}
		for _, r := range om.Roles {
			in.roles = append(in.roles, r.Slug)
		}
		if om.User != nil {
			in.email, in.firstName, in.lastName = om.User.Email, om.User.FirstName, om.User.LastName
		}
		if _, err := m.addMembership(in); err != nil {
			return fmt.Errorf("organization_memberships[%d] (id %q): %w", i, om.ID, err)
		}
	}
	// Resources may name parents listed later.
	if err := inPasses(fx.Resources, func(r FixtureResource) error {
		in := resourceInput{id: r.ID, externalID: r.ExternalID, name: r.Name, description: r.Description,
			typeSlug: r.ResourceTypeSlug, orgID: r.OrganizationID,
			parent: parentRef{id: r.ParentResourceID, externalID: r.ParentResourceExternalID, typeSlug: r.ParentResourceTypeSlug}}
		if in.name == "" {
			in.name = in.externalID
		}
		if m.orgs[in.orgID] != nil && !in.parent.isZero() && laterParent(m, fx.Resources, in) {
			return errMissingParent
		}
		_, err := m.createResource(in)
		return err
	}, func(i int, r FixtureResource) string {
		return fmt.Sprintf("resources[%d] (external_id %q)", i, r.ExternalID)
	}); err != nil {
		return err
	}
	for i, g := range fx.Groups {
		gr, err := m.addGroup(g.ID, g.OrganizationID, g.Name, g.Description)
		if err == nil {
			for _, om := range g.OrganizationMembershipIDs {
				if err = m.addGroupMember(gr, om); err != nil {
					break
				}
			}
		}
		if err != nil {
			return fmt.Errorf("groups[%d] (id %q): %w", i, g.ID, err)
		}
	}
	for i, a := range fx.RoleAssignments {
		t := target{id: a.ResourceID, externalID: a.ResourceExternalID, typeSlug: a.ResourceTypeSlug}
		if _, err := m.assignTo(a.ID, a.OrganizationMembershipID, a.RoleSlug, t); err != nil {
			return fmt.Errorf("role_assignments[%d] (organization_membership_id %q, role_slug %q): %w", i, a.OrganizationMembershipID, a.RoleSlug, err)
		}
	}
	for i, a := range fx.GroupRoleAssignments {
		t := target{id: a.ResourceID, externalID: a.ResourceExternalID, typeSlug: a.ResourceTypeSlug}
		if _, err := m.assignGroupTo(a.ID, a.GroupID, a.RoleSlug, t); err != nil {
			return fmt.Errorf("group_role_assignments[%d] (group_id %q, role_slug %q): %w", i, a.GroupID, a.RoleSlug, err)
		}
	}
	return nil
}

// inPasses adds entries in as many passes as needed when an entry's parent
// comes later in the list (add returns errMissingParent to wait). An entry
// that can never be added is reported by its name.
func inPasses[T any](entries []T, add func(T) error, name func(int, T) string) error {
	pending := make([]int, len(entries))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		var next []int
		for _, i := range pending {
			err := add(entries[i])
			if errors.Is(err, errMissingParent) {
				next = append(next, i)
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name(i, entries[i]), err)
			}
		}
		if len(next) == len(pending) {
			// No progress: a cycle. Report the first entry.
			i := next[0]
			return fmt.Errorf("%s: its parent is part of a cycle", name(i, entries[i]))
		}
		pending = next
	}
	return nil
}

func declared(types []FixtureResourceType, slug string) bool {
	for _, t := range types {
		if t.Slug == slug {
			return true
		}
	}
	return false
}

// laterParent reports whether in's parent is not in the model yet but is
// declared among the fixture's resources, so in must wait for it.
func laterParent(m *model, all []FixtureResource, in resourceInput) bool {
	p := in.parent
	if p.id != "" {
		if m.resources[p.id] != nil {
			return false
		}
		for _, r := range all {
			if r.ID == p.id {
				return true
			}
		}
		return false
	}
	if m.resourceByExternal(in.orgID, p.typeSlug, p.externalID) != nil {
		return false
	}
	for _, r := range all {
		if r.OrganizationID == in.orgID && r.ResourceTypeSlug == p.typeSlug && r.ExternalID == p.externalID {
			return true
		}
	}
	return false
}
