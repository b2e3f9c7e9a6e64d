package authztest

import (
	"fmt"
	"io"
	"log/slog"
)

// apiKey returns the key a Fake demands. It is a closure because fmt
// reaches every field of a struct, also through pointers (a Fake value
// printed with %s or %q, verbs a pointer does not take, prints what its
// pointer fields point to), but never a closure's captured variables.
type apiKey func() string

func newAPIKey(key string) apiKey { return func() string { return key } }

// String describes the fake by its URL only. A Fake holds the API key its
// clients must send (see [WithAPIKey]), which may be a real-looking key in a
// shared test environment, so no formatting or logging of a Fake — nor of a
// struct holding one — shows it.
func (f *Fake) String() string {
	if f == nil {
		return "authztest.Fake(nil)"
	}
	return "authztest.Fake(" + f.url + ")"
}

// GoString is String: %#v prints no API key either.
func (f *Fake) GoString() string { return f.String() }

// Format prints [Fake.String] for every verb (%v, %+v, %#v, %s, %q…).
func (f *Fake) Format(s fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(s, "%q", f.String())
		return
	}
	io.WriteString(s, f.String())
}

// LogValue makes [log/slog] log a Fake as its URL only.
func (f *Fake) LogValue() slog.Value {
	if f == nil {
		return slog.StringValue("authztest.Fake(nil)")
	}
	return slog.GroupValue(slog.String("url", f.url))
}
