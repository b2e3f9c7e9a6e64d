// Package readmecheck compiles the Go snippets of a README in a test, so
// that every snippet a user pastes compiles as written.
//
// A ```go block of the README is a snippet. Blocks that start with
// "func " are placed at the top level of one generated file; any other block
// becomes the body of a function of its own that returns an error, so a
// snippet says "return err" where a user's code would. The generated file (given to
// the go command as an -overlay, so nothing is written into the source tree)
// declares the names snippets take as given — ctx, client, claims, apiKey …
// (see [Prelude]) — as package-level variables, so a snippet's own unused
// variable is still the compile error it would be in a user's code.
//
// A snippet that belongs to another module of the repository is preceded by
// the line
//
//	<!-- readme-check: module DIR -->
//
// where DIR is the module's directory relative to the repository root; that
// module's own test checks it (a module's dependencies are its own).
package readmecheck

import (
	"bufio"
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Snippet is one ```go block of a README.
type Snippet struct {
	// Line is the 1-based line of the opening fence.
	Line int
	// Module is the module directory the snippet belongs to ("." for the
	// repository root).
	Module string
	// Code is the block's text.
	Code string
}

// Parse returns the ```go blocks of a README.
func Parse(readme []byte) ([]Snippet, error) {
	var (
		out    []Snippet
		cur    *Snippet
		module = "."
	)
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "<!-- readme-check: module ") && strings.HasSuffix(line, " -->"):
			module = strings.TrimSuffix(strings.TrimPrefix(line, "<!-- readme-check: module "), " -->")
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &Snippet{Line: n, Module: module}
			module = "."
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.Code += line + "\n"
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("the ```go block at line %d is not closed", cur.Line)
	}
	return out, sc.Err()
}

// Generate returns the Go file holding the snippets, in package pkg, after
// prelude (imports and the names the snippets take as given).
func Generate(pkg, prelude string, snippets []Snippet) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "package %s\n\n%s\n", pkg, prelude)
	for i, s := range snippets {
		fmt.Fprintf(&b, "\n// README line %d\n", s.Line)
		if strings.HasPrefix(s.Code, "func ") {
			fmt.Fprintf(&b, "%s", s.Code)
			continue
		}
		fmt.Fprintf(&b, "func readmeSnippet%d() error {\n%s\treturn nil\n}\n", i+1, s.Code)
	}
	return b.Bytes()
}

// Check compiles the snippets of readme that belong to module
// (a directory relative to the README's directory, "." for the root), with
// prelude, as package dir/readmesnippets of that module. It fails t with the
// go command's output, where line numbers refer to the generated file that
// is printed beside it.
func Check(t *testing.T, readme, module, prelude string) {
	t.Helper()
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	all, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var mine []Snippet
	for _, s := range all {
		if filepath.Clean(s.Module) == filepath.Clean(module) {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		t.Fatalf("%s has no Go snippet for module %q", readme, module)
	}
	root, err := filepath.Abs(filepath.Join(filepath.Dir(readme), module))
	if err != nil {
		t.Fatal(err)
	}
	CheckSnippets(t, root, mine, prelude)
}

// ParseDoc returns the code blocks of the package doc comment of the Go
// file src (a doc.go): the tab-indented blocks a reader of `go doc` copies.
// Line is the line of the block's first line in src.
func ParseDoc(src []byte) ([]Snippet, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "doc.go", src, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		return nil, err
	}
	if f.Doc == nil {
		return nil, nil
	}
	var (
		out []Snippet
		cur *Snippet
	)
	for _, c := range f.Doc.List {
		l := strings.TrimPrefix(c.Text, "//")
		switch {
		case strings.HasPrefix(l, "\t"):
			if cur == nil {
				cur = &Snippet{Line: fset.Position(c.Pos()).Line, Module: "."}
			}
			cur.Code += l[1:] + "\n"
		case strings.TrimSpace(l) == "" && cur != nil:
			cur.Code += "\n" // a blank line inside or after a block
		case cur != nil:
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	for i := range out {
		out[i].Code = strings.TrimRight(out[i].Code, "\n") + "\n"
	}
	return out, nil
}

// CheckSnippets compiles snippets with prelude as package
// internal/readmesnippets of the module at root (an absolute directory),
// as [Check] does.
func CheckSnippets(t *testing.T, root string, snippets []Snippet, prelude string) {
	t.Helper()
	src := Generate("readmesnippets", prelude, snippets)
	dir := t.TempDir()
	gen := filepath.Join(dir, "snippets.go")
	if err := os.WriteFile(gen, src, 0o600); err != nil {
		t.Fatal(err)
	}
	virtual := filepath.Join(root, "internal", "readmesnippets", "snippets.go")
	overlay := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlay, fmt.Appendf(nil, `{"Replace":{%q:%q}}`, virtual, gen), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-overlay="+overlay, "./internal/readmesnippets")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("snippets do not compile in %s: %v\n%s\ngenerated file:\n%s", root, err, out, numbered(src))
	}
}

func numbered(src []byte) string {
	var b strings.Builder
	for i, l := range strings.Split(string(src), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}
