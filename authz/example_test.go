package authz_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/cache"
)

// A request memo answers a repeated check within one request, and a change
// made through the Client with the request's ctx clears it: a handler that
// revokes access and checks again is denied at once. (The Middleware puts
// a memo in every request's context; cache.WithMemo does it by hand.)
func ExampleFresh_requestMemo() {
	f, _ := exampleFake()
	defer f.Close()
	client, err := authz.New(f.APIKey(), authz.WithBaseURL(f.URL()))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx := cache.WithMemo(context.Background()) // one request
	p1 := authz.ExternalResource("project", "p1")
	check := func(opts ...authz.CallOption) {
		d, err := client.Check(ctx, aliceClaims, "project:view", p1, opts...)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("allowed=%v (answered by %s)\n", d.Allowed, d.Source)
	}
	check()
	check()              // the same question again: the memo answers
	check(authz.Fresh()) // Fresh asks the API anyway

	if err := client.RemoveRole(ctx, "om_alice", "project-viewer", p1); err != nil {
		log.Fatal(err)
	}
	check() // the memo's answer predates the change: the API is asked
	// Output:
	// allowed=true (answered by api)
	// allowed=true (answered by memo)
	// allowed=true (answered by api)
	// allowed=false (answered by api)
}
