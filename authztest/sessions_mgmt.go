package authztest

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fgakit/fgakit/token"
)

// Sessions and the JWT template (WIRE.md §5, §8; the official spec's
// POST /user_management/sessions/revoke and GET/PUT
// /user_management/jwt_template). Every token the fake mints opens a
// session whose ID is the token's sid claim; revokeSession is the one
// place a session ends.

// session is one AuthKit session the fake opened by minting a token.
type session struct {
	id        string
	userID    string
	orgID     string
	omID      string
	created   time.Time
	expires   time.Time
	updated   time.Time
	revoked   bool
	revokedAt time.Time
}

// sessionJSON is a session as the session.* events carry it (the official
// spec's session.revoked data).
type sessionJSON struct {
	Object         string  `json:"object"`
	ID             string  `json:"id"`
	IPAddress      *string `json:"ip_address"`
	UserAgent      *string `json:"user_agent"`
	UserID         string  `json:"user_id"`
	OrganizationID string  `json:"organization_id"`
	AuthMethod     string  `json:"auth_method"`
	Status         string  `json:"status"`
	ExpiresAt      string  `json:"expires_at"`
	EndedAt        *string `json:"ended_at"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
}

// renderSession renders s at time now: status revoked, expired (past its
// token's exp) or active. The fake knows no sign-in method ("unknown"),
// IP address or user agent.
func renderSession(s *session, now time.Time) sessionJSON {
	out := sessionJSON{Object: "session", ID: s.id, UserID: s.userID, OrganizationID: s.orgID, AuthMethod: "unknown",
		Status: "active", ExpiresAt: ts(s.expires), CreatedAt: ts(s.created), UpdatedAt: ts(s.updated)}
	switch {
	case s.revoked:
		out.Status = "revoked"
		ended := ts(s.revokedAt)
		out.EndedAt = &ended
	case !now.Before(s.expires):
		out.Status = "expired"
		ended := ts(s.expires)
		out.EndedAt = &ended
	}
	return out
}

// The fake keeps a session for as long as a consumer may still ask about
// it, not for ever: every token minted opens one (POST
// /_fake/access_tokens is public, even with [WithAPIKey]), so a
// long-running `fgakit serve` under load would otherwise grow without end.
const (
	// SessionRetention is how long the fake keeps a session after it
	// ended by expiring (its token's exp), on the fake's clock. Its token
	// no longer verifies by then.
	SessionRetention = time.Hour
	// MaxSessions bounds the sessions the fake keeps; beyond it, the one
	// that expires soonest is forgotten first, even if it has not expired
	// yet. A session takes about 250 bytes: 100,000 are about 25 MB.
	MaxSessions = 100_000
)

// sessionHeap orders the kept sessions by expiry, soonest first: the next
// one to forget is at the top.
type sessionHeap []*session

func (h sessionHeap) Len() int           { return len(h) }
func (h sessionHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h sessionHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sessionHeap) Push(x any)        { *h = append(*h, x.(*session)) }
func (h *sessionHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return s
}

// openSession records the session of a token being minted; f.mu is held.
func (f *Fake) openSession(id string, om *membership, now, exp time.Time) {
	if f.sessions == nil {
		f.sessions = map[string]*session{}
	}
	s := &session{id: id, userID: om.userID, orgID: om.orgID, omID: om.id, created: now, updated: now, expires: exp}
	f.sessions[id] = s
	heap.Push(&f.sessionOrder, s)
	f.m.emit("session.created", renderSession(s, now))
	f.pruneSessions(now)
}

// pruneSessions forgets the sessions that expired more than
// SessionRetention before now and, beyond f.sessionCap (MaxSessions), those
// that expire soonest; f.mu is held.
func (f *Fake) pruneSessions(now time.Time) {
	limit := f.sessionCap
	if limit <= 0 {
		limit = MaxSessions
	}
	for len(f.sessionOrder) > 0 {
		s := f.sessionOrder[0]
		if now.Before(s.expires.Add(SessionRetention)) && len(f.sessions) <= limit {
			break
		}
		heap.Pop(&f.sessionOrder)
		delete(f.sessions, s.id) // IDs are never reused (a counter)
	}
}

// issuedSession reports whether id is a session ID the fake generated
// ("session_" and the counter of a token it minted), kept or forgotten;
// f.mu is held.
func (f *Fake) issuedSession(id string) bool {
	n, ok := strings.CutPrefix(id, "session_")
	if !ok || n == "" || len(n) > 19 || strings.Trim(n, "0123456789") != "" {
		return false
	}
	v, err := strconv.ParseInt(n, 10, 64)
	return err == nil && v >= 1 && v <= int64(f.tokens)
}

// revokeSession ends session id; f.mu is held. Revoking a revoked session
// changes nothing (revoked false), and so does revoking a session the fake
// issued and has forgotten since (see [SessionRetention]): it ended long
// ago. An ID the fake never issued is 400, the only error status the spec
// declares for the operation.
func (f *Fake) revokeSession(id string) (revoked bool, err error) {
	s := f.sessions[id]
	if s == nil && f.issuedSession(id) {
		return false, nil
	}
	if s == nil {
		return false, &apiError{status: http.StatusBadRequest, message: fmt.Sprintf("Session not found: '%s'.", id)}
	}
	if s.revoked {
		return false, nil
	}
	now := f.Now()
	s.revoked, s.revokedAt, s.updated = true, now, now
	f.m.emit("session.revoked", renderSession(s, now))
	return true, nil
}

// RevokeSession revokes session id (a token's sid claim), as POST
// /user_management/sessions/revoke does. Tokens of the session keep a
// valid signature until they expire, as AuthKit's do (WIRE.md §8): only a
// consumer of the revocation can refuse them earlier. A session the fake
// has forgotten ([SessionRetention], [MaxSessions]) is no change; an ID it
// never issued fails the test.
func (f *Fake) RevokeSession(id string) {
	f.helper()
	if !f.open("RevokeSession") {
		return
	}
	f.mu.Lock()
	_, err := f.revokeSession(id)
	f.mu.Unlock()
	if err != nil {
		f.fail("RevokeSession", err)
	}
}

// SessionRevoked reports whether session id (a token's sid claim) was
// revoked, over HTTP or with [Fake.RevokeSession]. An unknown session is
// not revoked, nor is one the fake has forgotten ([SessionRetention],
// [MaxSessions]).
func (f *Fake) SessionRevoked(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sessions[id]
	return s != nil && s.revoked
}

// revokeSessionHTTP serves POST /user_management/sessions/revoke:
// {session_id} → 200 without a body.
func (f *Fake) revokeSessionHTTP(r *http.Request) (int, any, error) {
	body, err := decodeBody400(r)
	if err != nil {
		return 0, nil, err
	}
	id, err := body.str("session_id")
	if err != nil || id == "" {
		return 0, nil, &apiError{status: http.StatusBadRequest, message: "session_id is required and must be a string"}
	}
	if _, err := f.revokeSession(id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, nil, nil
}

// The JWT template (WIRE.md §5): a JSON object whose string values may hold
// {{ variable }} expressions, rendered into every token minted. Until one is
// set, the template is the seed docs' own, which adds the membership ID.

// DefaultJWTTemplate is the fake's JWT template until one is set: the
// AuthKit docs' template that adds the membership ID to session tokens.
const DefaultJWTTemplate = `{"organization_membership_id": "{{ organization_membership.id }}"}`

// maxJWTTemplate is the most bytes a rendered template may have (WIRE.md §5).
const maxJWTTemplate = 3072

// reservedClaims cannot be set by a template (WIRE.md §5).
var reservedClaims = []string{"iss", "sub", "exp", "iat", "nbf", "jti"}

type jwtTemplate struct {
	content string
	claims  map[string]any // parsed content
	created time.Time
	updated time.Time
}

// templateExpr matches one {{ … }} expression.
var templateExpr = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// templateVar is the variable syntax the fake renders: user.…,
// organization.… or organization_membership.…, dotted.
var templateVar = regexp.MustCompile(`^(user|organization|organization_membership)(\.[A-Za-z0-9_]+)+$`)

// unquotedExpr marks, in the parsed claims, a string that stood for an
// expression outside a string literal ("email": {{ user.email }}): its
// value is the expression's value as JSON, not text. The NUL byte keeps it
// apart from any string a template writes.
const unquotedExpr = "\x00expr:"

// templateTerm is one alternative of an expression: a variable, or a
// string literal ('…' or "…").
type templateTerm struct {
	variable string
	literal  string
}

// parseTemplateExpr reads an expression: terms separated by || (WorkOS's
// fallbacks: the first that is not null is the value).
func parseTemplateExpr(e string) ([]templateTerm, error) {
	var terms []templateTerm
	for t := range strings.SplitSeq(e, "||") {
		t = strings.TrimSpace(t)
		switch {
		case len(t) >= 2 && (t[0] == '\'' || t[0] == '"') && t[len(t)-1] == t[0] && !strings.ContainsRune(t[1:len(t)-1], rune(t[0])):
			terms = append(terms, templateTerm{literal: t[1 : len(t)-1]})
		case templateVar.MatchString(t):
			terms = append(terms, templateTerm{variable: t})
		default:
			return nil, errInvalidCode("invalid_request_parameters",
				"unsupported expression {{ %s }}: the fake renders user.*, organization.* and organization_membership.* variables, with || fallbacks", e)
		}
	}
	return terms, nil
}

// evalTemplateExpr is the value of expression e (checked at PUT): the
// first term that is not null, else nil.
func evalTemplateExpr(e string, vars map[string]any) any {
	terms, _ := parseTemplateExpr(e)
	for _, t := range terms {
		if t.variable == "" {
			return t.literal
		}
		if v := vars[t.variable]; v != nil {
			return v
		}
	}
	return nil
}

// quoteUnquoted replaces each {{ … }} outside a JSON string literal with
// a string literal holding unquotedExpr and the expression, so the content
// parses as JSON.
func quoteUnquoted(content string) (string, error) {
	var b strings.Builder
	inString, escaped := false, false
	for i := 0; i < len(content); i++ {
		c := content[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case strings.HasPrefix(content[i:], "{%"):
			return "", errInvalidCode("invalid_request_parameters", "unsupported Liquid tag outside a string: the fake renders {{ }} expressions only")
		case strings.HasPrefix(content[i:], "{{"):
			end := strings.Index(content[i:], "}}")
			if end < 0 {
				return "", errInvalidCode("invalid_request_parameters", "unclosed {{ }} expression outside a string")
			}
			e := strings.TrimSpace(content[i+2 : i+end])
			if _, err := parseTemplateExpr(e); err != nil {
				return "", err
			}
			q, _ := json.Marshal(unquotedExpr + e)
			b.Write(q)
			i += end + 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// parseJWTTemplate validates content: a JSON object of at most 3072 bytes
// once its {{ }} expressions outside string literals stand for values, no
// reserved claim, every expression variables the fake knows (with ||
// fallbacks), no Liquid tag. Errors are 422 invalid_request_parameters.
func parseJWTTemplate(content string) (map[string]any, error) {
	bad := func(format string, args ...any) error {
		return errInvalidCode("invalid_request_parameters", format, args...)
	}
	if len(content) > maxJWTTemplate {
		return nil, bad("content is %d bytes, at most %d allowed", len(content), maxJWTTemplate)
	}
	quoted, err := quoteUnquoted(content)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(strings.NewReader(quoted))
	d.UseNumber()
	var claims map[string]any
	if err := d.Decode(&claims); err != nil || claims == nil || d.More() {
		return nil, bad("content must be a JSON object")
	}
	for _, k := range reservedClaims {
		if _, ok := claims[k]; ok {
			return nil, bad("Claim %q is reserved and cannot be used.", k)
		}
	}
	if err := checkVerifiableClaims(claims); err != nil {
		return nil, err
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case string:
			if e, ok := strings.CutPrefix(v, unquotedExpr); ok {
				_, err := parseTemplateExpr(e) // checked by quoteUnquoted, unless the content wrote the marker itself
				return err
			}
			if strings.Contains(v, "{%") {
				return bad("unsupported Liquid tag in %q: the fake renders {{ }} expressions only", v)
			}
			rest := templateExpr.ReplaceAllString(v, "")
			if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
				return bad("unclosed or malformed {{ }} expression in %q", v)
			}
			for _, m := range templateExpr.FindAllStringSubmatch(v, -1) {
				if _, err := parseTemplateExpr(m[1]); err != nil {
					return err
				}
			}
		case map[string]any:
			for k, e := range v {
				if strings.HasPrefix(k, unquotedExpr) {
					return bad("a claim name cannot be a {{ }} expression")
				}
				if err := walk(e); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range v {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// sessionClaimNames are the claims a session token verifier reads with a
// type (fgakit's [token.Verifier] among them): the fake's standard claims,
// "aud", "act", "scope", AuthKit's entitlements and feature_flags, and the
// default membership claim.
var sessionClaimNames = []string{
	"sub", "sid", "iss", "aud", "org_id", "role", "roles", "permissions",
	"entitlements", "feature_flags", "act", "iat", "exp", "nbf", "jti", "scope",
	token.DefaultMembershipClaim,
}

// checkVerifiableClaims refuses (422 invalid_request_parameters) a template
// whose tokens a strict verifier — fgakit's [token.Verifier] — would reject
// as malformed or as no session token, so that the fake never mints a token
// its own verifier refuses:
//   - "act" (AuthKit's impersonation claim: a template would mark every
//     session impersonated, with a value of its own shape) and "scope" (the
//     mark of an OAuth token, which no session token carries);
//   - "aud" that is not a string or a list of strings, entitlements or
//     feature_flags that are not lists of strings, and
//     organization_membership_id that is not a string (every template
//     variable renders a string or null, so a string with expressions
//     passes);
//   - a claim spelled like one of sessionClaimNames but in other letter
//     case ("Sub", "ORG_ID"), which makes the token's claims ambiguous.
func checkVerifiableClaims(claims map[string]any) error {
	bad := func(format string, args ...any) error {
		return errInvalidCode("invalid_request_parameters", format, args...)
	}
	stringish := func(v any) bool { _, ok := v.(string); return ok }
	stringList := func(v any) bool {
		l, ok := v.([]any)
		return ok && !slices.ContainsFunc(l, func(e any) bool { return !stringish(e) })
	}
	for k, v := range claims {
		for _, name := range sessionClaimNames {
			if k != name && strings.EqualFold(k, name) {
				return bad("Claim %q differs from the session token claim %q in letter case only; verifiers reject such a token as ambiguous.", k, name)
			}
		}
		switch k {
		case "act":
			return bad("Claim \"act\" marks an impersonated session (AuthKit sets it); a template cannot add it.")
		case "scope":
			return bad("Claim \"scope\" marks an OAuth token; session tokens carry none, and verifiers reject one that does.")
		case "aud":
			if !stringish(v) && !stringList(v) {
				return bad("Claim \"aud\" must be a string or a list of strings.")
			}
		case "entitlements", "feature_flags":
			if !stringList(v) {
				return bad("Claim %q must be a list of strings.", k)
			}
		case token.DefaultMembershipClaim:
			if !stringish(v) {
				return bad("Claim %q must be a string.", k)
			}
		}
	}
	return nil
}

// template returns the current JWT template; f.mu is held.
func (f *Fake) template() *jwtTemplate {
	if f.jwtTemplate == nil {
		claims, err := parseJWTTemplate(DefaultJWTTemplate)
		if err != nil {
			panic("authztest: the default JWT template does not parse: " + err.Error())
		}
		now := f.Now()
		f.jwtTemplate = &jwtTemplate{content: DefaultJWTTemplate, claims: claims, created: now, updated: now}
	}
	return f.jwtTemplate
}

// setJWTTemplate replaces the JWT template; f.mu is held.
func (f *Fake) setJWTTemplate(content string) (*jwtTemplate, error) {
	claims, err := parseJWTTemplate(content)
	if err != nil {
		return nil, err
	}
	t := f.template()
	t.content, t.claims, t.updated = content, claims, f.Now()
	return t, nil
}

// SetJWTTemplate sets the JWT template, as PUT
// /user_management/jwt_template does: tokens minted from now on carry its
// rendered claims. content is a JSON object whose strings may hold
// {{ user.id }}, {{ user.email }}, {{ user.first_name }},
// {{ user.last_name }}, {{ organization.id }}, {{ organization.name }},
// {{ organization_membership.id }} or {{ organization_membership.role }},
// with || fallbacks ({{ user.first_name || 'Someone' }}), and an
// expression may stand outside a string for its value as JSON
// ("email": {{ user.email }}); an unknown variable renders null, and a
// top-level claim that renders null is left out. The reserved claims iss,
// sub, exp, iat, nbf and jti are refused, and so is content of more than
// 3072 bytes, and claims that would make [token.Verifier] reject every token
// (act, scope, aud or entitlements of the wrong type, a session claim name
// in other letter case; see checkVerifiableClaims). SetJWTTemplate("{}") mints tokens without
// organization_membership_id (see [DefaultJWTTemplate]).
func (f *Fake) SetJWTTemplate(content string) {
	f.helper()
	if !f.open("SetJWTTemplate") {
		return
	}
	f.mu.Lock()
	_, err := f.setJWTTemplate(content)
	f.mu.Unlock()
	if err != nil {
		f.fail("SetJWTTemplate", err)
	}
}

// templateVars are the values a template renders for membership om.
func (f *Fake) templateVars(om *membership) map[string]any {
	var role any
	if len(om.roles) > 0 {
		role = om.roles[0]
	}
	email := om.email
	if email == "" {
		email = om.userID + "@example.com"
	}
	orgName := any(nil)
	if o := f.m.orgs[om.orgID]; o != nil {
		orgName = o.name
	}
	vars := map[string]any{
		"user.id":                      om.userID,
		"user.email":                   email,
		"organization.id":              om.orgID,
		"organization.name":            orgName,
		"organization_membership.id":   om.id,
		"organization_membership.role": role,
	}
	if om.firstName != "" {
		vars["user.first_name"] = om.firstName
	}
	if om.lastName != "" {
		vars["user.last_name"] = om.lastName
	}
	return vars
}

// renderTemplate renders the template's claims for om: a string that is
// one expression becomes the variable's value (null when unknown), an
// expression inside a longer string is replaced by the value's text. A
// top-level claim that renders null is dropped. The rendered claims must
// fit in 3072 bytes.
func (f *Fake) renderTemplate(om *membership) (map[string]any, error) {
	vars := f.templateVars(om)
	var render func(v any) any
	render = func(v any) any {
		switch v := v.(type) {
		case string:
			if e, ok := strings.CutPrefix(v, unquotedExpr); ok {
				return evalTemplateExpr(e, vars)
			}
			if m := templateExpr.FindStringSubmatchIndex(v); m != nil && m[0] == 0 && m[1] == len(v) {
				return evalTemplateExpr(v[m[2]:m[3]], vars)
			}
			return templateExpr.ReplaceAllStringFunc(v, func(e string) string {
				val := evalTemplateExpr(templateExpr.FindStringSubmatch(e)[1], vars)
				if val == nil {
					return ""
				}
				return fmt.Sprint(val)
			})
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, e := range v {
				out[k] = render(e)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				out[i] = render(e)
			}
			return out
		}
		return v
	}
	out := map[string]any{}
	for k, v := range f.template().claims {
		if r := render(v); r != nil {
			out[k] = r
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, errInvalid("the JWT template renders claims that are not JSON: %v", err)
	}
	if len(b) > maxJWTTemplate {
		return nil, errInvalid("the JWT template renders %d bytes for membership %q, at most %d allowed", len(b), om.id, maxJWTTemplate)
	}
	return out, nil
}

type jwtTemplateJSON struct {
	Object    string `json:"object"`
	Content   string `json:"content"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func renderJWTTemplate(t *jwtTemplate) jwtTemplateJSON {
	return jwtTemplateJSON{Object: "jwt_template", Content: t.content, CreatedAt: ts(t.created), UpdatedAt: ts(t.updated)}
}

func (f *Fake) userManagementSessionRoutes(mux *http.ServeMux) {
	f.handleEmpty(mux, "POST /user_management/sessions/revoke", f.revokeSessionHTTP)
	f.handle(mux, "GET /user_management/jwt_template", func(*http.Request) (int, any, error) {
		return http.StatusOK, renderJWTTemplate(f.template()), nil
	})
	f.handle(mux, "PUT /user_management/jwt_template", f.putJWTTemplate)
}

// putJWTTemplate serves PUT /user_management/jwt_template: {content} → 200.
func (f *Fake) putJWTTemplate(r *http.Request) (int, any, error) {
	body, err := decodeBody422(r, "invalid_request_parameters")
	if err != nil {
		return 0, nil, err
	}
	if !body.has("content") {
		return 0, nil, errInvalidCode("invalid_request_parameters", "content is required")
	}
	var content string
	if err := json.Unmarshal(body["content"], &content); err != nil || body.isNull("content") {
		return 0, nil, errInvalidCode("invalid_request_parameters", "content must be a string")
	}
	t, err := f.setJWTTemplate(content)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderJWTTemplate(t), nil
}
