package secret

import (
	"context"
	"fmt"
	"reflect"
	"strings"
)

const refPrefix, refSuffix = "${secret:", "}"

// HasRef reports whether s holds a ${secret:NAME} reference.
func HasRef(s string) bool { return strings.Contains(s, refPrefix) }

// ExpandRefs replaces every ${secret:NAME} in s with the named secret's value.
func ExpandRefs(ctx context.Context, s string, resolve func(ctx context.Context, name string) (string, error)) (string, error) {
	if !HasRef(s) {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, refPrefix)
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i+len(refPrefix):], refSuffix)
		if j < 0 {
			return "", fmt.Errorf("unterminated %s reference", refPrefix+"...}")
		}
		name := strings.TrimSpace(s[i+len(refPrefix) : i+len(refPrefix)+j])
		if name == "" {
			return "", fmt.Errorf("empty %s} reference", refPrefix)
		}
		v, err := resolve(ctx, name)
		if err != nil {
			return "", err
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+len(refPrefix)+j+len(refSuffix):]
	}
}

// ResolveRefs walks v (a pointer to a struct, typically opsgate's configuration) and replaces
// ${secret:NAME} references in every settable string it reaches (struct fields, map values,
// slice and array elements, through pointers and interfaces). Errors name the field by its
// yaml path, e.g. "slack.signing_secret: SecretValueNotFoundError: ...".
func ResolveRefs(ctx context.Context, v any, resolve func(ctx context.Context, name string) (string, error)) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("ResolveRefs needs a non-nil pointer, got %T", v)
	}
	return walkRefs(ctx, rv.Elem(), "", resolve, 0)
}

func walkRefs(ctx context.Context, v reflect.Value, path string, resolve func(context.Context, string) (string, error), depth int) error {
	if depth > 32 {
		return nil // cycles through pointers; configuration is never this deep
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if !HasRef(s) {
			return nil
		}
		out, err := ExpandRefs(ctx, s, resolve)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if !v.CanSet() {
			return fmt.Errorf("%s: cannot replace a secret reference here", path)
		}
		v.SetString(out)
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if v.Kind() == reflect.Interface {
			// An interface holds a copy; resolve a settable copy and store it back.
			inner := v.Elem()
			cp := reflect.New(inner.Type()).Elem()
			cp.Set(inner)
			if err := walkRefs(ctx, cp, path, resolve, depth+1); err != nil {
				return err
			}
			if v.CanSet() {
				v.Set(cp)
			}
			return nil
		}
		return walkRefs(ctx, v.Elem(), path, resolve, depth+1)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if err := walkRefs(ctx, v.Field(i), join(path, fieldName(f)), resolve, depth+1); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := walkRefs(ctx, v.Index(i), fmt.Sprintf("%s[%d]", path, i), resolve, depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		type upd struct{ k, v reflect.Value }
		var updates []upd
		for iter.Next() {
			cp := reflect.New(iter.Value().Type()).Elem()
			cp.Set(iter.Value())
			if err := walkRefs(ctx, cp, join(path, fmt.Sprint(iter.Key().Interface())), resolve, depth+1); err != nil {
				return err
			}
			updates = append(updates, upd{iter.Key(), cp})
		}
		for _, u := range updates {
			v.SetMapIndex(u.k, u.v)
		}
	}
	return nil
}

func fieldName(f reflect.StructField) string {
	if tag, ok := f.Tag.Lookup("yaml"); ok {
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			return f.Name
		}
		if name != "" {
			return name
		}
		if f.Anonymous {
			return ""
		}
	}
	return f.Name
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}
