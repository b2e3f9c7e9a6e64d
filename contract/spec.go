package contract

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// EnvSpec names the environment variable that overrides where the spec is
// read from.
const EnvSpec = "FGAKIT_OPENAPI"

// specRel is where the spec lives relative to a directory that holds the
// shared folder (the parent of the repository root in CI).
var specRel = filepath.Join("shared", "openapi", "workos-openapi.yaml")

// SpecPath returns the path of the spec: $FGAKIT_OPENAPI when set, else
// shared/openapi/workos-openapi.yaml in the nearest ancestor of repoRoot
// that has it. The error says where it looked and how to point at the file.
func SpecPath(repoRoot string) (string, error) {
	if p := os.Getenv(EnvSpec); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("contract: %s=%q: %w", EnvSpec, p, err)
		}
		return p, nil
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return "", fmt.Errorf("contract: %w", err)
	}
	var tried []string
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, specRel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
		if dir == filepath.Dir(dir) {
			break
		}
	}
	return "", fmt.Errorf("contract: WorkOS's OpenAPI spec not found (looked for %v); "+
		"put it at ../shared/openapi/workos-openapi.yaml from the repository root or set %s to its path", tried, EnvSpec)
}

// Spec is the loaded, validated OpenAPI document and a router over it.
type Spec struct {
	Doc    *openapi3.T
	Router routers.Router
	// Fixed names the schemas the pre-pass changed, with what it did.
	Fixed []string
}

// LoadSpec loads the OpenAPI document at path, applies the documented
// pre-pass ([dedupeRequired]), validates the document and builds a router.
func LoadSpec(ctx context.Context, path string) (*Spec, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("contract: load %s: %w", path, err)
	}
	fixed := dedupeRequired(doc)
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("contract: %s is not a valid OpenAPI document (after the pre-pass): %w", path, err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: router: %w", err)
	}
	return &Spec{Doc: doc, Router: router, Fixed: fixed}, nil
}

// dedupeRequired removes repeated names from the "required" list of every
// schema of doc and reports the schemas it changed. kin-openapi refuses a
// schema whose "required" names a property twice; WorkOS's spec does so in
// five list schemas ("list_metadata"). Requiring a name twice requires
// nothing more than requiring it once, so this weakens no check.
func dedupeRequired(doc *openapi3.T) []string {
	var fixed []string
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, s *openapi3.SchemaRef)
	walk = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		v := s.Value
		seen[v] = true
		if n := len(v.Required); n > 0 {
			var out []string
			for _, k := range v.Required {
				if !slices.Contains(out, k) {
					out = append(out, k)
				}
			}
			if len(out) != n {
				if s.Ref != "" {
					where = s.Ref
				}
				fixed = append(fixed, fmt.Sprintf("%s: %d duplicate name(s) removed from required", where, n-len(out)))
				v.Required = out
			}
		}
		for name, p := range v.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", v.Items)
		if v.AdditionalProperties.Schema != nil {
			walk(where+"{}", v.AdditionalProperties.Schema)
		}
		for i, group := range [][]*openapi3.SchemaRef{v.AllOf, v.AnyOf, v.OneOf} {
			for j, sub := range group {
				walk(fmt.Sprintf("%s/%s[%d]", where, [...]string{"allOf", "anyOf", "oneOf"}[i], j), sub)
			}
		}
		walk(where+"/not", v.Not)
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		walk("#/components/schemas/"+name, doc.Components.Schemas[name])
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			for _, p := range op.Parameters {
				if p.Value != nil {
					walk(where+" param "+p.Value.Name, p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(where+" body", mt.Schema)
				}
			}
			for status, r := range op.Responses.Map() {
				if r.Value != nil {
					for _, mt := range r.Value.Content {
						walk(where+" "+status, mt.Schema)
					}
				}
			}
		}
	}
	return fixed
}

// errNoRoute is a request whose method and path are not an operation of
// the spec.
var errNoRoute = errors.New("not an operation of the spec")
