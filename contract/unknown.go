package contract

import (
	"fmt"
	"maps"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// UnknownFields returns, as "path: field", every key of a JSON object in
// value (decoded with encoding/json into any) that schema does not declare.
//
// A key is declared by the object schema's properties, those of its allOf
// parts, and those of one of its oneOf/anyOf alternatives (the alternative
// that leaves the fewest keys unknown is chosen). additionalProperties does
// not declare a key: an extra key in a response is reported even where the
// schema would let it pass, because a field the spec does not name is
// either a mistake of the fake or a fact the spec is missing. An object
// schema that declares no properties at all is a map (metadata,
// custom_attributes): any key is allowed and its value is walked with the
// additionalProperties schema.
func UnknownFields(schema *openapi3.SchemaRef, value any) []string {
	var out []string
	walkUnknown(schema, value, "$", &out)
	return out
}

func walkUnknown(s *openapi3.SchemaRef, value any, path string, out *[]string) {
	if s == nil || s.Value == nil {
		return
	}
	switch v := value.(type) {
	case map[string]any:
		alts := alternatives(s.Value)
		var best []string
		bestSet := false
		for _, declared := range alts {
			var extras []string
			if len(declared.props) == 0 {
				// A map: any key, values walked with additionalProperties.
				for _, k := range slices.Sorted(maps.Keys(v)) {
					walkUnknown(declared.additional, v[k], path+"."+k, &extras)
				}
			} else {
				for _, k := range slices.Sorted(maps.Keys(v)) {
					p, ok := declared.props[k]
					if !ok {
						extras = append(extras, fmt.Sprintf("%s: unknown field %q", path, k))
						continue
					}
					walkUnknown(p, v[k], path+"."+k, &extras)
				}
			}
			if !bestSet || len(extras) < len(best) {
				best, bestSet = extras, true
			}
		}
		*out = append(*out, best...)
	case []any:
		items := itemsOf(s.Value)
		for i, e := range v {
			walkUnknown(items, e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}

// objectShape is what one alternative of an object schema declares.
type objectShape struct {
	props      map[string]*openapi3.SchemaRef
	additional *openapi3.SchemaRef
}

// alternatives lists the shapes an object value of s may take: s's own
// properties and its allOf parts', combined with each oneOf/anyOf
// alternative in turn (or alone when there are none).
func alternatives(s *openapi3.Schema) []objectShape {
	base := objectShape{props: map[string]*openapi3.SchemaRef{}}
	collect(s, &base, map[*openapi3.Schema]bool{})
	var alts []*openapi3.SchemaRef
	alts = append(alts, s.OneOf...)
	alts = append(alts, s.AnyOf...)
	if len(alts) == 0 {
		return []objectShape{base}
	}
	out := make([]objectShape, 0, len(alts))
	for _, a := range alts {
		shape := objectShape{props: maps.Clone(base.props), additional: base.additional}
		if a != nil && a.Value != nil {
			collect(a.Value, &shape, map[*openapi3.Schema]bool{})
		}
		out = append(out, shape)
	}
	return out
}

// collect adds the properties of s and of its allOf parts to shape.
func collect(s *openapi3.Schema, shape *objectShape, seen map[*openapi3.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	for k, p := range s.Properties {
		if _, ok := shape.props[k]; !ok {
			shape.props[k] = p
		}
	}
	if shape.additional == nil && s.AdditionalProperties.Schema != nil {
		shape.additional = s.AdditionalProperties.Schema
	}
	for _, part := range s.AllOf {
		if part != nil {
			collect(part.Value, shape, seen)
		}
	}
}

// itemsOf is the items schema of an array schema, looking through allOf.
func itemsOf(s *openapi3.Schema) *openapi3.SchemaRef {
	if s.Items != nil {
		return s.Items
	}
	for _, part := range s.AllOf {
		if part != nil && part.Value != nil {
			if it := itemsOf(part.Value); it != nil {
				return it
			}
		}
	}
	return nil
}
