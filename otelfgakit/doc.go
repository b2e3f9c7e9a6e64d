// Package otelfgakit reports what an fgakit [authz.Client] does as
// OpenTelemetry traces and metrics: which layer answered each check, how
// many checks were merged or cached, how long the WorkOS API took, how
// often it was retried or the client waited for its rate limit, and how
// often a session token was declined as stale.
//
// It is a separate Go module (github.com/fgakit/fgakit/otelfgakit), so only
// programs that want OpenTelemetry download it; fgakit itself exposes
// [authz.Hooks] and depends on no telemetry library. Turn it on with one
// option:
//
//	client, err := authz.New(apiKey, otelfgakit.Instrument())
//
// Spans and metrics go to the global providers (otel.SetTracerProvider,
// otel.SetMeterProvider) unless [WithTracerProvider] or [WithMeterProvider]
// names others. The instrumentation scope is [ScopeName]; attribute names
// follow the OpenTelemetry semantic conventions v1.43.0 where they apply
// and use the fgakit.* namespace elsewhere.
//
// # Spans
//
// Each call of [authz.Client.Check], [authz.ResourceLayer.Check],
// [authz.Client.CheckMany] and [authz.Filter] is a span (kind internal)
// named authz.Check, authz.ResourceLayer.Check, authz.CheckMany or
// authz.Filter, a child of the span in the caller's ctx. So is each
// decision [authz.Middleware.RequirePermission] makes on the session
// token alone — an allow or a 403, source token — named
// authz.Middleware.RequirePermission, a child of the request's span, ended
// before the handler runs (a request whose token a freshness source calls
// stale gets the authz.Check span of the API check the middleware makes
// instead). Attributes:
//
//   - fgakit.permission: the permission slug; fgakit.resource.type: the
//     resource type slug, for a single check of a reference by external ID;
//   - fgakit.decision.source: who answered a single check — token, api,
//     shared, cache, memo, or none (no layer could decide). Source token
//     with outcome denied appears only for Middleware.RequirePermission,
//     where the token's organization-wide permissions are the answer; a
//     check never takes a deny from the token (it asks the API);
//   - fgakit.decision.not_found: true for a deny because the API answered
//     the check 404 ([authz.Decision] NotFound: no such resource,
//     membership or permission in the organization);
//   - fgakit.decision.outcome: allowed, denied or error. For a batch:
//     error when some item could not be decided, allowed when every item
//     is allowed, denied otherwise; with fgakit.decision.sources (the
//     distinct sources of its answers) and the item counts
//     fgakit.batch.items, .allowed, .denied, .failed, .unasked (left
//     unasked by an early stop) and .not_found (denials by 404, when any);
//   - an event fgakit.check.shared_call, with fgakit.check.merged_callers,
//     on the authz.api_check span of an API check call that concurrent
//     identical checks shared: how many checks it answered;
//   - fgakit.token.stale: true when the token was declined as stale (in a
//     batch: for some item);
//   - error.type (see below) and status Error when it could not decide.
//
// Each HTTP attempt to the WorkOS API is a span of kind client named
// "{method} {url.template}", e.g. "POST
// /authorization/organization_memberships/{om}/check", a child of the
// call's span (or of the caller's span for a management call), with
// http.request.method, url.template, server.address, server.port,
// http.response.status_code, http.request.resend_count (for retries) and
// error.type. The attempts of an API check call are children of its own
// span, authz.api_check (kind internal; fgakit.permission,
// fgakit.resource.type, error.type and status Error when the call
// failed), a child of the span of the check that started the call.
// Concurrent identical checks share that call (their spans say source
// shared), and it lives as long as the call: when the check that started
// it is cancelled while others still wait, that check's span ends
// canceled but authz.api_check goes on, holds the attempts and ends with
// the call — the choice made so that no attempt hangs under an ended span
// and the call that answered the others stays visible. The event
// fgakit.check.shared_call is on authz.api_check. A wait of 1 ms or more
// for a rate-limit slot, and a wait that got no slot, is an event
// fgakit.rate_limit.wait on this package's own span of the call
// (authz.api_check for a check call; the caller's span for a management
// call), never on a span that other hooks put in the context.
//
// # Metrics
//
//   - fgakit.authz.decisions (counter, {decision}): one per check and per
//     batch item answered or failed, by fgakit.operation (Check,
//     ResourceLayer.Check, CheckMany, Filter, Middleware.RequirePermission),
//     fgakit.decision.source and
//     fgakit.decision.outcome, with fgakit.decision.not_found=true for
//     denials by 404 and error.type for errors;
//   - http.client.request.duration (histogram, s; the semantic
//     convention's buckets): every HTTP attempt, by http.request.method,
//     url.template, http.response.status_code, server.address,
//     server.port and error.type;
//   - fgakit.authz.retries (counter, {retry}): by http.request.method,
//     url.template and the error.type of the failure retried;
//   - fgakit.authz.rate_limit.wait.duration (histogram, s): the wait of
//     every attempt for a slot of the client's rate limit
//     ([authz.WithRateLimit]), by http.request.method and url.template,
//     with error.type when no slot was had; the first bucket (≤ 0.1 ms)
//     holds the attempts that did not wait;
//   - fgakit.authz.check.merged_callers (histogram, {caller}): for every
//     API check call, the number of concurrent identical checks it
//     answered (1: not shared);
//   - fgakit.authz.cache.lookups (counter, {lookup}): lookups in the
//     decision cache ([authz.WithCache]) by fgakit.cache.result, hit or
//     miss — the hit ratio is hit / (hit + miss);
//   - fgakit.authz.token.stale (counter, {decision}): decisions the token
//     would have allowed but in which it was declined as stale (a change
//     to the session's access since the token was issued), by
//     fgakit.operation: the API was asked instead (or the memo or cache
//     answered), or the decision failed — a decline is counted whatever
//     came after it, in a single check and in a batch item alike. It
//     counts the decisions whose [authz.Decision] has TokenStale set,
//     which needs a freshness source ([authz.WithFreshness], for example
//     [github.com/fgakit/fgakit/events.State]). Every one of them is also
//     counted in fgakit.authz.decisions, under the source that answered
//     (none for an error).
//
// error.type is the HTTP status code of an API error ("404", "429",
// "503"…), as the HTTP conventions ask, or one of canceled, throttled
// (the client's own rate limiter had no slot before the deadline:
// [authz.ErrThrottled]), deadline_exceeded, closed, unavailable,
// malformed_response, response_too_large, panic, invalid_input,
// organization_mismatch, no_membership, _OTHER.
//
// # What may appear in an attribute
//
// The decision, for every span and metric of this package: no API key, no
// token, and no identifier of a person, a customer or a resource. What
// appears is the vocabulary of the application and of the API, the same
// for every user:
//
//   - yes: permission slugs and resource type slugs (names the
//     application defines in its WorkOS environment, like "project:edit"
//     and "project"), route templates in which every identifier is a
//     placeholder ({om}, {resource_id}, {external_id}…), HTTP methods and
//     statuses, the API's host and port, layer names, outcomes, error
//     types, counts and durations. Permission and resource type slugs are
//     on spans only: metric attributes are limited to fixed sets of values,
//     so their cardinality does not depend on the application's model;
//   - no: organization membership IDs (om_…) and user IDs — each stands
//     for one person, so they are personal data, and a membership ID is in
//     every check's URL; organization IDs — they identify a customer, and
//     the application, which knows its tenant, can put it on its own
//     parent span if its policy allows; resource IDs and external IDs —
//     external IDs are the application's own keys, which may be e-mail
//     addresses, names or other user-chosen text; session IDs;
//     idempotency keys; WorkOS request IDs;
//   - no full URL: the semantic conventions' url.full would carry the
//     membership ID and external IDs of the path, so it is left out, and
//     url.template stands in for it;
//   - no error text: an error's message can repeat what it was given (an
//     external ID, a server's message), so spans carry error.type as
//     their status description and record no exception event.
//
// The Client's hooks ([authz.Hooks]) are not given membership IDs, resource
// IDs or external IDs, so this package could not add them by mistake; a
// test checks that no span or metric attribute holds any of them, the API
// key or the token.
//
// # Cost
//
// A Client without this option pays nothing. With it, a check answered by
// the session token costs a span and a counter increment; BENCHMARKS.md in
// the repository has the measured overhead of both a token-layer and an
// API check.
package otelfgakit
