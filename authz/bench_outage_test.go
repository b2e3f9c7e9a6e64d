package authz

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkOutageRequestsPerQuestion measures what a permanent 503 costs:
// API requests per question, for a single check and for a Filter of 100
// children with ChildrenOf, with the Client-wide retry budget off and on
// (the default). 20 questions are asked before the timer starts, which
// spends the budget's allowance (about 50 retries): the metric is the
// steady state of a long outage. Backoffs are a millisecond; the count of
// requests does not depend on them.
//
//	go test -run '^$' -bench OutageRequestsPerQuestion -benchtime 200x ./authz/
func BenchmarkOutageRequestsPerQuestion(b *testing.B) {
	items := make([]string, 100)
	for i := range items {
		items[i] = fmt.Sprintf("r%d", i)
	}
	questions := map[string]func(*testing.B, *Client) error{
		"check": func(b *testing.B, c *Client) error {
			_, err := c.API().Check(b.Context(), "om_1", "p", ResourceID("r"), Fresh())
			return err
		},
		"filter100": func(b *testing.B, c *Client) error {
			_, err := Filter(b.Context(), c, noToken, "p", items, func(s string) ResourceRef { return ResourceID(s) }, ChildrenOf(ResourceID("parent")), Fresh())
			return err
		},
	}
	for _, q := range []string{"check", "filter100"} {
		for _, budget := range []string{"off", "on"} {
			b.Run(fmt.Sprintf("question=%s/budget=%s", q, budget), func(b *testing.B) {
				var requests atomic.Int64
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					io.Copy(io.Discard, r.Body)
					w.WriteHeader(http.StatusServiceUnavailable)
				}))
				defer srv.Close()
				opts := []Option{WithBaseURL(srv.URL), WithRetry(RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Minute})}
				if budget == "off" {
					opts = append(opts, WithRetryBudget(RetryBudget{})) // outage-bench-budget
				}
				c, err := New(testKey, opts...)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				ask := questions[q]
				for range 20 {
					if ask(b, c) == nil {
						b.Fatal("no error during an outage")
					}
				}
				requests.Store(0)
				for b.Loop() {
					if ask(b, c) == nil {
						b.Fatal("no error during an outage")
					}
				}
				b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/question")
			})
		}
	}
}
