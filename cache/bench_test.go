package cache

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// benchKey returns a key shaped like a real one: WorkOS-style IDs of about
// 30 bytes, 100 memberships, one permission.
func benchKey(i int) Key {
	return Key{
		Client:       "3f2a9c1e",
		MembershipID: fmt.Sprintf("om_01HXYZABCDEFGHJKMNPQR%05d", i%100),
		Permission:   "documents:read",
		ResourceID:   fmt.Sprintf("res_01HXYZABCDEFGHJKMNPQR%05d", i),
	}
}

func BenchmarkGetHit(b *testing.B) {
	c, err := New(DefaultSize, MaxTTL)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	k := benchKey(1)
	c.Add(k, true)
	for b.Loop() {
		if _, ok := c.Get(k); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkGetHitParallel(b *testing.B) {
	c, err := New(DefaultSize, MaxTTL)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	keys := make([]Key, 64)
	for i := range keys {
		keys[i] = benchKey(i)
		c.Add(keys[i], true)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok := c.Get(keys[i%len(keys)]); !ok {
				b.Error("miss")
				return
			}
			i++
		}
	})
}

// BenchmarkAdd adds distinct keys to a full cache, so every Add also evicts
// the least recently used entry (and unindexes it).
func BenchmarkAdd(b *testing.B) {
	const size = 1000
	c, err := New(size, MaxTTL)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	keys := make([]Key, 4*size)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	i := 0
	for b.Loop() {
		c.Add(keys[i%len(keys)], true)
		i++
	}
}

func BenchmarkMemoGetHit(b *testing.B) {
	ctx := WithMemo(context.Background())
	k := benchKey(1)
	MemoFrom(ctx).Add(k, true)
	for b.Loop() {
		if _, ok := MemoFrom(ctx).Get(k); !ok {
			b.Fatal("miss")
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMemoryPerEntry fills a cache of 100,000 entries and reports the
// heap it holds per entry: B/entry for the cache's own structures (entry,
// LRU list, hash map, membership index), key-B/entry for the bytes of the
// key strings each entry keeps alive once the request that built them is
// gone (here a membership ID and a resource ID of about 30 bytes each; the
// client identity and permission are shared constants).
func BenchmarkMemoryPerEntry(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		keys := make([]Key, n)
		base := heapInUse()
		for i := range keys {
			keys[i] = benchKey(i)
		}
		withKeys := heapInUse()
		c, err := New(n, MaxTTL)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range keys {
			c.Add(k, true)
		}
		full := heapInUse()
		if c.Len() != n {
			b.Fatalf("Len = %d, want %d", c.Len(), n)
		}
		b.ReportMetric(float64(full-withKeys)/n, "B/entry")
		b.ReportMetric(float64(withKeys-base)/n, "key-B/entry")
		runtime.KeepAlive(keys)
		runtime.KeepAlive(c)
	}
}
