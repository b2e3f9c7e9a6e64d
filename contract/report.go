package contract

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/getkin/kin-openapi/openapi3"
)

// Operation is one operation of the spec with what the exchanges showed.
type Operation struct {
	ID, Method, Path string
	Declared         []int       // statuses the spec declares, ascending
	Requests         int         // exchanges routed to it
	Statuses         map[int]int // status → count
	Violations       []string
}

// Operations returns the operations of spec for which keep is true, in
// path then method order, each with the exchanges routed to it, plus the
// exchanges that routed to no operation (or to one keep refused).
func Operations(spec *Spec, keep func(path string) bool, exchanges []Exchange) (ops []*Operation, stray []Exchange) {
	byID := map[string]*Operation{}
	paths := spec.Doc.Paths.Map()
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		if !keep(p) {
			continue
		}
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			op := paths[p].GetOperation(m)
			if op == nil {
				continue
			}
			o := &Operation{ID: op.OperationID, Method: m, Path: p, Declared: declared(op), Statuses: map[int]int{}}
			ops = append(ops, o)
			byID[o.ID] = o
		}
	}
	for _, ex := range exchanges {
		o := byID[ex.OperationID]
		if o == nil {
			stray = append(stray, ex)
			continue
		}
		o.Requests++
		o.Statuses[ex.Status]++
		for _, v := range ex.Violations {
			o.Violations = append(o.Violations, fmt.Sprintf("%s %s → %d: %s", ex.Method, ex.URL, ex.Status, v))
		}
	}
	return ops, stray
}

func declared(op *openapi3.Operation) []int {
	var out []int
	for k := range op.Responses.Map() {
		if n, err := strconv.Atoi(k); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// WriteTable prints one line per operation: operation ID, method, path,
// requests seen, statuses seen (with counts), statuses declared, the
// number of violations, and note(o) (may be nil).
func WriteTable(w io.Writer, ops []*Operation, note func(*Operation) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "operation\tmethod\tpath\treqs\tstatuses seen\tdeclared\tviolations\tnote")
	for _, o := range ops {
		var seen []string
		for _, s := range slices.Sorted(maps.Keys(o.Statuses)) {
			seen = append(seen, fmt.Sprintf("%d×%d", s, o.Statuses[s]))
		}
		var decl []string
		for _, s := range o.Declared {
			decl = append(decl, strconv.Itoa(s))
		}
		n := ""
		if note != nil {
			n = note(o)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\n", o.ID, o.Method, o.Path, o.Requests,
			orDash(strings.Join(seen, " ")), strings.Join(decl, " "), len(o.Violations), n)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
