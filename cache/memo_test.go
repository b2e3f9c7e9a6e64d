package cache

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type otherKey struct{}

func TestMemoFromContext(t *testing.T) {
	t.Parallel()
	k := key("om_1", "res_1")
	tests := []struct {
		name string
		// setup returns the context the writer adds to and the one the
		// reader reads from.
		setup func(ctx context.Context) (writer, reader context.Context)
		want  result
	}{
		{
			name: "no memo without WithMemo",
			setup: func(ctx context.Context) (context.Context, context.Context) {
				return ctx, ctx
			},
			want: result{false, false},
		},
		{
			name: "same context",
			setup: func(ctx context.Context) (context.Context, context.Context) {
				ctx = WithMemo(ctx)
				return ctx, ctx
			},
			want: result{true, true},
		},
		{
			name: "shared with a derived context",
			setup: func(ctx context.Context) (context.Context, context.Context) {
				ctx = WithMemo(ctx)
				child, cancel := context.WithCancel(ctx)
				t.Cleanup(cancel)
				return ctx, context.WithValue(child, otherKey{}, "other")
			},
			want: result{true, true},
		},
		{
			name: "WithMemo on a context with a memo keeps it",
			setup: func(ctx context.Context) (context.Context, context.Context) {
				ctx = WithMemo(ctx)
				return ctx, WithMemo(ctx)
			},
			want: result{true, true},
		},
		{
			name: "two requests are independent",
			setup: func(ctx context.Context) (context.Context, context.Context) {
				return WithMemo(ctx), WithMemo(ctx)
			},
			want: result{false, false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			writer, reader := tt.setup(t.Context())
			MemoFrom(writer).Add(k, true)
			if diff := cmp.Diff(tt.want, get(MemoFrom(reader), k)); diff != "" {
				t.Errorf("Get (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMemoNilIsSafe(t *testing.T) {
	t.Parallel()
	m := MemoFrom(t.Context())
	if m != nil {
		t.Fatalf("MemoFrom(a context without memo) = %p, want nil", m)
	}
	k := key("om_1", "res_1")
	m.Add(k, true)
	m.ForgetMembership("om_1")
	m.Purge()
	if diff := cmp.Diff(result{false, false}, get(m, k)); diff != "" {
		t.Errorf("Get on nil memo (-want +got):\n%s", diff)
	}
	if n := m.Len(); n != 0 {
		t.Errorf("Len on nil memo = %d, want 0", n)
	}
}

func TestMemoForget(t *testing.T) {
	t.Parallel()
	keys := []Key{key("om_1", "a"), key("om_1", "b"), key("om_2", "a")}
	tests := []struct {
		name   string
		forget func(*Memo)
		want   []result
	}{
		{name: "nothing", forget: func(*Memo) {}, want: []result{{true, true}, {false, true}, {true, true}}},
		{name: "one membership", forget: func(m *Memo) { m.ForgetMembership("om_1") }, want: []result{{false, false}, {false, false}, {true, true}}},
		{name: "purge", forget: func(m *Memo) { m.Purge() }, want: []result{{false, false}, {false, false}, {false, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := MemoFrom(WithMemo(t.Context()))
			for i, k := range keys {
				m.Add(k, i != 1)
			}
			tt.forget(m)
			var got []result
			for _, k := range keys {
				got = append(got, get(m, k))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMemoConcurrentUse(t *testing.T) {
	t.Parallel()
	ctx := WithMemo(t.Context())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			m := MemoFrom(ctx)
			for i := range 200 {
				k := key(fmt.Sprintf("om_%d", i%3), fmt.Sprintf("r%d", (g+i)%50))
				want := len(k.ResourceID)%2 == 0
				if i%17 == 0 {
					m.ForgetMembership(k.MembershipID)
				}
				m.Add(k, want)
				if allowed, ok := m.Get(k); ok && allowed != want {
					t.Errorf("Get(%+v) = %v, want %v", k, allowed, want)
				}
				m.Len()
			}
		})
	}
	wg.Wait()
}
