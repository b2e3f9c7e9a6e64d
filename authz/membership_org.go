package authz

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
)

// A call that names a membership and a resource "in" an organization
// ([ResourceRef.InOrganization]) must act in that organization or not at
// all, whether the resource is named by ID or by type and external ID: the
// API looks an external ID up in the membership's organization, so for a
// membership of another organization it would act on that organization's
// resource of the same external ID; and a reference by ID that names an
// organization other than the membership's says the caller meant another
// tenant than the membership's. The Client therefore checks the
// membership's organization first and fails with ErrOrganizationMismatch
// before anything is sent. A membership's organization never changes, so
// it is learned once (one GET of the membership) and kept.

// maxMembershipOrgs bounds the memberships whose organization a Client
// keeps. Past it, an arbitrary entry is dropped: it costs one more GET if
// that membership is named again.
const maxMembershipOrgs = 10_000

// membershipOrgs maps membership (or group) IDs to their organization IDs.
type membershipOrgs struct {
	mu sync.RWMutex
	m  map[string]string
}

func (o *membershipOrgs) get(om string) (string, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	org, ok := o.m[om]
	return org, ok
}

func (o *membershipOrgs) put(om, org string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = make(map[string]string)
	}
	if _, ok := o.m[om]; !ok && len(o.m) >= maxMembershipOrgs {
		for k := range o.m { // drop one arbitrary entry
			delete(o.m, k)
			break
		}
	}
	o.m[om] = org
}

// membershipOrganization returns the organization of membership om: from
// what the Client learned before, or with one [Client.GetMembership] (GET
// /user_management/organization_memberships/{om}).
func (c *Client) membershipOrganization(ctx context.Context, om string) (string, error) {
	if org, ok := c.memberOrgs.get(om); ok {
		return org, nil
	}
	m, err := c.GetMembership(ctx, om)
	if err != nil {
		return "", fmt.Errorf("authz: learning the organization of membership %s: %w", truncate(om, 100), err)
	}
	if m.OrganizationID == "" {
		return "", fmt.Errorf("%w: membership without organization_id", ErrMalformedResponse)
	}
	c.memberOrgs.put(om, m.OrganizationID)
	return m.OrganizationID, nil
}

// sameOrganization fails with ErrOrganizationMismatch when r (by ID or by
// external ID) names an organization other than membership om's. It costs
// nothing for a reference that names no organization, and at most one GET per
// membership over the Client's life (see membershipOrganization). An error
// learning the organization is returned as is: nothing is sent then.
func (c *Client) sameOrganization(ctx context.Context, om string, r ResourceRef) error {
	if r.OrganizationID == "" || om == "" {
		return nil
	}
	org, err := c.membershipOrganization(ctx, om)
	if err != nil {
		return err
	}
	if org != r.OrganizationID {
		return ErrOrganizationMismatch
	}
	return nil
}

// guardSeq yields the error of guard, if any, before iterating over seq.
func guardSeq[T any](guard func() error, seq iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if err := guard(); err != nil {
			var zero T
			yield(zero, err)
			return
		}
		seq(yield)
	}
}

// groupInOrganization is sameOrganization for a group's role assignments:
// a target (by ID or by external ID) that names an organization must name
// the group's, because the API looks an external ID up in the group's
// organization, and an ID named in another organization is another
// tenant's. A group never changes organization, so it is learned once:
// GET /organizations/{org}/groups/{group} ([Client.GetGroup]) with the
// organization r names answers whether the group is there. A 404 there
// fails with ErrOrganizationMismatch (it also matches ErrNotFound: the
// group may not exist at all).
func (c *Client) groupInOrganization(ctx context.Context, group string, r ResourceRef) error {
	if r.OrganizationID == "" || group == "" {
		return nil
	}
	org, ok := c.groupOrgs.get(group)
	if !ok {
		g, err := c.GetGroup(ctx, r.OrganizationID, group)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: group %s is not in organization %s: %w", ErrOrganizationMismatch, truncate(group, 100), truncate(r.OrganizationID, 100), err)
		}
		if err != nil {
			return fmt.Errorf("authz: learning the organization of group %s: %w", truncate(group, 100), err)
		}
		org = g.OrganizationID
		if org == "" {
			org = r.OrganizationID // the API found it under that organization
		}
		c.groupOrgs.put(group, org)
	}
	if org != r.OrganizationID {
		return ErrOrganizationMismatch
	}
	return nil
}

// resourceInOrganization is sameOrganization for the calls that name a
// resource alone (get, update, delete, its role assignments and the
// memberships with access): a reference by ID that names an organization
// must name the resource's own, or the call fails with
// ErrOrganizationMismatch before it acts. A reference by external ID is
// looked up in the organization it names, so it needs nothing; nor does a
// reference without an organization. A resource never changes
// organization, so its organization is learned once (GET
// /authorization/resources/{id}) and kept.
func (c *Client) resourceInOrganization(ctx context.Context, r ResourceRef) error {
	if r.ID == "" || r.OrganizationID == "" {
		return nil
	}
	org, ok := c.resourceOrgs.get(r.ID)
	if !ok {
		res, err := c.getResource(ctx, ResourceID(r.ID))
		if err != nil {
			return fmt.Errorf("authz: learning the organization of resource %s: %w", truncate(r.ID, 100), err)
		}
		if err := c.learnResourceOrganization(res); err != nil {
			return err
		}
		org = res.OrganizationID
	}
	if org != r.OrganizationID {
		return ErrOrganizationMismatch
	}
	return nil
}

// learnResourceOrganization keeps the organization of a resource the API
// returned.
func (c *Client) learnResourceOrganization(res *AuthorizationResource) error {
	if res.OrganizationID == "" {
		return fmt.Errorf("%w: resource without organization_id", ErrMalformedResponse)
	}
	c.resourceOrgs.put(res.ID, res.OrganizationID)
	return nil
}
