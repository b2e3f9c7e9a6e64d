package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/token"
)

// checkEnvironment is the environment check reads, for its -h.
const checkEnvironment = `  WORKOS_API_KEY    API key (sk_…), required
  WORKOS_CLIENT_ID  AuthKit client ID (client_…) whose JWKS verifies --token
  WORKOS_BASE_URL   API base URL (default https://api.workos.com), also the JWKS's
`

const checkSynopsis = "fgakit check --permission P (--resource-id ID | --resource TYPE:EXTERNAL_ID) (--token JWT | --membership OM) [--org ORG] [--json] [--timeout 30s]"

// checkResult is the --json output of check: one line.
type checkResult struct {
	Allowed    bool   `json:"allowed"`
	Source     string `json:"source"`
	Permission string `json:"permission"`
	// Membership is the organization membership asked about; with --token it
	// comes from the verified claims.
	Membership         string `json:"organization_membership_id,omitempty"`
	ResourceID         string `json:"resource_id,omitempty"`
	ResourceTypeSlug   string `json:"resource_type_slug,omitempty"`
	ResourceExternalID string `json:"resource_external_id,omitempty"`
	OrganizationID     string `json:"organization_id,omitempty"`
	// NotFound is true for a deny because the API answered 404: the
	// resource, the membership or the permission does not exist in the
	// membership's organization (exit status 1, as any deny).
	NotFound bool `json:"not_found,omitempty"`
	// Reason names a deny that nothing was asked for, where the middleware
	// answers 403 (exit status 1): "organization_mismatch" (--org names
	// another organization than the session's or the membership's) or
	// "no_membership" (the session has no organization membership); or
	// "token_rejected": --token does not verify (the middleware answers
	// 401), with Error saying why.
	Reason string `json:"reason,omitempty"`
	// Error says why the question could not be decided (exit status 2).
	Error string `json:"error,omitempty"`
}

// check answers one authorization question. With --token the token layer
// answers first (no API call when it grants the permission and --org names
// the token's organization); with --membership only the API is asked.
func (e *env) check(ctx context.Context, args []string) int {
	const cmd = "fgakit check"
	fs := newFlagSet(cmd, checkSynopsis, checkEnvironment)
	permission := fs.String("permission", "", "permission `slug` to check, e.g. project:edit (required)")
	resourceID := fs.String("resource-id", "", "WorkOS resource `ID` (authz_resource_…)")
	resourceRef := fs.String("resource", "", "resource as `TYPE:EXTERNAL_ID`, e.g. project:web")
	rawToken := fs.String("token", "", "AuthKit access token (`JWT`), or - to read it from stdin; verified with WORKOS_CLIENT_ID's JWKS")
	membership := fs.String("membership", "", "organization membership `ID` (om_…) to ask the API about")
	org := fs.String("org", "", "organization `ID` the resource belongs to, for --resource-id and --resource alike; with --token the token answers (no API call) only when it is the token's organization; it must be the session's organization (--token) or the membership's (--membership, learned with one extra call): another organization is a deny, \"denied: organization mismatch\" (exit 1, no check call), as the middleware answers 403")
	asJSON := fs.Bool("json", false, "print one JSON line instead of text")
	timeout := fs.Duration("timeout", 30*time.Second, "give up (exit 2) when no decision came within this long, retries included")
	rest, err := e.parseArgs(fs, args)
	if err != nil {
		return e.exitFor(cmd, err)
	}

	// Usage first, then the environment, so the first problem named is the
	// one the user typed.
	var r authz.ResourceRef
	switch {
	case len(rest) > 0:
		return e.fail(cmd, fmt.Errorf("unexpected argument %q (run '%s -h' for usage)", redact(rest[0], *rawToken), cmd))
	case *permission == "":
		return e.fail(cmd, errors.New("--permission is required"))
	case *resourceID != "" && *resourceRef != "":
		return e.fail(cmd, errors.New("give either --resource-id or --resource, not both"))
	case *resourceID == "" && *resourceRef == "":
		return e.fail(cmd, errors.New("a resource is required: --resource-id ID or --resource TYPE:EXTERNAL_ID"))
	case *rawToken != "" && *membership != "":
		return e.fail(cmd, errors.New("give either --token or --membership, not both"))
	case *rawToken == "" && *membership == "":
		return e.fail(cmd, errors.New("a subject is required: --token JWT or --membership OM"))
	case *timeout <= 0:
		return e.fail(cmd, fmt.Errorf("--timeout %s is not positive", *timeout))
	case *resourceID != "":
		r = authz.ResourceID(*resourceID)
	default:
		typ, ext, ok := strings.Cut(*resourceRef, ":")
		if !ok || typ == "" || ext == "" {
			return e.fail(cmd, fmt.Errorf("--resource %q is not TYPE:EXTERNAL_ID (for example project:web)", *resourceRef))
		}
		r = authz.ExternalResource(typ, ext)
	}
	if *org != "" {
		r = r.InOrganization(*org)
	}
	if *rawToken == "-" {
		var err error
		if *rawToken, err = e.readToken(); err != nil {
			return e.fail(cmd, err)
		}
		if *rawToken == "" {
			return e.fail(cmd, errors.New("the token on stdin is empty"))
		}
	}

	apiKey := e.getenv("WORKOS_API_KEY")
	clientID := e.getenv("WORKOS_CLIENT_ID")
	base := e.baseURL()
	if apiKey == "" {
		return e.fail(cmd, errors.New("WORKOS_API_KEY is not set"))
	}
	if *rawToken != "" && clientID == "" {
		return e.fail(cmd, errors.New("WORKOS_CLIENT_ID is not set (needed to verify --token)"))
	}
	secrets := []string{apiKey, *rawToken}

	res := checkResult{
		Permission:         *permission,
		Membership:         *membership,
		ResourceID:         r.ID,
		ResourceTypeSlug:   r.ResourceTypeSlug,
		ResourceExternalID: r.ExternalID,
		OrganizationID:     r.OrganizationID,
	}
	undecided := func(err error) int {
		msg := oneLine(redact(undecidedReason(err), secrets...))
		if errors.Is(err, context.DeadlineExceeded) {
			msg = fmt.Sprintf("no decision within --timeout %s: %s", *timeout, msg)
		}
		if *asJSON {
			res.Allowed, res.Source, res.Error = false, authz.SourceNone.String(), msg
			e.printJSONLine(res)
		}
		fmt.Fprintf(e.stderr, "%s: %s\n", cmd, notAllowed(msg))
		return exitError
	}
	// A deny nothing was asked for: where the middleware answers 403 (the
	// same mapping, authz.RejectErrorFor), check says "denied" and exits 1.
	denied := func(err error) int {
		reason, words, meaning := "no_membership", "denied: no membership", noMembershipMeaning
		if errors.Is(err, authz.ErrOrganizationMismatch) {
			reason, words, meaning = "organization_mismatch", "denied: organization mismatch", orgMismatchMeaning
		}
		if *asJSON {
			res.Allowed, res.Source, res.Reason = false, authz.SourceNone.String(), reason
			e.printJSONLine(res)
		} else {
			// No layer answered: say so in words, not with the source's
			// name ("none"), which read like a missing reason.
			fmt.Fprintf(e.stdout, "%s (nothing checked)\n", words)
		}
		fmt.Fprintf(e.stderr, "%s: %s: %s (the middleware answers 403)\n", cmd, words, meaning)
		return exitNo
	}
	// A token that does not verify is refused as the middleware refuses it
	// (401): a "no", exit 1, and nothing is asked of the API.
	rejected := func(err error) int {
		msg := oneLine(redact(err.Error(), secrets...))
		if *asJSON {
			res.Allowed, res.Source, res.Reason, res.Error = false, authz.SourceNone.String(), "token_rejected", msg
			e.printJSONLine(res)
		} else {
			fmt.Fprintln(e.stdout, "denied: token rejected (nothing checked)")
		}
		fmt.Fprintf(e.stderr, "%s: token rejected: %s (the middleware answers 401)\n", cmd, msg)
		return exitNo
	}
	decide := func(err error) int {
		if authz.RejectErrorFor(err).Status == http.StatusForbidden {
			return denied(err)
		}
		return undecided(err)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	// The shared API call runs detached from ctx (see authz.Client.Check): give
	// it the same bound so it reports the API's own failure, not a timeout.
	client, err := authz.New(apiKey, authz.WithBaseURL(base), authz.WithCallTimeout(*timeout))
	if err != nil {
		return e.fail(cmd, errors.New(redact(err.Error(), secrets...)))
	}
	defer client.Close()

	var d authz.Decision
	if *rawToken != "" {
		v, err := token.NewVerifier(clientID, token.WithBaseURL(base), token.WithLogger(e.logger()))
		if err != nil {
			return e.fail(cmd, errors.New(redact(err.Error(), secrets...)))
		}
		defer v.Close()
		claims, err := v.Verify(ctx, *rawToken)
		if err != nil {
			if authz.RejectErrorFor(err).Status != http.StatusUnauthorized {
				// The keys could not be had: nothing was decided.
				return undecided(fmt.Errorf("token not verified: %w", err))
			}
			return rejected(err)
		}
		res.Membership = claims.OrganizationMembershipID
		d, err = client.Check(ctx, claims, *permission, r)
		if err != nil {
			return decide(err)
		}
	} else {
		d, err = client.API().Check(ctx, *membership, *permission, r)
		if err != nil {
			return decide(err)
		}
	}

	res.Allowed, res.Source, res.NotFound = d.Allowed, d.Source.String(), d.NotFound
	if *asJSON {
		e.printJSONLine(res)
	} else {
		fmt.Fprintf(e.stdout, "%s (%s)\n", d, d.Source)
	}
	if d.NotFound {
		fmt.Fprintf(e.stderr, "%s: %s: %s (the API answered 404)\n", cmd, d, notFoundMeaning)
	}
	if d.Allowed {
		return exitOK
	}
	return exitNo
}

// notFoundMeaning says what "denied: not found" (authz.Decision.NotFound)
// means, in the words `fgakit check`, `fgakit demo` and the docs share.
const notFoundMeaning = "the resource, the membership or the permission does not exist in the membership's organization"

// orgMismatchMeaning and noMembershipMeaning say what the denies nothing
// was asked for mean (authz.ErrOrganizationMismatch, token.ErrNoMembership).
const (
	orgMismatchMeaning  = "--org names another organization than the session's or the membership's, and a call that names a resource's organization never acts in another one; nothing was checked"
	noMembershipMeaning = "the session has no organization membership (organization_membership_id), so the API cannot be asked; nothing was checked"
)

// notAllowed words a question that could not be decided, the same in
// `fgakit check` and `fgakit demo`: it is never an allow, and it is not a
// deny either (exit status 2, not 1).
func notAllowed(reason string) string {
	return "not allowed (could not decide: " + reason + ")"
}

// undecidedReason says why a check could not be decided. An API error reads
// "the API answered 404: …", with a hint for the statuses a user can fix:
// 401 names the environment variable (never the key), 404 says what may be
// missing.
func undecidedReason(err error) string {
	var ae *authz.APIError
	if !errors.As(err, &ae) {
		return err.Error()
	}
	msg := "the API answered" + strings.TrimPrefix(ae.Error(), "authz: API status")
	switch ae.StatusCode {
	case http.StatusUnauthorized:
		msg += "; check WORKOS_API_KEY: the API did not accept it"
	case http.StatusNotFound:
		msg += "; " + notFoundMeaning
	}
	return msg
}

// baseURL is WORKOS_BASE_URL without a trailing slash, or the real API.
func (e *env) baseURL() string {
	if b := strings.TrimRight(e.getenv("WORKOS_BASE_URL"), "/"); b != "" {
		return b
	}
	return authz.DefaultBaseURL
}

func (e *env) printJSONLine(v any) {
	b, err := json.Marshal(v)
	if err != nil { // only plain strings and bools: cannot happen
		panic(err)
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
}
