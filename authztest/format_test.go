package authztest

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// TestFakeFormatsWithoutKey: no formatting or logging of a Fake, or of a
// struct holding one, shows the API key it demands.
func TestFakeFormatsWithoutKey(t *testing.T) {
	t.Parallel()
	const key = "sk_test_a1B2c3D4e5F6g7H8i9J0kLmNoPq"
	f := New(t, WithAPIKey(key))
	holder := struct {
		Fake  *Fake
		inner *Fake
	}{f, f}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("fake", "fake", f, "holder", holder)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("fake", "fake", f)
	outputs := map[string]string{"log": logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		outputs[verb] = fmt.Sprintf(verb, f)
		outputs[verb+" holder"] = fmt.Sprintf(verb, holder)
	}
	for name, out := range outputs {
		for i := 0; i+8 <= len(key); i++ {
			if strings.Contains(out, key[i:i+8]) {
				t.Errorf("%s output holds a piece of the key: %s", name, out)
				break
			}
		}
	}
	if got := fmt.Sprint(f); got != "authztest.Fake("+f.URL()+")" {
		t.Errorf("Sprint = %q", got)
	}
}

// TestFakeValueFormatsWithoutKey: a copy of a Fake (a Fake value, or a
// struct holding one) has no methods, so fmt prints it field by field;
// with a verb a pointer does not take (%s, %q…) fmt prints what a pointer
// field points to. No verb shows a piece of the key.
func TestFakeValueFormatsWithoutKey(t *testing.T) {
	t.Parallel()
	const key = "sk_test_a1B2c3D4e5F6g7H8i9J0kLmNoPq"
	f := New(t, WithAPIKey(key))
	// reflect makes the copy without tripping vet's copylocks.
	value := reflect.ValueOf(f).Elem().Interface()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%t", "%c", "%U", "%e"} {
		out := fmt.Sprintf(verb, value)
		for i := 0; i+8 <= len(key); i++ {
			if strings.Contains(out, key[i:i+8]) {
				t.Errorf("Fake value %s holds a piece of the key", verb)
				break
			}
		}
	}
}
