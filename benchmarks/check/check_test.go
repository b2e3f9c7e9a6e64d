package check

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/token"
)

// BenchmarkTokenLayer answers from verified claims alone (target ≤ 50 ns,
// 0 allocations). The claims hold eight permissions, as in
// verify.BenchmarkVerify; the one asked for is the last, and the miss scans
// them all.
func BenchmarkTokenLayer(b *testing.B) {
	claims := &token.Claims{
		OrganizationID:           org,
		OrganizationMembershipID: om,
		Permissions: []string{
			"posts:read", "posts:write", "comments:read", "comments:write",
			"projects:read", "projects:write", "billing:read", "project:edit",
		},
	}
	var tl authz.TokenLayer
	// The token answers only for a resource whose organization the caller
	// knows from its own records (InOrganization).
	r := authz.ExternalResource("project", "web").InOrganization(org)
	b.Run("op=Claims.HasPermission", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !claims.HasPermission(permission) {
				b.Fatal("denied")
			}
		}
	})
	b.Run("op=Claims.HasPermission-miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if claims.HasPermission("project:delete") {
				b.Fatal("allowed")
			}
		}
	})
	b.Run("op=TokenLayer.Allows", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !tl.Allows(claims, permission, r) {
				b.Fatal("denied")
			}
		}
	})
}

// BenchmarkCheck is one API check, fgakit's ResourceLayer.Check against a
// hand-written net/http POST (target ≤ 1.15×), on two local servers with no
// added latency: the authztest fake (the real check semantics) and a minimal
// handler that answers {"authorized":true} (so the client's own cost shows).
func BenchmarkCheck(b *testing.B) {
	w := newWorld(b)
	minimal := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, `{"authorized":true}`)
	}))
	b.Cleanup(minimal.Close)
	ctx := context.Background()
	for _, srv := range []struct{ name, url string }{{"authztest", w.fake.URL()}, {"minimal", minimal.URL}} {
		c := newClient(b, srv.url)
		h := newHandClient(srv.url, 2)
		rid := w.projects[0] // allowed
		b.Run("server="+srv.name+"/impl=fgakit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, err := c.API().Check(ctx, om, permission, authz.ResourceID(rid))
				if err != nil || !d.Allowed {
					b.Fatal(d, err)
				}
			}
		})
		b.Run("server="+srv.name+"/impl=net-http", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ok, err := h.check(ctx, om, permission, rid)
				if err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkConcurrentIdentical starts 1,000 identical checks at once
// (goroutines released together) against the fake with 2 ms of server
// latency. impl=fgakit merges them (target: exactly 1 call, wall ≤ 1.5× one
// check); impl=net-http makes 1,000 unmerged POSTs; impl=one-check is a
// single check, the reference for the wall time; impl=goroutines-only starts
// and releases the 1,000 goroutines and does nothing else, the floor of the
// harness itself on this machine.
func BenchmarkConcurrentIdentical(b *testing.B) {
	const n = 1000
	w := newWorld(b)
	w.withLatency(b)
	c := newClient(b, w.fake.URL())
	h := newHandClient(w.fake.URL(), n)
	rid := w.projects[0]
	ctx := context.Background()
	fgakitCheck := func() error {
		d, err := c.API().Check(ctx, om, permission, authz.ResourceID(rid))
		if err == nil && !d.Allowed {
			b.Error("denied")
		}
		return err
	}
	handCheck := func() error {
		ok, err := h.check(ctx, om, permission, rid)
		if err == nil && !ok {
			b.Error("denied")
		}
		return err
	}
	b.Run("impl=one-check", func(b *testing.B) {
		calls := countCalls(w.fake)
		for b.Loop() {
			if err := fgakitCheck(); err != nil {
				b.Fatal(err)
			}
		}
		calls.report(b)
	})
	for _, impl := range []struct {
		name  string
		check func() error
	}{{"goroutines-only", func() error { return nil }}, {"fgakit", fgakitCheck}, {"net-http", handCheck}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			calls := countCalls(w.fake)
			b.ReportAllocs()
			for b.Loop() {
				concurrently(b, n, impl.check)
			}
			calls.report(b)
		})
	}
}

// concurrently runs f in n goroutines released at the same moment, and
// waits for them all.
func concurrently(b *testing.B, n int, f func() error) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	for range n {
		done.Go(func() {
			ready.Done()
			<-start
			if err := f(); err != nil {
				b.Error(err)
			}
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
}
