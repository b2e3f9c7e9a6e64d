package authz

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fgakit/fgakit/cache"
	"github.com/google/go-cmp/cmp"
)

// A request that lives for minutes (a stream behind the Middleware) keeps
// its memo, but the memo never outlives a change this Client knows of —
// made by any request — and never answers past its maximum age.
func TestMemoAcrossLongRequests(t *testing.T) {
	t.Parallel()
	const om, other = "om_stream", "om_other"
	if memberStripe(om) == memberStripe(other) {
		t.Fatalf("test setup: %s and %s share a generation stripe; pick other names", om, other)
	}
	p1 := ResourceID("authz_resource_p1")
	tests := []struct {
		name string
		opts []Option
		// meanwhile runs between the stream's first check and its last,
		// with another request's context.
		meanwhile func(t *testing.T, c *Client, clk *fakeClock, ctx context.Context)
		want      Decision // the stream's last check
		wantCalls int      // check calls in all
	}{
		{"nothing changed: the memo answers", nil,
			func(*testing.T, *Client, *fakeClock, context.Context) {},
			Decision{Allowed: true, Source: SourceMemo}, 1},
		{"role removed through the Client in another request", nil,
			func(t *testing.T, c *Client, _ *fakeClock, ctx context.Context) {
				if err := c.RemoveRole(ctx, om, "viewer", p1); err != nil {
					t.Fatal(err)
				}
			},
			Decision{Allowed: false, Source: SourceAPI}, 2},
		{"role assigned on another membership: the memo still answers", nil,
			func(t *testing.T, c *Client, _ *fakeClock, ctx context.Context) {
				if _, err := c.AssignRole(ctx, other, "viewer", p1); err != nil {
					t.Fatal(err)
				}
			},
			Decision{Allowed: true, Source: SourceMemo}, 1},
		{"a resource deleted (a change beyond one membership)", nil,
			func(t *testing.T, c *Client, _ *fakeClock, ctx context.Context) {
				if err := c.DeleteResource(ctx, ResourceID("authz_resource_p9"), DeleteResourceOptions{}); err != nil {
					t.Fatal(err)
				}
			},
			Decision{Allowed: true, Source: SourceAPI}, 2},
		{"just under the default maximum age", nil,
			func(_ *testing.T, _ *Client, clk *fakeClock, _ context.Context) {
				clk.advance(DefaultMemoMaxAge - time.Nanosecond)
			},
			Decision{Allowed: true, Source: SourceMemo}, 1},
		{"the default maximum age reached", nil,
			func(_ *testing.T, _ *Client, clk *fakeClock, _ context.Context) { clk.advance(DefaultMemoMaxAge) },
			Decision{Allowed: true, Source: SourceAPI}, 2},
		{"WithMemoMaxAge", []Option{WithMemoMaxAge(time.Second)},
			func(_ *testing.T, _ *Client, clk *fakeClock, _ context.Context) { clk.advance(time.Second) },
			Decision{Allowed: true, Source: SourceAPI}, 2},
		{"the clock set back", nil,
			func(_ *testing.T, _ *Client, clk *fakeClock, _ context.Context) { clk.advance(-time.Second) },
			Decision{Allowed: true, Source: SourceAPI}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{}
			clk.t.Store(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC).UnixNano())
			withClock := func(c *config) error {
				c.now, c.since = clk.now, func(t time.Time) time.Duration { return clk.now().Sub(t) }
				return nil
			}
			c, mux := setup(t, append([]Option{withClock}, tt.opts...)...)
			var allowed atomic.Bool
			allowed.Store(true)
			var checks atomic.Int32
			mux.HandleFunc("POST /authorization/organization_memberships/{om}/check", func(w http.ResponseWriter, r *http.Request) {
				checks.Add(1)
				fmt.Fprintf(w, `{"authorized":%v}`, allowed.Load())
			})
			mux.HandleFunc("DELETE /authorization/organization_memberships/{om}/role_assignments", func(w http.ResponseWriter, r *http.Request) {
				allowed.Store(false)
				w.WriteHeader(http.StatusNoContent)
			})
			mux.HandleFunc("POST /authorization/organization_memberships/{om}/role_assignments", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"object":"role_assignment","id":"role_assignment_1"}`)
			})
			mux.HandleFunc("DELETE /authorization/resources/{id}", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})

			stream := cache.WithMemo(t.Context())
			first, err := c.API().Check(stream, om, "project:view", p1)
			if err != nil || first != (Decision{Allowed: true, Source: SourceAPI}) {
				t.Fatalf("first check = %+v, %v", first, err)
			}
			tt.meanwhile(t, c, clk, cache.WithMemo(t.Context()))
			got, err := c.API().Check(stream, om, "project:view", p1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("last check of the stream (-want +got):\n%s", diff)
			}
			if n := int(checks.Load()); n != tt.wantCalls {
				t.Errorf("%d check calls, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestWithMemoMaxAgeValidates(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, -time.Second, maxMemoMaxAge + 1} {
		if _, err := New(testKey, WithMemoMaxAge(d)); err == nil {
			t.Errorf("WithMemoMaxAge(%s) accepted", d)
		}
	}
	if _, err := New(testKey, WithMemoMaxAge(maxMemoMaxAge)); err != nil {
		t.Errorf("WithMemoMaxAge(%s): %v", maxMemoMaxAge, err)
	}
}

// A memo hit stays allocation-free with the stamp and age checks.
func TestMemoHitAllocations(t *testing.T) {
	c, mux := setup(t)
	mux.HandleFunc("POST /authorization/organization_memberships/{om}/check", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"authorized":true}`)
	})
	ctx := cache.WithMemo(t.Context())
	r := ResourceID("authz_resource_p1")
	if _, err := c.API().Check(ctx, "om_1", "project:view", r); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if d, err := c.API().Check(ctx, "om_1", "project:view", r); err != nil || d.Source != SourceMemo {
			t.Fatalf("memo check = %+v, %v", d, err)
		}
	})
	if allocs != 0 {
		t.Errorf("a memo hit allocates %.0f times, want 0", allocs)
	}
}
