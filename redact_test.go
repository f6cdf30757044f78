package opsgate

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const testSecret = "s3cret-VALUE"

type replaceRedactor struct{}

func (replaceRedactor) Redact(s string) string {
	return strings.ReplaceAll(s, testSecret, "[REDACTED]")
}

// keptFields travel back to opsgate or name a local file; they are not shown to anyone.
var keptFields = []string{"Button.Command", "Button.Style", "Menu.Prefix", "Choice.Value", "Dialog.Prefix",
	"DialogField.Type", "DialogField.Name", "TextPrompt.Prefix", "Image.Path"}

// Every text of every block kind is redacted, including kinds added later: the block types are
// read from message.go, so a new one without redaction fails here.
func TestRedactMessageEveryBlockKind(t *testing.T) {
	samples := map[string]Block{"Text": Text{}, "Header": Header{}, "Fields": Fields{}, "Table": Table{}, "Snippet": Snippet{},
		"Image": Image{}, "Actions": Actions{}, "Menu": Menu{}, "Dialog": Dialog{}, "TextPrompt": TextPrompt{}}
	for _, name := range blockTypes(t) {
		zero, ok := samples[name]
		if !ok {
			t.Errorf("block %s is not covered: redact it in redactBlock and add it here", name)
			continue
		}
		v := reflect.New(reflect.TypeOf(zero)).Elem()
		fill(v)
		in := v.Interface().(Block)
		before := dump(in)
		out := RedactMessage(Message{Blocks: []Block{in}, Ephemeral: true}, replaceRedactor{})
		if !out.Ephemeral {
			t.Errorf("%s: message flags lost", name)
		}
		walk(reflect.ValueOf(out.Blocks[0]), name, func(path, s string) {
			if kept := slices.Contains(keptFields, path); kept != strings.Contains(s, testSecret) {
				t.Errorf("%s: %s = %q (kept field: %v)", name, path, s, kept)
			}
		})
		if dump(in) != before {
			t.Errorf("%s: the caller's message was changed", name)
		}
	}
}

// A secret in any one text of a block is redacted wherever it sits (a block, or a slice, is copied
// only where a text changes), the other texts come out as they went in, and so does the caller's
// message.
func TestRedactMessageOneSecretAnywhere(t *testing.T) {
	samples := []Block{Text{}, Header{}, Fields{}, Table{}, Snippet{}, Image{}, Actions{}, Menu{}, Dialog{}, TextPrompt{}}
	for _, zero := range samples {
		name := reflect.TypeOf(zero).Name()
		n := 0
		fillNth(reflect.New(reflect.TypeOf(zero)).Elem(), -1, &n)
		for k := range n {
			v := reflect.New(reflect.TypeOf(zero)).Elem()
			i := 0
			fillNth(v, k, &i)
			in := v.Interface().(Block)
			before := dump(in)
			out := RedactMessage(Message{Blocks: []Block{Text{Markdown: "clean"}, in, Header{Text: "clean"}}}, replaceRedactor{})
			if dump(in) != before {
				t.Errorf("%s, text %d: the caller's message was changed", name, k)
			}
			if out.Blocks[0] != (Text{Markdown: "clean"}) || out.Blocks[2] != (Header{Text: "clean"}) {
				t.Errorf("%s, text %d: the blocks around it changed: %+v", name, k, out.Blocks)
			}
			want := strings.ReplaceAll(before, testSecret, "[REDACTED]")
			if got := dump(out.Blocks[1]); got != want && !keptSecret(got) {
				t.Errorf("%s, text %d:\n got %s\nwant %s", name, k, got, want)
			}
		}
	}
}

// keptSecret reports a dump whose only secret is in a kept field (redaction would break it).
func keptSecret(dump string) bool {
	for _, kv := range strings.Split(dump, ";") {
		path, v, _ := strings.Cut(kv, "=")
		if strings.Contains(v, testSecret) && !slices.Contains(keptFields, path) {
			return false
		}
	}
	return true
}

// fillNth sets every string in v (through structs and two-element slices) to "plain", except the
// k-th (counting in *i), which holds the secret.
func fillNth(v reflect.Value, k int, i *int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("plain")
		if *i == k {
			v.SetString("a " + testSecret + " b")
		}
		*i++
	case reflect.Struct:
		for j := 0; j < v.NumField(); j++ {
			fillNth(v.Field(j), k, i)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for j := 0; j < v.Len(); j++ {
			fillNth(v.Index(j), k, i)
		}
	}
}

// BenchmarkRedactMessage measures the redaction of whoami's reply (one block of four fields),
// holding no secret and holding one.
func BenchmarkRedactMessage(b *testing.B) {
	for _, c := range []struct{ name, user string }{{"clean", "U1 (bench)"}, {"secret", "U1 " + testSecret}} {
		m := Message{Ephemeral: true, Blocks: []Block{Fields{Fields: []Field{{Name: "Platform", Value: "slack"},
			{Name: "Organization", Value: "T1"}, {Name: "Channel", Value: "C1"}, {Name: "User", Value: c.user}}}}}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				RedactMessage(m, replaceRedactor{})
			}
		})
	}
}

func TestRedactDispatcher(t *testing.T) {
	d := &recordingDispatcher{}
	if RedactDispatcher(d, NopRedactor{}) != Dispatcher(d) {
		t.Error("a NopRedactor must not wrap")
	}
	r := RedactDispatcher(d, replaceRedactor{})
	if RedactDispatcher(r, replaceRedactor{}) != r {
		t.Error("wrapping twice with one redactor must not wrap again")
	}
	if RedactorOf(r) != (replaceRedactor{}) || RedactorOf(d) != (NopRedactor{}) {
		t.Error("RedactorOf does not return the dispatcher's redactor")
	}
	r.Send(context.Background(), Textf("pw %s", testSecret))
	if len(d.sent) != 1 || d.sent[0].Blocks[0].(Text).Markdown != "pw [REDACTED]" {
		t.Errorf("sent %+v", d.sent)
	}
}

// A Redacting held by the caller scrubs as RedactDispatcher's own does.
func TestRedactingWrapInPlace(t *testing.T) {
	d := &recordingDispatcher{}
	var slot Redacting
	if slot.Wrap(d, NopRedactor{}) != Dispatcher(d) {
		t.Error("a NopRedactor must not wrap")
	}
	r := slot.Wrap(d, replaceRedactor{})
	if r != Dispatcher(&slot) || RedactorOf(r) != (replaceRedactor{}) {
		t.Fatalf("Wrap returned %v, want the slot, scrubbing with the redactor", r)
	}
	r.Send(context.Background(), Textf("pw %s", testSecret))
	if len(d.sent) != 1 || d.sent[0].Blocks[0].(Text).Markdown != "pw [REDACTED]" {
		t.Errorf("sent %+v", d.sent)
	}
}

type recordingDispatcher struct{ sent []Message }

func (d *recordingDispatcher) Send(_ context.Context, m Message) (MessageRef, error) {
	d.sent = append(d.sent, m)
	return "", nil
}
func (*recordingDispatcher) Delete(context.Context, MessageRef) error { return nil }
func (*recordingDispatcher) Busy(context.Context) error               { return nil }

// blockTypes returns the types message.go gives a block() method.
func blockTypes(t *testing.T) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "message.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "block" && fn.Recv != nil {
			if id, ok := fn.Recv.List[0].Type.(*ast.Ident); ok {
				names = append(names, id.Name)
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %v in message.go", names)
	}
	return names
}

// fill sets every string in v (through structs and slices) to a text holding the secret.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("a " + testSecret + " b")
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i))
		}
	}
}

// walk calls fn with each string in v and its path, Type.Field.
func walk(v reflect.Value, typ string, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.Interface:
		walk(v.Elem(), typ, fn)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Type.Kind() == reflect.String {
				fn(v.Type().Name()+"."+f.Name, v.Field(i).String())
			} else {
				walk(v.Field(i), typ, fn)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if v.Index(i).Kind() == reflect.String {
				fn(typ+"[]", v.Index(i).String())
			} else {
				walk(v.Index(i), typ, fn)
			}
		}
	}
}

func dump(b Block) string {
	var s []string
	walk(reflect.ValueOf(b), "", func(path, v string) { s = append(s, path+"="+v) })
	return strings.Join(s, ";")
}
