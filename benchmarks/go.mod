module github.com/fgakit/fgakit/benchmarks

go 1.26.0

require (
	github.com/MicahParks/keyfunc/v3 v3.9.1
	github.com/coreos/go-oidc/v3 v3.21.0
	github.com/fgakit/fgakit v0.0.0
	github.com/golang-jwt/jwt/v5 v5.3.1
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/go-jose/go-jose/v4 v4.1.4 // indirect
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/fgakit/fgakit => ../
