package authz_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"golang.org/x/time/rate"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

// During an outage, retries stop once the Client-wide retry budget is half
// spent: later questions cost one request each, not 1 + MaxRetries.
func ExampleWithRetryBudget() {
	f, _ := exampleFake()
	defer f.Close()
	client := f.Client(authz.WithRetryBudget(authz.RetryBudget{MaxTokens: 10, TokenRatio: 0.1}))
	defer client.Close()

	f.InjectFault(authztest.Fault{Status: 503, Times: -1}) // a permanent outage
	for range 3 {
		f.ResetCalls()
		_, err := client.Check(context.Background(), aliceClaims, "project:view", authz.ExternalResource("project", "p1"))
		fmt.Printf("ErrServer=%v after %d requests\n", errors.Is(err, authz.ErrServer), len(f.Calls()))
	}
	// Output:
	// ErrServer=true after 4 requests
	// ErrServer=true after 1 requests
	// ErrServer=true after 1 requests
}

// A Limiter paces every request of a Client; a *rate.Limiter fits as is,
// and so would a limiter shared by all processes using one API key. A call
// whose request slot would come after its deadline fails at once with
// ErrThrottled, without a request.
func ExampleWithLimiter() {
	f, _ := exampleFake()
	defer f.Close()
	share := rate.NewLimiter(rate.Every(time.Second), 1) // this process's share of the key's rate: 1/s
	client := f.Client(authz.WithLimiter(share))
	defer client.Close()

	p1 := authz.ExternalResource("project", "p1")
	if _, err := client.Check(context.Background(), aliceClaims, "project:view", p1); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond) // the next slot is about 1 s away
	defer cancel()
	_, err := client.Check(ctx, aliceClaims, "project:view", p1, authz.Fresh())
	fmt.Println(errors.Is(err, authz.ErrThrottled), errors.Is(err, context.DeadlineExceeded))
	// Output:
	// true true
}
