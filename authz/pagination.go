package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// This file holds what every management call shares: one page of a list and
// the iterator over all pages, list options, path segments and input errors.

// MaxPageSize is the largest page the API serves (limit=100). Iterators ask
// for pages of this size unless [ListOptions.Limit] says otherwise.
const MaxPageSize = 100

// Order values for [ListOptions.Order]. The API sorts by creation time; its
// default is [OrderDesc].
const (
	OrderAsc  = "asc"
	OrderDesc = "desc"
	// OrderNormal is descending order (newest first) with reversed cursor
	// semantics: before fetches older records and after newer ones, so a
	// [Page]'s Before cursor leads to the next, older page. Iterators
	// follow it.
	OrderNormal = "normal"
)

// ListOptions are the pagination parameters every paginated list accepts.
// The zero value asks for the API's defaults (10 items per page for a single
// page, [MaxPageSize] for an iterator; newest first).
type ListOptions struct {
	// Limit is the page size, 1–100. Zero means the default.
	Limit int
	// Before and After are object IDs (cursors) taken from a previous
	// [Page]. Iterators page forward and accept only the forward cursor
	// (where to start): After, or Before with [OrderNormal]; they follow
	// the API's cursors themselves.
	Before, After string
	// Order is "", [OrderAsc], [OrderDesc] or [OrderNormal].
	Order string
}

// Page is one page of a paginated list, with the cursors to fetch its
// neighbours. An empty cursor means there is no page in that direction.
type Page[T any] struct {
	// Data holds the page's items, in the API's order (never nil).
	Data []T
	// Before is the cursor to pass as [ListOptions.Before]: the previous
	// page, or with [OrderNormal] the next (older) one.
	Before string
	// After is the cursor to pass as [ListOptions.After]: the next page, or
	// with [OrderNormal] the previous (newer) one.
	After string
}

// values validates o and returns it as query parameters, added to a copy of
// q (which may be nil). iterating substitutes [MaxPageSize] for a zero Limit
// and rejects Before.
func (o ListOptions) values(q url.Values, iterating bool) (url.Values, error) {
	q = cloneValues(q) // an iterator may run more than once, even concurrently
	limit := o.Limit
	if limit < 0 || limit > MaxPageSize {
		return nil, badArg("ListOptions.Limit", fmt.Sprintf("must be between 1 and %d, got %d", MaxPageSize, limit))
	}
	if limit == 0 && iterating {
		limit = MaxPageSize
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	switch o.Order {
	case "", OrderAsc, OrderDesc, OrderNormal:
	default:
		return nil, badArg("ListOptions.Order", fmt.Sprintf("must be asc, desc or normal, got %q", o.Order))
	}
	if o.Order != "" {
		q.Set("order", o.Order)
	}
	if o.Before != "" {
		if iterating && o.Order != OrderNormal {
			return nil, badArg("ListOptions.Before", "iterators page forward; use the Page method to page backward")
		}
		q.Set("before", o.Before)
	}
	if o.After != "" {
		if iterating && o.Order == OrderNormal {
			return nil, badArg("ListOptions.After", "with OrderNormal after fetches newer records, and iterators page forward to older ones; start with Before, or use the Page method")
		}
		q.Set("after", o.After)
	}
	return q, nil
}

// forward is the query parameter that pages forward in o's order: before
// for [OrderNormal], after otherwise.
func (o ListOptions) forward() string {
	if o.Order == OrderNormal {
		return "before"
	}
	return "after"
}

// listEnvelope is the wire shape of a paginated list.
type listEnvelope[T any] struct {
	Object       string          `json:"object"`
	Data         []T             `json:"data"`
	ListMetadata json.RawMessage `json:"list_metadata"`
}

// listCursors is the decoded list_metadata. Both keys must be present, each a
// string or null.
type listCursors struct {
	Before *string `json:"before"`
	After  *string `json:"after"`
}

// decodeCursors checks that raw is {"before": string|null, "after": string|null}.
func decodeCursors(raw json.RawMessage) (before, after string, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", "", fmt.Errorf("%w: list without list_metadata", ErrMalformedResponse)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return "", "", fmt.Errorf("%w: list_metadata is not an object", ErrMalformedResponse)
	}
	for _, k := range []string{"before", "after"} {
		if _, ok := keys[k]; !ok {
			return "", "", fmt.Errorf("%w: list_metadata without %q", ErrMalformedResponse, k)
		}
	}
	var c listCursors
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", "", fmt.Errorf("%w: list_metadata cursors are not strings", ErrMalformedResponse)
	}
	if c.Before != nil {
		before = *c.Before
	}
	if c.After != nil {
		after = *c.After
	}
	return before, after, nil
}

// getPage fetches one page of the list at path with the query q (filters and
// pagination already set).
func getPage[T any](ctx context.Context, c *Client, path string, q url.Values) (*Page[T], error) {
	var env listEnvelope[T]
	if err := c.do(ctx, request{method: "GET", path: path, query: q}, &env); err != nil {
		return nil, err
	}
	if env.Data == nil {
		return nil, fmt.Errorf("%w: list without data", ErrMalformedResponse)
	}
	before, after, err := decodeCursors(env.ListMetadata)
	if err != nil {
		return nil, err
	}
	return &Page[T]{Data: env.Data, Before: before, After: after}, nil
}

// listPage validates opts and fetches one page of the list at path, with the
// filters in q. inputErr, when not nil, is an invalid argument the caller
// found while building path or q: it is returned before any call.
func listPage[T any](ctx context.Context, c *Client, path string, inputErr error, q url.Values, opts ListOptions) (*Page[T], error) {
	if inputErr != nil {
		return nil, inputErr
	}
	q, err := opts.values(q, false)
	if err != nil {
		return nil, err
	}
	return getPage[T](ctx, c, path, q)
}

// listAll returns an iterator over every item of the list at path, starting
// at opts.After and following the API's after cursor until it is empty
// (with [OrderNormal]: opts.Before and the before cursor). An
// error (invalid input, a failed call, a malformed page) is yielded once,
// with the zero T, and ends the iteration. Breaking out of the loop stops it
// without another request. inputErr is as for listPage.
//
// A list whose forward cursors go round in a cycle (c_A, c_B, c_A, …) would
// page for ever: the iterator remembers every cursor it requested and ends
// with [ErrMalformedResponse] instead of requesting one again. The memory
// is one cursor per page fetched, so it grows only as the caller consumes
// pages (each of up to [MaxPageSize] items the caller already holds).
func listAll[T any](ctx context.Context, c *Client, path string, inputErr error, q url.Values, opts ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if inputErr != nil {
			yield(zero, inputErr)
			return
		}
		q, err := opts.values(q, true)
		if err != nil {
			yield(zero, err)
			return
		}
		param := opts.forward()
		requested := map[string]struct{}{q.Get(param): {}}
		for {
			page, err := getPage[T](ctx, c, path, q)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range page.Data {
				if !yield(item, nil) {
					return
				}
			}
			next := page.After
			if param == "before" {
				next = page.Before
			}
			if next == "" {
				return
			}
			if next == q.Get(param) {
				// The cursor is the server's text: never quoted (it may echo the key).
				yield(zero, fmt.Errorf("%w: the list's %s cursor did not advance", ErrMalformedResponse, param))
				return
			}
			if _, again := requested[next]; again {
				yield(zero, fmt.Errorf("%w: the list's %s cursor names a page already requested (its cursors go round in a cycle)", ErrMalformedResponse, param))
				return
			}
			requested[next] = struct{}{}
			q = cloneValues(q)
			q.Set(param, next)
		}
	}
}

// cloneValues copies q so that a request already handed to the transport is
// never modified.
func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// badArg returns an error matching [ErrInvalidInput] that names the offending
// argument. It is returned before any request is made.
func badArg(arg, problem string) error {
	return fmt.Errorf("%w: %s %s", ErrInvalidInput, arg, problem)
}

// buildPath joins escaped segments into a path. Literal segments start with
// "/" and are kept as they are; every other segment is a caller's value,
// named by the preceding name argument, escaped with [url.PathEscape] (which
// keeps ':' literal, as in "users:read"). Empty, "." and ".." values are
// rejected.
//
//	buildPath("/authorization/resources/", "resource ID", id)
func buildPath(parts ...string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		if strings.HasPrefix(p, "/") {
			b.WriteString(p)
			continue
		}
		// p names the value that follows.
		if i+1 >= len(parts) {
			panic("authz: buildPath: name without value")
		}
		v := parts[i+1]
		i++
		switch v {
		case "":
			return "", badArg(p, "is empty")
		case ".", "..":
			return "", badArg(p, fmt.Sprintf("%q is not a valid path segment", v))
		}
		b.WriteString(url.PathEscape(v))
	}
	return b.String(), nil
}

// checkRef reports whether r names exactly one resource: by ID, or by type
// slug and external ID.
func checkRef(arg string, r ResourceRef) error {
	switch {
	case r.ID == "" && r.ResourceTypeSlug == "" && r.ExternalID == "":
		return badArg(arg, "names no resource (set ID, or ResourceTypeSlug and ExternalID)")
	case r.ID != "" && (r.ResourceTypeSlug != "" || r.ExternalID != ""):
		return badArg(arg, "sets both ID and ResourceTypeSlug/ExternalID")
	case r.ID == "" && r.ResourceTypeSlug == "":
		return badArg(arg, "has ExternalID but no ResourceTypeSlug")
	case r.ID == "" && r.ExternalID == "":
		return badArg(arg, "has ResourceTypeSlug but no ExternalID")
	}
	return nil
}

// resourceTarget is the resource target of a request body: resource_id, or
// resource_external_id with resource_type_slug. All empty means "the
// organization itself" where the API allows that.
type resourceTarget struct {
	ResourceID         string `json:"resource_id,omitempty"`
	ResourceExternalID string `json:"resource_external_id,omitempty"`
	ResourceTypeSlug   string `json:"resource_type_slug,omitempty"`
}

// targetOf validates r and returns it as a body target. With orgIfZero, the
// zero ResourceRef is allowed and yields the empty target.
func targetOf(arg string, r ResourceRef, orgIfZero bool) (resourceTarget, error) {
	if orgIfZero && r == (ResourceRef{}) {
		return resourceTarget{}, nil
	}
	if err := checkRef(arg, r); err != nil {
		return resourceTarget{}, err
	}
	if r.ID != "" {
		return resourceTarget{ResourceID: r.ID}, nil
	}
	return resourceTarget{ResourceExternalID: r.ExternalID, ResourceTypeSlug: r.ResourceTypeSlug}, nil
}

// badResponse returns an error matching [ErrMalformedResponse].
func badResponse(problem string) error {
	return fmt.Errorf("%w: %s", ErrMalformedResponse, problem)
}

// mutate sends a request that changes who may do what, then runs
// invalidate (one of the Client's invalidation hooks, given ctx so that it
// also clears the request memo) whatever the outcome: a call that failed or
// timed out may still have been applied.
func (c *Client) mutate(ctx context.Context, req request, out any, invalidate func(context.Context)) error {
	err := c.do(ctx, req, out)
	invalidate(ctx)
	return err
}

// call sends req and returns its JSON answer as a *T: a read when
// invalidate is nil, else a change (see [Client.mutate]).
func call[T any](ctx context.Context, c *Client, req request, invalidate func(context.Context)) (*T, error) {
	var out T
	var err error
	if invalidate != nil {
		err = c.mutate(ctx, req, &out, invalidate)
	} else {
		err = c.do(ctx, req, &out)
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}
