package authz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
)

// Benchmarks. Run them with, e.g.:
//
//	go test -run '^$' -bench . -benchmem ./authz/
//
// The API benchmarks use a local httptest server; those that model a real
// network add a fixed latency to each answer (see latencyServer).

// benchServer answers every check {"authorized":true} after latency and
// counts the calls.
type benchServer struct {
	latency time.Duration
	calls   atomic.Int64
}

func (s *benchServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	io.Copy(io.Discard, r.Body)
	if s.latency > 0 {
		time.Sleep(s.latency) // models the network and the API, not a test wait
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"authorized":true}`)
}

func benchClient(b *testing.B, latency time.Duration, opts ...Option) (*Client, *benchServer, string) {
	b.Helper()
	s := &benchServer{latency: latency}
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	c, err := New(testKey, append([]Option{WithBaseURL(srv.URL)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c, s, srv.URL
}

// noToken has no permissions, so every check goes to the resource layer.
var noToken = &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1"}

func BenchmarkCheckAPI(b *testing.B) {
	c, _, _ := benchClient(b, 0)
	ctx := b.Context()
	r := ResourceID("authz_resource_1")
	b.ReportAllocs()
	for b.Loop() {
		if d, err := c.Check(ctx, noToken, "project:edit", r); err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkBaselineHandWrittenPOST is what a user would write by hand with
// net/http against the same server: marshal, POST, decode.
func BenchmarkBaselineHandWrittenPOST(b *testing.B) {
	_, _, url := benchClient(b, 0)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		body, _ := json.Marshal(map[string]string{"permission_slug": "project:edit", "resource_id": "authz_resource_1"})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/authorization/organization_memberships/om_1/check", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct {
			Authorized bool `json:"authorized"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || !out.Authorized {
			b.Fatal(err)
		}
	}
}

// Benchmark1000ConcurrentIdentical: 1,000 goroutines, started first and
// then released together, ask the same check. "merged" is Client.Check (calls/op should be 1); "unmerged" is the
// hand-written POST from each goroutine. The server adds 2 ms per answer.
func Benchmark1000ConcurrentIdentical(b *testing.B) {
	const n = 1000
	const latency = 2 * time.Millisecond
	b.Run("merged", func(b *testing.B) {
		c, s, _ := benchClient(b, latency)
		ctx := b.Context()
		r := ResourceID("authz_resource_1")
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			start := make(chan struct{}) // all goroutines ask at once
			for range n {
				wg.Go(func() {
					<-start
					if d, err := c.Check(ctx, noToken, "project:edit", r); err != nil || !d.Allowed {
						b.Error(d, err)
					}
				})
			}
			close(start)
			wg.Wait()
		}
		b.ReportMetric(float64(s.calls.Load())/float64(b.N), "calls/op")
	})
	b.Run("one-check", func(b *testing.B) {
		c, _, _ := benchClient(b, latency)
		ctx := b.Context()
		r := ResourceID("authz_resource_1")
		for b.Loop() {
			if _, err := c.Check(ctx, noToken, "project:edit", r); err != nil {
				b.Fatal(err)
			}
		}
	})
	// ideal is the floor of any merging: one hand-written POST while 999
	// goroutines wait on a channel it closes.
	b.Run("ideal", func(b *testing.B) {
		_, s, url := benchClient(b, latency)
		hc := &http.Client{}
		ctx := b.Context()
		for b.Loop() {
			answered := make(chan struct{})
			start := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				defer close(answered)
				<-start
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/authorization/organization_memberships/om_1/check", strings.NewReader(`{"permission_slug":"project:edit","resource_id":"authz_resource_1"}`))
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
			for range n - 1 {
				wg.Go(func() { <-start; <-answered })
			}
			close(start)
			wg.Wait()
		}
		b.ReportMetric(float64(s.calls.Load())/float64(b.N), "calls/op")
	})
	b.Run("unmerged", func(b *testing.B) {
		c, s, _ := benchClient(b, latency)
		ctx := b.Context()
		for b.Loop() {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range n {
				wg.Go(func() {
					<-start
					// Sending directly bypasses merging: 1,000 calls.
					var res checkResult
					k := checkKey{membership: "om_1", permission: "project:edit", resourceID: "authz_resource_1"}
					if err := c.do(ctx, k.request(), &res); err != nil {
						b.Error(err)
					}
				})
			}
			close(start)
			wg.Wait()
		}
		b.ReportMetric(float64(s.calls.Load())/float64(b.N), "calls/op")
	})
}

// BenchmarkCheckMany1000 asks 1,000 distinct resources, with 1 ms of
// latency per answer: CheckMany at concurrency 16, a sequential loop of
// Check, and one goroutine per item.
func BenchmarkCheckMany1000(b *testing.B) {
	const n = 1000
	const latency = time.Millisecond
	rs := make([]ResourceRef, n)
	for i := range rs {
		rs[i] = ResourceID(fmt.Sprintf("authz_resource_%d", i))
	}
	b.Run("CheckMany-16", func(b *testing.B) {
		c, s, _ := benchClient(b, latency, WithConcurrency(16))
		for b.Loop() {
			if _, err := c.CheckMany(b.Context(), noToken, "project:edit", rs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(s.calls.Load())/float64(b.N), "calls/op")
	})
	b.Run("sequential-loop", func(b *testing.B) {
		c, _, _ := benchClient(b, latency)
		for b.Loop() {
			for _, r := range rs {
				if _, err := c.Check(b.Context(), noToken, "project:edit", r); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("unbounded-goroutines", func(b *testing.B) {
		c, _, _ := benchClient(b, latency)
		for b.Loop() {
			var wg sync.WaitGroup
			for _, r := range rs {
				wg.Go(func() {
					if _, err := c.Check(b.Context(), noToken, "project:edit", r); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
		}
	})
}

func BenchmarkCacheHit(b *testing.B) {
	lru, err := cache.New(cache.DefaultSize, cache.DefaultTTL)
	if err != nil {
		b.Fatal(err)
	}
	c, s, _ := benchClient(b, 0, WithCache(lru))
	ctx := b.Context()
	r := ResourceID("authz_resource_1")
	if _, err := c.Check(ctx, noToken, "project:edit", r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d, err := c.Check(ctx, noToken, "project:edit", r); err != nil || d.Source != SourceCache {
			b.Fatal(d, err)
		}
	}
	if s.calls.Load() != 1 {
		b.Fatalf("%d calls", s.calls.Load())
	}
}

// BenchmarkMemoHit is a repeated check within one request, answered by the
// request memo (the Middleware puts one in every request).
func BenchmarkMemoHit(b *testing.B) {
	c, s, _ := benchClient(b, 0)
	ctx := cache.WithMemo(b.Context())
	r := ResourceID("authz_resource_1")
	if _, err := c.Check(ctx, noToken, "project:edit", r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d, err := c.Check(ctx, noToken, "project:edit", r); err != nil || d.Source != SourceMemo {
			b.Fatal(d, err)
		}
	}
	if s.calls.Load() != 1 {
		b.Fatalf("%d calls", s.calls.Load())
	}
}
