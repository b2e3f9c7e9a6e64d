package authztest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// jsonObject is a decoded JSON request body. Keys the fake does not know
// are tolerated, as the real API tolerates them.
type jsonObject map[string]json.RawMessage

// decodeBody parses the request body as a JSON object. An empty body is an
// empty object; anything else that is not a JSON object is 400 bad_request.
func decodeBody(r *http.Request) (jsonObject, error) {
	var buf bytes.Buffer
	if r.Body != nil {
		buf.ReadFrom(r.Body)
	}
	obj := jsonObject{}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return obj, nil
	}
	if err := json.Unmarshal(buf.Bytes(), &obj); err != nil || obj == nil {
		return nil, errBadRequest("the request body must be a JSON object")
	}
	return obj, nil
}

// Malformed bodies: decodeBody answers 400 bad_request, which the spec
// declares for creates and a few updates only. Operations that declare no
// such 400 answer a body they cannot read with the status they declare for
// invalid input: decodeBody422 gives their 422 (with code, when the
// operation's 422 carries one), decodeBody400 the bare 400 {"message"} of
// session revocation.

func decodeBody422(r *http.Request, code string) (jsonObject, error) {
	obj, err := decodeBody(r)
	return obj, unreadableAs422(err, code)
}

// unreadableAs422 turns decodeBody's 400 bad_request into 422 with code
// ("" for a {"message"} body); other errors pass unchanged.
func unreadableAs422(err error, code string) error {
	if e, ok := err.(*apiError); ok && e.status == http.StatusBadRequest && e.code == "bad_request" {
		return &apiError{status: http.StatusUnprocessableEntity, code: code, message: e.message}
	}
	return err
}

func decodeBody400(r *http.Request) (jsonObject, error) {
	obj, err := decodeBody(r)
	if err != nil {
		return nil, &apiError{status: http.StatusBadRequest, message: err.(*apiError).message}
	}
	return obj, nil
}

// Null is a value, not an absent field: the official spec declares few
// request fields nullable (description; parent_resource_id on a resource
// create), and a null sent for any other field fails its type, as the real
// API's validation refuses it. Only [jsonObject.nullableStr] reads null.

// has reports whether key was sent, null included.
func (o jsonObject) has(key string) bool {
	_, ok := o[key]
	return ok
}

// isNull reports whether key was sent as JSON null.
func (o jsonObject) isNull(key string) bool {
	v, ok := o[key]
	return ok && string(bytes.TrimSpace(v)) == "null"
}

// str returns the string at key; absent is "". Any other JSON type, null
// included, is 422 naming the field.
func (o jsonObject) str(key string) (string, error) {
	if !o.has(key) {
		return "", nil
	}
	var s string
	if o.isNull(key) || json.Unmarshal(o[key], &s) != nil {
		return "", errInvalid("%s must be a string", key)
	}
	return s, nil
}

// optStr returns the string at key as a pointer, nil when absent; present
// reports whether the key was sent. Null is refused as [jsonObject.str]
// refuses it: for fields the spec does not declare nullable.
func (o jsonObject) optStr(key string) (s *string, present bool, err error) {
	if !o.has(key) {
		return nil, false, nil
	}
	v, err := o.str(key)
	if err != nil {
		return nil, true, err
	}
	return &v, true, nil
}

// nullableStr reads a field the spec declares nullable (type [string,
// "null"]): nil when absent or null; present reports whether the key was
// sent at all (null included), so a PATCH can clear the field.
func (o jsonObject) nullableStr(key string) (s *string, present bool, err error) {
	if o.isNull(key) {
		return nil, true, nil
	}
	return o.optStr(key)
}

// withoutNulls returns o without its null fields: the fake's own /_fake/
// endpoints, which no spec describes, take null as "not sent".
func (o jsonObject) withoutNulls() jsonObject {
	out := make(jsonObject, len(o))
	for k, v := range o {
		if !o.isNull(k) {
			out[k] = v
		}
	}
	return out
}

// strs reads several string fields at once, stopping at the first error.
func (o jsonObject) strs(keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		v, err := o.str(k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// strList returns the list of strings at key; present reports whether the
// key was sent. Null, like any value that is not a list of strings, is 422.
func (o jsonObject) strList(key string) ([]string, bool, error) {
	if !o.has(key) {
		return nil, false, nil
	}
	var s []string
	if o.isNull(key) || json.Unmarshal(o[key], &s) != nil {
		return nil, true, errInvalid("%s must be a list of strings", key)
	}
	return s, true, nil
}

// exclusive refuses a body that sends a key of both forms of one of the
// spec's x-mutually-exclusive-body-groups: presence counts, whatever the
// value ("" and null included), as the spec's oneOf variants test with
// "required".
func (o jsonObject) exclusive(byID string, others []string, msg string) error {
	if !o.has(byID) {
		return nil
	}
	for _, k := range others {
		if o.has(k) {
			return errInvalid("%s", msg)
		}
	}
	return nil
}

// target reads the resource target fields of a check or assignment body.
func (o jsonObject) target() (target, error) {
	if err := o.exclusive("resource_id", []string{"resource_external_id", "resource_type_slug"},
		"resource_id is mutually exclusive with resource_external_id and resource_type_slug: name the resource one way"); err != nil {
		return target{}, err
	}
	v, err := o.strs("resource_id", "resource_external_id", "resource_type_slug")
	if err != nil {
		return target{}, err
	}
	return target{id: v[0], externalID: v[1], typeSlug: v[2]}, nil
}

func requireField(name, value string) error {
	if value == "" {
		return errInvalid("%s is required", name)
	}
	return nil
}
