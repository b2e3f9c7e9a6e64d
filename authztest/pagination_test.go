package authztest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
)

type page struct {
	Object string `json:"object"`
	Data   []struct {
		ID string `json:"id"`
	} `json:"data"`
	ListMetadata *struct {
		Before *string `json:"before"`
		After  *string `json:"after"`
	} `json:"list_metadata"`
}

func getPage(t *testing.T, f *Fake, path string, q url.Values) page {
	t.Helper()
	status, body, _ := call(t, f, "GET", path+"?"+q.Encode(), "")
	if status != 200 {
		t.Fatalf("GET %s?%s: %d %s", path, q.Encode(), status, body)
	}
	var p page
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Object != "list" || p.ListMetadata == nil {
		t.Fatalf("bad list %s: %v", body, err)
	}
	return p
}

func TestPaginationOver1050Resources(t *testing.T) {
	t.Parallel()
	f := New(t, WithClock(epoch))
	f.AddResourceType("workspace")
	f.AddOrganization("org_big", "Big")
	var ids []string // creation order
	for i := range 1050 {
		ids = append(ids, f.AddResource(Resource{ExternalID: fmt.Sprintf("ws-%04d", i), ResourceTypeSlug: "workspace", OrganizationID: "org_big"}))
	}
	for _, order := range []string{"asc", "desc"} {
		t.Run(order, func(t *testing.T) {
			f.ResetCalls() // subtests run one after the other
			want := append([]string{}, ids...)
			if order == "desc" {
				for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
					want[i], want[j] = want[j], want[i]
				}
			}
			var got []string
			q := url.Values{"resource_type_slug": {"workspace"}, "limit": {"100"}, "order": {order}}
			for {
				p := getPage(t, f, "/authorization/resources", q)
				for _, d := range p.Data {
					got = append(got, d.ID)
				}
				if p.ListMetadata.After == nil {
					break
				}
				q.Set("after", *p.ListMetadata.After)
			}
			if n := len(f.Calls()); n != 11 {
				t.Errorf("%d requests, want 11", n)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got %d items, not each once in %s order", len(got), order)
			}
		})
	}
	t.Run("normal pages to older records with before", func(t *testing.T) {
		f.ResetCalls()
		var got []string
		q := url.Values{"resource_type_slug": {"workspace"}, "limit": {"100"}, "order": {"normal"}}
		for {
			p := getPage(t, f, "/authorization/resources", q)
			if len(got) == 0 && p.ListMetadata.After != nil {
				t.Errorf("first page: after = %q, want null (nothing is newer)", *p.ListMetadata.After)
			}
			for _, d := range p.Data {
				got = append(got, d.ID)
			}
			if p.ListMetadata.Before == nil {
				break
			}
			q.Set("before", *p.ListMetadata.Before)
		}
		want := make([]string, 0, len(ids))
		for i := len(ids) - 1; i >= 0; i-- {
			want = append(want, ids[i])
		}
		if n := len(f.Calls()); n != 11 {
			t.Errorf("%d requests, want 11", n)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %d items, not each once newest first", len(got))
		}
	})
	t.Run("normal after fetches newer records", func(t *testing.T) {
		q := url.Values{"resource_type_slug": {"workspace"}, "limit": {"100"}, "order": {"normal"}, "after": {ids[500]}}
		p := getPage(t, f, "/authorization/resources", q)
		if len(p.Data) != 100 || p.Data[0].ID != ids[600] || p.Data[99].ID != ids[501] {
			t.Fatalf("after page = %d items from %s to %s, want %s to %s", len(p.Data), p.Data[0].ID, p.Data[len(p.Data)-1].ID, ids[600], ids[501])
		}
		if *p.ListMetadata.Before != ids[501] || *p.ListMetadata.After != ids[600] {
			t.Errorf("metadata before %v after %v, want before %s (older follow) after %s (newer precede)",
				*p.ListMetadata.Before, *p.ListMetadata.After, ids[501], ids[600])
		}
		// The newest page has nothing newer: after is null.
		q.Set("after", ids[1040])
		p = getPage(t, f, "/authorization/resources", q)
		if len(p.Data) != 9 || p.Data[0].ID != ids[1049] || p.ListMetadata.After != nil {
			t.Errorf("newest page: %d items from %s, after %v", len(p.Data), p.Data[0].ID, p.ListMetadata.After)
		}
	})
	t.Run("before walks back", func(t *testing.T) {
		// The page before the 3rd page (asc) is the 2nd page.
		q := url.Values{"resource_type_slug": {"workspace"}, "limit": {"100"}, "order": {"asc"}, "before": {ids[200]}}
		p := getPage(t, f, "/authorization/resources", q)
		if len(p.Data) != 100 || p.Data[0].ID != ids[100] || p.Data[99].ID != ids[199] {
			t.Fatalf("before page = %d items from %s", len(p.Data), p.Data[0].ID)
		}
		if *p.ListMetadata.Before != ids[100] || *p.ListMetadata.After != ids[199] {
			t.Errorf("metadata = %v %v", *p.ListMetadata.Before, *p.ListMetadata.After)
		}
	})
	t.Run("default limit", func(t *testing.T) {
		p := getPage(t, f, "/authorization/resources", url.Values{"resource_type_slug": {"workspace"}})
		if len(p.Data) != 10 || p.Data[0].ID != ids[1049] || p.ListMetadata.Before != nil || *p.ListMetadata.After != ids[1040] {
			t.Errorf("first default page: %d items, first %s", len(p.Data), p.Data[0].ID)
		}
	})
}

func TestPaginationErrors(t *testing.T) {
	t.Parallel()
	const list = "/authorization/resources?organization_id=org_acme"
	runWire(t, []wireCase{
		{"limit 0", "GET", list + "&limit=0", "", 422, `{"message":"limit must be an integer between 1 and 100"}`},
		{"limit 101", "GET", list + "&limit=101", "", 422, `{"message":"limit must be an integer between 1 and 100"}`},
		{"limit not a number", "GET", list + "&limit=ten", "", 422, `{"message":"limit must be an integer between 1 and 100"}`},
		{"bad order", "GET", list + "&order=up", "", 422, `{"message":"order must be asc, desc or normal"}`},
		// An empty value is a value: the spec's integer and enum refuse "".
		{"empty limit", "GET", list + "&limit=", "", 422, `{"message":"limit must be an integer between 1 and 100"}`},
		{"empty order", "GET", list + "&order=", "", 422, `{"message":"order must be asc, desc or normal"}`},
		{"both cursors", "GET", list + "&before=authz_resource_eng&after=authz_resource_web", "", 422, `{"message":"give before or after, not both"}`},
		{"unknown cursor", "GET", list + "&after=authz_resource_never", "", 422, `{"message":"after cursor \"authz_resource_never\" does not name an object"}`},
		{"unknown cursor, order normal", "GET", list + "&order=normal&before=authz_resource_never", "", 422, `{"message":"before cursor \"authz_resource_never\" does not name an object"}`},
		{"cursor of a deleted object", "GET", list + "&resource_type_slug=workspace&limit=1&after=authz_resource_deleted", "", 200,
			`{"object":"list","data":[` + salesJSON + `],"list_metadata":{"before":null,"after":"authz_resource_sales"}}`},
	}, func(f *Fake) {
		id := f.AddResource(Resource{ID: "authz_resource_deleted", ExternalID: "tmp", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
		if status, body, err := callNoT(f, "DELETE", "/authorization/resources/"+id); status != 204 {
			panic(fmt.Sprintf("DELETE %s: status %d, body %q, error %v", id, status, body, err))
		}
	})
}
