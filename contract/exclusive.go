package contract

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Extensions of WorkOS's spec that declare groups of mutually exclusive
// inputs, which openapi3filter does not read:
//
//	x-mutually-exclusive-body-groups:
//	  resource_target:
//	    optional: false
//	    variants:
//	      by_id: [resource_id]
//	      by_external_id: [resource_external_id, resource_type_slug]
const (
	extBodyGroups  = "x-mutually-exclusive-body-groups"
	extParamGroups = "x-mutually-exclusive-parameter-groups"
)

// ExclusiveViolations checks the inputs present in a request (the keys of
// its JSON body, or the names of its query parameters) against a
// mutually-exclusive-groups extension of op: inputs of two variants of one
// group, an incomplete variant, or no variant of a group that is not
// optional are violations.
func ExclusiveViolations(op *openapi3.Operation, ext string, present map[string]bool) []string {
	raw, ok := op.Extensions[ext].(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for _, group := range slices.Sorted(maps.Keys(raw)) {
		g, _ := raw[group].(map[string]any)
		optional, _ := g["optional"].(bool)
		variants, _ := g["variants"].(map[string]any)
		var used []string
		for _, name := range slices.Sorted(maps.Keys(variants)) {
			fields := toStrings(variants[name])
			var have, miss []string
			for _, f := range fields {
				if present[f] {
					have = append(have, f)
				} else {
					miss = append(miss, f)
				}
			}
			if len(have) == 0 {
				continue
			}
			used = append(used, name)
			if len(miss) > 0 {
				out = append(out, fmt.Sprintf("%s %q: variant %s is incomplete: has %s, lacks %s",
					ext, group, name, strings.Join(have, ", "), strings.Join(miss, ", ")))
			}
		}
		switch {
		case len(used) > 1:
			out = append(out, fmt.Sprintf("%s %q: variants %s are mutually exclusive but were given together",
				ext, group, strings.Join(used, " and ")))
		case len(used) == 0 && !optional:
			out = append(out, fmt.Sprintf("%s %q: one of the variants %s is required",
				ext, group, strings.Join(slices.Sorted(maps.Keys(variants)), ", ")))
		}
	}
	return out
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
