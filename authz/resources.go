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
// [Resource] reference ([ResourceID], [ExternalResource]) or [AuthorizationResource.Ref].
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

// Ref returns a reference to r by its ID, in its organization.
func (r AuthorizationResource) Ref() Resource {
	return Resource{ID: r.ID, OrganizationID: r.OrganizationID}
}

// Input limits of the API for resources (WIRE §1.2), checked before any call.
const (
	maxExternalIDLen  = 128
	maxNameLen        = 48
	maxDescriptionLen = 150
)

// CreateResourceParams are the fields of a new resource.
type CreateResourceParams struct {
	// ExternalID (required) is your identifier: at most 128 ASCII
	// characters, unique per organization and type, unchangeable.
	ExternalID string
	// Name (required) is at most 48 characters.
	Name string
	// Description is optional, at most 150 characters.
	Description string
	// TypeSlug (required) is the resource type, e.g. "project".
	TypeSlug string
	// OrganizationID (required) is the organization the resource belongs to.
	OrganizationID string
	// Parent is the parent resource, by ID or by type and external ID. The
	// zero Resource makes the organization the parent.
	Parent Resource
}

// UpdateResourceParams are the fields to change; nil fields stay as they are.
type UpdateResourceParams struct {
	Name        *string
	Description *string
	// Parent, when non-nil, moves the resource (and its subtree) under
	// another parent of the same organization. Access inherited from the
	// old ancestors is lost at once.
	Parent *Resource
}

// DeleteResourceOptions tune a resource delete.
type DeleteResourceOptions struct {
	// Cascade deletes the resource, all its descendants and all their role
	// assignments. Without it, deleting a resource that has children or
	// role assignments fails with 409 resource_has_dependents.
	Cascade bool
}

// ListResourcesOptions filter [Client.ListResources]. The API may require
// OrganizationID or TypeSlug (400 missing_organization_id_or_resource_type_slug).
type ListResourcesOptions struct {
	// OrganizationID filters by organization (organization_id).
	OrganizationID string
	// TypeSlug filters by resource type (resource_type_slug).
	TypeSlug string
	// ExternalID filters by external ID (resource_external_id).
	ExternalID string
	// Parent filters by parent: by ID (parent_resource_id), or by type and
	// external ID (parent_resource_type_slug and parent_external_id). The
	// zero Resource does not filter.
	Parent Resource
	ListOptions
}

// resourceWrite is the JSON body of a resource create or update.
type resourceWrite struct {
	ExternalID       string  `json:"external_id,omitempty"`
	Name             *string `json:"name,omitempty"`
	Description      *string `json:"description,omitempty"`
	ResourceTypeSlug string  `json:"resource_type_slug,omitempty"`
	OrganizationID   string  `json:"organization_id,omitempty"`
	ParentResourceID string  `json:"parent_resource_id,omitempty"`
	// The parent by external ID.
	ParentExternalID string `json:"parent_resource_external_id,omitempty"`
	ParentTypeSlug   string `json:"parent_resource_type_slug,omitempty"`
}

// setParent fills the parent fields of w from p, which must name a resource.
func (w *resourceWrite) setParent(arg string, p Resource) error {
	if err := checkRef(arg, p); err != nil {
		return err
	}
	if p.ID != "" {
		w.ParentResourceID = p.ID
	} else {
		w.ParentExternalID, w.ParentTypeSlug = p.ExternalID, p.TypeSlug
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
		{"CreateResourceParams.TypeSlug", p.TypeSlug},
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
		ResourceTypeSlug: p.TypeSlug,
		OrganizationID:   p.OrganizationID,
	}
	if p.Description != "" {
		w.Description = &p.Description
	}
	if p.Parent != (Resource{}) {
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
	if p.Description != nil {
		if err := checkLen("UpdateResourceParams.Description", *p.Description, maxDescriptionLen); err != nil {
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

func resourcePath(id string) (string, error) {
	return buildPath("/authorization/resources/", "resource ID", id)
}

func externalResourcePath(org, typeSlug, externalID string) (string, error) {
	return buildPath("/authorization/organizations/", "organization ID", org,
		"/resources/", "resource type slug", typeSlug, "/", "external ID", externalID)
}

// CreateResource creates a resource: POST /authorization/resources, 201.
// The request carries an Idempotency-Key, so a retried create is applied
// once. Documented errors: 400 bad_request or lock_timeout, 403, 404 (unknown
// organization, type or parent), 409
// authorization_resource_external_id_conflict or
// resource_type_update_in_progress, 422.
func (c *Client) CreateResource(ctx context.Context, p CreateResourceParams) (*AuthorizationResource, error) {
	body, err := p.body()
	if err != nil {
		return nil, err
	}
	return call[AuthorizationResource](ctx, c, request{method: "POST", path: "/authorization/resources", body: body, idempotent: true}, nil)
}

// GetResource returns the resource with WorkOS ID id: GET
// /authorization/resources/{id}. Documented errors: 403, 404, 422.
func (c *Client) GetResource(ctx context.Context, id string) (*AuthorizationResource, error) {
	path, err := resourcePath(id)
	if err != nil {
		return nil, err
	}
	return c.getResource(ctx, path)
}

// GetResourceByExternalID returns the resource of organization org, type
// typeSlug and external ID externalID: GET
// /authorization/organizations/{org}/resources/{type}/{external_id}.
// Documented errors: 403, 404.
func (c *Client) GetResourceByExternalID(ctx context.Context, org, typeSlug, externalID string) (*AuthorizationResource, error) {
	path, err := externalResourcePath(org, typeSlug, externalID)
	if err != nil {
		return nil, err
	}
	return c.getResource(ctx, path)
}

func (c *Client) getResource(ctx context.Context, path string) (*AuthorizationResource, error) {
	return call[AuthorizationResource](ctx, c, request{method: "GET", path: path}, nil)
}

// UpdateResource changes the name, description or parent of the resource
// with ID id: PATCH /authorization/resources/{id}. Documented errors: 400
// lock_timeout, 403, 404, 409 resource_type_update_in_progress, 422 (for
// example a parent of the wrong type or in another organization).
func (c *Client) UpdateResource(ctx context.Context, id string, p UpdateResourceParams) (*AuthorizationResource, error) {
	path, err := resourcePath(id)
	if err != nil {
		return nil, err
	}
	return c.updateResource(ctx, path, p)
}

// UpdateResourceByExternalID is [Client.UpdateResource] for the resource
// named by organization, type and external ID: PATCH
// /authorization/organizations/{org}/resources/{type}/{external_id}.
func (c *Client) UpdateResourceByExternalID(ctx context.Context, org, typeSlug, externalID string, p UpdateResourceParams) (*AuthorizationResource, error) {
	path, err := externalResourcePath(org, typeSlug, externalID)
	if err != nil {
		return nil, err
	}
	return c.updateResource(ctx, path, p)
}

func (c *Client) updateResource(ctx context.Context, path string, p UpdateResourceParams) (*AuthorizationResource, error) {
	body, err := p.body()
	if err != nil {
		return nil, err
	}
	invalidate := func(context.Context) {}
	if p.Parent != nil {
		// A move changes what every membership inherits in the subtree.
		invalidate = c.invalidateAll
	}
	return call[AuthorizationResource](ctx, c, request{method: "PATCH", path: path, body: body}, invalidate)
}

// DeleteResource deletes the resource with ID id: DELETE
// /authorization/resources/{id}, 204. Without [DeleteResourceOptions.Cascade]
// a resource with children or role assignments is kept and the call fails
// with 409 resource_has_dependents. Documented errors: 400 lock_timeout, 403,
// 404, 409 resource_has_dependents or resource_type_update_in_progress.
func (c *Client) DeleteResource(ctx context.Context, id string, opts DeleteResourceOptions) error {
	path, err := resourcePath(id)
	if err != nil {
		return err
	}
	return c.deleteResource(ctx, path, opts)
}

// DeleteResourceByExternalID is [Client.DeleteResource] for the resource
// named by organization, type and external ID: DELETE
// /authorization/organizations/{org}/resources/{type}/{external_id}.
func (c *Client) DeleteResourceByExternalID(ctx context.Context, org, typeSlug, externalID string, opts DeleteResourceOptions) error {
	path, err := externalResourcePath(org, typeSlug, externalID)
	if err != nil {
		return err
	}
	return c.deleteResource(ctx, path, opts)
}

func (c *Client) deleteResource(ctx context.Context, path string, opts DeleteResourceOptions) error {
	var q url.Values
	if opts.Cascade {
		q = url.Values{"cascade_delete": {"true"}}
	}
	return c.mutate(ctx, request{method: "DELETE", path: path, query: q}, nil, c.invalidateAll)
}

func (o ListResourcesOptions) query() (url.Values, error) {
	q := url.Values{}
	setIf(q, "organization_id", o.OrganizationID)
	setIf(q, "resource_type_slug", o.TypeSlug)
	setIf(q, "resource_external_id", o.ExternalID)
	if o.Parent != (Resource{}) {
		if err := checkRef("ListResourcesOptions.Parent", o.Parent); err != nil {
			return nil, err
		}
		if o.Parent.ID != "" {
			q.Set("parent_resource_id", o.Parent.ID)
		} else {
			q.Set("parent_resource_type_slug", o.Parent.TypeSlug)
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
