package authz

import "encoding/json"

// Nullable is a field of an update that the API lets you set to a value or
// clear to null, such as a description. Its zero value leaves the field as
// it is (it is not sent); [Value] sets it, [Null] clears it:
//
//	// Change the description.
//	c.UpdateResource(ctx, r, authz.UpdateResourceParams{Description: authz.Value("Builds the product")})
//	// Clear it: the API answers "description": null from then on.
//	c.UpdateResource(ctx, r, authz.UpdateResourceParams{Description: authz.Null[string]()})
//
// On the wire an unset Nullable is absent from the body (with the
// omitzero option of encoding/json), Null is JSON null and Value(v) is v.
// Results read null back as the zero value ("" for a description), so an
// empty string and null look the same there; only Null clears the field.
type Nullable[T any] struct {
	v     T
	state nullState
}

type nullState uint8

const (
	nullUnset nullState = iota
	nullValue
	nullNull
)

// Value returns a Nullable that sets the field to v.
func Value[T any](v T) Nullable[T] { return Nullable[T]{v: v, state: nullValue} }

// Null returns a Nullable that clears the field to null.
func Null[T any]() Nullable[T] { return Nullable[T]{state: nullNull} }

// IsZero reports whether n is unset: the field is left as it is. It lets
// encoding/json's omitzero leave the field out.
func (n Nullable[T]) IsZero() bool { return n.state == nullUnset }

// IsNull reports whether n clears the field.
func (n Nullable[T]) IsNull() bool { return n.state == nullNull }

// Get returns the value n sets the field to, and whether it sets one
// (false when it is unset or null).
func (n Nullable[T]) Get() (T, bool) { return n.v, n.state == nullValue }

// MarshalJSON encodes a value as itself and null (or unset) as null.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if n.state != nullValue {
		return []byte("null"), nil
	}
	return json.Marshal(n.v)
}
