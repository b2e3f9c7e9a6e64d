package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	redactpkg "github.com/fgakit/fgakit/internal/redact"
)

// Exit statuses, the same for every subcommand.
const (
	exitOK    = 0 // allowed, verified, served until stopped
	exitNo    = 1 // denied (check, a rejected --token included), token rejected (token verify)
	exitError = 2 // could not decide, bad usage, bad input
)

const usage = `fgakit — WorkOS FGA + AuthKit from the command line

Usage:
  fgakit serve [--addr 127.0.0.1:8080] [--fixture FILE] [--api-key KEY] [--client-id ID]
      Run the offline fake of the WorkOS Authorization API. The first line on
      stdout is its base URL; everything else goes to stderr. Keep --addr a
      loopback address: the fake accepts any key (unless --api-key is given)
      and mints tokens for anyone.
  fgakit check --permission P (--resource-id ID | --resource TYPE:EXTERNAL_ID)
               (--token JWT | --membership OM) [--org ORG] [--json] [--timeout 30s]
      Ask whether a membership may do P on a resource: the token first, then the API.
      The token answers only for a resource named in its own organization (--org).
  fgakit token verify [--jwks-url URL | --client-id ID] [--issuer ISS]... TOKEN|-
      Verify an AuthKit access token and print its claims as JSON.
  fgakit token mint --membership OM [--expires-in 5m] [--url URL]
      Mint a session token from a running 'fgakit serve'.
  fgakit demo
      Walk through organization → workspace → project with Alice and Bob
      against an embedded fake, showing which layer answered and what it cost.
  fgakit help [COMMAND]
      Print this help, or a command's flags, to stdout.

Environment:
  WORKOS_API_KEY    API key (sk_…), sent as a bearer token (check, token mint)
  WORKOS_CLIENT_ID  AuthKit client ID (client_…), names the JWKS (check, token verify)
  WORKOS_BASE_URL   API base URL (default https://api.workos.com; check, token verify),
                    or the URL 'fgakit serve' printed (token mint)

Exit status: 0 allowed/verified, 1 denied (check, a --token that does not verify included) or
rejected (token verify), 2 could not decide or bad usage.
`

// env is the environment a command reads, injected so tests run in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// logger is where a command's key set reports what fails no single call:
// the command's own stderr, warnings only. A failed JWKS fetch is left out —
// a one-shot command reports it as its own error — so what remains is what
// the error cannot say, such as JWKS entries skipped as unusable.
func (e *env) logger() *slog.Logger {
	return slog.New(cliLogHandler{slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})})
}

// cliLogHandler drops the key set's fetch-failure records.
type cliLogHandler struct{ slog.Handler }

func (h cliLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "token: JWKS fetch failed" {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h cliLogHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return cliLogHandler{h.Handler.WithAttrs(a)}
}

func (h cliLogHandler) WithGroup(name string) slog.Handler {
	return cliLogHandler{h.Handler.WithGroup(name)}
}

// run is the whole program: it parses args (without the program name), runs
// the subcommand and returns the exit status. It never calls os.Exit.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage) // a usage error: stderr, exit 2
		return exitError
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			// "fgakit help check" is "fgakit check -h".
			return run(ctx, append(rest, "-h"), stdin, stdout, stderr, getenv)
		}
		fmt.Fprint(stdout, usage) // asked for: stdout, exit 0
		return exitOK
	case "serve":
		return e.serve(ctx, rest)
	case "check":
		return e.check(ctx, rest)
	case "token":
		return e.token(ctx, rest)
	case "demo":
		return e.demo(ctx, rest)
	}
	if strings.HasPrefix(cmd, "-") {
		return e.fail("fgakit", fmt.Errorf("unknown flag %s before a command (run 'fgakit help' for usage)", cmd))
	}
	return e.fail("fgakit", fmt.Errorf("unknown command %q (run 'fgakit help' for usage)", cmd))
}

// token dispatches "fgakit token verify|mint".
func (e *env) token(ctx context.Context, args []string) int {
	if len(args) == 0 {
		return e.fail("fgakit token", errors.New("missing subcommand: verify or mint (run 'fgakit help token' for usage)"))
	}
	switch args[0] {
	case "verify":
		return e.tokenVerify(ctx, args[1:])
	case "mint":
		return e.tokenMint(ctx, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, tokenUsage)
		return exitOK
	}
	return e.fail("fgakit token", fmt.Errorf("unknown subcommand %q: want verify or mint (run 'fgakit help token' for usage)", args[0]))
}

const tokenUsage = `Usage:
  fgakit token verify [--jwks-url URL | --client-id ID] [--issuer ISS]... TOKEN|-
  fgakit token mint --membership OM [--expires-in 5m] [--url URL]
Run 'fgakit token verify -h' or 'fgakit token mint -h' for the flags.
`

// fail prints err as one line prefixed with the command name and returns
// exitError. Every message is passed through redact by its caller when it may
// carry a secret.
func (e *env) fail(cmd string, err error) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", cmd, oneLine(err.Error()))
	return exitError
}

// oneLine folds a message onto a single line so every error is one line on
// stderr, whatever the wrapped errors contain.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// redact removes every non-empty secret from s: whole, and any piece of 8
// bytes or more, raw or escaped (package internal/redact), each run
// replaced by "[REDACTED]". Errors from fgakit's packages never contain
// secrets; this is a second line of defence for messages from elsewhere
// (net/http, the environment). Redact before cutting a message short.
func redact(s string, secrets ...string) string {
	return redactpkg.New(secrets...).Redact(s)
}

// newFlagSet returns a flag set for "fgakit <name>" that reports nothing by
// itself: parse prints errors as one line and usage only on -h. environment
// lists the variables the command reads, one per line, or is empty.
func newFlagSet(name, synopsis, environment string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage:\n  %s\n", synopsis)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
		if environment != "" {
			fmt.Fprintf(w, "\nEnvironment:\n%s", environment)
		}
	}
	return fs
}

// errHelp reports that -h was given and usage has been printed.
var errHelp = errors.New("help requested")

// parseArgs parses args into fs, allowing flags after positional arguments
// ("token verify TOKEN --issuer X"), and returns the positional arguments. A
// lone "-" is a positional argument; "--" ends the flags. On -h it prints
// usage to stdout (help that was asked for) and returns errHelp; any other
// error is one line naming the problem, for stderr.
func (e *env) parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(e.stdout)
				fs.Usage()
				fs.SetOutput(io.Discard)
				return nil, errHelp
			}
			return nil, fmt.Errorf("%w (run '%s -h' for usage)", err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// flag stops at the first non-flag argument or after "--". After
		// "--", everything is positional.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// exitFor turns a parse error into an exit status: 0 after -h, else 2.
func (e *env) exitFor(cmd string, err error) int {
	if errors.Is(err, errHelp) {
		return exitOK
	}
	return e.fail(cmd, err)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
