package authztest_test

import (
	"fmt"
	"strings"

	"github.com/fgakit/fgakit/authztest"
)

// Every mistake in a fixture is one error that names the entry and points
// at the line and column of the mistake itself: the misspelled key, the
// value of the wrong type, the character the JSON syntax trips on.
func ExampleParseFixture_errors() {
	for _, doc := range []string{
		`{
  "resources": [
    {"external_id": "eng", "resource_type_slug": "workspace",
     "organization_id": "org_acme"},
    {"external_id": "web", "resource_type_slug": "project",
     "organization_id": "org_acme",
     "parrent_resource_id": "authz_resource_eng"}
  ]
}`,
		`{
  "roles": [
    {"slug": "member", "permissions": "workspace:view"}
  ]
}`,
		`{
  "organizations": [
    {"id": "org_acme",}
  ]
}`,
	} {
		_, err := authztest.ParseFixture(strings.NewReader(doc))
		fmt.Println(err)
	}
	// Output:
	// authztest: fixture: resources[1]: unknown field "parrent_resource_id" (line 7, column 6)
	// authztest: fixture: roles[0]: field "permissions": want an array of strings, got a string (line 3, column 39)
	// authztest: fixture: syntax error at line 3, column 23: invalid character '}' looking for beginning of object key string
}
