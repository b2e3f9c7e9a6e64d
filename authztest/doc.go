// Package authztest is a test double of the WorkOS Authorization API: an
// in-memory FGA with WorkOS's semantics, served over the real HTTP wire
// protocol, that also mints AuthKit session tokens and serves their JWKS.
//
// Tests run the production [authz.Client] and [token.Verifier] against it,
// so encoding, retries, merging and error mapping are exercised for real:
//
//	func TestEditProject(t *testing.T) {
//		f := authztest.New(t) // closed when the test ends
//		f.AddResourceType("workspace")
//		f.AddResourceType("project", "workspace")
//		f.AddPermission("project:edit", "project")
//		f.AddRole("workspace-admin", "workspace", "project:edit")
//		f.AddOrganization("org_acme", "Acme")
//		f.AddMembership("om_alice", "user_alice", "org_acme", "") // no role given: the default role, member
//		eng := f.AddResource(authztest.Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
//		web := f.AddResource(authztest.Resource{ExternalID: "web", ResourceTypeSlug: "project", OrganizationID: "org_acme", ParentResourceID: eng})
//		f.Assign("om_alice", "workspace-admin", eng)
//
//		claims, err := f.Verifier().Verify(t.Context(), f.Session("om_alice"))
//		if err != nil {
//			t.Fatal(err)
//		}
//		d, err := f.Client().Check(t.Context(), claims, "project:edit", authz.ResourceID(web))
//		if err != nil || !d.Allowed {
//			t.Fatalf("Check = %v, %v; want allowed", d, err)
//		}
//		if n := len(f.Calls()); n != 1 { // the one check call
//			t.Errorf("%d API calls, want 1", n)
//		}
//	}
//
// A whole scenario can also be a JSON [Fixture] in the API's own vocabulary
// ([WithFixture], [Fake.Load], [LoadFixtureFile]), groups included (keys
// "groups" and "group_role_assignments"); `fgakit serve` runs the fake as a
// standalone server ([NewServer]) for tests in other languages, and
// [Fake.Handler] mounts it in a server of your own.
//
// # What the fake offers
//
//   - Setup in Go: [Fake.AddResourceType], [Fake.AddPermission],
//     [Fake.AddRole], [Fake.AddOrganizationRole], [Fake.SetRolePermissions],
//     [Fake.AddOrganization], [Fake.AddMembership],
//     [Fake.SetMembershipRoles], [Fake.RemoveMembership], [Fake.AddResource],
//     [Fake.ResourceID], [Fake.Assign], [Fake.Unassign], groups
//     ([Fake.AddGroup], [Fake.AddGroupMember], [Fake.RemoveGroupMember],
//     [Fake.AssignGroup], [Fake.DeleteGroup]), membership life cycle
//     ([Fake.CreateMembership], [Fake.DeactivateMembership],
//     [Fake.ReactivateMembership], [Fake.MembershipStatus]), sessions
//     ([Fake.RevokeSession], [Fake.SessionRevoked]) and the JWT template
//     ([Fake.SetJWTTemplate]). Each fails the test on misuse, with the
//     error the API would give.
//   - User management over HTTP, as the official spec describes it:
//     organization memberships (/user_management/organization_memberships:
//     list by user_id or organization_id and statuses, create, get, update
//     with role_slug or role_slugs, delete (200), deactivate, reactivate,
//     /{id}/groups), groups (/organizations/{org}/groups: create, list,
//     get, PATCH, delete, and their organization-memberships: add, list,
//     remove), POST /user_management/sessions/revoke and GET/PUT
//     /user_management/jwt_template. A membership created over HTTP is
//     checkable at once; a group's members gain and lose its role
//     assignments as they join and leave, and when it is deleted.
//   - Sessions: [Fake.Session] mints an RS256 token whose role, roles and
//     permissions come from the membership's organization roles (as they
//     are when it is minted), with the claims of the JWT template
//     ([DefaultJWTTemplate] until one is set: organization_membership_id);
//     each token opens a session whose ID is its sid claim, which POST
//     /user_management/sessions/revoke and [Fake.RevokeSession] end; the JWKS
//     is served at /sso/jwks/{client_id}; [Fake.Verifier] verifies them on
//     the fake's clock. POST /_fake/access_tokens mints one over HTTP:
//     {"organization_membership_id": "om_…", "expires_in": 300} →
//     {"access_token": "…", "session_id": "session_…"} (expires_in from 1
//     to 31622400 seconds; session_id is the token's sid, which POST
//     /user_management/sessions/revoke takes). One
//     2048-bit RSA key is generated per process (at the first session or
//     JWKS request) and shared by every fake, to keep tests fast, but each
//     fake serves it under a kid of its own ([Fake.KeyID]): a token minted
//     by one fake is rejected by another fake's verifier with
//     [token.ErrUnknownKey], as a token of another WorkOS environment is in
//     production. [Fake.RotateKey] switches a fake to a newly generated
//     key. The JWKS carries every member the official spec requires, x5c (a
//     self-signed certificate for the key) and x5t#S256 included. Tokens
//     are signed outside the lock checks take, so minting never holds up
//     checks.
//   - Events (WIRE.md §8): every change the fake applies — over HTTP, from
//     Go setup or from a fixture — records the event WorkOS would emit,
//     with the payload of the official spec: permission.*, role.* for
//     environment roles, organization_role.* for custom roles,
//     organization.created, organization_membership.* (created, role and
//     status changes, deleted), group.* (created, updated, deleted,
//     member_added, member_removed), session.created for each minted token
//     and session.revoked. Role assignments emit nothing (WorkOS has no
//     such event type), nor do resources or the JWT template. [Fake.Events]
//     returns the log; GET /events serves it (events filter, after/before,
//     order asc|desc|normal, limit, range_start/range_end,
//     organization_id).
//   - Webhooks: endpoints from POST /webhook_endpoints (the answer carries
//     the signing secret; GET, PATCH, DELETE as the spec says),
//     [WithWebhook] or [Fake.AddWebhook] receive each event as a POST,
//     signed "WorkOS-Signature: t=<unix ms>, v1=<hex HMAC-SHA256>" as
//     WorkOS signs ([SignWebhook] builds one for your own handler's
//     tests; [SignWebhookAll], one signed with each secret of a rotation). Failed attempts (non-2xx, timeout, no connection) are retried
//     on the fake's clock ([DefaultWebhookRetries], [WithWebhookRetries],
//     [WithWebhookClient]); [Fake.DeliverWebhooks] waits for every due
//     attempt and [Fake.WebhookDeliveries] logs each one (event, endpoint,
//     attempt, status, error, next attempt). Deliveries run in one
//     goroutine the fake owns, stopped by [Fake.Close]. With a frozen clock
//     a test drives retries without sleeping: [Fake.Advance] past the
//     delay, then DeliverWebhooks again (see the example of
//     [Fake.DeliverWebhooks]).
//   - Inspection: [Fake.Calls] logs every WorkOS API request (not JWKS or
//     /_fake/ requests) with its method, path, query, status, X-Request-ID
//     and body. The log is bounded: the most recent [DefaultCallLogSize]
//     calls, each body cut at [DefaultCallBodyLimit] bytes
//     ([Call.BodyTruncated]); [WithCallLog] changes both.
//     [Fake.JWKSFetches] counts key fetches.
//   - Faults: [Fake.InjectFault] and [Fake.FailNext] answer status codes
//     with Retry-After, add latency, drop connections or send malformed
//     bodies, for the next N requests or those matching a path.
//     [Fake.Client] retries 408, 429, 500, 502, 503, 504 and dropped
//     connections as the production client does, but milliseconds apart
//     ([RetryPolicy]): a fault reaches the caller only when it lasts for
//     every attempt (Times -1, or MaxRetries+1 = 4); one is absorbed by a
//     retry.
//   - Time: [Fake.Now], [Fake.SetTime], [Fake.Advance], [WithClock].
//   - Control over HTTP, for tests in other languages (`fgakit serve`):
//     POST /_fake/faults takes a [Fault] in snake_case,
//     {"path", "method", "times", "status", "body", "retry_after",
//     "delay_ms", "drop", "malformed"} → 204, e.g.
//     {"status": 429, "retry_after": "0", "times": 1}; DELETE /_fake/faults
//     clears them (204). POST /_fake/clock takes {"set": "2026-01-15T12:00:00Z"}
//     or {"advance": "10m"} → 200 {"now": "…"}; tokens minted after moving
//     the clock carry its iat and exp, so a verifier on the real clock (such
//     as `fgakit check`) rejects them once the two clocks differ by more than
//     its leeway — verify with the fake's clock instead. An unknown key or a bad
//     value is 422 {"message"} naming the field, and so is every number out
//     of its range, checked before it is used (never wrapped or clamped):
//     status 200–599, times -1 or 0–1000000, delay_ms 0–60000,
//     retry_after 1–30 digits (sent as it is, so a value past what a client
//     will wait, such as "99999999999999999999", can be tested) or an HTTP
//     date, a clock
//     from 1970-01-01T00:00:00Z to 9998-01-01T00:00:00Z (set, or after
//     advance), at most 1000 faults waiting, holding at most
//     [MaxPendingFaultBytes] (64 MiB) of path, method, body and
//     retry_after together (422 beyond it; DELETE /_fake/faults or using
//     them up frees it). With [WithAPIKey] these
//     control endpoints demand the key (they change the answers of every
//     client); POST /_fake/access_tokens and the JWKS stay public.
//   - Server limits: the server [New] and [NewServer] start cuts off slow
//     and idle clients ([DefaultServerLimits]: headers within 5 s and
//     64 KiB, a request within 30 s, idle connections after 60 s;
//     [WithServerLimits] changes them). A request without the API key
//     ([WithAPIKey]) is refused before its body is read.
//   - Conformance: [Conformance] runs one set of scenarios through an
//     [authz.Client] against the fake ([ConformanceFixture],
//     [Fake.ConformanceEnv]) or, with real credentials, against a WorkOS
//     environment ([LoadConformanceEnv]), to keep the fake honest.
//
// # Semantics
//
// A check is allowed iff some role the membership holds on the resource or
// on any ancestor — by a direct assignment, through a group, or as its
// organization role (held on the organization's root resource) — contains
// the permission. Roles may contain permissions of their own resource type
// and of descendant types only; that is checked when a role is created or
// changed. Changes apply at once: a revoked assignment is denied on the
// next check, a reparented resource inherits from its new ancestors.
//
// # Known differences from the real API
//
// Where the WorkOS documentation is silent or contradicts itself, the fake
// chooses as follows:
//
//   - Effective permissions by resource ID are served on both paths, the
//     documented /organization_memberships/{om}/resources/{id}/permissions
//     and the SDK's /resources/{id}/organization_memberships/{om}/permissions.
//     They list the permissions of the resource's own type that a check
//     would grant.
//   - Deleting a resource with children or role assignments is 409
//     resource_has_dependents unless cascade_delete=true, which removes the
//     subtree and every role assignment on it.
//   - Deleting a custom role that is still assigned (directly or as a
//     membership's role) is 409 role_has_assignments; assigned to a group,
//     409 role_has_group_role_mappings.
//   - Resources a membership can access under a parent are the parent's
//     direct children of the permission's type on which a check would
//     grant the permission.
//   - Check: an unknown membership, resource or permission slug is 404; a
//     body without permission_slug or without a resource is 422; a
//     permission of another resource type than the resource's answers
//     {"authorized": false}; a resource of another organization than the
//     membership's is 404.
//   - A resource is named either by resource_id or by resource_external_id
//     with resource_type_slug (check, assign, remove, group role
//     assignments): the spec's x-mutually-exclusive-body-groups. Fields of
//     both forms, even naming the same resource, are 422. The spec declares
//     the groups for check, assign and remove only; the fake applies the
//     same rule to group role assignments, whose bodies name a resource the
//     same way.
//   - A resource directly under its organization answers
//     "parent_resource_id": null. The organization's root resource has type
//     "organization" and external ID = the organization ID, appears in
//     resource lists, and cannot be changed (422) or deleted (403, with or
//     without cascade_delete: of the statuses DELETE declares, 400 is
//     lock_timeout only and 409 means dependents, which cascade_delete
//     would remove).
//   - Group role assignments apply at once (the real API may take a moment).
//   - Every answer carries X-Request-ID; every error body is JSON with
//     "message", plus "code" for 400 and 409 (and a few 422s with a
//     documented code, such as sub_resource_scoped_role_not_allowed).
//     The spec's 422 bodies of /authorization operations have "message"
//     only, and so have the fake's.
//   - Assigning a role that does not exist is 404; a role scoped to another
//     resource type than the target's is 422; assigning the same role on
//     the same resource twice is 422 (the operation declares no 409; the
//     real API may answer otherwise, the spec does not say).
//   - Removing a role assignment that came from a group, by its ID, is 422.
//   - The role assignments of a membership list its assignments on
//     resources (the organization root included when assigned there), from
//     groups too, but not its organization role.
//   - Lists: limit outside 1–100 (or empty, limit=) is 422, on every
//     list, and so is an order outside asc, desc and normal (or empty),
//     although some list operations declare no 422 (the role assignment
//     lists, for example: the spec has no status for a bad limit there); before and
//     after together, or a cursor the fake never issued, is 422 (the ID of
//     a deleted object still works as a cursor). order "normal" is newest
//     first with reversed cursors, as the spec defines it: before fetches
//     older records, after newer ones, and list_metadata's before and
//     after are the cursors to pass back in those parameters.
//   - GET /authorization/resources without organization_id and without
//     resource_type_slug is 400 missing_organization_id_or_resource_type_slug;
//     parent_resource_id together with parent_resource_type_slug or
//     parent_external_id is 422 (x-mutually-exclusive-parameter-groups).
//   - Memberships in "who can access this resource" listings carry a user
//     with every field the spec requires; the fake keeps no users, so
//     external_id and last_sign_in_at are null, first_name and last_name
//     come from the fixture (else null) and the email defaults to
//     {user_id}@example.com.
//   - Statuses the spec declares that the fake answers only when injected
//     ([Fake.InjectFault]): 400 lock_timeout and 409
//     resource_type_update_in_progress (transient states of the real
//     service). Never answered: 403 other than the two named here (the
//     fake has no API key permissions), and the 422 of GET
//     /authorization/resources/{id}, whose cause the spec does not give
//     (an unknown ID is 404).
//   - The contract test (module contract/ of the repository) holds the
//     fake's answers and the client's requests to WorkOS's OpenAPI spec;
//     every choice in this list that it could see passes it, except one,
//     which its scenarios therefore do not provoke: the 422 for a bad
//     limit, order or cursor on the lists that declare no 422 (groups,
//     group members, a membership's groups, role assignment lists,
//     permissions).
//   - A known path asked with a method it does not serve is 405 with an
//     Allow header and a JSON {"message"}; an unknown path is 404.
//   - Without [WithAPIKey] any request is accepted, with or without an
//     Authorization header.
//   - Unknown request body fields are ignored; a field of the wrong JSON
//     type is 422, and so is null for a field the spec does not declare
//     nullable ({"name": null} on a PATCH, "resource_id": null on a check):
//     null is a value, not an absent field. The nullable fields take null:
//     description (on creates, and on a PATCH it clears the description)
//     and parent_resource_id on POST /authorization/resources (directly
//     under the organization). The two forms of a resource or a parent
//     are mutually exclusive by key, whatever the values ("" and null
//     included). Session revocation answers its 400 instead of 422; the
//     fake's own /_fake/ endpoints take null as "not sent". A body that is not a JSON object is 400 bad_request where
//     the operation declares that code (creates, role and group updates,
//     adding a permission to a role), and otherwise the status the
//     operation declares for invalid input: 422 (with code
//     invalid_request_parameters for memberships and the JWT template), or
//     400 {"message"} for session revocation.
//   - Idempotency-Key (WorkOS documents the header on creates, "each
//     subsequent request matching this unique string will return the same
//     response", keys expiring after 24 hours, and nothing about a key
//     reused for another request): the fake honours it on every POST that
//     writes. A key belongs to the first request that carried it (method,
//     path and body, byte for byte): that request again answers the same
//     2xx without applying it twice, also when the two arrive at once (the
//     second waits for the first); another request with the key applies
//     nothing and is refused in the status and body the operation declares
//     for input it refuses (WorkOS documents no answer of its own, and no
//     operation declares a code for it): 422 {"message"} on the
//     /authorization and group operations, 422 invalid_request_parameters
//     on a membership create, 422 invalid_request_parameters with an
//     errors entry of code idempotency_key_reused on a webhook endpoint
//     create, and 400 {"message"} on session revocation, which declares no
//     422. A request that did not
//     end in a 2xx leaves the key free. Keys expire 24 hours after first
//     use on the fake's clock; at most 10,000 are kept (the oldest go
//     first), as digests of key, path and body. A check (POST …/check, which only reads) is answered anew
//     every time, whatever key it carries.
//   - Input limits are checked as WorkOS documents them (external_id at
//     most 128 ASCII characters, name 48, description 150, slugs 48).
//   - Names default: a permission's or role's name to its slug, a resource
//     set up in Go or a fixture to its external ID (the API requires name).
//   - IDs the fake generates are deterministic per fake: prefix plus a
//     counter (authz_resource_000001, role_assignment_000001, om_…, perm_…,
//     role_…, group_…, gra_…). Timestamps are ISO-8601 with milliseconds
//     from the fake's clock.
//   - Session tokens: iss is {URL}/user_management/{client_id}; kid is
//     "sso_oidc_key_pair_" + 26 random characters of the ULID alphabet, new
//     for each fake and each rotation; sid and jti are counters. The fakes
//     of a process share one key (under different kids) until rotated.
//   - JWKS: x5c holds one self-signed certificate for the key (CN
//     "authztest session signing key", valid 2000–2100), not a chain;
//     x5t#S256 is the base64url SHA-256 digest of it (RFC 7517 §4.9). The
//     spec's example value looks like a base64 hex digest instead;
//     token.ParseJWKS accepts both forms.
//   - Resources a membership can access: without a parent, or with both
//     parent forms, 400 bad_request; without permission_slug, 422.
//     Memberships with access: without permission_slug or with an
//     assignment other than direct/indirect, 422; "direct" means a role on
//     the resource itself (from a group too) that contains the permission.
//   - Deleting a permission removes it from every role; deleting a system
//     permission is 403.
//   - A custom role created without a slug gets "org-<name>-<n>".
//   - Removing a permission a role does not have
//     (DELETE …/roles/{slug}/permissions/{permission}) is 404. Under
//     /organizations/{org}/roles only GET finds environment roles; PATCH,
//     DELETE and the permission endpoints need the organization's own role.
//   - PUT of a group's role assignments answers every assignment of the
//     group as a list with null cursors; entries already present keep their
//     IDs, and a bad entry changes nothing.
//   - An inactive membership (deactivated) is denied every check — check
//     answers {"authorized": false}, discovery lists nothing for it — while
//     its roles and role assignments stay, and [Fake.Session] and
//     /_fake/access_tokens refuse to mint a token for it (422); reactivating
//     restores its access. The docs say only that deactivation removes
//     access. A pending membership is checked like an active one.
//   - Users are implicit: any user_id is accepted when creating a
//     membership (the real API answers 404 for an unknown user); the nested
//     user has email {user_id}@example.com unless a fixture names one, and
//     null external_id and last_sign_in_at.
//   - A membership always has a role, as the spec requires ("role" is never
//     null): one given none — POST without role_slug or role_slugs,
//     [Fake.AddMembership] with "", a fixture without "role",
//     [Fake.SetMembershipRoles] with none — gets the environment role
//     "member", WorkOS's default role. Every WorkOS environment has it; a
//     fake whose setup never added it creates it then (scoped to the
//     organization, named "Member", no permissions; role.created is
//     emitted), and a later [Fake.AddRole] or fixture role "member" scoped
//     to the organization takes it over with its permissions (role.updated);
//     another scope is 409 with a message saying why. WorkOS lets an
//     environment choose another default role; the fake's is always
//     "member". Creating one for a user who already
//     has an active membership in the organization is 422
//     invalid_request_parameters; one with a pending membership is 400
//     cannot_reactivate_pending_organization_membership.
//   - An unknown membership role is 422 invalid_role (also for
//     [Fake.AddMembership] and fixtures); multiple roles are always allowed
//     (never 422 multiple_roles_not_enabled).
//   - GET /user_management/organization_memberships with a status other
//     than active, inactive or pending is 400 invalid_request_parameters.
//   - Adding a membership of another organization to a group is 404;
//     adding a member twice is no change; removing a non-member is 404.
//     Group names are at most 256 characters; no group_membership_limit.
//   - Revoking an unknown session is 400 {"message"} (the only error status
//     the spec declares for it); revoking twice is no error. A revoked
//     session's tokens keep verifying until they expire, as AuthKit's do.
//   - Sessions are kept [SessionRetention] (an hour) after they expire, on
//     the fake's clock, and at most [MaxSessions] (100,000; beyond it the
//     one that expires soonest is forgotten first): every token minted
//     opens one, and POST /_fake/access_tokens is public. Revoking a
//     session the fake issued and has forgotten is 200 and changes nothing
//     (no session.revoked event), as revoking an ended session;
//     [Fake.SessionRevoked] reports false for it. The spec declares 200 and
//     400 for the revoke; the real API keeps sessions longer.
//   - The JWT template: GET answers the current one ([DefaultJWTTemplate]
//     until a PUT); PUT refuses (422 invalid_request_parameters) content
//     that is not a JSON object, longer than 3072 bytes, or with a reserved
//     claim (iss sub exp iat nbf jti). It also refuses, where WorkOS may
//     not, claims that would make a strict verifier such as fgakit's
//     [token.Verifier] reject every token minted, so that the fake never
//     mints a token its own verifier refuses: act (AuthKit's impersonation
//     claim), scope (the mark of an OAuth token), aud that is not a string or
//     list of strings, entitlements or feature_flags that are not lists of
//     strings, organization_membership_id that is not a string, and a claim
//     named like a session claim in other letter case ("Sub", "ORG_ID"). It renders {{ }} expressions of
//     variables over user.*, organization.* and organization_membership.*
//     with WorkOS's || fallbacks ({{ user.first_name || 'Someone' }}),
//     inside string literals (as text; a string that is one expression
//     takes its value) and outside them ("email": {{ user.email }}, its
//     value as JSON), as WorkOS's JWT template docs show; Liquid filters
//     and tags ({% … %}) are refused (422), not rendered. An unknown
//     variable renders null; a top-level claim that renders null is
//     dropped; a token whose rendered claims exceed 3072 bytes is not
//     minted (422). Template claims never replace the standard ones (sub,
//     sid, org_id, role, roles, permissions, …).
//   - [WithClientID] wins over a fixture's client_id.
//   - Events: GET /events demands the events list (422 {"errors":
//     [{"code":"required","field":"events"}]} without it, as the live API
//     is reported to; the spec marks it optional); an unknown type, a limit
//     outside 1–100 or empty (limit=), an unknown or empty order, both cursors, or a cursor that names
//     no event of this fake is 422 with {"code":"invalid","field":…}; an
//     organization_id the fake never had is 400. range_start is inclusive,
//     range_end exclusive. Events are ordered as they were emitted (their
//     IDs count up); moving the clock backward makes created_at go back
//     too. Events are kept [EventRetention] (30 days, as the Events API
//     returns) on the fake's clock and at most [MaxEvents]; an expired
//     event is no longer listed and its ID as a cursor is 422, the case a
//     consumer must survive. list_metadata carries after only, as the spec's
//     EventList.
//     The delivery log keeps the last [MaxWebhookDeliveries] attempts.
//   - Event payloads follow the spec's event schemas field for field
//     (role.* carries object, slug, resource_type_slug, permissions and the
//     timestamps; organization_role.* adds organization_id, name and
//     description). An organization_membership.* role is the first of its
//     organization roles; custom_attributes is {}; organization.* has no
//     domains, {} metadata and a null external_id; session.* has auth_method
//     "unknown" and null ip_address and user_agent.
//   - Deleting a permission emits permission.deleted only, not a role
//     update for each role that loses it; deleting a group emits
//     group.deleted only, not member_removed for its members. Deleting a
//     membership emits group.member_removed for each of its groups, then
//     organization_membership.deleted. Re-creating an inactive membership
//     (which reactivates it) is organization_membership.updated. A write
//     that changes nothing (adding a group member twice, deactivating an
//     inactive membership, revoking a revoked session) or is refused emits
//     nothing. Not emitted because the fake has no such writes: user.*
//     (users are implicit), organization.updated and organization.deleted.
//   - Webhook endpoints: endpoint_url must be https, or http on a loopback
//     host (for tests; WorkOS wants https); the same URL twice is 409
//     duplicate_endpoint; an event type outside the spec's enum is 422
//     invalid_request_parameters with an unknown_event_type entry per
//     type. Secrets are "whsec_" plus 36 random hex digits; lists show them
//     as the spec requires. An endpoint receives the events emitted while
//     it exists and is enabled — none from before, none while disabled —
//     and deleting it drops its pending retries. At most
//     [MaxWebhookEndpoints] (100) endpoints exist at once, since each
//     event is queued once per endpoint: one more is 422
//     invalid_request_parameters with an error of code
//     webhook_endpoint_limit_reached (the spec states no limit). At most
//     [MaxQueuedWebhookDeliveries] deliveries wait at once (first attempts
//     and retries together); beyond it an event is not sent to that
//     endpoint, and the delivery log says so. [WithWebhook] endpoints
//     exist before a [WithFixture] fixture loads, so they receive its
//     events.
//   - Webhook delivery: one event per POST, attempted one at a time in
//     emission order; the body is compact JSON without HTML escaping, so it
//     survives JSON.stringify(JSON.parse(body)) (the Node SDK verifies that
//     form when handed an object). The signature's t is the fake's clock
//     at the attempt, so a frozen clock far from the real time fails a
//     verifier on the real clock (tolerance 180 s): set the clock to the
//     real time first (POST /_fake/clock {"set": …}). The retry schedule
//     and the attempt timeout are the fake's choices ([DefaultWebhookRetries],
//     [DefaultWebhookTimeout]); WorkOS documents retries but not their
//     schedule.
//
// # Unsupported
//
// Not served (404): resource types (the real API has no endpoint either),
// organizations (/organizations and /organizations/{id}; their groups are
// served), users and the rest of /user_management (memberships, session
// revocation and the JWT template are served), removing one permission from an
// environment role (DELETE /authorization/roles/{slug}/permissions/{p} is
// not in the API; use PUT), the role priority endpoint, and everything
// else outside /authorization but /events and /webhook_endpoints. The
// faults lock_timeout and
// resource_type_update_in_progress happen only when injected.
package authztest
