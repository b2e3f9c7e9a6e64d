package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

const (
	apiKey     = "sk_test_bench"
	org        = "org_acme"
	om         = "om_alice"
	permission = "project:edit"
	children   = 1000
)

// latency is the server-side delay of the benchmarks about concurrency and
// batches, injected in the fake (authztest.Fault.Delay): it models the
// network round trip to WorkOS, so that merging and concurrency show. On
// plain loopback a check costs tens of microseconds, mostly CPU, and on the
// 2 cores of the benchmark machine concurrency could not show.
const latency = 2 * time.Millisecond

// world is the fake and its resources: two workspaces of 1,000 projects
// each. In "mixed", Alice holds project-editor on every other project (500
// allowed, 500 denied); in "all", she is workspace-admin of the workspace
// (all 1,000 allowed, the worst case for listing what she may access).
type world struct {
	fake     *authztest.Fake
	mixed    string   // workspace ID
	all      string   // workspace ID
	projects []string // IDs of the projects of "mixed", in order
	allProj  []string // IDs of the projects of "all", in order
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	f := authztest.New(tb, authztest.WithAPIKey(apiKey))
	f.AddResourceType("workspace")
	f.AddResourceType("project", "workspace")
	f.AddPermission(permission, "project")
	f.AddRole("workspace-admin", "workspace", permission)
	f.AddRole("project-editor", "project", permission)
	f.AddOrganization(org, "Acme")
	f.AddMembership(om, "user_alice", org, "")
	w := &world{fake: f}
	w.mixed = f.AddResource(authztest.Resource{ExternalID: "mixed", ResourceTypeSlug: "workspace", OrganizationID: org})
	w.all = f.AddResource(authztest.Resource{ExternalID: "all", ResourceTypeSlug: "workspace", OrganizationID: org})
	for i := range children {
		id := f.AddResource(authztest.Resource{ExternalID: fmt.Sprintf("mixed-%04d", i), ResourceTypeSlug: "project", OrganizationID: org, ParentResourceID: w.mixed})
		if i%2 == 0 {
			f.Assign(om, "project-editor", id)
		}
		w.projects = append(w.projects, id)
		w.allProj = append(w.allProj, f.AddResource(authztest.Resource{ExternalID: fmt.Sprintf("all-%04d", i), ResourceTypeSlug: "project", OrganizationID: org, ParentResourceID: w.all}))
	}
	f.Assign(om, "workspace-admin", w.all)
	return w
}

// withLatency makes every Authorization API request of the fake wait
// latency before it is answered, until the benchmark ends.
func (w *world) withLatency(tb testing.TB) {
	w.fake.InjectFault(authztest.Fault{Path: "/authorization/", Delay: latency, Times: -1})
	tb.Cleanup(w.fake.ClearFaults)
}

// callCounter counts the fake's API calls made inside one benchmark.
type callCounter struct {
	fake  *authztest.Fake
	start int
}

func countCalls(f *authztest.Fake) *callCounter {
	f.ResetCalls()
	return &callCounter{fake: f}
}

// report adds calls/op, the API calls per benchmark iteration.
func (c *callCounter) report(b *testing.B) {
	b.ReportMetric(float64(len(c.fake.Calls())-c.start)/float64(b.N), "calls/op")
}

// handClient is what a careful user writes without fgakit: one POST with
// net/http and encoding/json, reading the whole body so the connection is
// reused.
type handClient struct {
	http *http.Client
	base string
}

func newHandClient(base string, maxIdle int) *handClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxIdle
	return &handClient{http: &http.Client{Transport: t, Timeout: 10 * time.Second}, base: base}
}

func (h *handClient) check(ctx context.Context, om, permission, resourceID string) (bool, error) {
	body, err := json.Marshal(struct {
		PermissionSlug string `json:"permission_slug"`
		ResourceID     string `json:"resource_id"`
	}{permission, resourceID})
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		h.base+"/authorization/organization_memberships/"+url.PathEscape(om)+"/check", bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.http.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("check: %s: %s", resp.Status, data)
	}
	var out struct {
		Authorized bool `json:"authorized"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return false, err
	}
	return out.Authorized, nil
}

func newClient(tb testing.TB, base string, opts ...authz.Option) *authz.Client {
	tb.Helper()
	c, err := authz.New(apiKey, append([]authz.Option{authz.WithBaseURL(base)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}
