package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// namedPayload is a minimal session payload followed by extra members, as
// literal JSON so that the tests control spelling, order and duplicates.
func namedPayload(extra string) string {
	p := fmt.Sprintf(`{"sub":"user_1","sid":"session_1","exp":%d`, t0.Add(time.Minute).Unix())
	if extra != "" {
		p += "," + extra
	}
	return p + "}"
}

// Claims are read only from members spelled exactly as the claim:
// encoding/json would otherwise fill org_id from "ORG_ID" or "Org_Id".
func TestVerifyClaimNamesExact(t *testing.T) {
	t.Parallel()
	base := Claims{Subject: "user_1", SessionID: "session_1", ExpiresAt: t0.Add(time.Minute)}
	accepts := []struct {
		name  string
		extra string
		opts  []Option
		want  func(*Claims)
	}{
		{"exact names", `"org_id":"org_1","permissions":["posts:read"],"organization_membership_id":"om_1","act":{"sub":"admin","reason":"r"}`, nil,
			func(c *Claims) {
				c.OrganizationID, c.Permissions, c.OrganizationMembershipID = "org_1", []string{"posts:read"}, "om_1"
				c.Impersonator = &Impersonator{Subject: "admin", Reason: "r"}
			}},
		{"escaped exact name is the same name", `"\u006frg_id":"org_1"`, nil,
			func(c *Claims) { c.OrganizationID = "org_1" }},
		{"unrelated claims in any case", `"Department":"x","ORG":"y","org_ids":["z"],"urn:app:Role":"admin"`, nil,
			func(*Claims) {}},
		{"nested members are not top-level claims", `"meta":{"ORG_ID":"org_evil","Sub":"x"},"list":[{"Permissions":["*"]}]`, nil,
			func(*Claims) {}},
		{"custom membership claim, default one in another case is not read", `"om":"om_1","ORGANIZATION_MEMBERSHIP_ID":"om_evil"`, []Option{WithMembershipClaim("om")},
			func(c *Claims) { c.OrganizationMembershipID = "om_1" }},
	}
	for _, tt := range accepts {
		t.Run("accepts/"+tt.name, func(t *testing.T) {
			t.Parallel()
			v := newTestVerifier(t, tt.opts...)
			got, err := v.Verify(t.Context(), signRawPayload(t, namedPayload(tt.extra)))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := base
			tt.want(&want)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}

	rejects := []struct {
		name  string
		extra string
		opts  []Option
	}{
		{"ORG_ID alone is not org_id", `"ORG_ID":"org_evil"`, nil},
		{"Org_Id alone is not org_id", `"Org_Id":"org_evil"`, nil},
		{"org_id then ORG_ID", `"org_id":"org_1","ORG_ID":"org_evil"`, nil},
		{"ORG_ID then org_id", `"ORG_ID":"org_evil","org_id":"org_1"`, nil},
		{"Permissions alone", `"Permissions":["*"]`, nil},
		{"permissions and PERMISSIONS", `"permissions":["posts:read"],"PERMISSIONS":["*"]`, nil},
		{"Role next to role", `"role":"member","Role":"admin"`, nil},
		{"SUB next to sub", `"SUB":"user_evil"`, nil},
		{"EXP next to exp", `"EXP":9999999999`, nil},
		{"Scope hiding an OAuth token", `"Scope":"openid"`, nil},
		{"escaped upper-case name", `"\u004frg_id":"org_evil"`, nil},
		{"Unicode long s folds to s", "\"permi\u017f\u017fions\":[\"*\"]", nil},
		{"Unicode long s in sid", "\"\u017fid\":\"session_evil\"", nil},
		{"org_id twice", `"org_id":"org_1","org_id":"org_evil"`, nil},
		{"sub twice", `"sub":"user_evil"`, nil},
		{"membership claim in another case", `"Organization_Membership_Id":"om_evil"`, nil},
		{"membership claim twice", `"organization_membership_id":"om_1","organization_membership_id":"om_evil"`, nil},
		{"custom membership claim in another case", `"om":"om_1","OM":"om_evil"`, []Option{WithMembershipClaim("om")}},
		{"custom membership claim twice", `"om":"om_1","om":"om_evil"`, []Option{WithMembershipClaim("om")}},
		{"act member SUB", `"act":{"SUB":"admin"}`, nil},
		{"act member Reason", `"act":{"sub":"admin","Reason":"r"}`, nil},
		{"act member sub twice", `"act":{"sub":"admin","sub":"other"}`, nil},
	}
	for _, tt := range rejects {
		t.Run("rejects/"+tt.name, func(t *testing.T) {
			t.Parallel()
			v := newTestVerifier(t, tt.opts...)
			raw := signRawPayload(t, namedPayload(tt.extra))
			got, err := v.Verify(t.Context(), raw)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Verify = %+v, %v; want ErrMalformed", got, err)
			}
			assertNoSecret(t, err, raw)
		})
	}
}

// standardClaimNames must list exactly the json names wireClaims decodes, or
// a look-alike of a forgotten claim would slip through.
func TestStandardClaimNamesMatchWireClaims(t *testing.T) {
	t.Parallel()
	var tags []string
	typ := reflect.TypeFor[wireClaims]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			tags = append(tags, name)
		}
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(tags)), slices.Sorted(slices.Values(standardClaimNames))); diff != "" {
		t.Errorf("standardClaimNames (-wireClaims tags +list):\n%s", diff)
	}
}

func TestWithMembershipClaimRejectsStandardClaims(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"sub", "org_id", "ORG_ID", "Permissions", "scope", "act"} {
		if _, err := NewVerifier("client_123", WithMembershipClaim(name)); err == nil {
			t.Errorf("WithMembershipClaim(%q): no error", name)
		}
	}
	for _, name := range []string{DefaultMembershipClaim, "om", "urn:app:membership"} {
		v, err := NewVerifier("client_123", WithMembershipClaim(name))
		if err != nil {
			t.Errorf("WithMembershipClaim(%q): %v", name, err)
			continue
		}
		v.Close()
	}
}

// check must agree with a plain reading of the members on any JSON object.
func TestClaimNamesCheck(t *testing.T) {
	t.Parallel()
	names := newClaimNames("sub", "org_id", "om")
	tests := []struct {
		name      string
		json      string
		wantValue string // raw value of "om"
		wantErr   bool
	}{
		{"empty object", `{}`, "", false},
		{"null", `null`, "", false},
		{"whitespace everywhere", " {\n\t\"sub\" : \"a\" ,\r\n \"om\" :\t\"b\" } ", `"b"`, false},
		{"values of every kind", `{"x":[1,{"om":2},"]}"],"y":{"a":"\"}"},"z":true,"n":null,"f":-1.5e3,"om":{"k":[]}}`, `{"k":[]}`, false},
		{"escaped quote in a name", `{"o\"m":1,"om":"x"}`, `"x"`, false},
		{"look-alike", `{"OM":"x"}`, "", true},
		{"duplicate", `{"sub":"a","sub":"b"}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, err := names.check([]byte(tt.json))
			if (err != nil) != tt.wantErr {
				t.Fatalf("check error = %v, want error %v", err, tt.wantErr)
			}
			if string(got) != tt.wantValue {
				t.Errorf("value = %q, want %q", got, tt.wantValue)
			}
		})
	}
}

// FuzzClaimNamesCheck compares check with encoding/json's own reading of the
// top-level member names of any JSON value: check must fail exactly when a
// name matches a claim only case-insensitively or a claim appears twice, and
// return the membership claim's value. It must never panic on any input.
func FuzzClaimNamesCheck(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[1]`, `"x"`, `{"sub":"a","om":"b"}`, `{"SUB":"a"}`, `{"sub":1,"sub":2}`,
		`{"\u006fm":"x","a":{"OM":[1,{"b":"}"}]}}`, "{\"\u017fub\":1}", `{"om":"a"} {"OM":1}`, `{"om"`, `{"a":"\"`,
	} {
		f.Add(seed)
	}
	names := newClaimNames("sub", "org_id", "om")
	f.Fuzz(func(t *testing.T, data string) {
		last, _, err := names.check([]byte(data)) // must not panic, even on invalid JSON
		dec := json.NewDecoder(strings.NewReader(data))
		if tok, terr := dec.Token(); terr != nil || tok != json.Delim('{') {
			return // not an object: only the absence of a panic matters
		}
		var (
			wantErr  bool
			wantLast []byte
			seen     = map[string]bool{}
		)
		for dec.More() {
			tok, terr := dec.Token()
			if terr != nil {
				return // invalid JSON: check is never given it
			}
			key := tok.(string)
			var value json.RawMessage
			if dec.Decode(&value) != nil {
				return
			}
			for _, n := range names.names {
				if key != n && strings.EqualFold(key, n) {
					wantErr = true
				}
			}
			if slices.Contains(names.names, key) {
				if seen[key] {
					wantErr = true
				}
				seen[key] = true
			}
			if key == "om" {
				wantLast = value
			}
		}
		if _, terr := dec.Token(); terr != nil {
			return // unterminated object
		}
		if (err != nil) != wantErr {
			t.Fatalf("check(%q) error = %v, want error %v", data, err, wantErr)
		}
		if !wantErr && !bytes.Equal(last, wantLast) {
			t.Fatalf("check(%q) membership = %q, want %q", data, last, wantLast)
		}
	})
}
