package authz_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
)

// maxCounted bounds count: the test lists are a few pages, so an iterator
// that yields more pages forever.
const maxCounted = 1000

// count ranges over seq to its end and returns how many items it yielded
// and the first error, failing the test if the iterator yields after an
// error (it must stop by itself) or does not stop within maxCounted items.
func count[T any](t *testing.T, seq iter.Seq2[T, error]) (int, error) {
	t.Helper()
	n := 0
	var first error
	for _, err := range seq {
		if n == maxCounted {
			t.Errorf("the iterator yielded %d items and goes on", n)
			break
		}
		if first != nil {
			t.Fatalf("the iterator yielded again after the error %v", first)
		}
		if err != nil {
			first = err
			continue
		}
		n++
	}
	return n, first
}

// everyIterator is every paginated iterator of the Client, each run to its
// end with the given ListOptions.
var everyIterator = []struct {
	name string
	run  func(t *testing.T, ctx context.Context, c *authz.Client, o authz.ListOptions) (int, error)
}{
	{"ListPermissions", func(t *testing.T, ctx context.Context, c *authz.Client, o authz.ListOptions) (int, error) {
		return count(t, c.ListPermissions(ctx, o))
	}},
	{"ListResources", func(t *testing.T, ctx context.Context, c *authz.Client, o authz.ListOptions) (int, error) {
		return count(t, c.ListResources(ctx, authz.ListResourcesOptions{OrganizationID: "org_1", ListOptions: o}))
	}},
	{"ListRoleAssignments", func(t *testing.T, ctx context.Context, c *authz.Client, o authz.ListOptions) (int, error) {
		return count(t, c.ListRoleAssignments(ctx, "om_1", authz.ListRoleAssignmentsOptions{ListOptions: o}))
	}},
	{"ListResourceRoleAssignments", func(t *testing.T, ctx context.Context, c *authz.Client, o authz.ListOptions) (int, error) {
		return count(t, c.ListResourceRoleAssignments(ctx, authz.ResourceID("authz_resource_1"), authz.ListResourceRoleAssignmentsOptions{ListOptions: o}))
	}},
	{"ListResourcesForMembership", func(t *testing.T, ctx context.Context, c *authz.Client, o authz.ListOptions) (int, error) {
		return count(t, c.ListResourcesForMembership(ctx, "om_1", "project:view", authz.ResourceID("authz_resource_1"), o))
	}},
	{"ListMembershipsForResource", func(t *testing.T, ctx context.Context, c *authz.Client, o authz.ListOptions) (int, error) {
		return count(t, c.ListMembershipsForResource(ctx, authz.ResourceID("authz_resource_1"), "project:view", authz.AssignmentDirect, o))
	}},
	{"EffectivePermissions", func(t *testing.T, ctx context.Context, c *authz.Client, o authz.ListOptions) (int, error) {
		return count(t, c.EffectivePermissions(ctx, "om_1", authz.ResourceID("authz_resource_1"), o))
	}},
	{"ListGroupRoleAssignments", func(t *testing.T, ctx context.Context, c *authz.Client, o authz.ListOptions) (int, error) {
		return count(t, c.ListGroupRoleAssignments(ctx, "group_1", o))
	}},
}

// TestIteratorsStopAtACursorCycle: a list whose cursors go round in a cycle
// ends every iterator with ErrMalformedResponse once it would request a page
// it already requested — cycles of any length, back to the caller's own
// start cursor, in every order — while cursors that merely repeat in the
// direction the iterator does not follow (before) change nothing.
func TestIteratorsStopAtACursorCycle(t *testing.T) {
	t.Parallel()
	cycles := []struct {
		name  string
		start string // ListOptions.After (Before in order normal)
		order string
		// after maps the forward cursor a request carries ("" for none) to
		// the one its page answers ("" for null): after, or before in
		// order normal, where the iterator pages forward with before.
		after map[string]string
		// before is the backward cursor of every page ("" for null).
		before string
		// wantRequests are the forward cursors requested, in order.
		wantRequests []string
		wantCycle    bool
	}{
		{name: "length 1", after: map[string]string{"": "c_A", "c_A": "c_A"},
			wantRequests: []string{"", "c_A"}, wantCycle: true},
		{name: "length 1 on the first page's own cursor", start: "c_A", after: map[string]string{"c_A": "c_A"},
			wantRequests: []string{"c_A"}, wantCycle: true},
		{name: "length 2", after: map[string]string{"": "c_A", "c_A": "c_B", "c_B": "c_A"},
			wantRequests: []string{"", "c_A", "c_B"}, wantCycle: true},
		{name: "length 3", after: map[string]string{"": "c_A", "c_A": "c_B", "c_B": "c_C", "c_C": "c_A"},
			wantRequests: []string{"", "c_A", "c_B", "c_C"}, wantCycle: true},
		{name: "length 3 after a tail", after: map[string]string{"": "c_T", "c_T": "c_A", "c_A": "c_B", "c_B": "c_C", "c_C": "c_A"},
			wantRequests: []string{"", "c_T", "c_A", "c_B", "c_C"}, wantCycle: true},
		{name: "back to the caller's start cursor", start: "c_S", after: map[string]string{"c_S": "c_A", "c_A": "c_B", "c_B": "c_S"},
			wantRequests: []string{"c_S", "c_A", "c_B"}, wantCycle: true},
		{name: "length 2 ascending", order: authz.OrderAsc, after: map[string]string{"": "c_A", "c_A": "c_B", "c_B": "c_A"},
			wantRequests: []string{"", "c_A", "c_B"}, wantCycle: true},
		// In order normal the iterator follows before (older records): the
		// same cycle in the before cursors.
		{name: "length 2 in order normal", order: authz.OrderNormal, after: map[string]string{"": "c_A", "c_A": "c_B", "c_B": "c_A"},
			wantRequests: []string{"", "c_A", "c_B"}, wantCycle: true},
		{name: "back to the caller's start cursor in order normal", order: authz.OrderNormal, start: "c_S",
			after:        map[string]string{"c_S": "c_A", "c_A": "c_B", "c_B": "c_S"},
			wantRequests: []string{"c_S", "c_A", "c_B"}, wantCycle: true},
		{name: "order normal with after cursors that repeat", order: authz.OrderNormal, before: "c_A",
			after:        map[string]string{"": "c_A", "c_A": "c_B", "c_B": ""},
			wantRequests: []string{"", "c_A", "c_B"}},
		{name: "length 3 descending with before cursors", order: authz.OrderDesc, before: "c_B",
			after:        map[string]string{"": "c_A", "c_A": "c_B", "c_B": "c_C", "c_C": "c_A"},
			wantRequests: []string{"", "c_A", "c_B", "c_C"}, wantCycle: true},
		// The before direction: every page answers the same before cursor
		// (one the iterator even requested as after); the iterator follows
		// only after, which ends, so this is no cycle.
		{name: "before repeats while after ends", before: "c_A", after: map[string]string{"": "c_A", "c_A": "c_B", "c_B": ""},
			wantRequests: []string{"", "c_A", "c_B"}},
		{name: "a long list without a cycle", after: map[string]string{"": "c_1", "c_1": "c_2", "c_2": "c_3", "c_3": "c_4", "c_4": "c_5", "c_5": ""},
			wantRequests: []string{"", "c_1", "c_2", "c_3", "c_4", "c_5"}},
	}
	for _, it := range everyIterator {
		for _, tc := range cycles {
			t.Run(it.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				// In order normal the iterator pages forward with before:
				// the test list's cursors trade places.
				fwd, back := "after", "before"
				if tc.order == authz.OrderNormal {
					fwd, back = back, fwd
				}
				c, s := newAPI(t, func(r recorded) (int, string) {
					next, ok := tc.after[r.Query.Get(fwd)]
					if !ok {
						return 500, fmt.Sprintf(`{"message":"the test list has no page %s %q"}`, fwd, r.Query.Get(fwd))
					}
					if r.Query.Has(back) {
						return 500, fmt.Sprintf(`{"message":"the iterator sent %s"}`, back)
					}
					md := map[string]string{fwd: jsonCursor(next), back: jsonCursor(tc.before)}
					return 200, fmt.Sprintf(`{"object":"list","data":[{"id":"item_%s"}],"list_metadata":{"before":%s,"after":%s}}`,
						r.Query.Get(fwd), md["before"], md["after"])
				})
				start := authz.ListOptions{After: tc.start, Order: tc.order}
				if tc.order == authz.OrderNormal {
					start = authz.ListOptions{Before: tc.start, Order: tc.order}
				}
				items, err := it.run(t, t.Context(), c, start)
				var requested []string
				for _, r := range s.requests() {
					requested = append(requested, r.Query.Get(fwd))
					if r.Query.Get("order") != tc.order {
						t.Errorf("request order=%q, want %q", r.Query.Get("order"), tc.order)
					}
				}
				if d := cmp.Diff(tc.wantRequests, requested); d != "" {
					t.Errorf("after cursors requested (-want +got):\n%s", d)
				}
				if items != len(tc.wantRequests) {
					t.Errorf("%d items, want one per page: %d", items, len(tc.wantRequests))
				}
				switch {
				case tc.wantCycle && !errors.Is(err, authz.ErrMalformedResponse):
					t.Errorf("error %v, want ErrMalformedResponse", err)
				case !tc.wantCycle && err != nil:
					t.Errorf("error %v, want none", err)
				}
			})
		}
	}
}

// jsonCursor is a cursor as list_metadata carries it: a JSON string, or
// null for "".
func jsonCursor(c string) string {
	if c == "" {
		return "null"
	}
	return fmt.Sprintf("%q", c)
}

// TestIteratorCursorErrorsHoldNoKey: the error that ends an iterator at a
// repeated cursor does not quote the cursor, so a server that echoes the
// API key in list_metadata.after (stalled, or in a cycle of two) never
// puts the key, or 8 bytes of it, in the error text.
func TestIteratorCursorErrorsHoldNoKey(t *testing.T) {
	t.Parallel()
	const key = "sk_test_a1b2c3d4e5f6g7h8i9j0k1l2m3n4"
	tests := []struct {
		name   string
		cursor func(after, key string) string // the next cursor, from the one requested
	}{
		{"stalled", func(string, key string) string { return key }},
		{"cycle of two", func(after, key string) string {
			if after == "A"+key {
				return "B" + key
			}
			return "A" + key
		}},
	}
	for _, tt := range tests {
		for _, it := range everyIterator {
			t.Run(tt.name+"/"+it.name, func(t *testing.T) {
				t.Parallel()
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					next := tt.cursor(r.URL.Query().Get("after"), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
					fmt.Fprintf(w, `{"object":"list","data":[],"list_metadata":{"after":%q,"before":null}}`, next)
				}))
				defer srv.Close()
				c, err := authz.New(key, authz.WithBaseURL(srv.URL))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_, err = it.run(t, t.Context(), c, authz.ListOptions{})
				if !errors.Is(err, authz.ErrMalformedResponse) {
					t.Fatalf("err = %v, want ErrMalformedResponse", err)
				}
				for i := 0; i+8 <= len(key); i++ {
					if strings.Contains(err.Error(), key[i:i+8]) {
						t.Fatalf("error text %q holds %q of the API key", err, key[i:i+8])
					}
				}
			})
		}
	}
}
