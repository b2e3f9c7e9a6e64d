// Package authz answers "may this person do this on this resource?" for
// products that sign people in with WorkOS AuthKit and model access with
// WorkOS FGA, and holds the management calls of the WorkOS Authorization
// API.
//
// Start with [New] (one [Client] per API key, safe for concurrent use,
// [Client.Close] when done), verify the session's access token with
// [github.com/fgakit/fgakit/token], then ask [Client.Check].
//
// # Two layers
//
//   - The token layer ([Client.Token], [TokenLayer]) reads
//     organization-wide permissions from the verified session claims: pure,
//     no I/O. A permission in the token counts only for the token's own
//     organization, and the token cannot tell which organization a resource
//     belongs to — so it answers only when the reference names the token's
//     organization ([ResourceRef.InOrganization], with the organization your
//     own records hold for the resource, never one from the request) or is
//     that organization's root (ExternalResource("organization", orgID)).
//     The token carries permission slugs, not their resource types: check
//     the permission that matches the resource's type. See [TokenLayer].
//   - The resource layer ([Client.API], [ResourceLayer]) asks the
//     Authorization API (POST
//     /authorization/organization_memberships/{om}/check), which is always
//     current: roles on the resource, on its ancestors, and the
//     organization role all count.
//
// [Client.Check] routes through both: the token answers when it grants the
// permission organization-wide and the resource is known to be in the
// token's organization; otherwise the API is asked, which scopes an
// external ID to the membership's organization and answers 404 for another
// organization's resource. A reference (by ID or by external ID) that names
// another organization than the session's fails with
// [ErrOrganizationMismatch] without a call: a call that names a resource's
// organization never acts in another one. A [Decision] says whether access is allowed and
// which layer answered ([Source]). Name resources with [ResourceID] or
// [ExternalResource]. Pass the claims that
// [github.com/fgakit/fgakit/token.Verifier.Verify] returned for the current
// request: the checks do not verify them again.
//
// # Lists
//
// [Client.CheckMany] and [Filter] answer many resources at once: token
// layer first, duplicates asked once, bounded concurrency ([Concurrency]),
// early stops ([RequireAll], [RequireAny]) and, when the caller names the
// common parent ([UnderParent], [ChildrenOf]), one paginated discovery
// listing instead of a check per item. A batch in which some items could
// not be decided answers the others and reports the failed ones in a
// [*BatchError]; [Filter] never returns a failed item.
//
// # Errors: fail closed
//
// A deny is a Decision with Allowed false and a nil error; an error means
// "could not decide", and the Decision returned with it is never Allowed —
// whatever went wrong: invalid input ([ErrInvalidInput], no call made), an
// API error ([*APIError], matching [ErrNotFound], [ErrRateLimited]… with
// [errors.Is]), an API that could not be reached ([ErrUnavailable]), a
// malformed or oversized answer ([ErrMalformedResponse],
// [ErrResponseTooLarge]), a panic in the call ([ErrPanic]), a closed Client
// ([ErrClosed]) or the caller's ctx.Err(). No error text contains the API
// key, nor any piece of it (nor does printing or logging a Client). Every
// call is bounded by [WithCallTimeout] (10 s by default). Failed calls are
// retried per [RetryPolicy], never past the caller's deadline, and a
// Client-wide [RetryBudget] stops retries from multiplying the load during
// an outage; [WithRateLimit] or your own [Limiter] ([WithLimiter]) keeps a
// Client under WorkOS's request rate, failing a call at once with
// [ErrThrottled] when its slot would come after its deadline;
// [WithObserver] reports every HTTP attempt. The Client never follows a
// redirect.
//
// # A resource that does not exist
//
// A resource that does not exist is denied, not an error, whichever way it
// is asked: "denied: not found" ([Decision.NotFound]) means the API
// answered 404 — the resource, the membership or the permission does not
// exist in the membership's organization, which is also how another
// organization's resource looks. What each call returns for it, and what
// it costs:
//
//   - [Client.Check], [ResourceLayer.Check]: Decision{Source: SourceAPI,
//     NotFound: true} and a nil error; the one check call. Never cached
//     nor memoized.
//   - [Client.CheckMany], [Filter], per-item (no parent named, fewer than
//     four items left, or an item [UnderParent]'s listing did not hold):
//     the same Decision for that item, no [*BatchError]; one check call
//     per missing item. [Filter] leaves the item out.
//   - [ChildrenOf]: denied with NotFound false (the listing cannot tell a
//     missing child from a denied one), inside the listing's ceil(N/100)
//     calls.
//   - [Middleware.RequireResource]: 403, with a reason matching both
//     [ErrDenied] and [ErrNotFound]; or 404 with no API call when the
//     resource function returns [ErrNotFound].
//   - Management and discovery calls ([Client.GetResource],
//     [Client.EffectivePermissions]…): an [*APIError] matching
//     [ErrNotFound].
//   - fgakit check: "denied: not found (api)", exit status 1.
//
// # Merging
//
// Concurrent identical checks (same membership, permission and resource) on
// one Client share one API call, which runs detached from every caller's
// cancellation, bounded by [WithCallTimeout], and is cancelled when every
// caller has left. Each caller still waits on its own ctx. A change made
// through the Client's management calls stops later checks from joining
// calls that started before it.
//
// # Cache and request memo
//
// Current by default: nothing caches an API answer unless you ask.
// [WithCache] adds a short-lived decision cache; a request memo
// ([github.com/fgakit/fgakit/cache.WithMemo], put in every request's
// context by the [Middleware]) answers a repeated check within one request.
// A management call of the Client that changes access forgets the answers
// it can affect, in the cache and in the memo of the ctx it is given, so a
// handler that revokes and then checks is denied. [Fresh] skips both for
// one call (read its note on shared calls and changes made elsewhere).
//
// # Management calls
//
// The Client also wraps the Authorization API's management endpoints:
// resources ([Client.CreateResource], [Client.UpdateResource],
// [Client.DeleteResource]…), role assignments of memberships
// ([Client.AssignRole], [Client.RemoveRole]…) and of groups
// ([Client.AssignGroupRole]…), environment and organization roles,
// permissions, and discovery ([Client.ListResourcesForMembership],
// [Client.ListMembershipsForResource], [Client.EffectivePermissions]).
// It also wraps the user management calls that create the subjects of
// every check: organization memberships ([Client.CreateMembership],
// [Client.UpdateMembership] to change the organization role,
// [Client.DeactivateMembership], [Client.ReactivateMembership],
// [Client.DeleteMembership], [Client.ListMemberships]), groups and their
// members ([Client.CreateGroup], [Client.AddGroupMember],
// [Client.RemoveGroupMember], [Client.DeleteGroup]…), session revocation
// ([Client.RevokeSession]) and the JWT template ([Client.GetJWTTemplate],
// [Client.UpdateJWTTemplate]). Each is one API call; those that change what
// a membership may do forget the Client's remembered decisions of it (of
// everyone for [Client.CreateMembership] and [Client.DeleteGroup]).
// Every paginated list comes as a pair: an iterator (for example
// [Client.ListResources], an [iter.Seq2] that fetches pages as you range
// and yields one error at most, then stops) and its XxxPage twin
// ([Client.ListResourcesPage]) that returns one [Page] with its cursors
// ([ListOptions]). Creates send an Idempotency-Key, so a retried create is
// applied once. A call that names a membership (or a group) and a resource
// in an organization, by ID or by external ID ([Client.AssignRole],
// [Client.RemoveRole], [ResourceLayer.Check], [Client.EffectivePermissions],
// discovery, group role assignments…), fails with
// [ErrOrganizationMismatch] before anything is sent when the membership
// belongs to another organization; the Client learns a membership's
// organization with one GET the first time and keeps it. A call that names
// a resource alone by ID in an organization ([Client.GetResource],
// [Client.UpdateResource], [Client.DeleteResource], its role assignments,
// who can access it) holds it to the resource's own organization the same
// way, learning it with one GET of the resource.
//
// # Freshness
//
// A token's claims are as old as its iat. [WithFreshness] takes a
// [Freshness] —
// [github.com/fgakit/fgakit/events.State], fed by WorkOS events — and the
// token layer then declines claims issued at or before a change that
// touches them: the API is asked (one call) and the [Decision] says
// TokenStale. A change also forgets cache and memo answers it may have
// made wrong. Without one, the token is trusted until it expires.
//
// A stale token is asked of the API for a permission it lacks too:
// [Middleware.RequirePermission], which answers a token without the
// permission 403 with no call, makes one API call for each such request
// while the token is stale (a member promoted since signing in is let
// in). When every token is stale — an events.State under its AskAPI lag
// policy while the Events API cannot be read, or started on webhooks
// alone, for one token lifetime, for the tokens issued before it started
// — that is one API call per request the token alone would forbid, on
// top of those it would allow: count them in your budget ([WithRateLimit]).
//
// # HTTP middleware
//
// [Client.Middleware] guards net/http handlers: it verifies the session
// ([github.com/fgakit/fgakit/token.Verifier]), then requires a session ([Middleware.RequireSession]),
// an organization-wide permission ([Middleware.RequirePermission]) or a
// permission on the resource the request names
// ([Middleware.RequireResource]). Answers are 401, 403, 404 (the resource
// function said so, no API call), 400 or 503 (could not decide, with the
// API's Retry-After); [WithErrorHandler] sets how they are written
// ([WriteTextError] by default, [WriteJSONError] for an API), from a
// [*RejectError] with the status and the reason. Handlers, and already the
// resource function, get the claims with [ClaimsFromContext]. Nested
// Middlewares each hold the request to their own verifier and token source.
//
// # Request memos over long requests
//
// A request memo never outlives a change the Client knows of: a management
// call of the Client that touches a membership, made from any request,
// retires that membership's memo answers everywhere, and no memo answer is
// used after [WithMemoMaxAge] ([DefaultMemoMaxAge] by default) — so a
// stream behind the Middleware asks again after a role was removed.
//
// # Observability
//
// [WithObserver] reports every HTTP attempt; [WithHooks] reports every
// check, batch and decision (with the layer that answered), every attempt
// with its request's context, retries, rate-limit waits, how many checks
// shared one API call, and cache lookups — what tracing and metrics need
// ([Hooks]). [github.com/fgakit/fgakit/otelfgakit], a separate module,
// turns them into OpenTelemetry spans and metrics. Hooks never see the API
// key or a token, and are not given membership, resource or external IDs
// (an error's text may name one); a Client without them pays nothing.
//
// # Testing
//
// [github.com/fgakit/fgakit/authztest] is an in-memory fake of the
// Authorization API with WorkOS's semantics, served over HTTP, that also
// mints session tokens: point a Client at it with [WithBaseURL] (or use
// its Client method) and test your checks, batches, middleware and failure
// handling (injected faults) without the network.
package authz
