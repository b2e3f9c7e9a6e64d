// Command fgakit is the command line of the fgakit module: it runs the
// offline WorkOS Authorization API fake, answers one authorization question
// against a WorkOS environment, verifies and mints AuthKit session tokens,
// and runs a short demonstration of the two authorization layers.
//
// Usage:
//
//	fgakit serve [--addr 127.0.0.1:8080] [--fixture FILE] [--api-key KEY] [--client-id ID]
//	fgakit check --permission P (--resource-id ID | --resource TYPE:EXTERNAL_ID) (--token JWT | --membership OM) [--org ORG] [--json] [--timeout 30s]
//	fgakit token verify [--jwks-url URL | --client-id ID] [--issuer ISS]... TOKEN|-
//	fgakit token mint --membership OM [--expires-in 5m] [--url URL]
//	fgakit demo
//
// check reads WORKOS_API_KEY, WORKOS_CLIENT_ID and WORKOS_BASE_URL (default
// https://api.workos.com) from the environment; token verify reads
// WORKOS_CLIENT_ID and WORKOS_BASE_URL; token mint reads WORKOS_BASE_URL
// (the URL serve printed) and WORKOS_API_KEY.
//
// serve prints its base URL as the first line on stdout and warns on stderr
// when --addr is not a loopback address: the fake accepts any API key unless
// --api-key is given, and mints session tokens for anyone (POST
// /_fake/access_tokens {"organization_membership_id": "om_…"} answers
// {"access_token": "…", "session_id": "…"}; the session ID is what POST
// /user_management/sessions/revoke takes, token mint prints the token
// only). Its memory and
// connections are bounded: it keeps a bounded log of calls
// (authztest.DefaultCallLogSize calls, authztest.DefaultCallBodyLimit bytes
// of each body) and drops slow and idle clients
// (authztest.DefaultServerLimits). check's --org
// names the resource's organization for --resource-id and --resource alike;
// the token answers only for a resource named in its own organization.
// `fgakit help` and `COMMAND -h` print to stdout.
//
// Exit status: 0 success (allowed, verified), 1 a negative answer (check:
// denied; token verify: token rejected), 2 could not decide or bad usage.
// check with a --token that does not verify (expired, bad signature,
// malformed) is "denied: token rejected", exit 1, as the middleware answers
// 401, and nothing is asked; keys that cannot be fetched are "could not
// decide" (2). A resource the API does
// not know (its check answered 404: the resource, the membership or the
// permission does not exist in the membership's organization, which is
// also how another organization's resource looks) is "denied: not found",
// exit 1. A question that could not be decided — the API refused it (a 401
// for a bad key), timed out or answered malformed — is reported as "not
// allowed (could not decide: …)": never an allow, and not a deny either.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
