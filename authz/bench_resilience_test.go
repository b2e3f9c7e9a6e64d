package authz

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkCheckClosingServer measures sequential checks against a server
// that closes each keep-alive connection on its 50th request (2 % of checks
// land on a dead pooled connection), with the production RetryPolicy, and
// reports the p50 and p99 latency of one check. resend=off is the
// behaviour before dead connections were resent at once: such a check
// waits a full backoff. Run with a fixed count, e.g.
//
//	go test -run '^$' -bench CheckClosingServer -benchtime 1000x -count 5 ./authz/
func BenchmarkCheckClosingServer(b *testing.B) {
	for _, resend := range []bool{false, true} {
		b.Run(fmt.Sprintf("resend=%s", onOff(resend)), func(b *testing.B) {
			srv := newClosingServer(b, 50)
			c, err := New(testKey, WithBaseURL(srv.URL()))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			c.cfg.noStaleResend = !resend
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if _, err := c.API().Check(b.Context(), "om_1", "p", ResourceID("r"), Fresh()); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(srv.dropped.Load())/float64(b.N), "dead-conns/op")
		})
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
