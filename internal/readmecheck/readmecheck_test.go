package readmecheck

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	readme := "# x\n\n```go\na := 1\n```\n\n```sh\nls\n```\n<!-- readme-check: module otel -->\n```go\nb := 2\n```\n\n```go\nfunc F() {}\n```\n"
	got, err := Parse([]byte(readme))
	if err != nil {
		t.Fatal(err)
	}
	want := []Snippet{
		{Line: 3, Module: ".", Code: "a := 1\n"},
		{Line: 11, Module: "otel", Code: "b := 2\n"},
		{Line: 15, Module: ".", Code: "func F() {}\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	if _, err := Parse([]byte("```go\nx := 1\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("unclosed block: err = %v, want one naming line 1", err)
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	got := string(Generate("p", "import \"fmt\"", []Snippet{
		{Line: 3, Code: "fmt.Println(1)\n"},
		{Line: 9, Code: "func F() {}\n"},
	}))
	want := "package p\n\nimport \"fmt\"\n\n// README line 3\nfunc readmeSnippet1() error {\nfmt.Println(1)\n\treturn nil\n}\n\n// README line 9\nfunc F() {}\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Generate (-want +got):\n%s", diff)
	}
}

func TestParseDoc(t *testing.T) {
	t.Parallel()
	src := "// Package p does things.\n//\n//\tx := 1\n//\n//\ty := x\n//\n// More text.\n//\n//\tfunc F() {}\npackage p\n"
	got, err := ParseDoc([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Snippet{
		{Line: 3, Module: ".", Code: "x := 1\n\ny := x\n"},
		{Line: 9, Module: ".", Code: "func F() {}\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseDoc (-want +got):\n%s", diff)
	}
}
