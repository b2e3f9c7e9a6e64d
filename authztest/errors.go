package authztest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an answer the fake refuses a request with. The same value is
// the Go error of a setup call or a fixture entry, so the rules are written
// once.
type apiError struct {
	status  int
	code    string // empty for {"message"} bodies
	message string
	errs    []fieldError // the "errors" list some 422s carry
	// roleSlug is the role_slug of a sub_resource_scoped_role_not_allowed body.
	roleSlug string
}

func (e *apiError) Error() string { return e.message }

func errNotFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, message: fmt.Sprintf(format, args...)}
}

func errInvalid(format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, message: fmt.Sprintf(format, args...)}
}

func errInvalidCode(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: code, message: fmt.Sprintf(format, args...)}
}

func errConflict(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, code: code, message: fmt.Sprintf(format, args...)}
}

func errForbidden(format string, args ...any) *apiError {
	return &apiError{status: http.StatusForbidden, message: fmt.Sprintf(format, args...)}
}

func errBadRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", message: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Code    string       `json:"code,omitempty"`
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
	// RoleSlug names the refused role of sub_resource_scoped_role_not_allowed.
	RoleSlug string `json:"role_slug,omitempty"`
}

// writeJSON answers status with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"authztest: cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError answers with err's status and body. An error that is not an
// *apiError is a bug of the fake and answers 500.
func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{status: http.StatusInternalServerError, message: "authztest: " + err.Error()}
	}
	writeJSON(w, e.status, errorBody{Code: e.code, Message: e.message, Errors: e.errs, RoleSlug: e.roleSlug})
}

// writeNoContent answers 204 without a body.
func writeNoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// writeAnswer answers with what an endpoint returned: err's status and
// body, 204 without a body, or status with body as JSON.
func writeAnswer(w http.ResponseWriter, status int, body any, err error) {
	switch {
	case err != nil:
		writeError(w, err)
	case status == http.StatusNoContent:
		writeNoContent(w)
	default:
		writeJSON(w, status, body)
	}
}

// writeUnauthorized answers a request without the API key the fake
// demands: 401 {"message":"Unauthorized"}.
func writeUnauthorized(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, errorBody{Message: "Unauthorized"})
}
