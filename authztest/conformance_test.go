package authztest_test

import (
	"os"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

func TestConformanceFake(t *testing.T) {
	t.Parallel()
	f := authztest.New(t, authztest.WithFixture(authztest.ConformanceFixture()))
	authztest.Conformance(t, f.ConformanceEnv())
}

// TestConformanceWorkOS runs the same scenarios against a real WorkOS
// environment when WORKOS_API_KEY and FGAKIT_CONFORMANCE_ENV (a JSON file,
// see authztest.LoadConformanceEnv) are set; it is skipped otherwise.
func TestConformanceWorkOS(t *testing.T) {
	key, path := os.Getenv("WORKOS_API_KEY"), os.Getenv("FGAKIT_CONFORMANCE_ENV")
	if key == "" || path == "" {
		t.Skip("set WORKOS_API_KEY and FGAKIT_CONFORMANCE_ENV to run the conformance scenarios against WorkOS")
	}
	env, err := authztest.LoadConformanceEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	var opts []authz.Option
	if base := os.Getenv("WORKOS_BASE_URL"); base != "" {
		opts = append(opts, authz.WithBaseURL(base))
	}
	c, err := authz.New(key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	env.Client = c
	authztest.Conformance(t, env)
}
