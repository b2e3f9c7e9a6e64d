package authz

// ResourceRef names the resource of a check: either by its WorkOS ID
// ([ResourceID]) or by resource type and external ID ([ExternalResource]),
// optionally with its organization ([ResourceRef.InOrganization]). The zero
// ResourceRef names nothing and is rejected by every call.
//
// ResourceRef is a reference, not a wire object ([AuthorizationResource] is
// the object the API answers); its fields use the API's own names, as the
// structs that mirror the API's objects and parameters do.
type ResourceRef struct {
	// ID is the WorkOS resource ID (authz_resource_…). Set either ID, or
	// ResourceTypeSlug and ExternalID.
	ID string
	// ResourceTypeSlug is the resource type slug, used with ExternalID.
	ResourceTypeSlug string
	// ExternalID is your own identifier of the resource, unique per
	// organization and type.
	ExternalID string
	// OrganizationID, when set, names the organization the resource belongs
	// to; set it with [ResourceRef.InOrganization], whose documentation says
	// where the value must come from. The token layer answers only when it
	// equals the token's org_id (see [TokenLayer]).
	OrganizationID string
}

// ResourceID names a resource by its WorkOS ID.
func ResourceID(id string) ResourceRef { return ResourceRef{ID: id} }

// ExternalResource names a resource by its type slug and external ID. In a
// check, the API looks the external ID up inside the membership's
// organization (another organization's resource is not found). The token
// layer does not answer for it unless the reference also names its
// organization ([ResourceRef.InOrganization]) — or it is the token
// organization's root, ExternalResource("organization", orgID) — see
// [TokenLayer].
func ExternalResource(typeSlug, externalID string) ResourceRef {
	return ResourceRef{ResourceTypeSlug: typeSlug, ExternalID: externalID}
}

// InOrganization returns a copy of r that names its organization. With it
// the token layer may answer a check from the session's organization-wide
// permissions, without an API call, when orgID equals the token's org_id
// (see [TokenLayer]); calls that address a resource by external ID in a
// given organization (for example [Client.GetResource]) need it.
//
// orgID is trusted: name the organization your own records hold for the
// resource — the organization_id column of the row you loaded, or the
// OrganizationID of an [AuthorizationResource] — never a value from the
// request (path, query, body, header). With
// ResourceID(idFromRequest).InOrganization(orgFromRequest) a caller picks
// both and the token answers for another tenant's resource.
//
// A check of a reference that names another organization than the
// session's (or, for a call that names a membership, than the
// membership's) fails with [ErrOrganizationMismatch] and no call, whether
// it is by external ID or by ID: a call that names a resource's
// organization never acts in another one.
func (r ResourceRef) InOrganization(orgID string) ResourceRef {
	r.OrganizationID = orgID
	return r
}

// IsExternal reports whether r names the resource by type and external ID.
func (r ResourceRef) IsExternal() bool {
	return r.ID == "" && (r.ResourceTypeSlug != "" || r.ExternalID != "")
}

// Source says which layer produced a [Decision].
type Source uint8

const (
	// SourceNone is the Source of the zero Decision: nobody answered.
	SourceNone Source = iota
	// SourceToken: the session token answered: it granted the permission
	// organization-wide. A check ([Client.Check], [Client.CheckMany],
	// [Filter]) never gets a deny from it — a token without the
	// permission cannot tell, and the API is asked. Only
	// [Middleware.RequirePermission], for which the token's organization-wide
	// permissions are the answer, denies with it: hooks see that deny as
	// an [OpRequirePermission] decision with Source SourceToken and
	// Allowed false, so a count by source says which layer answered,
	// allows and denies alike.
	SourceToken
	// SourceAPI: this caller's own call to the Authorization API answered:
	// a check call, or, in a batch with [UnderParent] or [ChildrenOf], the
	// discovery listing (an item found there is allowed; with ChildrenOf,
	// an item absent from the complete listing is denied).
	SourceAPI
	// SourceShared: a concurrent identical call to the API answered, and this
	// caller shared its result.
	SourceShared
	// SourceCache: the optional decision cache answered.
	SourceCache
	// SourceMemo: the request-scoped memo answered (a duplicate check within
	// one request).
	SourceMemo
)

// String returns "none", "token", "api", "shared", "cache" or "memo".
func (s Source) String() string {
	switch s {
	case SourceToken:
		return "token"
	case SourceAPI:
		return "api"
	case SourceShared:
		return "shared"
	case SourceCache:
		return "cache"
	case SourceMemo:
		return "memo"
	default:
		return "none"
	}
}

// Decision is the answer to "may this membership do this on this resource?".
// A deny is a Decision with Allowed false; an error from a check means the
// question could not be decided, and the Decision returned with it is never
// Allowed. Decision is small and comparable (==).
type Decision struct {
	// Allowed is true when the membership may use the permission on the
	// resource.
	Allowed bool
	// Source says which layer answered; [SourceNone] for an item a batch
	// left unasked or could not decide.
	Source Source
	// TokenStale is true when the session token granted the permission
	// but a [Freshness] ([WithFreshness]) called it stale — a change to
	// its membership, roles, permission, organization or user since it was
	// issued — so the token did not answer and the API was asked instead
	// (or the memo or cache answered). It marks the decline, whatever came
	// after it: it is also set on a decision that failed — returned with
	// an error by [Client.Check], or listed in the [*BatchError] of
	// [Client.CheckMany] and [Filter] — which is still never Allowed.
	TokenStale bool
	// NotFound is true for a deny because the API answered the check with
	// 404: the resource, the membership or the permission does not exist
	// in the membership's organization — an unknown ID or external ID, a
	// resource of another organization, a deleted membership, a mistyped
	// permission slug. It is set only with Allowed false and Source
	// [SourceAPI] or [SourceShared]; the same resource gives the same
	// answer in a single check and in every batch path, except that a
	// [ChildrenOf] listing cannot tell a missing child from a denied one,
	// so its denials leave NotFound false. Answers with NotFound are never
	// cached nor memoized: the resource may be created a moment later.
	NotFound bool
}

// String returns "allowed", "denied" or "denied: not found" — the wording
// fgakit's command line and demo use too.
func (d Decision) String() string {
	switch {
	case d.Allowed:
		return "allowed"
	case d.NotFound:
		return "denied: not found"
	}
	return "denied"
}

// Validate reports whether r names exactly one resource: either an ID alone,
// or a type slug together with an external ID. The error matches
// [ErrInvalidInput].
func (r ResourceRef) Validate() error {
	switch {
	case r.ID != "" && (r.ResourceTypeSlug != "" || r.ExternalID != ""):
		return invalid("resource names both an ID and a type/external ID")
	case r.ID != "":
		return nil
	case r.ResourceTypeSlug == "" && r.ExternalID == "":
		return invalid("resource names nothing")
	case r.ResourceTypeSlug == "":
		return invalid("resource external ID %q has no type slug", truncate(r.ExternalID, 100))
	case r.ExternalID == "":
		return invalid("resource of type %q has no external ID", truncate(r.ResourceTypeSlug, 100))
	}
	return nil
}
