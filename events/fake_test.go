package events_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

// TestEndToEndWithFake: the fake emits the events WorkOS would for each
// change made to it; consumed from its GET /events by a Poller, or from
// its signed webhook deliveries by a Webhook handler, they stop the token
// issued before the change from answering, and the check returns the
// API's answer. Nothing is stale once the event is applied: no sleep, the
// Poller's first read and the fake's DeliverWebhooks are waited for.
func TestEndToEndWithFake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(e *env)
		gone   bool // the membership is gone: the API's 404 (NotFound)
	}{
		{"demoted: organization_membership.updated", func(e *env) { e.fake.SetMembershipRoles(om, "viewer") }, false},
		{"deactivated: organization_membership.updated", func(e *env) { e.fake.DeactivateMembership(om) }, false},
		{"removed: organization_membership.deleted", func(e *env) { e.fake.RemoveMembership(om) }, true},
		{"role loses the permission: role.updated", func(e *env) { e.fake.SetRolePermissions("", "admin") }, false},
		{"joined a group: group.member_added", func(e *env) {
			g := e.fake.AddGroup("group_eng", org, "Engineers")
			e.fake.AddGroupMember(g, om)
		}, false},
		{"left a group: group.member_removed", func(e *env) {
			g := e.fake.AddGroup("group_eng", org, "Engineers")
			e.fake.AddGroupMember(g, om)
			e.fake.RemoveGroupMember(g, om)
		}, false},
	}
	for _, tc := range tests {
		for _, via := range []string{"poller", "webhook"} {
			t.Run(tc.name+"/via="+via, func(t *testing.T) {
				t.Parallel()
				e := setup(t)
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				defer cancel()
				if via == "webhook" {
					hook, err := events.NewWebhook(e.state, secret)
					if err != nil {
						t.Fatal(err)
					}
					srv := httptest.NewServer(hook)
					t.Cleanup(srv.Close)
					e.fake.AddWebhook(srv.URL, secret)
				}
				e.fake.Advance(10 * time.Second)
				claims := e.session(t)
				if d, err := e.client.Check(ctx, claims, permission, e.eng); err != nil || d != (authz.Decision{Allowed: true, Source: authz.SourceToken}) {
					t.Fatalf("before the change: %+v, %v; want the token's answer", d, err)
				}
				e.fake.Advance(time.Minute)
				tc.change(e)

				switch via {
				case "webhook":
					if err := e.fake.DeliverWebhooks(ctx); err != nil {
						t.Fatal(err)
					}
				case "poller":
					p, err := events.NewPoller(e.fake.APIKey(), e.state, events.WithBaseURL(e.fake.URL()))
					if err != nil {
						t.Fatal(err)
					}
					defer p.Close()
					select {
					case <-p.Ready():
					case <-ctx.Done():
						t.Fatalf("the Poller never caught up: %+v", p.Status())
					}
				}

				d, err := e.client.Check(ctx, claims, permission, e.eng)
				api, apiErr := e.client.API().Check(ctx, om, permission, e.eng, authz.Fresh())
				if err != nil || apiErr != nil {
					t.Fatalf("after the change: %v; the API: %v", err, apiErr)
				}
				want := authz.Decision{Allowed: api.Allowed, NotFound: api.NotFound, Source: authz.SourceAPI, TokenStale: true}
				if diff := cmp.Diff(want, d); diff != "" {
					t.Errorf("after the change (-want +got):\n%s", diff)
				}
				if tc.gone != d.NotFound {
					t.Errorf("NotFound = %v, want %v", d.NotFound, tc.gone)
				}
			})
		}
	}
}

// TestUnrelatedChangeWithFake: an event that touches nothing the token
// relies on (another permission created, another member demoted) leaves
// the token answering.
func TestUnrelatedChangeWithFake(t *testing.T) {
	t.Parallel()
	e := setup(t)
	hook, _ := events.NewWebhook(e.state, secret)
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	e.fake.AddWebhook(srv.URL, secret)
	e.fake.Advance(10 * time.Second)
	claims := e.session(t)
	e.fake.Advance(time.Minute)
	e.fake.AddPermission("workspace:export", "workspace")
	e.fake.AddMembership("om_bob", "user_bob", org, "admin")
	e.fake.SetMembershipRoles("om_bob", "viewer")
	if err := e.fake.DeliverWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := e.state.Stats(); st.Applied < 3 {
		t.Fatalf("stats %+v: the events were not applied", st)
	}
	if d, err := e.client.Check(t.Context(), claims, permission, e.eng); err != nil || d != (authz.Decision{Allowed: true, Source: authz.SourceToken}) {
		t.Errorf("after unrelated changes: %+v, %v; want the token's answer", d, err)
	}
}

// TestRevokedSessionWithFake: the fake's session.revoked, delivered by
// webhook or read by the Poller, makes the session's token fail Verify.
func TestRevokedSessionWithFake(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"poller", "webhook"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if via == "webhook" {
				hook, _ := events.NewWebhook(e.state, secret)
				srv := httptest.NewServer(hook)
				t.Cleanup(srv.Close)
				e.fake.AddWebhook(srv.URL, secret)
			}
			e.fake.Advance(10 * time.Second)
			raw := e.fake.Session(om)
			claims, err := e.verifier.Verify(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			e.fake.RevokeSession(claims.SessionID)
			if via == "webhook" {
				if err := e.fake.DeliverWebhooks(ctx); err != nil {
					t.Fatal(err)
				}
			} else {
				p, _ := events.NewPoller(e.fake.APIKey(), e.state, events.WithBaseURL(e.fake.URL()))
				defer p.Close()
				select {
				case <-p.Ready():
				case <-ctx.Done():
					t.Fatal("the Poller never caught up")
				}
			}
			if _, err := e.verifier.Verify(ctx, raw); !errors.Is(err, token.ErrSessionRevoked) {
				t.Errorf("Verify after revocation: %v, want ErrSessionRevoked", err)
			}
		})
	}
}
