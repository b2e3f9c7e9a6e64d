module github.com/fgakit/fgakit

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/google/go-cmp v0.7.0
	github.com/hashicorp/golang-lru/v2 v2.0.7
	golang.org/x/sync v0.25.0
)

require golang.org/x/time v0.16.0
