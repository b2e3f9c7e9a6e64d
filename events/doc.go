// Package events consumes WorkOS events to keep fgakit current on every
// layer: the token layer stops answering for session claims that a change
// has made wrong, a revoked session's tokens are refused, and remembered
// answers a change may have made wrong are forgotten.
//
// What lives here: the freshness [State] (what changed, and when, in
// WorkOS's clock), the two ways to feed it — a [Poller] of the Events API
// (GET /events) and a [Webhook] handler for signed deliveries — and the
// event and signature parsers they use ([ParseEvent], [VerifySignature],
// [Sign]). What it may touch: it reads the Events API with your API key
// (the Poller; one GET per poll interval), and it tells an
// [github.com/fgakit/fgakit/authz.Client] and a
// [github.com/fgakit/fgakit/token.Verifier] what changed through their own
// small seams ([authz.WithFreshness], [token.WithRevocationCheck]); authz
// and token do not import this package.
//
// # Why
//
// A session token's permissions change only when the session refreshes,
// while the API is current: when an admin demotes a member, removes them,
// changes what a role grants or revokes their session, every token already
// issued keeps granting the old organization-level permissions until it
// expires, and a revoked session's token keeps verifying. WorkOS publishes
// each such change as an event ([Types]). With a State fed by those
// events:
//
//   - the token layer declines claims issued at or before a change that
//     touches them — their membership, one of their roles, the permission
//     asked, their organization or their user — and the API is asked
//     instead (one call); the [authz.Decision] says TokenStale;
//   - a token whose session was revoked fails [token.Verifier.Verify] with
//     [token.ErrSessionRevoked] until it expires (the Middleware answers
//     401);
//   - the decision cache forgets the membership's answers (every answer
//     for a role, permission, group, organization or user change), and
//     request memos forget every answer remembered before the change.
//
// Times compare the event's created_at with the token's iat, both stamped
// by WorkOS; iat has whole seconds, so a token whose iat is the change's
// second (or within the margin after it, [WithMargin]) is declined.
//
// # Wiring
//
//	state, _ := events.NewState()
//	poller, _ := events.NewPoller(apiKey, state)     // or/and
//	hook, _ := events.NewWebhook(state, webhookSecret) // mux.Handle("POST /webhooks/workos", hook)
//	defer poller.Close()
//	client, _ := authz.New(apiKey, authz.WithFreshness(state))
//	verifier, _ := token.NewVerifier(clientID, token.WithRevocationCheck(state.Revoked))
//
// # Staleness window and cost
//
// A change reaches the token layer when its event is applied: with
// webhooks, the delivery time; with the Poller, at most one poll interval
// ([DefaultPollInterval], 5 s) after WorkOS stamps the event, plus the
// request. After it is applied no token-layer answer is stale. The Poller
// makes 12 requests a minute by default (0.2 % of the 6,000 a minute of an
// API key), one more per 100 events; pages that follow each other (the
// read-back at start, a catch-up) are paced to at most 120 a minute after
// the first 10 ([WithPageRate]), and every request can wait on the
// limiter your Client uses ([WithLimiter]). Each token a change touches costs one
// API check per distinct question until the session refreshes — also
// for a permission the token lacks: [authz.Middleware.RequirePermission]
// asks the API for a stale token rather than answering 403 from it, so
// while every token is stale (under [AskAPI] while lagging or after
// [Poller.Close]; with webhooks alone, for one token lifetime after the
// State started, for the tokens issued before) each request the token
// would forbid costs one API call as well. The hot
// path gains one atomic load and, only for tokens issued at or before the
// newest change, a few map lookups — no allocation (BENCHMARKS.md).
//
// # What a State knows
//
// A State holds the changes of the last token lifetime
// ([WithMaxTokenLifetime]): older ones cannot touch a valid token and are
// dropped. It also holds at most [DefaultMaxEntries] changes
// ([WithMaxEntries]): past that, it keeps the newest half and calls every
// token issued at or before the newest change it dropped stale (and
// refuses every session token issued at or before the newest revocation
// it dropped) — it costs API calls, it never grants more.
// It knows nothing from before it was created until a Poller has
// read back (range_start = now minus the token lifetime): tokens issued
// before what it knows, or longer ago than the token lifetime, are called
// stale and asked of the API. With webhooks alone, that lasts until those
// tokens expire. Another source of events (the fleet module's Redis
// stream, your own queue) says what it read with [State.Cover] and
// reports its lag with [State.SetLagging].
//
// When the stream cannot be read for longer than [WithMaxLag], the Poller
// reports [ErrLagging] and the State applies its [LagPolicy]: by default
// [TrustTokens] (answer as without events, changes already learnt still
// apply), or [AskAPI]. Neither grants more than the token alone would.
// A closed Poller ([Poller.Close]) is a feed gone for good: the State
// applies its LagPolicy from then on ([Stats].FeedClosed), until another
// feed reports reading ([State.Cover], [State.SetLagging]) — so under AskAPI, closing the Poller while the
// State stays in use sends every token-layer question to the API rather
// than trusting tokens no feed can call stale any more.
// Webhooks alone cannot tell silence from an outage: pair them with a
// Poller to detect a lag. Each webhook delivery reaches one process: with
// several instances behind a load balancer, each one's State learns only
// the deliveries it received, so give each instance a Poller as well (or
// share the state between them).
//
// # Limits
//
// A token without the organization_membership_id claim (AuthKit adds it
// only through a JWT template) is matched to membership events by its
// user — the event's user_id, in any organization — but group.member_added
// and group.member_removed name the membership only and cannot reach it.
// WorkOS emits no event for role assignments, a group's included: if an
// organization-level role given to a group changes its members' role
// claims, no event names them. The State's start ([NewState]), the
// Poller's range_start and the webhook tolerance read the host's clock:
// keep it synchronised (NTP); with webhooks alone, a clock behind
// WorkOS's by more than the margin trusts tokens issued in that gap
// before the State started.
//
// # Testing
//
// [github.com/fgakit/fgakit/authztest] emits the events WorkOS would for
// every change made to the fake, serves them at GET /events and delivers
// them as signed webhooks: point a Poller at it (WithBaseURL(fake.URL()),
// its API key) and wait for [Poller.Ready], or register a Webhook's URL
// with fake.AddWebhook and call fake.DeliverWebhooks — then the next check
// sees the change, without sleeping. [Sign] signs payloads for a handler's
// own tests.
//
// # Bad input
//
// A webhook with a forged or expired signature is answered 401; a
// missing or malformed signature header, an oversized body or a body that
// is not an event, 400; each is counted ([Webhook.Stats]) and changes
// nothing. An event already applied (same ID) changes nothing; events of
// other types are ignored. An event of a known type whose data lacks the
// ID it needs is reported and, to stay safe, makes every token issued at
// or before it stale; so does an item of an Events API page that is not an
// event at all but has an ID — the Poller reports it and moves past it
// rather than asking for that page forever. An event stamped more than a
// token lifetime ahead of the State's clock is held as if stamped then. A
// cursor the Events API no longer knows is reported ([ErrCursorUnknown])
// and replaced by a read from range_start.
package events
