package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// wireClaims is the payload as it travels, decoded by encoding/json straight
// into typed fields: a claim of the wrong JSON type (a number for "sub", a
// string for "permissions") is a decoding error, hence [ErrMalformed]. It
// implements [jwt.Claims] so that the jwt parser validates exp, nbf and iat.
//
// encoding/json matches member names case-insensitively, so the decoded
// fields can be trusted only once [claimNames.read] has checked the payload's
// member names.
type wireClaims struct {
	Subject      string        `json:"sub"`
	SessionID    string        `json:"sid"`
	Issuer       string        `json:"iss"`
	Audience     audience      `json:"aud"`
	OrgID        string        `json:"org_id"`
	Role         string        `json:"role"`
	Roles        []string      `json:"roles"`
	Permissions  []string      `json:"permissions"`
	Entitlements []string      `json:"entitlements"`
	FeatureFlags []string      `json:"feature_flags"`
	Act          *Impersonator `json:"act"`
	IssuedAt     numericDate   `json:"iat"`
	ExpiresAt    numericDate   `json:"exp"`
	NotBefore    numericDate   `json:"nbf"`
	ID           string        `json:"jti"`

	// Scope is only looked at for presence: OAuth tokens carry it, AuthKit
	// session tokens do not.
	Scope json.RawMessage `json:"scope"`

	// Membership is set by [claimNames.read] from the membership claim,
	// whose name is configurable, not by encoding/json.
	Membership string `json:"-"`
}

// standardClaimNames are the json names of wireClaims, in any order.
var standardClaimNames = []string{
	"sub", "sid", "iss", "aud", "org_id", "role", "roles", "permissions",
	"entitlements", "feature_flags", "act", "iat", "exp", "nbf", "jti", "scope",
}

// defaultClaimNames are the names read with the default membership claim.
var defaultClaimNames = newClaimNames(append(slices.Clip(standardClaimNames), DefaultMembershipClaim)...)

// read checks the member names of payload, the JSON the jwt parser decoded
// into c, and sets c.Membership from the membership
// claim (the last of n's names), read by its exact name.
//
// encoding/json matches member names case-insensitively: "ORG_ID" or
// "Org_Id" fill the org_id field, and with both present the result depends
// on their order. So a payload with a member whose name equals a claim name
// only case-insensitively is rejected as ambiguous, as is a payload naming
// one claim twice; the same holds inside claim "act". With neither, every
// field of c came from the member spelled exactly as its claim.
func (n *claimNames) read(payload []byte, c *wireClaims) error {
	membership, act, err := n.check(payload)
	if err != nil {
		return err
	}
	if act != nil {
		if _, _, err := actClaimNames.check(act); err != nil {
			return fmt.Errorf("act: %w", err)
		}
	}
	c.Membership, err = membershipString(membership)
	return err
}

// actClaimNames are the members of claim "act" read into [Impersonator]; the
// same exactness rule applies to them. (Their last name, "reason", is not a
// membership claim: the value check returns for it is unused.)
var actClaimNames = newClaimNames("sub", "reason")

// membershipString decodes the raw membership claim: a string, or null or
// absent (nil) for none.
func membershipString(raw []byte) (string, error) {
	if raw == nil {
		return "", nil
	}
	// Fast path: a plain string, no escapes, valid UTF-8 (the JSON is
	// already validated, so there are no control characters).
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New("membership claim is not a string")
	}
	if s == nil {
		return "", nil
	}
	return *s, nil
}

// GetExpirationTime implements [jwt.Claims].
func (c *wireClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt.ptr(), nil }

// GetIssuedAt implements [jwt.Claims].
func (c *wireClaims) GetIssuedAt() (*jwt.NumericDate, error) { return c.IssuedAt.ptr(), nil }

// GetNotBefore implements [jwt.Claims].
func (c *wireClaims) GetNotBefore() (*jwt.NumericDate, error) { return c.NotBefore.ptr(), nil }

// GetIssuer implements [jwt.Claims].
func (c *wireClaims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements [jwt.Claims].
func (c *wireClaims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements [jwt.Claims].
func (c *wireClaims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings(c.Audience), nil
}

// claims copies the decoded payload into the public type.
func (c *wireClaims) claims() *Claims {
	return &Claims{
		Subject:                  c.Subject,
		SessionID:                c.SessionID,
		Issuer:                   c.Issuer,
		Audience:                 []string(c.Audience),
		OrganizationID:           c.OrgID,
		Role:                     c.Role,
		Roles:                    c.Roles,
		Permissions:              c.Permissions,
		Entitlements:             c.Entitlements,
		FeatureFlags:             c.FeatureFlags,
		OrganizationMembershipID: c.Membership,
		Impersonator:             c.Act,
		IssuedAt:                 c.IssuedAt.time(),
		ExpiresAt:                c.ExpiresAt.time(),
		NotBefore:                c.NotBefore.time(),
		ID:                       c.ID,
	}
}

// audience is claim "aud": one string or an array of strings (RFC 7519).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*a = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	case len(b) > 0 && b[0] == '[':
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return errors.New("aud is not a string or an array of strings")
		}
		*a = list
		return nil
	}
	return errors.New("aud is not a string or an array of strings")
}

// maxNumericDate is 9999-12-31T23:59:59Z; larger dates are not credible and
// would overflow the conversion to time.Time.
const maxNumericDate = 253402300799

// numericDate is a JWT NumericDate (seconds since the epoch, RFC 7519). Unlike
// jwt.NumericDate it rejects quoted numbers, negative and absurd values.
type numericDate struct {
	v  jwt.NumericDate
	ok bool
}

var errNumericDate = errors.New("time claim is not a number of seconds in [0, 253402300799]")

func (d *numericDate) UnmarshalJSON(b []byte) error {
	*d = numericDate{}
	if string(b) == "null" {
		return nil
	}
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errNumericDate
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f > maxNumericDate {
		return errNumericDate
	}
	sec, frac := math.Modf(f)
	d.v = jwt.NumericDate{Time: time.Unix(int64(sec), int64(frac*1e9)).Truncate(time.Second)}
	d.ok = true
	return nil
}

func (d *numericDate) ptr() *jwt.NumericDate {
	if !d.ok {
		return nil
	}
	return &d.v
}

func (d *numericDate) time() time.Time {
	if !d.ok {
		return time.Time{}
	}
	return d.v.Time
}

// claimNames is a set of JSON member names that must be spelled exactly.
type claimNames struct {
	names []string
	ascii bool // every name is ASCII, so a case-insensitive match has the same length
}

func newClaimNames(names ...string) *claimNames {
	return &claimNames{names: names, ascii: isASCII(names...)}
}

// check walks the members of the JSON object b, which encoding/json has
// already accepted (the jwt parser decoded it), and fails when a member name equals one of the names
// case-insensitively (as encoding/json matches them, per strings.EqualFold)
// but not exactly, or when a name appears twice. It returns the raw values of
// the last name (the membership claim) and of "act", nil when absent. A b
// that is not an object (null) has no members.
func (n *claimNames) check(b []byte) (last, act []byte, err error) {
	var seen uint64
	err = forEachMember(b, func(quotedKey, v []byte) error {
		key, ascii := memberName(quotedKey)
		i, ambiguous := n.match(key, ascii)
		switch {
		case ambiguous >= 0:
			return fmt.Errorf("member name matches claim %q only case-insensitively", n.names[ambiguous])
		case i < 0:
			return nil
		case seen&(1<<i) != 0:
			return fmt.Errorf("claim %q appears twice", n.names[i])
		}
		seen |= 1 << i
		switch {
		case i == len(n.names)-1:
			last = v
		case n.names[i] == "act":
			act = v
		}
		return nil
	})
	return last, act, err
}

// match returns the index of the name equal to key (or -1) and the index of
// a name that key equals only case-insensitively (or -1).
func (n *claimNames) match(key []byte, ascii bool) (exact, ambiguous int) {
	for i, name := range n.names {
		if string(key) == name {
			return i, -1
		}
	}
	for i, name := range n.names {
		if ascii && n.ascii && len(key) != len(name) {
			continue
		}
		if strings.EqualFold(string(key), name) {
			return -1, i
		}
	}
	return -1, -1
}

// memberName unquotes a JSON member name as encoding/json does, without
// allocating in the common case (ASCII, no escapes).
func memberName(quoted []byte) (name []byte, ascii bool) {
	inner := quoted[1 : len(quoted)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return inner, true
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return inner, false // not reached: encoding/json accepted the name
	}
	return []byte(s), isASCII(s)
}

func isASCII(ss ...string) bool {
	for _, s := range ss {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return false
			}
		}
	}
	return true
}

var errBadObject = errors.New("invalid JSON object")

// forEachMember calls f with the quoted name and the raw value of each member
// of the JSON object at the start of b, in order. That object must be valid
// JSON (encoding/json checked it before); a b that does not start with an
// object has no members. Whatever b holds, it never reads past b and ends.
func forEachMember(b []byte, f func(quotedKey, value []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return errBadObject
		}
		switch b[i] {
		case '}':
			return nil
		case ',':
			i++
			continue
		case '"':
		default:
			return errBadObject
		}
		keyEnd := skipString(b, i)
		if keyEnd-i < 2 {
			return errBadObject
		}
		key := b[i:keyEnd]
		i = skipSpace(b, keyEnd)
		if i >= len(b) || b[i] != ':' {
			return errBadObject
		}
		i = skipSpace(b, i+1)
		valueEnd := skipValue(b, i)
		if valueEnd <= i {
			return errBadObject
		}
		if err := f(key, b[i:valueEnd]); err != nil {
			return err
		}
		i = valueEnd
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}
