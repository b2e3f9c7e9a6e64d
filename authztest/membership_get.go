package authztest

import "net/http"

// membershipGetRoute serves GET /user_management/organization_memberships/{id},
// which the authz Client reads to learn a membership's organization before
// it acts on a resource by external ID "in" an organization.
//
// Merge note: the full membership endpoints (membershipRoutes) supersede
// this file; drop it and its line in routes when they land.
func (f *Fake) membershipGetRoute(mux *http.ServeMux) {
	f.handle(mux, "GET /user_management/organization_memberships/{id}", func(r *http.Request) (int, any, error) {
		om, err := f.m.membership(r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		type slug struct {
			Slug string `json:"slug"`
		}
		out := struct {
			Object         string `json:"object"`
			ID             string `json:"id"`
			UserID         string `json:"user_id"`
			OrganizationID string `json:"organization_id"`
			Status         string `json:"status"`
			Role           *slug  `json:"role,omitempty"`
			Roles          []slug `json:"roles,omitempty"`
			CreatedAt      string `json:"created_at"`
			UpdatedAt      string `json:"updated_at"`
		}{Object: "organization_membership", ID: om.id, UserID: om.userID, OrganizationID: om.orgID,
			Status: om.status, CreatedAt: ts(om.created), UpdatedAt: ts(om.updated)}
		for _, s := range om.roles {
			out.Roles = append(out.Roles, slug{s})
		}
		if len(out.Roles) > 0 {
			out.Role = &out.Roles[0]
		}
		return http.StatusOK, out, nil
	})
}
