package secret

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opsgate/opsgate"
)

// maxFileSize bounds what a text-file secret reads: a secret is small, and a path to a huge or
// endless file (/dev/zero) must not exhaust memory.
const maxFileSize = 64 << 10

// FileProvider is the text-file provider (parameter "path"). The rendered path must be absolute,
// clean (no "..") and under one of Roots, also after following symlinks; the content is returned
// with surrounding whitespace stripped.
type FileProvider struct {
	// Roots are the directories secrets may read from. With none, every path is refused: a
	// secret definition must not be a way to read any file opsgate can.
	Roots []string
}

var _ opsgate.SecretsProvider = (*FileProvider)(nil)

func (*FileProvider) Slug() string { return "text-file" }
func (*FileProvider) Name() string { return "TextFileSecretsProvider" }

// Validate checks the rendered path lexically: absolute, clean, no "..", under a root.
func (p *FileProvider) Validate(params map[string]string) error {
	path, ok := params["path"]
	if !ok || path == "" {
		return paramsError(`The "path" parameter is mandatory!`)
	}
	for k := range params {
		if k != "path" {
			return paramsError(`Unknown parameter "` + k + `" (this provider takes "path").`)
		}
	}
	if strings.ContainsRune(path, 0) {
		return paramsError(`Path contains a NUL byte.`)
	}
	if !filepath.IsAbs(path) {
		return paramsError(`Path "` + path + `" is not absolute.`)
	}
	for _, el := range strings.Split(filepath.ToSlash(path), "/") {
		if el == ".." {
			return paramsError(`Path "` + path + `" contains "..".`)
		}
	}
	if filepath.Clean(path) != path {
		return paramsError(`Path "` + path + `" is not clean (it should be "` + filepath.Clean(path) + `").`)
	}
	if len(p.Roots) == 0 {
		return paramsError(`No directories are allowed for text-file secrets (secrets.file_roots is empty).`)
	}
	if underAny(path, p.Roots) == "" {
		return paramsError(`Path "` + path + `" is not under an allowed directory (` + strings.Join(p.Roots, ", ") + `).`)
	}
	return nil
}

// underAny returns the first root that contains path, "" when none does.
func underAny(path string, roots []string) string {
	for _, r := range roots {
		r = filepath.Clean(r)
		if path == r {
			continue // the root itself is a directory, not a secret
		}
		if r == string(filepath.Separator) || strings.HasPrefix(path, r+string(filepath.Separator)) {
			return r
		}
	}
	return ""
}

// Get reads the file after checking that, with every symlink resolved, it is still under the
// (resolved) root it was allowed by.
func (p *FileProvider) Get(_ context.Context, params map[string]string) (string, error) {
	if err := p.Validate(params); err != nil {
		return "", err
	}
	path := params["path"]
	root := underAny(path, p.Roots)
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", opsgate.NewSecretError(ErrProvider, `Allowed directory "`+root+`" cannot be resolved.`, err)
	}
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", opsgate.NewSecretError(ErrValueNotFound, `File "`+path+`" does not exist!`, nil)
	} else if err != nil {
		return "", opsgate.NewSecretError(ErrProvider, `File "`+path+`" cannot be resolved.`, err)
	}
	if underAny(real, []string{realRoot}) == "" {
		return "", paramsError(`Path "` + path + `" leads outside the allowed directory "` + root + `" through a symbolic link.`)
	}
	// Open what we resolved inside the resolved root: should a directory or the file be replaced by
	// a symlink after the check above, os.Root refuses to follow it out of the root. The open does
	// not block (a named pipe would wait for a writer forever); the type is checked on what was opened.
	rel, err := filepath.Rel(realRoot, real)
	if err != nil {
		return "", opsgate.NewSecretError(ErrProvider, `File "`+path+`" cannot be resolved.`, err)
	}
	if testHookBeforeOpen != nil {
		testHookBeforeOpen()
	}
	r, err := os.OpenRoot(realRoot)
	if err != nil {
		return "", opsgate.NewSecretError(ErrProvider, `Allowed directory "`+root+`" cannot be opened.`, stripPathErr(err))
	}
	defer r.Close()
	f, err := r.OpenFile(rel, openFlags, 0)
	if err != nil {
		return "", opsgate.NewSecretError(ErrProvider, `File "`+path+`" cannot be read.`, stripPathErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", opsgate.NewSecretError(ErrProvider, `File "`+path+`" cannot be read.`, stripPathErr(err))
	}
	if !st.Mode().IsRegular() {
		return "", opsgate.NewSecretError(ErrProvider, `File "`+path+`" is not a regular file.`, nil)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return "", opsgate.NewSecretError(ErrProvider, `File "`+path+`" cannot be read.`, stripPathErr(err))
	}
	if len(b) > maxFileSize {
		return "", opsgate.NewSecretError(ErrProvider, `File "`+path+`" is larger than `+strconv.Itoa(maxFileSize)+` bytes.`, nil)
	}
	return strings.TrimSpace(string(b)), nil
}

// testHookBeforeOpen lets a test change the tree between the symlink check and the open.
var testHookBeforeOpen func()

// stripPathErr keeps the cause (permission denied, ...) of a path error.
func stripPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
