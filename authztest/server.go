package authztest

import (
	"net/http/httptest"
	"time"
)

// ServerLimits are the limits of the HTTP server a Fake listens with
// ([New], [NewServer], `fgakit serve`), so that a slow or hostile client
// cannot hold its connections open: see [DefaultServerLimits] for the
// defaults and [WithServerLimits] to change them. A zero field takes its
// default. They do not apply to [Fake.Handler] mounted in a server of your
// own, which has its own limits.
type ServerLimits struct {
	// ReadHeaderTimeout is how long a client may take to send a request's
	// headers (http.Server.ReadHeaderTimeout).
	ReadHeaderTimeout time.Duration
	// ReadTimeout is how long a client may take to send a whole request,
	// headers and body (http.Server.ReadTimeout).
	ReadTimeout time.Duration
	// WriteTimeout is how long the fake may take from the end of a
	// request's headers to the end of its answer (http.Server.WriteTimeout);
	// keep it longer than the longest injected delay (one minute over
	// HTTP).
	WriteTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its next
	// request (http.Server.IdleTimeout).
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the size of a request's headers
	// (http.Server.MaxHeaderBytes); larger headers are answered 431.
	MaxHeaderBytes int
}

// DefaultServerLimits are the limits a Fake's server uses unless
// [WithServerLimits] changes them: headers within 5 s and 64 KiB, a whole
// request (at most 1 MiB of body) within 30 s, an answer within 2 minutes
// (injected delays last at most one), idle connections closed after 60 s.
func DefaultServerLimits() ServerLimits {
	return ServerLimits{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// WithServerLimits sets the limits of the fake's HTTP server; a zero field
// keeps its default ([DefaultServerLimits]).
func WithServerLimits(l ServerLimits) Option {
	return func(c *config) { c.limits = l }
}

// withDefaults fills the zero fields of l from [DefaultServerLimits].
func (l ServerLimits) withDefaults() ServerLimits {
	d := DefaultServerLimits()
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = d.ReadTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = d.WriteTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	return l
}

// newHTTPServer returns an unstarted server for f with its limits applied.
func (f *Fake) newHTTPServer() *httptest.Server {
	srv := httptest.NewUnstartedServer(f)
	l := f.limits
	srv.Config.ReadHeaderTimeout = l.ReadHeaderTimeout
	srv.Config.ReadTimeout = l.ReadTimeout
	srv.Config.WriteTimeout = l.WriteTimeout
	srv.Config.IdleTimeout = l.IdleTimeout
	srv.Config.MaxHeaderBytes = l.MaxHeaderBytes
	return srv
}
