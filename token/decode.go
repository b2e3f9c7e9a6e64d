package token

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// wireClaims is the payload as it travels, decoded by encoding/json straight
// into typed fields: a claim of the wrong JSON type (a number for "sub", a
// string for "permissions") is a decoding error, hence [ErrMalformed]. It
// implements [jwt.Claims] so that the jwt parser validates exp, nbf and iat.
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
	Membership   string        `json:"organization_membership_id"`
	Act          *Impersonator `json:"act"`
	IssuedAt     numericDate   `json:"iat"`
	ExpiresAt    numericDate   `json:"exp"`
	NotBefore    numericDate   `json:"nbf"`
	ID           string        `json:"jti"`

	// Scope is only looked at for presence: OAuth tokens carry it, AuthKit
	// session tokens do not.
	Scope json.RawMessage `json:"scope"`
}

// customClaims decodes the membership ID from a claim with another name than
// [DefaultMembershipClaim] (see [WithMembershipClaim]).
type customClaims struct {
	wireClaims
	claimName string
}

// UnmarshalJSON decodes the standard fields, then the configured membership
// claim, which must be a string (or null, meaning absent).
func (c *customClaims) UnmarshalJSON(b []byte) error {
	c.wireClaims = wireClaims{}
	if err := json.Unmarshal(b, &c.wireClaims); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	c.Membership = ""
	if raw, ok := all[c.claimName]; ok {
		var s *string
		if err := json.Unmarshal(raw, &s); err != nil {
			return errors.New("membership claim is not a string")
		}
		if s != nil {
			c.Membership = *s
		}
	}
	return nil
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
