package authztest

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
)

// Pagination of every list marked ⓟ in WIRE.md §3:
//
//   - limit: 1 to 100, default 10; anything else is 422.
//   - order: desc (default, newest first), asc, or normal: newest first with
//     reversed cursor semantics, as the spec defines it ("before fetches
//     older records and after fetches newer records").
//   - asc and desc: after=ID gives the items after that object in this
//     order; before=ID the page just before it. normal: before=ID gives the
//     older items that follow the object, after=ID the page of newer items
//     just before it. Both at once is 422. Cursors are object IDs; the ID
//     of a deleted object still works, an ID the fake never issued is 422.
//   - list_metadata is always present, each cursor the one to pass back in
//     its own parameter: for asc and desc, before is the first item's ID
//     when items precede the page and after the last item's ID when items
//     follow it; for normal, before is the last item's ID when older items
//     follow the page and after the first item's ID when newer items
//     precede it; null otherwise.

const (
	defaultLimit = 10
	maxLimit     = 100
)

// pageParams are the pagination parameters of every list and of GET
// /events, as sent (before and after not swapped for normal).
type pageParams struct {
	limit         int
	before, after string
	asc           bool
	normal        bool // desc order, before and after swapped
}

// parsePageParams reads limit, order, before and after. A bad one is named
// by field (the parameter) with msg saying why; each list answers it in
// its own error shape.
func parsePageParams(q url.Values) (p pageParams, field, msg string) {
	p = pageParams{limit: defaultLimit, before: q.Get("before"), after: q.Get("after")}
	if q.Has("limit") { // limit= is not the default: "" is no integer
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > maxLimit {
			return p, "limit", fmt.Sprintf("limit must be an integer between 1 and %d", maxLimit)
		}
		p.limit = n
	}
	switch order := q.Get("order"); {
	case !q.Has("order"): // order= is no value of the enum either
	case order == "desc":
	case order == "normal":
		p.normal = true
	case order == "asc":
		p.asc = true
	default:
		return p, "order", "order must be asc, desc or normal"
	}
	if p.before != "" && p.after != "" {
		return p, "before", "give before or after, not both"
	}
	return p, "", ""
}

type listQuery struct {
	pageParams // before and after swapped for normal
	// afterParam and beforeParam name the query parameters after and
	// before came from (swapped for normal), for error messages.
	afterParam, beforeParam string
}

func parseListQuery(q url.Values) (listQuery, error) {
	p, _, msg := parsePageParams(q)
	lq := listQuery{pageParams: p, afterParam: "after", beforeParam: "before"}
	if msg != "" {
		return lq, errInvalid("%s", msg)
	}
	if lq.normal {
		// In display order (newest first), normal's before pages forward
		// (to older records) like desc's after, and its after backward.
		lq.before, lq.after = lq.after, lq.before
		lq.beforeParam, lq.afterParam = lq.afterParam, lq.beforeParam
	}
	return lq, nil
}

// paginate returns one page of items (in creation order) as a list body.
func paginate[T, J any](m *model, q url.Values, items []T, idOf func(T) string, render func(T) J) (listJSON[J], error) {
	lq, err := parseListQuery(q)
	if err != nil {
		return listJSON[J]{}, err
	}
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b T) int { return int(m.seqOf[idOf(a)] - m.seqOf[idOf(b)]) })
	if !lq.asc {
		slices.Reverse(items)
	}
	// precedes reports whether an item with sequence s comes before the
	// cursor's sequence c in the display order.
	precedes := func(s, c int64) bool { return lq.asc && s < c || !lq.asc && s > c }
	lo, hi := 0, len(items)
	if c := lq.after; c != "" {
		cs, ok := m.seqOf[c]
		if !ok {
			return listJSON[J]{}, errInvalid("%s cursor %q does not name an object", lq.afterParam, c)
		}
		for lo < hi && (precedes(m.seqOf[idOf(items[lo])], cs) || m.seqOf[idOf(items[lo])] == cs) {
			lo++
		}
		hi = min(hi, lo+lq.limit)
	} else if c := lq.before; c != "" {
		cs, ok := m.seqOf[c]
		if !ok {
			return listJSON[J]{}, errInvalid("%s cursor %q does not name an object", lq.beforeParam, c)
		}
		hi = 0
		for hi < len(items) && precedes(m.seqOf[idOf(items[hi])], cs) {
			hi++
		}
		lo = max(0, hi-lq.limit)
	} else {
		hi = min(hi, lq.limit)
	}
	out := listJSON[J]{Object: "list", Data: make([]J, 0, hi-lo), ListMetadata: &listMetadata{}}
	for _, it := range items[lo:hi] {
		out.Data = append(out.Data, render(it))
	}
	if lo < hi {
		if lo > 0 {
			id := idOf(items[lo])
			out.ListMetadata.Before = &id
		}
		if hi < len(items) {
			id := idOf(items[hi-1])
			out.ListMetadata.After = &id
		}
	}
	if lq.normal {
		md := out.ListMetadata
		md.Before, md.After = md.After, md.Before
	}
	return out, nil
}
