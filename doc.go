// Package fgakit is the map of the fgakit module: a caching authorization
// client for WorkOS FGA used with AuthKit sessions, and an offline test double
// of the WorkOS Authorization API. This package holds no code; import the
// packages below.
//
// # Two layers
//
// AuthKit signs people in and hands your app an access token (a JWT). It
// carries the membership's organization role and organization-wide permissions
// (and, through a JWT template, the organization membership ID om_…). Checking
// them costs nothing, but they only change when the session refreshes.
// Resource-level roles (on workspaces, projects, …) are never in the token: the
// WorkOS Authorization API answers them, and it is always current.
//
// "Can this person edit this project?" — first the token: does it grant
// project:edit organization-wide, and is the project known to be in the
// token's organization (the reference names it with ResourceRef.InOrganization,
// taken from your own records, or is the organization's root)? Then no call.
// Otherwise, ask the API about this project. Client.Check in package authz
// does exactly that. A reference that names another organization than the
// session's, by ID or by external ID, is refused before anything is sent:
// a call that names a resource's organization never acts in another one.
//
// # Packages
//
//   - [github.com/fgakit/fgakit/token] verifies AuthKit access tokens against
//     the JWKS (RS256, expiry, issuer, audience, key rotation) and returns typed
//     Claims.
//   - [github.com/fgakit/fgakit/authz] is the client: Client.Token (pure,
//     no I/O), Client.API (the API), Check, batch checks, discovery
//     and the management endpoints, with retries, typed errors and merging of
//     concurrent identical checks.
//   - [github.com/fgakit/fgakit/cache] is the optional, very short decision
//     cache. It is off by default, because answers must be current.
//   - [github.com/fgakit/fgakit/events] consumes WorkOS events (the Events
//     API or signed webhooks) so that the token layer stops answering for
//     claims a change has made wrong and revoked sessions are refused
//     (authz.WithFreshness, token.WithRevocationCheck).
//   - [github.com/fgakit/fgakit/authztest] is Fake, an in-memory WorkOS FGA
//     served over the real HTTP wire protocol, so your tests run the production
//     client offline.
//   - github.com/fgakit/fgakit/otelfgakit, a separate module (its own
//     go.mod, so only programs that want OpenTelemetry download it), reports
//     a Client's checks and API calls as OpenTelemetry spans and metrics:
//     authz.New(apiKey, otelfgakit.Instrument()). It is built on authz.Hooks,
//     which your own instrumentation can use too.
//   - github.com/fgakit/fgakit/fleet, a separate module (it brings go-redis),
//     shares one request budget, one decision cache and one event feed
//     between the instances of an app that use one API key, through Redis.
//   - The command fgakit (cmd/fgakit) serves the fake, checks and verifies from
//     a shell, and runs a demo: go run ./cmd/fgakit demo.
//
// # Concurrency
//
// An authz.Client and a token.Verifier are immutable after construction and
// safe for concurrent use; each owns its background work and stops it on Close.
//
// # Testing code that uses authz
//
// Do not mock the client. Start authztest.New in your test, load a fixture
// or call its setup methods, and pass fake.Client() to the code under test. If
// your code needs a seam, declare a one-method interface in your own package
// (for example `type checker interface{ Check(...) }`); fgakit returns concrete
// types.
//
// # Failing closed
//
// A deny is a result (an authz.Decision with Allowed false); an error means
// "could not decide" and the decision returned with it is never Allowed. No
// error string contains an API key or a token.
package fgakit
