package contract

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

func TestUnknownFields(t *testing.T) {
	t.Parallel()
	var schema openapi3.Schema
	// An object with a nested list, a map, an allOf part and two oneOf
	// alternatives.
	err := json.Unmarshal([]byte(`{
		"type": "object",
		"properties": {
			"id": {"type": "string"},
			"items": {"type": "array", "items": {"type": "object", "properties": {"slug": {"type": "string"}}}},
			"metadata": {"type": "object", "additionalProperties": {"type": "string"}},
			"attrs": {"type": "object", "additionalProperties": {"type": "object", "properties": {"v": {"type": "string"}}}}
		},
		"additionalProperties": true,
		"allOf": [{"properties": {"created_at": {"type": "string"}}}],
		"oneOf": [
			{"properties": {"kind": {"const": "a"}, "a": {"type": "string"}}},
			{"properties": {"kind": {"const": "b"}, "b": {"type": "string"}}}
		]
	}`), &schema)
	if err != nil {
		t.Fatal(err)
	}
	ref := &openapi3.SchemaRef{Value: &schema}
	cases := []struct {
		name, body string
		want       []string
	}{
		{"all declared", `{"id":"1","created_at":"x","kind":"a","a":"y","items":[{"slug":"s"}],"metadata":{"any":"key"}}`, nil},
		{"the other alternative", `{"id":"1","kind":"b","b":"y"}`, nil},
		{"a key of no alternative", `{"id":"1","kind":"a","a":"y","b":"z","c":1}`, []string{`$: unknown field "b"`, `$: unknown field "c"`}},
		{"additionalProperties true still reports", `{"id":"1","extra":true}`, []string{`$: unknown field "extra"`}},
		{"nested in a list", `{"items":[{"slug":"s"},{"slug":"t","name":"n"}]}`, []string{`$.items[1]: unknown field "name"`}},
		{"map values are walked", `{"attrs":{"k":{"v":"1","w":"2"}}}`, []string{`$.attrs.k: unknown field "w"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var v any
			if err := json.Unmarshal([]byte(tc.body), &v); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, UnknownFields(ref, v)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
