// Package verify compares verifying an AuthKit access token with fgakit's
// token.Verifier against golang-jwt/jwt/v5, MicahParks/keyfunc/v3 and
// coreos/go-oidc/v3, all on the same RS256 token and key.
package verify
