// Package alias implements StackStorm action aliases: the format language, matching a command
// against many aliases, loading st2 alias files, and a router that runs aliases in the pipeline.
package alias

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/opsgate/opsgate/jinja"
)

// Alias is one action alias, in StackStorm's alias file format, plus opsgate's runner block.
type Alias struct {
	Name        string
	Pack        string
	Description string
	ActionRef   string
	Enabled     bool
	Formats     []FormatSpec
	Ack         Ack
	Result      Result
	Extra       map[string]any
	// ImmutableParameters are set after matching; a user may not give them.
	ImmutableParameters map[string]any
	// Runner is the raw `opsgate:` block (how opsgate runs the action itself); nil when absent.
	Runner map[string]any

	// Where the alias came from, for error messages.
	File       string
	Line       int
	RunnerLine int
}

// FormatSpec is one entry of `formats`: a string (display and representation at once) or
// {display, representation, match_multiple}.
type FormatSpec struct {
	Display         string
	Representations []string
	MatchMultiple   bool
	Line            int
	compiled        []*Format
}

// Ack is the acknowledgement sent when an alias starts running.
type Ack struct {
	Enabled   *bool
	Format    string
	Extra     map[string]any
	AppendURL *bool
}

// Result is how an execution's result is shown; Format is a Jinja template and "{~}" separates
// a pretext from the body.
type Result struct {
	Enabled *bool
	Format  string
	Extra   map[string]any
}

// Ref is pack.name, st2's reference of an alias.
func (a *Alias) Ref() string { return a.Pack + "." + a.Name }

// AckEnabled reports whether an acknowledgement is sent (st2's default: yes).
func (a *Alias) AckEnabled() bool { return a.Ack.Enabled == nil || *a.Ack.Enabled }

// ResultEnabled reports whether the result is posted (st2's default: yes).
func (a *Alias) ResultEnabled() bool { return a.Result.Enabled == nil || *a.Result.Enabled }

// Compile compiles every representation; the error names the format's line.
func (a *Alias) Compile() error {
	for i := range a.Formats {
		fs := &a.Formats[i]
		fs.compiled = fs.compiled[:0]
		for _, r := range fs.Representations {
			f, err := CompileFormat(r)
			if err != nil {
				return &LoadError{File: a.File, Line: fs.Line, Reason: fmt.Sprintf("alias %s: %v", a.Ref(), err)}
			}
			fs.compiled = append(fs.compiled, f)
		}
	}
	return nil
}

// ApplyImmutable returns params with the alias's immutable parameters added, refusing, as st2
// does, a command that sets one of them.
func (a *Alias) ApplyImmutable(params map[string]string) (map[string]string, error) {
	if len(a.ImmutableParameters) == 0 {
		return params, nil
	}
	var over []string
	for k := range a.ImmutableParameters {
		if _, ok := params[k]; ok {
			over = append(over, k)
		}
	}
	if len(over) > 0 {
		sort.Strings(over)
		return nil, &ImmutableError{Names: over}
	}
	out := make(map[string]string, len(params)+len(a.ImmutableParameters))
	for k, v := range params {
		out[k] = v
	}
	for k, v := range a.ImmutableParameters {
		out[k] = stringValue(v)
	}
	return out, nil
}

// Typed returns params (as ApplyImmutable made them) with each immutable parameter that is not
// a string back in its own type: st2 casts only strings to the action parameter's type, so a
// list stays a list and an object an object whatever the action declares.
func (a *Alias) Typed(params map[string]string) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		out[k] = v
	}
	for k, v := range a.ImmutableParameters {
		if _, isString := v.(string); !isString {
			out[k] = v
		}
	}
	return out
}

// ImmutableError is a command that tried to set an immutable parameter.
type ImmutableError struct{ Names []string }

func (e *ImmutableError) Error() string {
	return "Immutable arguments cannot be overriden: " + strings.Join(e.Names, ",")
}

// stringValue renders a YAML value as the string an action parameter receives: scalars as
// written, lists and maps as JSON (st2 casts them back by the parameter's type).
func stringValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any, []any:
		return jsonString(x)
	default:
		return fmt.Sprint(x)
	}
}

// aliasFile is the YAML shape of an st2 alias file. Keys st2 writes when exporting (id, uid, ref)
// are accepted and ignored so a pack's files load unchanged.
type aliasFile struct {
	Name                string         `yaml:"name"`
	Pack                string         `yaml:"pack"`
	Description         string         `yaml:"description"`
	ActionRef           string         `yaml:"action_ref"`
	Enabled             *bool          `yaml:"enabled"`
	Formats             []yaml.Node    `yaml:"formats"`
	Ack                 *ackFile       `yaml:"ack"`
	Result              *resultFile    `yaml:"result"`
	Extra               map[string]any `yaml:"extra"`
	ImmutableParameters map[string]any `yaml:"immutable_parameters"`
	Opsgate             yaml.Node      `yaml:"opsgate"`
	ID                  any            `yaml:"id"`
	UID                 any            `yaml:"uid"`
	Ref                 any            `yaml:"ref"`
	MetadataFile        any            `yaml:"metadata_file"`
}

type ackFile struct {
	Enabled   *bool          `yaml:"enabled"`
	Format    string         `yaml:"format"`
	Extra     map[string]any `yaml:"extra"`
	AppendURL *bool          `yaml:"append_url"`
}

type resultFile struct {
	Enabled *bool          `yaml:"enabled"`
	Format  string         `yaml:"format"`
	Extra   map[string]any `yaml:"extra"`
}

type formatDict struct {
	Display        string    `yaml:"display"`
	Representation yaml.Node `yaml:"representation"`
	MatchMultiple  bool      `yaml:"match_multiple"`
}

// Parse reads one alias from a YAML document (file names the source in errors). The pack
// defaults to defaultPack (st2 takes it from the pack directory).
func Parse(data []byte, file, defaultPack string) (*Alias, error) {
	var af aliasFile
	d := yaml.NewDecoder(bytes.NewReader(data))
	d.KnownFields(true) // an unknown key is a typo: refuse it with its line
	if err := d.Decode(&af); err != nil {
		if err == io.EOF {
			return nil, &LoadError{File: file, Line: 1, Reason: "empty file"}
		}
		return nil, yamlError(file, err)
	}
	root := &yaml.Node{Line: 1}
	a := &Alias{
		Name: af.Name, Pack: af.Pack, Description: af.Description, ActionRef: af.ActionRef, Enabled: true,
		Extra: af.Extra, ImmutableParameters: af.ImmutableParameters, File: file, Line: root.Line,
	}
	if af.Enabled != nil {
		a.Enabled = *af.Enabled
	}
	if a.Pack == "" {
		a.Pack = defaultPack
	}
	fail := func(line int, format string, args ...any) error {
		return &LoadError{File: file, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	if a.Name == "" {
		return nil, fail(root.Line, "name is required")
	}
	if a.ActionRef == "" {
		return nil, fail(root.Line, "alias %s: action_ref is required", a.Name)
	}
	if af.Ack != nil {
		a.Ack = Ack{Enabled: af.Ack.Enabled, Format: af.Ack.Format, Extra: af.Ack.Extra, AppendURL: af.Ack.AppendURL}
	}
	if af.Result != nil {
		a.Result = Result{Enabled: af.Result.Enabled, Format: af.Result.Format, Extra: af.Result.Extra}
	}
	for i := range af.Formats {
		n := &af.Formats[i]
		fs := FormatSpec{Line: n.Line}
		switch n.Kind {
		case yaml.ScalarNode:
			fs.Display, fs.Representations = n.Value, []string{n.Value}
		case yaml.MappingNode:
			for k := 0; k+1 < len(n.Content); k += 2 {
				switch key := n.Content[k]; key.Value {
				case "display", "representation", "match_multiple":
				default:
					return nil, fail(key.Line, "alias %s: unknown format key %q", a.Name, key.Value)
				}
			}
			var fd formatDict
			if err := n.Decode(&fd); err != nil {
				return nil, yamlError(file, err)
			}
			fs.Display, fs.MatchMultiple = fd.Display, fd.MatchMultiple
			switch fd.Representation.Kind {
			case 0:
			case yaml.ScalarNode:
				fs.Representations = []string{fd.Representation.Value}
			case yaml.SequenceNode:
				for _, r := range fd.Representation.Content {
					if r.Kind != yaml.ScalarNode {
						return nil, fail(r.Line, "alias %s: a representation must be a string", a.Name)
					}
					fs.Representations = append(fs.Representations, r.Value)
				}
			default:
				return nil, fail(fd.Representation.Line, "alias %s: representation must be a string or a list of strings", a.Name)
			}
			if fs.Display == "" && len(fs.Representations) == 0 {
				return nil, fail(n.Line, "alias %s: a format needs display or representation", a.Name)
			}
		default:
			return nil, fail(n.Line, "alias %s: format %d is neither a string nor a {display, representation} map", a.Name, i+1)
		}
		a.Formats = append(a.Formats, fs)
	}
	if af.Opsgate.Kind != 0 {
		if af.Opsgate.Kind != yaml.MappingNode {
			return nil, fail(af.Opsgate.Line, "alias %s: opsgate must be a map", a.Name)
		}
		if err := af.Opsgate.Decode(&a.Runner); err != nil {
			return nil, yamlError(file, err)
		}
		a.RunnerLine = af.Opsgate.Line
	}
	if err := a.Compile(); err != nil {
		return nil, err
	}
	// A template that cannot parse would fail every run: refuse the file now, with the line.
	for _, t := range []struct {
		key, src string
		used     bool
	}{{"ack", a.Ack.Format, a.AckEnabled()}, {"result", a.Result.Format, a.ResultEnabled()}} {
		if t.src == "" || !t.used {
			continue
		}
		if _, err := jinja.Compile(t.src, false); err != nil {
			return nil, fail(keyLine(data, t.key, "format"), "alias %s: %s.format: %s", a.Ref(), t.key, strings.TrimPrefix(err.Error(), "template: "))
		}
	}
	return a, nil
}

// keyLine is the line of the value at path in the YAML document data (1 when not found).
func keyLine(data []byte, path ...string) int {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return 1
	}
	n, line := root.Content[0], 1
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next, line = n.Content[i+1], n.Content[i+1].Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}
