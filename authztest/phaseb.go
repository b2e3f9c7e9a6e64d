package authztest

import "net/http"

func (f *Fake) phaseBRoutes(mux *http.ServeMux) {}
