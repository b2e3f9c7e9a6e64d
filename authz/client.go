package authz

// CONTRACT STUB — the authz-core helper replaces this file. Signatures are fixed.

import (
	"context"
	"net/http"
	"net/url"
)

// DefaultBaseURL is the WorkOS API.
const DefaultBaseURL = "https://api.workos.com"

// Client talks to the WorkOS Authorization API. Immutable after New; safe for concurrent use.
type Client struct{}

// Option configures a Client.
type Option func(*config) error

type config struct{}

// New returns a Client that authenticates with apiKey.
func New(apiKey string, opts ...Option) (*Client, error) { return &Client{}, nil }

// Close releases background resources.
func (c *Client) Close() error { return nil }

// WithBaseURL sets the API base URL.
func WithBaseURL(u string) Option { return func(*config) error { return nil } }

// WithHTTPClient sets the HTTP client.
func WithHTTPClient(h *http.Client) Option { return func(*config) error { return nil } }

// request is one API call, built by the typed methods and sent by do.
type request struct {
	method string
	path   string     // already escaped, e.g. "/authorization/resources/" + url.PathEscape(id)
	query  url.Values // may be nil
	body   any        // JSON-encoded when non-nil
	// idempotent marks a POST that should carry an Idempotency-Key (same on every retry).
	idempotent bool
}

// do sends req with retries and decodes a 2xx JSON body into out (when out is
// non-nil and the status is not 204). Non-2xx answers become *APIError.
func (c *Client) do(ctx context.Context, req request, out any) error { return nil }

// invalidateMembership forgets every cached decision of membership om. The
// management calls of this client call it after changing om's role
// assignments. A no-op while the cache is off.
func (c *Client) invalidateMembership(om string) {}

// invalidateAll forgets every cached decision. The management calls call it
// after deleting or moving a resource (that can change any membership's
// access). A no-op while the cache is off.
func (c *Client) invalidateAll() {}
