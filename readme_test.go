package fgakit_test

import (
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
	_ = token.NewVerifier
)

// The app's own names that README snippets use.
type Project struct{ ID, ExternalID, OrganizationID, OrgID string }

var (
	ctx             context.Context
	apiKey          string
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

// TestREADMESnippets compiles and vets every Go snippet of README.md as a
// user would paste it.
func TestREADMESnippets(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	readmecheck.Check(t, "README.md", ".", readmePrelude)
}
