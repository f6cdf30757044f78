package alias

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsgate/opsgate"
	"gopkg.in/yaml.v3"
)

// LoadError is an alias file (or one alias in it) that was refused, with where and why.
type LoadError struct {
	File   string
	Line   int
	Reason string
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

var (
	reYAMLLine   = regexp.MustCompile(`line (\d+): (.*)`)
	reUnknownKey = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// yamlError turns a yaml.v3 error ("yaml: line 3: ..." or a TypeError listing lines) into a LoadError.
func yamlError(file string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := reYAMLLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		reason := m[2]
		if k := reUnknownKey.FindStringSubmatch(reason); k != nil {
			reason = fmt.Sprintf("unknown key %q", k[1]) // not Go's type name (alias.aliasFile)
		}
		return &LoadError{File: file, Line: line, Reason: reason}
	}
	return &LoadError{File: file, Line: 1, Reason: strings.TrimPrefix(msg, "yaml: ")}
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// LoadDir reads every *.yaml and *.yml file under dir (recursively), one alias per file. A file
// that fails is reported in errs and skipped; the others load. The pack of an alias without a
// `pack` key is the directory above `aliases/` (st2's pack layout) or else the file's directory name.
func LoadDir(dir string) (aliases []*Alias, errs []error) {
	files, err := aliasFiles(dir)
	if err != nil {
		return nil, []error{err}
	}
	seen := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f.path)
		if err != nil {
			errs = append(errs, &LoadError{File: f.path, Line: 0, Reason: err.Error()})
			continue
		}
		a, err := Parse(data, f.path, defaultPack(dir, f.path))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := seen[a.Ref()]; dup {
			errs = append(errs, &LoadError{File: f.path, Line: a.Line, Reason: fmt.Sprintf("alias %s is already defined in %s", a.Ref(), prev)})
			continue
		}
		seen[a.Ref()] = f.path
		aliases = append(aliases, a)
	}
	return aliases, errs
}

func defaultPack(root, path string) string {
	d := filepath.Dir(path)
	if filepath.Base(d) == "aliases" && filepath.Clean(d) != filepath.Clean(root) {
		return filepath.Base(filepath.Dir(d))
	}
	if filepath.Clean(d) == filepath.Clean(root) {
		return filepath.Base(filepath.Clean(root))
	}
	return filepath.Base(d)
}

type fileStamp struct {
	path  string
	mtime time.Time
	size  int64
}

func aliasFiles(dir string) ([]fileStamp, error) {
	var out []fileStamp
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, fileStamp{path: p, mtime: info.ModTime(), size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("alias directory %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// Dir is an alias directory kept loaded: Set returns the current aliases, and Run reloads them
// when a file is added, removed or changed.
type Dir struct {
	Path     string
	Mode     Mode
	Interval time.Duration // how often Run looks at mtimes; 0: 2s
	Logger   *slog.Logger
	// OnLoad, when set, is called after each (re)load with the errors of files that were refused.
	OnLoad func(s *Set, errs []error)
	// Validate, when set, is applied to each alias after it parsed (e.g. its runner block); an
	// alias it refuses is reported like a file that does not parse.
	Validate func(a *Alias) error

	set   atomic.Pointer[Set]
	mu    sync.Mutex // serialises loads
	stamp string

	poke opsgate.Signal
}

// Poke makes Run look at the directory now rather than at the next tick (another replica
// reloaded the same files, NATS said). Safe to call from any goroutine, before or while Run runs.
func (d *Dir) Poke() {
	d.poke.Notify()
}

// Load (re)reads the directory now and returns the errors of refused files.
func (d *Dir) Load() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	files, err := aliasFiles(d.Path)
	if err != nil {
		return []error{err}
	}
	aliases, errs := LoadDir(d.Path)
	if d.Validate != nil {
		kept := aliases[:0]
		for _, a := range aliases {
			if err := d.Validate(a); err != nil {
				var le *LoadError
				if !errors.As(err, &le) {
					err = &LoadError{File: a.File, Line: max(a.RunnerLine, 1), Reason: fmt.Sprintf("alias %s: %v", a.Ref(), err)}
				}
				errs = append(errs, err)
				continue
			}
			kept = append(kept, a)
		}
		aliases = kept
	}
	s := NewSet(aliases, d.Mode)
	d.set.Store(s)
	d.stamp = stampOf(files)
	logger := d.Logger
	if logger == nil {
		logger = slog.Default()
	}
	for _, e := range errs {
		logger.Error("alias file refused", "error", e.Error())
	}
	logger.Info("aliases loaded", "dir", d.Path, "aliases", len(aliases), "refused", len(errs))
	if d.OnLoad != nil {
		d.OnLoad(s, errs)
	}
	return errs
}

// Set returns the aliases loaded last (an empty set before the first Load).
func (d *Dir) Set() *Set {
	if s := d.set.Load(); s != nil {
		return s
	}
	return emptySet
}

func stampOf(files []fileStamp) string {
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "%s|%d|%d\n", f.path, f.mtime.UnixNano(), f.size)
	}
	return b.String()
}

// Run polls the directory until ctx ends, reloading when the set of files or an mtime/size changed.
func (d *Dir) Run(ctx context.Context) {
	interval := d.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	poke := d.poke.C()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-poke:
		}
		files, err := aliasFiles(d.Path)
		if err != nil {
			continue
		}
		d.mu.Lock()
		changed := stampOf(files) != d.stamp
		d.mu.Unlock()
		if changed {
			d.Load()
		}
	}
}
