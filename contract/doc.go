// Package contract holds fgakit's contract test: a scenario suite that runs
// the production [authz.Client] against [authztest.Fake] and validates every
// request the client sends and every response the fake gives against
// WorkOS's official OpenAPI description of the API.
//
// It is its own module so that its validator (github.com/getkin/kin-openapi)
// is never a dependency of fgakit itself. Run it from the repository root:
//
//	(cd contract && go test ./...)
//	(cd contract && go test -v -run TestContract ./...)   # prints the per-operation table
//
// The spec is read from the file named by the environment variable
// FGAKIT_OPENAPI or, without it, from shared/openapi/workos-openapi.yaml in
// the nearest ancestor of the repository root that has it (in CI and in the
// lead's checkout that is ../shared/openapi/workos-openapi.yaml from the
// repository root). A missing spec fails the test, saying where it looked.
//
// # What is checked
//
// Each HTTP exchange goes through a recording [http.RoundTripper]
// ([Recorder]) and is checked as follows:
//
//   - The operation must be in the spec (method and path template).
//   - The request is validated with openapi3filter.ValidateRequest:
//     parameters, body schema, and the bearer security requirement.
//   - The spec's x-mutually-exclusive-body-groups and
//     x-mutually-exclusive-parameter-groups are enforced on the request:
//     fields of two variants of a group, or of no variant of a
//     non-optional group, are a violation (kin-openapi ignores x-
//     extensions).
//   - The response is validated with openapi3filter.ValidateResponse with
//     IncludeResponseStatus, so a status the operation does not declare is a
//     violation, and with MultiError, so every problem is reported.
//   - Unknown response fields: a JSON object key that the response schema
//     does not declare is a violation even where additionalProperties
//     would allow it (see [UnknownFields]). Objects whose schema declares no
//     properties at all (maps such as metadata or custom_attributes) may
//     hold any key.
//
// Requests a scenario sends on purpose to provoke an error the Go client
// would refuse to send (a raw request, marked with [ExpectInvalidRequest])
// have their request checks skipped; their responses are checked all the
// same.
//
// # Scope and coverage
//
// In scope are every /authorization/ operation of the spec, the
// organization membership, group, session revocation and JWT template
// operations, the JWKS, GET /events and the /webhook_endpoints operations.
// Every event the fake emitted during the scenarios is read back through
// GET /events, so each payload is validated against its EventSchema
// variant, and the test asserts that each event type the fake emits
// appeared in a validated answer. Each must be answered with success at least
// once, and each error status it declares among 400, 404, 409 and 422
// must be provoked, or be listed in the test's "unreached" table with the
// reason (a transient state such as lock_timeout, a code the fake has no
// state for). An operation listed in the test's "pending" table (empty
// today), for a known gap whose fix is under way, has its violations logged
// instead of failing the test.
//
// # OpenAPI 3.1
//
// The spec is OpenAPI 3.1.1. kin-openapi v0.153 loads 3.1 documents and its
// openapi3filter validates them with its JSON Schema 2020-12 validator
// (type arrays such as ["string", "null"], const, propertyNames). One
// pre-pass is applied before (*openapi3.T).Validate, which kin-openapi
// requires before validating values: five list schemas of the spec
// (ConnectionList, DirectoryList, DirectoryGroupList, DirectoryUserList,
// OrganizationList) name "list_metadata" twice in "required", which
// kin-openapi rejects as a malformed schema. The pre-pass removes the
// duplicate names from every "required" list ([dedupeRequired]); a
// repeated name requires nothing more than the name once, so no check is
// weakened. It logs every schema it changed.
package contract
