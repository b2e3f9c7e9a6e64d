package fleet

import (
	"context"
	"testing"
	"time"

	"github.com/fgakit/fgakit/cache"
)

// BenchmarkCacheGet compares a hit of the local LRU alone (the baseline: no
// fleet), of the shared cache in Redis, and of the shared cache with the
// local LRU in front, on one machine with Redis on loopback.
func BenchmarkCacheGet(b *testing.B) {
	k := key("om_1", "read")
	b.Run("local LRU alone", func(b *testing.B) {
		lru, _ := cache.New(1000, 5*time.Second)
		lru.Add(k, true)
		for b.Loop() {
			if _, ok := lru.Get(k); !ok {
				b.Fatal("miss")
			}
		}
	})
	for _, local := range []int{0, 1000} {
		name := map[int]string{0: "redis only", 1000: "redis, local LRU in front"}[local]
		b.Run(name, func(b *testing.B) {
			f := newFleet(b, WithTimeout(time.Second)) // a busy shared machine: no fallback mid-benchmark
			c, err := f.NewCache(CacheConfig{TTL: 30 * time.Second, LocalSize: local, LocalTTL: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			c.Get(k)
			c.Add(k, true)
			for b.Loop() {
				if _, ok := c.Get(k); !ok {
					b.Fatal("miss")
				}
			}
		})
	}
}

// BenchmarkLimiterWait is the cost of one slot with a budget that never
// binds: the local token bucket (the baseline) against one round trip to
// the fleet's GCRA script.
func BenchmarkLimiterWait(b *testing.B) {
	ctx := context.Background()
	f := newFleet(b, WithTimeout(time.Second))
	l, err := f.NewLimiter(LimitConfig{PerMinute: 1 << 30, Burst: 1 << 20, LocalPerMinute: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("local bucket", func(b *testing.B) {
		for b.Loop() {
			if err := l.local.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fleet GCRA in Redis", func(b *testing.B) {
		for b.Loop() {
			if err := l.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
