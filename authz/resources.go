package authz

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"time"
	"unicode/utf8"
)

// AuthorizationResource is a resource instance as the API returns it
// (object "authorization_resource"). To name a resource in a call, use a
// [ResourceRef] reference ([ResourceID], [ExternalResource]) or [AuthorizationResource.Ref].
type AuthorizationResource struct {
	Object string `json:"object"`
	// ID is the WorkOS resource ID (authz_resource_…).
	ID string `json:"id"`
	// ExternalID is your identifier, unique per organization and type.
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	// Description is empty when the API answers null.
	Description      string `json:"description"`
	ResourceTypeSlug string `json:"resource_type_slug"`
	OrganizationID   string `json:"organization_id"`
	// ParentResourceID is empty (null on the wire) when the parent is the
	// organization itself.
	ParentResourceID string    `json:"parent_resource_id"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Ref returns a reference to r by its ID, in its organization. The
// organization comes from the API's own record, so the token layer may
// answer checks on this reference (see [TokenLayer]).
func (r AuthorizationResource) Ref() ResourceRef {
	return ResourceRef{ID: r.ID, OrganizationID: r.OrganizationID}
}

// Input limits of the API for resources (WIRE §1.2), checked before any call.
const (
	maxExternalIDLen  = 128
	maxNameLen        = 48
	maxDescriptionLen = 150
)

// CreateResourceParams are the fields of a new resource. Like every struct
// that mirrors the API's parameters, its names follow the API
// (ResourceTypeSlug for resource_type_slug); the parent is a [ResourceRef]
// reference, as everywhere a parent is named.
type CreateResourceParams struct {
	// ExternalID (required) is your identifier: at most 128 ASCII
	// characters, unique per organization and type, unchangeable.
	ExternalID string
	// Name (required) is at most 48 characters.
	Name string
	// Description is optional, at most 150 characters.
	Description string
	// ResourceTypeSlug (required) is the resource type, e.g. "project".
	ResourceTypeSlug string
	// OrganizationID (required) is the organization the resource belongs to.
	OrganizationID string
	// Parent is the parent resource, by ID or by type and external ID (the
	// API looks it up in OrganizationID). The zero ResourceRef makes the
	// organization the parent.
	Parent ResourceRef
}

// UpdateResourceParams are the fields to change; nil and unset fields stay
// as they are.
type UpdateResourceParams struct {
	Name *string
	// Description (at most 150 characters) is set with [Value] or cleared
	// with [Null].
	Description Nullable[string]
	// Parent, when non-nil, moves the resource (and its subtree) under
	// another parent of the same organization. Access inherited from the
	// old ancestors is lost at once.
	Parent *ResourceRef
}

// DeleteResourceOptions tune a resource delete.
type DeleteResourceOptions struct {
	// Cascade deletes the resource, all its descendants and all their role
	// assignments. Without it, deleting a resource that has children or
	// role assignments fails with 409 resource_has_dependents.
	Cascade bool
}

// ListResourcesOptions filter [Client.ListResources]; the zero value lists
// without a filter, which the API refuses: it requires OrganizationID or
// ResourceTypeSlug (400 missing_organization_id_or_resource_type_slug). Field names follow
// the API's query parameters.
type ListResourcesOptions struct {
	// OrganizationID keeps the resources of one organization
	// (organization_id).
	OrganizationID string
	// ResourceTypeSlug keeps the resources of one type
	// (resource_type_slug).
	ResourceTypeSlug string
	// ResourceExternalID keeps the resources with this external ID
	// (resource_external_id); with several organizations or types there
	// may be more than one.
	ResourceExternalID string
	// Parent filters by parent: by ID (parent_resource_id), or by type and
	// external ID (parent_resource_type_slug and parent_external_id). The
	// zero ResourceRef does not filter.
	Parent ResourceRef
	ListOptions
}

// resourceWrite is the JSON body of a resource create or update.
type resourceWrite struct {
	ExternalID       string           `json:"external_id,omitempty"`
	Name             *string          `json:"name,omitempty"`
	Description      Nullable[string] `json:"description,omitzero"`
	ResourceTypeSlug string           `json:"resource_type_slug,omitempty"`
	OrganizationID   string           `json:"organization_id,omitempty"`
	ParentResourceID string           `json:"parent_resource_id,omitempty"`
	// The parent by external ID.
	ParentExternalID string `json:"parent_resource_external_id,omitempty"`
	ParentTypeSlug   string `json:"parent_resource_type_slug,omitempty"`
}

// setParent fills the parent fields of w from p, which must name a resource.
func (w *resourceWrite) setParent(arg string, p ResourceRef) error {
	if err := checkRef(arg, p); err != nil {
		return err
	}
	if p.ID != "" {
		w.ParentResourceID = p.ID
	} else {
		w.ParentExternalID, w.ParentTypeSlug = p.ExternalID, p.ResourceTypeSlug
	}
	return nil
}

func checkLen(arg, v string, max int) error {
	if n := utf8.RuneCountInString(v); n > max {
		return badArg(arg, fmt.Sprintf("is %d characters long, at most %d allowed", n, max))
	}
	return nil
}

func checkASCII(arg, v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] > 0x7f {
			return badArg(arg, "must be ASCII")
		}
	}
	return nil
}

func (p CreateResourceParams) body() (*resourceWrite, error) {
	for _, req := range []struct{ arg, v string }{
		{"CreateResourceParams.ExternalID", p.ExternalID},
		{"CreateResourceParams.Name", p.Name},
		{"CreateResourceParams.ResourceTypeSlug", p.ResourceTypeSlug},
		{"CreateResourceParams.OrganizationID", p.OrganizationID},
	} {
		if req.v == "" {
			return nil, badArg(req.arg, "is required")
		}
	}
	if err := checkLen("CreateResourceParams.ExternalID", p.ExternalID, maxExternalIDLen); err != nil {
		return nil, err
	}
	if err := checkASCII("CreateResourceParams.ExternalID", p.ExternalID); err != nil {
		return nil, err
	}
	if err := checkLen("CreateResourceParams.Name", p.Name, maxNameLen); err != nil {
		return nil, err
	}
	if err := checkLen("CreateResourceParams.Description", p.Description, maxDescriptionLen); err != nil {
		return nil, err
	}
	w := &resourceWrite{
		ExternalID:       p.ExternalID,
		Name:             &p.Name,
		ResourceTypeSlug: p.ResourceTypeSlug,
		OrganizationID:   p.OrganizationID,
	}
	if p.Description != "" {
		w.Description = Value(p.Description)
	}
	if p.Parent != (ResourceRef{}) {
		if err := w.setParent("CreateResourceParams.Parent", p.Parent); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (p UpdateResourceParams) body() (*resourceWrite, error) {
	w := &resourceWrite{Name: p.Name, Description: p.Description}
	if p.Name != nil {
		if *p.Name == "" {
			return nil, badArg("UpdateResourceParams.Name", "is empty")
		}
		if err := checkLen("UpdateResourceParams.Name", *p.Name, maxNameLen); err != nil {
			return nil, err
		}
	}
	if d, ok := p.Description.Get(); ok {
		if err := checkLen("UpdateResourceParams.Description", d, maxDescriptionLen); err != nil {
			return nil, err
		}
	}
	if p.Parent != nil {
		if err := w.setParent("UpdateResourceParams.Parent", *p.Parent); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// resourcePath is the path of resource r: /authorization/resources/{id},
// or /authorization/organizations/{org}/resources/{type}/{external_id} for
// a reference by external ID, which must name its organization. The
// resource's sub-collections (role_assignments, organization_memberships)
// are below it.
func resourcePath(r ResourceRef) (string, error) {
	if err := checkRef("resource", r); err != nil {
		return "", err
	}
	if r.ID != "" {
		return buildPath("/authorization/resources/", "resource ID", r.ID)
	}
	if r.OrganizationID == "" {
		return "", badArg("resource", "by external ID needs OrganizationID (use ResourceRef.InOrganization)")
	}
	return buildPath("/authorization/organizations/", "organization ID", r.OrganizationID,
		"/resources/", "resource type slug", r.ResourceTypeSlug, "/", "external ID", r.ExternalID)
}

// CreateResource creates a resource: POST /authorization/resources, 201.
// The request carries an Idempotency-Key, so a retried create is applied
// once. Documented errors: 400 bad_request or lock_timeout, 403, 404 (unknown
// organization, type or parent), 409
// authorization_resource_external_id_conflict or
// resource_type_update_in_progress, 422.
//
// A Parent that names its organization must name p.OrganizationID:
// otherwise CreateResource fails with [ErrOrganizationMismatch] and sends
// nothing.
func (c *Client) CreateResource(ctx context.Context, p CreateResourceParams) (*AuthorizationResource, error) {
	body, err := p.body()
	if err != nil {
		return nil, err
	}
	if p.Parent.OrganizationID != "" && p.Parent.OrganizationID != p.OrganizationID {
		return nil, fmt.Errorf("CreateResourceParams.Parent: %w", ErrOrganizationMismatch)
	}
	return call[AuthorizationResource](ctx, c, request{method: "POST", path: "/authorization/resources", body: body, idempotent: true}, nil)
}

// GetResource returns resource r: GET /authorization/resources/{id} for a
// reference by ID ([ResourceID]), or GET
// /authorization/organizations/{org}/resources/{type}/{external_id} for a
// reference by external ID, which must name its organization
// (ExternalResource(type, extID).InOrganization(org)). An organization's
// root is ExternalResource("organization", orgID).InOrganization(orgID).
// Documented errors: 403, 404, 422.
//
// A reference by ID that names an organization
// (ResourceID(id).InOrganization(org)) must name the resource's own: a
// resource of another organization fails with [ErrOrganizationMismatch]
// and is not returned. The same holds for [Client.UpdateResource],
// [Client.DeleteResource], [Client.ListResourceRoleAssignments] and
// [Client.ListMembershipsForResource], which learn the resource's
// organization (one GET the first time, kept for the Client's life)
// before they act.
func (c *Client) GetResource(ctx context.Context, r ResourceRef) (*AuthorizationResource, error) {
	res, err := c.getResource(ctx, r)
	if err != nil || r.ID == "" || r.OrganizationID == "" {
		return res, err
	}
	if err := c.learnResourceOrganization(res); err != nil {
		return nil, err
	}
	if res.OrganizationID != r.OrganizationID {
		return nil, ErrOrganizationMismatch
	}
	return res, nil
}

// getResource is GetResource without the organization check.
func (c *Client) getResource(ctx context.Context, r ResourceRef) (*AuthorizationResource, error) {
	path, err := resourcePath(r)
	if err != nil {
		return nil, err
	}
	return call[AuthorizationResource](ctx, c, request{method: "GET", path: path}, nil)
}

// UpdateResource changes the name, description or parent of resource r
// (by ID, or by external ID in its organization, as for
// [Client.GetResource]): PATCH /authorization/resources/{id} or
// /authorization/organizations/{org}/resources/{type}/{external_id}.
// Documented errors: 400 lock_timeout, 403, 404, 409
// resource_type_update_in_progress, 422 (for example a parent of the wrong
// type or in another organization).
func (c *Client) UpdateResource(ctx context.Context, r ResourceRef, p UpdateResourceParams) (*AuthorizationResource, error) {
	path, err := resourcePath(r)
	if err != nil {
		return nil, err
	}
	body, err := p.body()
	if err != nil {
		return nil, err
	}
	if err := c.resourceInOrganization(ctx, r); err != nil {
		return nil, err
	}
	invalidate := func(context.Context) {}
	if p.Parent != nil {
		// A move changes what every membership inherits in the subtree.
		invalidate = c.invalidateAll
	}
	return call[AuthorizationResource](ctx, c, request{method: "PATCH", path: path, body: body}, invalidate)
}

// DeleteResource deletes resource r (by ID, or by external ID in its
// organization, as for [Client.GetResource]): DELETE
// /authorization/resources/{id} or
// /authorization/organizations/{org}/resources/{type}/{external_id}, 204.
// Without [DeleteResourceOptions.Cascade] a resource with children or role
// assignments is kept and the call fails with 409 resource_has_dependents.
// Documented errors: 400 lock_timeout, 403, 404, 409
// resource_has_dependents or resource_type_update_in_progress.
func (c *Client) DeleteResource(ctx context.Context, r ResourceRef, opts DeleteResourceOptions) error {
	path, err := resourcePath(r)
	if err != nil {
		return err
	}
	if err := c.resourceInOrganization(ctx, r); err != nil {
		return err
	}
	var q url.Values
	if opts.Cascade {
		q = url.Values{"cascade_delete": {"true"}}
	}
	return c.mutate(ctx, request{method: "DELETE", path: path, query: q}, nil, c.invalidateAll)
}

func (o ListResourcesOptions) query() (url.Values, error) {
	q := url.Values{}
	setIf(q, "organization_id", o.OrganizationID)
	setIf(q, "resource_type_slug", o.ResourceTypeSlug)
	setIf(q, "resource_external_id", o.ResourceExternalID)
	if o.Parent != (ResourceRef{}) {
		if err := checkRef("ListResourcesOptions.Parent", o.Parent); err != nil {
			return nil, err
		}
		if o.Parent.ID != "" {
			q.Set("parent_resource_id", o.Parent.ID)
		} else {
			q.Set("parent_resource_type_slug", o.Parent.ResourceTypeSlug)
			q.Set("parent_external_id", o.Parent.ExternalID)
		}
	}
	return q, nil
}

// ListResourcesPage returns one page of resources: GET
// /authorization/resources. Documented errors: 400
// missing_organization_id_or_resource_type_slug, 403, 422.
func (c *Client) ListResourcesPage(ctx context.Context, opts ListResourcesOptions) (*Page[AuthorizationResource], error) {
	q, err := opts.query()
	return listPage[AuthorizationResource](ctx, c, "/authorization/resources", err, q, opts.ListOptions)
}

// ListResources iterates over every resource matching opts, fetching pages
// of 100 (or opts.Limit) as the loop goes; see [Client.ListResourcesPage].
// An error is yielded once and ends the iteration.
func (c *Client) ListResources(ctx context.Context, opts ListResourcesOptions) iter.Seq2[AuthorizationResource, error] {
	q, err := opts.query()
	return listAll[AuthorizationResource](ctx, c, "/authorization/resources", err, q, opts.ListOptions)
}

// setIf sets q[key] to v when v is not empty.
func setIf(q url.Values, key, v string) {
	if v != "" {
		q.Set(key, v)
	}
}
