package authztest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/fgakit/fgakit/authz"
)

// BenchmarkCheckWhileMinting measures one check through the production
// client while 0 or 2 goroutines mint session tokens over HTTP
// (POST /_fake/access_tokens) as fast as they can. Signing holds no lock a
// check needs, so the minters cost checks only CPU, not waits.
func BenchmarkCheckWhileMinting(b *testing.B) {
	for _, minters := range []int{0, 2} {
		b.Run(fmt.Sprintf("minters=%d", minters), func(b *testing.B) {
			fx, err := ParseFixture(strings.NewReader(designFixture))
			if err != nil {
				b.Fatal(err)
			}
			f := New(b, WithClock(epoch), WithFixture(fx))
			c := f.Client(authz.WithRetry(authz.RetryPolicy{}))
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range minters {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						if status, body, err := postNoT(f, "/_fake/access_tokens", `{"organization_membership_id":"om_alice"}`); err != nil || status != 200 {
							b.Errorf("mint: %d %s %v", status, body, err)
							return
						}
					}
				})
			}
			ref := authz.ResourceID("authz_resource_web")
			for b.Loop() {
				if d, err := c.API().Check(b.Context(), "om_alice", "project:edit", ref); err != nil || !d.Allowed {
					b.Fatalf("check: %+v %v", d, err)
				}
			}
			close(stop)
			wg.Wait()
		})
	}
}
