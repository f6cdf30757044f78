package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/opsgate/opsgate/acl"
	"github.com/opsgate/opsgate/alias"
	"github.com/opsgate/opsgate/executor"
)

// The README's and docs' examples are run, so they cannot drift from the program:
//   - every `opsgate ...` / `./opsgate ...` / `go run ./cmd/opsgate ...` line of a ```sh block, and
//     every `$ opsgate ...` line of any block (whose following lines are its expected output), runs
//     through the real CLI in a scratch directory (a copy of examples/) with a scratch database;
//   - every other mention of a command (a synopsis in a code block, `opsgate ...` in the text or a
//     table) must name an existing command and only flags it has;
//   - every ```yaml block is loaded by the loader of what it is (configuration, alias file, runner
//     block, Errbot ACL). A block whose info string names a file (```yaml acl.yaml) is written to
//     that file first, so later commands of the same document can use it.
// New examples are picked up without touching this test; a failure names file, line and command.

// needsLive lists the commands an example may show that cannot run here, and why.
var needsLive = map[string]string{
	"serve":             "runs the server until it is stopped",
	"stackstorm doctor": "talks to a running StackStorm",
}

func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join("..", "..", "README.md")}
	more, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append(files, more...)
}

// docLine is one line of a document, with where it is.
type docLine struct {
	file string
	line int
	text string
}

func (d docLine) String() string {
	return fmt.Sprintf("%s:%d: %s", filepath.Base(d.file), d.line, strings.TrimSpace(d.text))
}

// block is a fenced code block.
type block struct {
	lang, name string // info string: language and optional file name
	start      int    // line of the opening fence
	lines      []docLine
}

func parseDoc(t *testing.T, path string) (blocks []block, prose []docLine) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cur *block
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			if cur == nil {
				info := strings.Fields(strings.TrimPrefix(line, "```"))
				cur = &block{start: n}
				if len(info) > 0 {
					cur.lang = info[0]
				}
				if len(info) > 1 {
					cur.name = info[1]
				}
			} else {
				blocks = append(blocks, *cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, docLine{path, n, line})
		} else {
			prose = append(prose, docLine{path, n, line})
		}
	}
	return blocks, prose
}

var (
	reInline  = regexp.MustCompile("`((?:\\./)?opsgate [^`]*)`")
	reFlag    = regexp.MustCompile(`(?:^|[\s\[|(])(--[a-z][a-z0-9-]*)`)
	reCLILine = regexp.MustCompile(`^(?:\./opsgate|opsgate|go run \./cmd/opsgate)(?:\s|$)`)
)

// cliArgs returns the arguments of a runnable command line ("" comment stripped, shell words
// split, $(id -un) substituted), or ok=false for a line that is not an opsgate command.
func cliArgs(t *testing.T, d docLine, text string) (args []string, ok bool) {
	t.Helper()
	text = strings.TrimSpace(text)
	if !reCLILine.MatchString(text) {
		return nil, false
	}
	words, err := shellWords(text)
	if err != nil {
		t.Errorf("%s: %v", d, err)
		return nil, false
	}
	if words[0] == "go" {
		words = words[2:] // go run ./cmd/opsgate ARGS
	}
	return words[1:], true
}

// shellWords splits a line as sh would for the forms the docs use: quotes, backslash escapes,
// comments, and $(id -un) (the login name). Other expansions are refused, so an example never
// silently runs with something else than what a reader's shell would pass.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
			continue
		case c == '$' && quote != '\'':
			if strings.HasPrefix(s[i:], "$(id -un)") {
				cur.WriteString(currentUser())
				i += len("$(id -un)") - 1
				inWord = true
				continue
			}
			return nil, fmt.Errorf("shell expansion %q: the doc test knows only $(id -un)", s[i:])
		case quote == '"':
			if c == '"' {
				quote = 0
			} else if c == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`, s[i+1]) >= 0 {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
			continue
		case c == '\'' || c == '"':
			quote, inWord = c, true
			continue
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
			continue
		case c == '#' && !inWord:
			i = len(s)
			continue
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		}
		cur.WriteByte(c)
		inWord = true
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func TestDocExamplesRun(t *testing.T) {
	for _, path := range docFiles(t) {
		blocks, _ := parseDoc(t, path)
		t.Run(filepath.Base(path), func(t *testing.T) {
			work := t.TempDir()
			copyExamples(t, work, "", "")
			t.Chdir(work)
			dsn := "sqlite://" + filepath.Join(work, "opsgate.db")
			// The database exists, as after a first `serve` or `grant add`: commands that only read may refuse a missing one.
			if r := runCLI(t, dsn, "", "migrate"); r.code != 0 {
				t.Fatalf("migrate: %+v", r)
			}
			for _, b := range blocks {
				if b.name != "" {
					var body []string
					for _, l := range b.lines {
						body = append(body, l.text)
					}
					if err := os.WriteFile(b.name, []byte(strings.Join(body, "\n")+"\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				shell := b.lang == "sh" || b.lang == "shell" || b.lang == "console" || b.lang == "bash"
				for i := 0; i < len(b.lines); i++ {
					d := b.lines[i]
					text, prompt := strings.CutPrefix(strings.TrimSpace(d.text), "$ ")
					if !shell && !prompt {
						continue
					}
					args, ok := cliArgs(t, d, text)
					if !ok {
						continue // go build, go test, ...: not opsgate's CLI
					}
					if reason := liveReason(args); reason != "" {
						t.Logf("%s: not run: %s", d, reason)
						continue
					}
					r := runCLI(t, dsn, "", args...)
					if prompt {
						// The lines up to the next prompt (or the block's end) are the expected output.
						var want []string
						for i+1 < len(b.lines) && !strings.HasPrefix(strings.TrimSpace(b.lines[i+1].text), "$ ") {
							i++
							want = append(want, b.lines[i].text)
						}
						got := strings.TrimRight(r.stdout+r.stderr, "\n")
						if w := strings.TrimRight(strings.Join(want, "\n"), "\n"); got != w {
							t.Errorf("%s: printed\n%s\nthe doc shows\n%s", d, got, w)
						}
						continue
					}
					if r.code != 0 {
						t.Errorf("%s: exit %d: %s%s", d, r.code, r.stdout, r.stderr)
					}
				}
			}
		})
	}
}

func liveReason(args []string) string {
	for cmd, reason := range needsLive {
		if strings.Contains(" "+strings.Join(args, " ")+" ", " "+cmd+" ") {
			return reason
		}
	}
	return ""
}

// TestDocCommandsExist checks every synopsis and inline mention: the command exists, and so does
// each flag it names.
func TestDocCommandsExist(t *testing.T) {
	root := (&Main{Stdout: os.Stdout, Stderr: os.Stderr}).rootCommand()
	root.InitDefaultVersionFlag() // cobra adds --version and --help only when it executes
	var addHelp func(c *cobra.Command)
	addHelp = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		for _, s := range c.Commands() {
			addHelp(s)
		}
	}
	addHelp(root)
	check := func(d docLine, text string) {
		words := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(text), "$ "), "./"))
		if len(words) == 0 || words[0] != "opsgate" {
			return
		}
		// The command path: leading words that are subcommand names; "add\|list" or "add|list"
		// lists alternatives, each of which must exist.
		cmds := []*cobra.Command{root}
		for _, w := range words[1:] {
			alts := strings.Split(strings.ReplaceAll(w, `\|`, "|"), "|")
			var next []*cobra.Command
			for _, c := range cmds {
				for _, a := range alts {
					if sub := findSub(c, a); sub != nil {
						next = append(next, sub)
					}
				}
			}
			if len(next) == 0 {
				break
			}
			if len(next) != len(cmds)*len(alts) {
				t.Errorf("%s: %q names a command opsgate does not have", d, w)
			}
			cmds = next
		}
		if len(cmds) == 1 && cmds[0] == root && len(words) > 1 && !strings.HasPrefix(words[1], "-") && !strings.HasPrefix(words[1], "[") {
			t.Errorf("%s: opsgate has no command %q", d, words[1])
			return
		}
		for _, m := range reFlag.FindAllStringSubmatch(text, -1) {
			for _, c := range cmds {
				if c.Flags().Lookup(m[1][2:]) == nil && c.InheritedFlags().Lookup(m[1][2:]) == nil && root.PersistentFlags().Lookup(m[1][2:]) == nil {
					t.Errorf("%s: `%s` has no flag %s", d, c.CommandPath(), m[1])
				}
			}
		}
	}
	for _, path := range docFiles(t) {
		blocks, prose := parseDoc(t, path)
		for _, b := range blocks {
			for _, l := range b.lines {
				text := l.text
				if b.lang == "sh" || b.lang == "shell" || b.lang == "console" || b.lang == "bash" || b.lang == "" {
					if i := strings.Index(text, " #"); i >= 0 {
						text = text[:i]
					}
					if strings.HasPrefix(strings.TrimSpace(text), "go run ./cmd/opsgate ") {
						text = "opsgate " + strings.TrimPrefix(strings.TrimSpace(text), "go run ./cmd/opsgate ")
					}
					check(l, text)
				}
			}
		}
		for _, l := range prose {
			for _, m := range reInline.FindAllStringSubmatch(l.text, -1) {
				check(docLine{l.file, l.line, m[1]}, m[1])
			}
		}
	}
}

func findSub(c *cobra.Command, name string) *cobra.Command {
	for _, s := range c.Commands() {
		if s.Name() == name || s.HasAlias(name) {
			return s
		}
	}
	return nil
}

// TestDocYAMLLoads loads each ```yaml example with the loader of what it is.
func TestDocYAMLLoads(t *testing.T) {
	cfgKeys := map[string]bool{}
	for _, k := range yamlKeys(t, DefaultConfig()) {
		cfgKeys[k] = true
	}
	for _, path := range docFiles(t) {
		blocks, _ := parseDoc(t, path)
		for _, b := range blocks {
			if b.lang != "yaml" && b.lang != "yml" {
				continue
			}
			var body []string
			for _, l := range b.lines {
				body = append(body, l.text)
			}
			src := strings.Join(body, "\n") + "\n"
			where := fmt.Sprintf("%s:%d", filepath.Base(path), b.start)
			var top map[string]any
			if err := yaml.Unmarshal([]byte(src), &top); err != nil {
				t.Errorf("%s: not YAML: %v", where, err)
				continue
			}
			switch {
			case top["trigger"] != nil && top["action"] != nil:
				t.Logf("%s: a StackStorm rule: st2 loads it, not opsgate", where)
			case top["ACCESS_CONTROLS"] != nil || top["BOT_ADMINS"] != nil || top["ACCESS_CONTROLS_DEFAULT"] != nil:
				if _, err := acl.Parse(where, []byte(src)); err != nil {
					t.Errorf("%s: Errbot ACL refused: %v", where, err)
				}
			case top["action_ref"] != nil:
				a, err := alias.Parse([]byte(src), where, "docs")
				if err == nil && a.Runner != nil {
					_, err = executor.ParseSpec(a.Runner)
				}
				if err != nil {
					t.Errorf("%s: alias file refused: %v", where, err)
				}
			case len(top) == 1 && top["opsgate"] != nil:
				runner, _ := top["opsgate"].(map[string]any)
				if _, err := executor.ParseSpec(runner); err != nil {
					t.Errorf("%s: runner block refused: %v", where, err)
				}
			default:
				for k := range top {
					if !cfgKeys[k] {
						t.Errorf("%s: %q is neither a configuration key nor part of a file opsgate reads", where, k)
					}
				}
				p := filepath.Join(t.TempDir(), "opsgate.yaml")
				os.WriteFile(p, []byte(src), 0o644)
				if _, err := LoadConfig(p, nil); err != nil {
					t.Errorf("%s: configuration refused: %v", where, err)
				}
			}
		}
	}
}

// yamlKeys lists the top-level keys of the configuration.
func yamlKeys(t *testing.T, cfg Config) []string {
	t.Helper()
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	yaml.Unmarshal(data, &m)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
