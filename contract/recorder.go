package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Exchange is one request and its response, with what the spec says
// about them.
type Exchange struct {
	OperationID string // "" when the request is not an operation of the spec
	Method      string
	Path        string // the spec's path template, or the request's path when unrouted
	URL         string // the request's path and query
	Status      int    // 0 when no response came
	// ExpectInvalid marks a raw request a scenario sent on purpose to
	// provoke an error; its request checks were skipped.
	ExpectInvalid bool
	Violations    []string
}

// Recorder is an [http.RoundTripper] that sends each request with Base (or
// [http.DefaultTransport]) and checks the request and its response against
// the spec (see the package doc). It is safe for concurrent use.
type Recorder struct {
	Spec *Spec
	Base http.RoundTripper

	mu        sync.Mutex
	exchanges []Exchange
}

// Exchanges returns a copy of every exchange recorded so far, in order.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.exchanges...)
}

type expectInvalidKey struct{}

// ExpectInvalidRequest marks the requests sent with ctx as deliberately
// invalid raw requests: the recorder skips its request checks for them
// and still checks their responses.
func ExpectInvalidRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, expectInvalidKey{}, true)
}

// specHost is where the spec's servers are; requests are routed as if
// they had been sent there.
const specHost = "api.workos.com"

// RoundTrip implements [http.RoundTripper].
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(reqBody))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	base := r.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(out)
	ex := Exchange{Method: req.Method, Path: req.URL.Path, URL: req.URL.RequestURI()}
	ex.ExpectInvalid, _ = req.Context().Value(expectInvalidKey{}).(bool)
	if err != nil {
		r.check(req, reqBody, nil, nil, &ex)
		ex.Violations = append(ex.Violations, "no response: "+err.Error())
		r.add(ex)
		return nil, err
	}
	respBody, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	ex.Status = resp.StatusCode
	r.check(req, reqBody, resp, respBody, &ex)
	if rerr != nil {
		ex.Violations = append(ex.Violations, "response body unreadable: "+rerr.Error())
	}
	r.add(ex)
	return resp, rerr
}

func (r *Recorder) add(ex Exchange) {
	r.mu.Lock()
	r.exchanges = append(r.exchanges, ex)
	r.mu.Unlock()
}

// check validates one exchange; resp is nil when no response came.
func (r *Recorder) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte, ex *Exchange) {
	ctx := context.Background()
	routed := req.Clone(ctx)
	u := *req.URL
	u.Scheme, u.Host = "https", specHost
	routed.URL = &u
	routed.Host = specHost
	routed.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := r.Spec.Router.FindRoute(routed)
	if err != nil {
		ex.Violations = append(ex.Violations, fmt.Sprintf("%s %s: %v (%v)", req.Method, req.URL.Path, errNoRoute, err))
		return
	}
	ex.OperationID, ex.Path = route.Operation.OperationID, route.Path
	opts := &openapi3filter.Options{
		MultiError:            true,
		IncludeResponseStatus: true,
		AuthenticationFunc:    requireBearer,
	}
	in := &openapi3filter.RequestValidationInput{Request: routed, PathParams: params, Route: route, Options: opts}
	if !ex.ExpectInvalid {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			ex.Violations = append(ex.Violations, flatten("request", err)...)
		}
		ex.Violations = append(ex.Violations, exclusive(route, req.URL.Query(), reqBody)...)
	}
	if resp == nil {
		return
	}
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
		ex.Violations = append(ex.Violations, flatten(fmt.Sprintf("response %d", resp.StatusCode), err)...)
	}
	ex.Violations = append(ex.Violations, unknownInResponse(route.Operation, resp, respBody)...)
}

// requireBearer is the spec's one security scheme: an API key as a bearer
// token.
func requireBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); !ok || tok == "" {
		return errors.New("no Authorization: Bearer header")
	}
	return nil
}

// exclusive checks the request's inputs against the operation's
// mutually-exclusive groups.
func exclusive(route *routers.Route, query url.Values, body []byte) []string {
	op := route.Operation
	var out []string
	if _, ok := op.Extensions[extParamGroups]; ok {
		present := map[string]bool{}
		for k := range query {
			present[k] = true
		}
		out = append(out, ExclusiveViolations(op, extParamGroups, present)...)
	}
	if _, ok := op.Extensions[extBodyGroups]; ok {
		var obj map[string]any
		present := map[string]bool{}
		if json.Unmarshal(body, &obj) == nil {
			for k := range obj {
				present[k] = true
			}
		}
		out = append(out, ExclusiveViolations(op, extBodyGroups, present)...)
	}
	for i := range out {
		out[i] = "request: " + out[i]
	}
	return out
}

// unknownInResponse reports the fields of a JSON response body that the
// response schema of its status does not declare.
func unknownInResponse(op *openapi3.Operation, resp *http.Response, body []byte) []string {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil
	}
	ref := op.Responses.Status(resp.StatusCode)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil
	}
	content := ref.Value.Content.Get(mt)
	if content == nil || content.Schema == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil // ValidateResponse reports a malformed body
	}
	var out []string
	for _, u := range UnknownFields(content.Schema, v) {
		out = append(out, fmt.Sprintf("response %d: %s", resp.StatusCode, u))
	}
	return out
}

// flatten turns a (multi-)error of openapi3filter into one line per
// problem. A schema error is told by where it is and why, without the
// schema and the value kin-openapi would print in full.
func flatten(what string, err error) []string {
	var (
		me  openapi3.MultiError
		req *openapi3filter.RequestError
		res *openapi3filter.ResponseError
		se  *openapi3.SchemaError
	)
	switch {
	case errors.As(err, &req) && req.Err != nil:
		switch {
		case req.Parameter != nil:
			what += fmt.Sprintf(" parameter %q", req.Parameter.Name)
		case req.RequestBody != nil:
			what += " body"
		}
		return flatten(what, req.Err)
	case errors.As(err, &res) && res.Err != nil:
		return flatten(what, res.Err)
	case errors.As(err, &me):
		var out []string
		for _, e := range me {
			out = append(out, flatten(what, e)...)
		}
		return out
	case errors.As(err, &se):
		return []string{fmt.Sprintf("%s at /%s: %s", what, strings.Join(se.JSONPointer(), "/"), se.Reason)}
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return []string{what + ": " + msg}
}
