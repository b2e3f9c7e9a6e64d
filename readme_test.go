package fgakit_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fgakit/fgakit/internal/readmecheck"
)

// readmePrelude declares what README snippets take as given: the imports and
// the app's own names (its request context, its records, its mux).
const readmePrelude = `import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

var (
	_ = context.Background
	_ = errors.Is
	_ = fmt.Sprint
	_ = log.Print
	_ = http.StatusOK
	_ = testing.Short
	_ = time.Second
	_ = authz.New
	_ = authztest.New
	_ = cache.New
	_ = events.NewState
	_ = token.NewVerifier
)

// The app's own names that README snippets use.
type Project struct{ ID, ExternalID, OrganizationID, OrgID string }

var (
	ctx             context.Context
	apiKey          string
	webhookSecret   string
	clientID        string
	accessToken     string
	userID, orgID   string
	p               Project
	projects        []Project
	workspace       Project
	client          *authz.Client
	claims          *token.Claims
	verifier        *token.Verifier
	mux             *http.ServeMux
	settingsHandler http.Handler
	fixture         *authztest.Fixture
)

func render(v ...any) {}
`

// TestREADMESnippets compiles every Go snippet of README.md as a
// user would paste it.
func TestREADMESnippets(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	readmecheck.Check(t, "README.md", ".", readmePrelude)
}

// TestPackageDocSnippets compiles the code blocks of the package docs that
// a user pastes whole (go doc's first screen), with the README's prelude
// plus the names they take as given.
func TestPackageDocSnippets(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	var all []readmecheck.Snippet
	for _, file := range []string{"authztest/doc.go", "token/doc.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		snippets, err := readmecheck.ParseDoc(src)
		if err != nil {
			t.Fatal(err)
		}
		if len(snippets) == 0 {
			t.Fatalf("%s has no code block", file)
		}
		all = append(all, snippets...)
	}
	readmecheck.CheckSnippets(t, root, all, readmePrelude+"\nvar rawAccessToken string\n")
}
