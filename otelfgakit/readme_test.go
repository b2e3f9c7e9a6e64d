package otelfgakit_test

import (
	"testing"

	"github.com/fgakit/fgakit/internal/readmecheck"
)

// TestREADMESnippets compiles the repository README's snippets that belong
// to this module, as a user would paste them.
func TestREADMESnippets(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	readmecheck.Check(t, "../README.md", "otelfgakit", `import (
	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/otelfgakit"
)

var apiKey string
`)
}
