package authztest_test

import (
	"os"
	"path/filepath"
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

func TestLoadConformanceEnv(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "env.json")
	os.WriteFile(path, []byte(`{"organization_id":"org_1","organization_membership_id":"om_1","workspace_type":"ws",
		"project_type":"proj","permission":"proj:edit","role":"ws-admin"}`), 0o600)
	env, err := authztest.LoadConformanceEnv(path)
	want := authztest.ConformanceEnv{OrganizationID: "org_1", MembershipID: "om_1", WorkspaceType: "ws", ProjectType: "proj", Permission: "proj:edit", Role: "ws-admin"}
	if err != nil || env != want {
		t.Errorf("LoadConformanceEnv = %+v, %v", env, err)
	}
	if _, err := authztest.LoadConformanceEnv(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("no error for a missing file")
	}
}
