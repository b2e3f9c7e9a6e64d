package check

import (
	"context"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/token"
)

// sessionClaims are Alice's verified claims, from a session token the fake
// mints. Her organization role grants nothing, so the token layer never
// answers and every item needs the API.
func sessionClaims(tb testing.TB, w *world) *token.Claims {
	tb.Helper()
	claims, err := w.fake.Verifier().Verify(context.Background(), w.fake.Session(om))
	if err != nil {
		tb.Fatal(err)
	}
	return claims
}

func resourceIDs(ids []string) []authz.ResourceRef {
	rs := make([]authz.ResourceRef, len(ids))
	for i, id := range ids {
		rs[i] = authz.ResourceID(id)
	}
	return rs
}

// wantMixed fails unless ds allows exactly the even items, as the fixture
// says.
func wantMixed(b *testing.B, ds []authz.Decision) {
	for i, d := range ds {
		if d.Allowed != (i%2 == 0) {
			b.Fatalf("item %d: Allowed = %v, want %v", i, d.Allowed, i%2 == 0)
		}
	}
}

// BenchmarkCheckMany answers 1,000 distinct resources (half allowed)
// against the fake with 2 ms of server latency per call. Targets: CheckMany
// at concurrency 16 ≥ 10× faster than a sequential loop of checks, and no
// more calls than items. impl=goroutines is one goroutine per item, with no
// bound.
func BenchmarkCheckMany(b *testing.B) {
	w := newWorld(b)
	w.withLatency(b)
	c := newClient(b, w.fake.URL())
	claims := sessionClaims(b, w)
	rs := resourceIDs(w.projects)
	ctx := context.Background()

	batch := func(opts ...authz.CallOption) func(b *testing.B) []authz.Decision {
		return func(b *testing.B) []authz.Decision {
			ds, err := c.CheckMany(ctx, claims, permission, rs, opts...)
			if err != nil {
				b.Fatal(err)
			}
			return ds
		}
	}
	impls := []struct {
		name string
		run  func(b *testing.B) []authz.Decision
	}{
		{"loop", func(b *testing.B) []authz.Decision {
			ds := make([]authz.Decision, len(rs))
			for i, r := range rs {
				d, err := c.Check(ctx, claims, permission, r)
				if err != nil {
					b.Fatal(err)
				}
				ds[i] = d
			}
			return ds
		}},
		{"fgakit-c16", batch(authz.Concurrency(16))},
		{"fgakit-default", batch()},
		{"goroutines", func(b *testing.B) []authz.Decision {
			ds := make([]authz.Decision, len(rs))
			done := make(chan struct{})
			for i, r := range rs {
				go func() {
					defer func() { done <- struct{}{} }()
					d, err := c.Check(ctx, claims, permission, r)
					if err != nil {
						b.Error(err)
					}
					ds[i] = d
				}()
			}
			for range rs {
				<-done
			}
			return ds
		}},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			calls := countCalls(w.fake)
			b.ReportAllocs()
			for b.Loop() {
				wantMixed(b, impl.run(b))
			}
			calls.report(b)
		})
	}
}

// BenchmarkCheckManyParent answers the 1,000 children of one workspace,
// naming the workspace, against the fake with 2 ms of server latency per
// call (target ≤ 11 calls). parent=all: Alice may edit every child (the
// discovery listing is longest: 10 pages); parent=mixed: every other one.
// impl=checks is CheckMany without the parent (one check per item);
// ChildrenOf promises every item is a direct child of the permission's
// type, UnderParent does not (absent items are then checked one by one).
func BenchmarkCheckManyParent(b *testing.B) {
	w := newWorld(b)
	w.withLatency(b)
	c := newClient(b, w.fake.URL())
	claims := sessionClaims(b, w)
	ctx := context.Background()
	for _, p := range []struct {
		name, id string
		ids      []string
		check    func(b *testing.B, ds []authz.Decision)
	}{
		{"all", w.all, w.allProj, func(b *testing.B, ds []authz.Decision) {
			for i, d := range ds {
				if !d.Allowed {
					b.Fatalf("item %d denied", i)
				}
			}
		}},
		{"mixed", w.mixed, w.projects, wantMixed},
	} {
		rs := resourceIDs(p.ids)
		parent := authz.ResourceID(p.id)
		for _, impl := range []struct {
			name string
			opts []authz.CallOption
		}{
			{"checks", nil},
			{"ChildrenOf", []authz.CallOption{authz.ChildrenOf(parent)}},
			{"UnderParent", []authz.CallOption{authz.UnderParent(parent)}},
		} {
			b.Run("parent="+p.name+"/impl="+impl.name, func(b *testing.B) {
				calls := countCalls(w.fake)
				b.ReportAllocs()
				for b.Loop() {
					ds, err := c.CheckMany(ctx, claims, permission, rs, impl.opts...)
					if err != nil {
						b.Fatal(err)
					}
					p.check(b, ds)
				}
				calls.report(b)
			})
		}
	}
}
