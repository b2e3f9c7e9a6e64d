package check

import (
	"testing"

	"github.com/fgakit/fgakit/authz"
)

// TestSameAnswers proves the comparisons measure the same work: the
// hand-written POST, fgakit's per-item check and every CheckMany variant of
// the benchmarks give the same answers on the benchmark fixture.
func TestSameAnswers(t *testing.T) {
	w := newWorld(t)
	c := newClient(t, w.fake.URL())
	h := newHandClient(w.fake.URL(), 2)
	claims, err := w.fake.Verifier().Verify(t.Context(), w.fake.Session(om))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name, parent string
		ids          []string
	}{{"mixed", w.mixed, w.projects}, {"all", w.all, w.allProj}} {
		t.Run(p.name, func(t *testing.T) {
			want := make([]bool, len(p.ids))
			for i, id := range p.ids {
				ok, err := h.check(t.Context(), om, permission, id)
				if err != nil {
					t.Fatal(err)
				}
				want[i] = ok
				d, err := c.API().Check(t.Context(), om, permission, authz.ResourceID(id))
				if err != nil || d.Allowed != ok {
					t.Fatalf("item %d: fgakit %v, %v; net/http %v", i, d, err, ok)
				}
			}
			parent := authz.ResourceID(p.parent)
			for name, opts := range map[string][]authz.CallOption{
				"default":     nil,
				"c16":         {authz.Concurrency(16)},
				"ChildrenOf":  {authz.ChildrenOf(parent)},
				"UnderParent": {authz.UnderParent(parent)},
			} {
				ds, err := c.CheckMany(t.Context(), claims, permission, resourceIDs(p.ids), opts...)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for i, d := range ds {
					if d.Allowed != want[i] {
						t.Fatalf("%s: item %d: Allowed = %v, want %v", name, i, d.Allowed, want[i])
					}
				}
			}
		})
	}
}
