package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// jsonError words a request body decoding error for people: encoding/json names Go types and
// struct fields ("Go struct field Grant.id of type int64"), time names its layout.
func jsonError(err error) string {
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Sprintf("the body must be a JSON object, not %s", jsonKind(te.Value))
		}
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, goKindWords(te.Type), jsonKind(te.Value))
	case errors.As(err, &pe):
		return fmt.Sprintf("%q is not an RFC 3339 time like 2030-01-02T15:04:05Z", pe.Value)
	case errors.As(err, &se):
		return "it is not valid JSON (" + strings.TrimPrefix(se.Error(), "json: ") + ")"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

var jsonKinds = map[string]string{"number": "a number", "string": "a string", "array": "a list", "object": "an object", "bool": "true or false"}

func jsonKind(v string) string {
	if w, ok := jsonKinds[v]; ok {
		return w
	}
	return v
}

func goKindWords(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "an object"
}
