// Command fgakit is the command line of the fgakit module: it runs the
// offline WorkOS Authorization API fake, answers one authorization question
// against a WorkOS environment, verifies and mints AuthKit session tokens,
// and runs a short demonstration of the two authorization layers.
//
// Usage:
//
//	fgakit serve [--addr 127.0.0.1:8080] [--fixture FILE] [--api-key KEY] [--client-id ID]
//	fgakit check --permission P (--resource-id ID | --resource TYPE:EXTERNAL_ID) (--token JWT | --membership OM) [--org ORG] [--json] [--timeout 30s]
//	fgakit token verify [--jwks-url URL | --client-id ID] [--issuer ISS]... TOKEN
//	fgakit token mint --membership OM [--expires-in 5m] [--url URL]
//	fgakit demo
//
// check, token verify and token mint read WORKOS_API_KEY, WORKOS_CLIENT_ID
// and WORKOS_BASE_URL (default https://api.workos.com) from the environment.
//
// Exit status: 0 success (allowed, verified), 1 a negative answer (denied,
// token rejected), 2 could not decide or bad usage.
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
