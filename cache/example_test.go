package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fgakit/fgakit/cache"
)

func ExampleNew() {
	// A fake clock, so the example can show expiry without waiting.
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c, err := cache.New(1000, 5*time.Second, cache.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	k := cache.Key{
		Client:       "3f2a9c1e", // an identity of the API key, never the key itself
		MembershipID: "om_01HXYZ",
		Permission:   "documents:read",
		ResourceID:   "res_01HABC",
	}
	c.Add(k, true) // an answer the API gave
	fmt.Println(c.Get(k))

	now = now.Add(5 * time.Second) // the TTL has passed
	fmt.Println(c.Get(k))

	c.Add(k, true)
	c.ForgetMembership("om_01HXYZ") // e.g. after changing that membership's roles
	fmt.Println(c.Get(k))

	_, err = cache.New(1000, 0)
	fmt.Println(err)
	// Output:
	// true true
	// false false
	// false false
	// cache: invalid configuration: ttl must be positive, got 0s
}

func ExampleWithMemo() {
	// A middleware attaches a memo to each request's context...
	ctx := cache.WithMemo(context.Background())

	// ...and every check made while serving that request shares it.
	k := cache.Key{Client: "3f2a9c1e", MembershipID: "om_01HXYZ", Permission: "documents:read", ResourceID: "res_01HABC"}
	if _, ok := cache.MemoFrom(ctx).Get(k); !ok {
		fmt.Println("first check: ask the API")
		cache.MemoFrom(ctx).Add(k, true)
	}
	if allowed, ok := cache.MemoFrom(ctx).Get(k); ok {
		fmt.Println("second check: remembered, allowed =", allowed)
	}

	// The next request starts with an empty memo: nothing carries over.
	next := cache.WithMemo(context.Background())
	_, ok := cache.MemoFrom(next).Get(k)
	fmt.Println("next request remembers:", ok)
	// Output:
	// first check: ask the API
	// second check: remembered, allowed = true
	// next request remembers: false
}
