package authztest

import (
	"encoding/json"
	"testing"
)

// TestJWTTemplateTokensVerify: the fake never mints a token fgakit's own
// verifier rejects. A template whose claims would make token.Verifier
// refuse every token (act, scope, aud or AuthKit list claims of the wrong
// type, a claim named like a session claim in other letter case) is
// refused at PUT with 422 invalid_request_parameters; every template it
// accepts mints tokens that verify.
func TestJWTTemplateTokensVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		refused bool
	}{
		{"act object", `{"act": {"sub": "user_admin"}}`, true},
		{"act string", `{"act": "{{ user.id }}"}`, true},
		{"scope", `{"scope": "openid"}`, true},
		{"aud number", `{"aud": 5}`, true},
		{"aud object", `{"aud": {"a": "b"}}`, true},
		{"aud list with a number", `{"aud": ["a", 1]}`, true},
		{"entitlements string", `{"entitlements": "all"}`, true},
		{"feature_flags number", `{"feature_flags": 1}`, true},
		{"membership claim number", `{"organization_membership_id": 7}`, true},
		{"Sub in other case", `{"Sub": "x"}`, true},
		{"ORG_ID in other case", `{"ORG_ID": "{{ organization.id }}"}`, true},
		{"membership claim in other case", `{"Organization_Membership_Id": "{{ organization_membership.id }}"}`, true},

		{"aud string", `{"aud": "api.example.com"}`, false},
		{"aud expression", `{"aud": "{{ organization.id }}"}`, false},
		{"aud unquoted expression", `{"aud": {{ organization.name }}}`, false},
		{"aud list", `{"aud": ["a", "{{ user.last_name }}"]}`, false},
		{"entitlements list", `{"entitlements": ["audit-logs"], "feature_flags": []}`, false},
		{"membership claim", DefaultJWTTemplate, false},
		{"standard claims the fake sets are not replaced", `{"role": 5, "roles": "x", "permissions": {}, "sid": 1, "org_id": []}`, false},
		{"custom claims of any shape", `{"team": {"name": "{{ organization.name }}", "n": 3}, "tags": [1, true, null]}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			body, _ := json.Marshal(map[string]string{"content": tc.content})
			status, answer, _ := call(t, f, "PUT", "/user_management/jwt_template", string(body))
			if tc.refused {
				if status != 422 {
					t.Fatalf("PUT: %d %s, want 422", status, answer)
				}
				var e struct{ Code, Message string }
				json.Unmarshal([]byte(answer), &e)
				if e.Code != "invalid_request_parameters" || e.Message == "" {
					t.Errorf("PUT answer %s", answer)
				}
				if _, err := f.Verifier().Verify(t.Context(), f.Session("om_alice")); err != nil {
					t.Errorf("the template in force after the refusal mints a token the verifier rejects: %v", err)
				}
				return
			}
			if status != 200 {
				t.Fatalf("PUT: %d %s, want 200", status, answer)
			}
			claims, err := f.Verifier().Verify(t.Context(), f.Session("om_alice"))
			if err != nil {
				t.Fatalf("token of template %s rejected: %v", tc.content, err)
			}
			if claims.Subject != "user_alice" || claims.Role != "member" {
				t.Errorf("claims %+v", claims)
			}
		})
	}
}
