package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/fgakit/fgakit/token"
)

// maxTokenBytes caps what "token verify -" reads from stdin; the verifier
// has its own, smaller cap.
const maxTokenBytes = 64 << 10

// readToken reads a token from stdin ("-" in place of a token argument).
func (e *env) readToken() (string, error) {
	b, err := io.ReadAll(io.LimitReader(e.stdin, maxTokenBytes+1))
	if err != nil {
		return "", fmt.Errorf("reading the token from stdin: %w", err)
	}
	if len(b) > maxTokenBytes {
		return "", fmt.Errorf("the token on stdin is longer than %d bytes", maxTokenBytes)
	}
	return strings.TrimSpace(string(b)), nil
}

// verifyEnvironment is the environment token verify reads, for its -h.
const verifyEnvironment = `  WORKOS_CLIENT_ID  AuthKit client ID (client_…) naming the JWKS, when no --client-id
  WORKOS_BASE_URL   API base URL of the JWKS (default https://api.workos.com)
`

const verifySynopsis = "fgakit token verify [--jwks-url URL | --client-id ID] [--issuer ISS]... TOKEN|-"

// tokenVerify verifies one token and prints its claims as indented JSON.
// Exit 0 verified, 1 rejected, 2 bad usage or keys unavailable.
func (e *env) tokenVerify(ctx context.Context, args []string) int {
	const cmd = "fgakit token verify"
	fs := newFlagSet(cmd, verifySynopsis, verifyEnvironment)
	jwksURL := fs.String("jwks-url", "", "fetch keys from this JWKS `URL` instead of {WORKOS_BASE_URL}/sso/jwks/{client ID}")
	clientID := fs.String("client-id", "", "AuthKit client `ID` naming the JWKS (default $WORKOS_CLIENT_ID)")
	var issuers stringList
	fs.Var(&issuers, "issuer", "accept only this `ISS` (repeatable)")
	rest, err := e.parseArgs(fs, args)
	if err != nil {
		return e.exitFor(cmd, err)
	}
	switch {
	case len(rest) == 0:
		return e.fail(cmd, errors.New("missing TOKEN argument (use - to read it from stdin)"))
	case len(rest) > 1:
		return e.fail(cmd, fmt.Errorf("want one TOKEN argument, got %d", len(rest)))
	case *jwksURL != "" && *clientID != "":
		return e.fail(cmd, errors.New("give either --jwks-url or --client-id, not both"))
	}
	raw := rest[0]
	if raw == "-" {
		if raw, err = e.readToken(); err != nil {
			return e.fail(cmd, err)
		}
	}
	if raw == "" {
		return e.fail(cmd, errors.New("the token is empty"))
	}

	id := *clientID
	if id == "" {
		id = e.getenv("WORKOS_CLIENT_ID")
	}
	opts := []token.Option{token.WithBaseURL(e.baseURL()), token.WithLogger(e.logger())}
	if *jwksURL != "" {
		opts = append(opts, token.WithJWKSURL(*jwksURL))
	} else if id == "" {
		return e.fail(cmd, errors.New("no key source: set WORKOS_CLIENT_ID or give --client-id or --jwks-url"))
	}
	if len(issuers) > 0 {
		opts = append(opts, token.WithIssuer(issuers...))
	}
	v, err := token.NewVerifier(id, opts...)
	if err != nil {
		return e.fail(cmd, errors.New(redact(err.Error(), raw)))
	}
	defer v.Close()

	claims, err := v.Verify(ctx, raw)
	if err != nil {
		msg := oneLine(redact(err.Error(), raw))
		if errors.Is(err, token.ErrKeySetUnavailable) || ctx.Err() != nil {
			fmt.Fprintf(e.stderr, "%s: could not verify: %s\n", cmd, msg)
			return exitError
		}
		fmt.Fprintf(e.stderr, "%s: token rejected: %s\n", cmd, msg)
		return exitNo
	}
	b, err := json.MarshalIndent(claims, "", "  ")
	if err != nil {
		return e.fail(cmd, err)
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return exitOK
}

// mintEnvironment is the environment token mint reads, for its -h.
const mintEnvironment = `  WORKOS_BASE_URL   the URL 'fgakit serve' printed, when no --url
  WORKOS_API_KEY    sent as the bearer key, when set
`

const mintSynopsis = "fgakit token mint --membership OM [--expires-in 5m] [--url URL]"

// mintTimeout bounds the whole request to a running fgakit serve.
const mintTimeout = 10 * time.Second

// tokenMint asks a running "fgakit serve" for a session token of a
// membership and prints it alone on stdout.
func (e *env) tokenMint(ctx context.Context, args []string) int {
	const cmd = "fgakit token mint"
	fs := newFlagSet(cmd, mintSynopsis, mintEnvironment)
	membership := fs.String("membership", "", "organization membership `ID` (om_…) the token is for (required)")
	expiresIn := fs.Duration("expires-in", 5*time.Minute, "token lifetime")
	url := fs.String("url", "", "base `URL` of a running 'fgakit serve' (default $WORKOS_BASE_URL)")
	rest, err := e.parseArgs(fs, args)
	if err != nil {
		return e.exitFor(cmd, err)
	}
	base := strings.TrimRight(*url, "/")
	if base == "" {
		base = strings.TrimRight(e.getenv("WORKOS_BASE_URL"), "/")
	}
	switch {
	case len(rest) > 0:
		return e.fail(cmd, fmt.Errorf("unexpected argument %q (run '%s -h' for usage)", rest[0], cmd))
	case *membership == "":
		return e.fail(cmd, errors.New("--membership is required"))
	case *expiresIn < time.Second:
		return e.fail(cmd, fmt.Errorf("--expires-in %s is shorter than one second", *expiresIn))
	case base == "":
		return e.fail(cmd, errors.New("no server: give --url or set WORKOS_BASE_URL to the URL 'fgakit serve' printed"))
	}
	apiKey := e.getenv("WORKOS_API_KEY")

	tok, err := mint(ctx, base, apiKey, *membership, *expiresIn)
	if err != nil {
		return e.fail(cmd, errors.New(redact(err.Error(), apiKey)))
	}
	fmt.Fprintln(e.stdout, tok)
	return exitOK
}

// mint calls POST {base}/_fake/access_tokens on a fake served by "fgakit
// serve". The API key, when set, is sent as the bearer key the fake may
// require.
func mint(ctx context.Context, base, apiKey, membership string, expiresIn time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, mintTimeout)
	defer cancel()
	body, err := json.Marshal(map[string]any{
		"organization_membership_id": membership,
		"expires_in":                 int64(expiresIn / time.Second),
	})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/_fake/access_tokens", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("bad server URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := mintClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("cannot reach %s: %w", base, unwrapURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMintAnswer))
	if err != nil {
		return "", fmt.Errorf("reading the answer of %s: %w", base, err)
	}
	tok, err := decodeMintAnswer(resp.StatusCode, b)
	if err != nil {
		return "", fmt.Errorf("%s %w", base, err)
	}
	return tok, nil
}

// mintClient follows no redirect: the API key goes to the server given
// only (net/http would follow a 3xx to another port of the same host with
// the Authorization header), and a 3xx is an answer that is no token.
var mintClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// maxMintAnswer caps the answer of POST /_fake/access_tokens that is read.
const maxMintAnswer = 1 << 20

// decodeMintAnswer reads the answer of POST /_fake/access_tokens:
// {"access_token": "…", "session_id": "…"} on success (only the token is
// used), {"message": "…"} otherwise. The error
// completes a sentence that starts with the server's URL.
func decodeMintAnswer(status int, body []byte) (string, error) {
	if status != http.StatusOK && status != http.StatusCreated {
		var apiErr struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &apiErr)
		msg := oneLine(apiErr.Message)
		if msg == "" {
			msg = http.StatusText(status)
		}
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return "", fmt.Errorf("answered %d: %s", status, msg)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || !isJWTShaped(out.AccessToken) {
		return "", errors.New("did not answer with an access_token (is it 'fgakit serve'?)")
	}
	return out.AccessToken, nil
}

// isJWTShaped reports whether s looks like a compact JWS: three non-empty
// base64url segments. It keeps anything else (HTML, spaces, newlines) off
// stdout, where scripts take the token from.
func isJWTShaped(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.IndexFunc(p, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) >= 0 {
			return false
		}
	}
	return true
}

// unwrapURLError drops net/http's "Post \"URL\":" prefix; the caller names
// the server itself.
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*neturl.Error](err); ok {
		return ue.Err
	}
	return err
}
