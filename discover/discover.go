// Package discover walks the paths given to a scan and lists the files to
// scan. It matches names only (doublestar patterns relative to each scanned
// directory); deciding what a file is belongs to the engine, which reads
// content. It never follows a symlink out of the directory being scanned.
package discover

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/modelgate/modelgate/scanner"
)

// Options control discovery.
type Options struct {
	// Includes add patterns to the defaults (or replace them with
	// NoDefaultIncludes).
	Includes          []string
	NoDefaultIncludes bool
	// Excludes add patterns to the default excludes (or replace them with
	// NoDefaultExcludes). Excludes win over includes.
	Excludes          []string
	NoDefaultExcludes bool
	// SniffAll hands every other (non-excluded) file to the engine as a
	// candidate too, so that a model with an unusual name or no extension is
	// still found by its content. Candidates that are not models are dropped
	// silently.
	SniffAll bool
}

// Result is what discovery found.
type Result struct {
	Targets []scanner.Target
	// Skipped lists matched files that will not be scanned, with the reason.
	Skipped []scanner.FileStatus
}

type matcher struct {
	includes, excludes []string
}

// ValidatePatterns checks user patterns: doublestar syntax, relative, and
// without "..", which doublestar would silently never match.
func ValidatePatterns(patterns []string) error {
	for _, p := range patterns {
		switch {
		case p == "":
			return errors.New("empty pattern")
		case strings.HasPrefix(p, "/"):
			return fmt.Errorf("pattern %q is absolute: patterns are relative to the scanned directory", p)
		case slices.Contains(strings.Split(p, "/"), ".."):
			return fmt.Errorf("pattern %q contains \"..\": patterns cannot leave the scanned directory", p)
		case !doublestar.ValidatePattern(p):
			return fmt.Errorf("pattern %q is not a valid doublestar pattern", p)
		}
	}
	return nil
}

func newMatcher(o Options) (*matcher, error) {
	if err := ValidatePatterns(o.Includes); err != nil {
		return nil, fmt.Errorf("--include: %w", err)
	}
	if err := ValidatePatterns(o.Excludes); err != nil {
		return nil, fmt.Errorf("--exclude: %w", err)
	}
	m := &matcher{}
	if !o.NoDefaultIncludes {
		m.includes = append(append(m.includes, DefaultModelIncludes...), DefaultPromptIncludes...)
	}
	m.includes = append(m.includes, o.Includes...)
	if !o.NoDefaultExcludes {
		m.excludes = append(m.excludes, DefaultExcludes...)
	}
	m.excludes = append(m.excludes, o.Excludes...)
	return m, nil
}

// match reports whether rel (slash-separated, relative to the scanned
// directory) matches any pattern. A pattern without a slash also matches
// the base name at any depth, as in .gitignore.
func match(patterns []string, rel string) bool {
	base := path.Base(rel)
	for _, p := range patterns {
		if doublestar.MatchUnvalidated(p, rel) {
			return true
		}
		if !strings.Contains(p, "/") && doublestar.MatchUnvalidated(p, base) {
			return true
		}
	}
	return false
}

// Discover walks paths (files or directories) and returns the targets in
// path order. A path that does not exist or cannot be read is an error.
func Discover(paths []string, o Options) (*Result, error) {
	m, err := newMatcher(o)
	if err != nil {
		return nil, err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	w := &walker{m: m, opts: o, cwd: cwd, seen: map[string]int{}, res: &Result{}}
	for _, p := range paths {
		if err := w.add(p); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(w.res.Targets, func(a, b scanner.Target) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortFunc(w.res.Skipped, func(a, b scanner.FileStatus) int { return cmp.Compare(a.Path, b.Path) })
	return w.res, nil
}

type walker struct {
	m    *matcher
	opts Options
	cwd  string
	seen map[string]int // index in res.Targets of each real path listed
	res  *Result
}

func (w *walker) add(arg string) error {
	abs, err := filepath.Abs(arg)
	if err != nil {
		return err
	}
	info, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no such file or directory", arg)
		}
		return fmt.Errorf("%s: %w", arg, err)
	}
	if !info.IsDir() {
		// A file named on the command line is always scanned.
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return fmt.Errorf("%s: %w", arg, err)
		}
		w.target(abs, real, info.Size(), true)
		return nil
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("%s: %w", arg, err)
	}
	return w.walk(abs, root)
}

// walk lists the files below dir; root is dir with symlinks resolved,
// which no symlink may lead out of.
func (w *walker) walk(dir, root string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return fmt.Errorf("%s: %w", w.display(p), err)
			}
			w.skip(p, 0, "cannot read: "+err.Error())
			return nil
		}
		rel := filepath.ToSlash(mustRel(dir, p))
		if p == dir {
			return nil
		}
		if match(w.m.excludes, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			w.symlink(p, rel, root)
		case d.Type().IsRegular():
			wanted := match(w.m.includes, rel)
			if wanted || w.opts.SniffAll {
				info, err := d.Info()
				if err != nil {
					w.skip(p, 0, "cannot stat: "+err.Error())
					return nil
				}
				w.target(p, p, info.Size(), wanted)
			}
		}
		return nil
	})
}

// symlink lists a symlinked file when its target stays inside root.
// Symlinked directories are not followed (they could loop or escape).
func (w *walker) symlink(p, rel, root string) {
	wanted := match(w.m.includes, rel)
	if !wanted && !w.opts.SniffAll {
		return
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		if wanted {
			w.skip(p, 0, "broken symlink")
		}
		return
	}
	if !within(root, real) {
		if wanted {
			w.skip(p, 0, "symlink points outside the scanned directory")
		}
		return
	}
	info, err := os.Stat(real)
	if err != nil || !info.Mode().IsRegular() {
		return
	}
	w.target(p, real, info.Size(), wanted)
}

// target lists a file once per real path. When two names lead to the same
// file, a name the user asked for (an include match) wins over one found
// only by sniffing, so that reports use the meaningful name.
func (w *walker) target(p, real string, size int64, wanted bool) {
	t := scanner.Target{Path: w.display(p), OSPath: real, Size: size, Wanted: wanted}
	if i, ok := w.seen[real]; ok {
		if wanted && !w.res.Targets[i].Wanted {
			w.res.Targets[i] = t
		}
		return
	}
	w.seen[real] = len(w.res.Targets)
	w.res.Targets = append(w.res.Targets, t)
}

func (w *walker) skip(p string, size int64, reason string) {
	w.res.Skipped = append(w.res.Skipped, scanner.FileStatus{Path: w.display(p), Size: size, Status: scanner.StatusSkipped, Reason: reason})
}

// display is the path shown in reports: relative to the working directory
// when inside it, absolute otherwise, always with forward slashes.
func (w *walker) display(p string) string {
	if rel, err := filepath.Rel(w.cwd, p); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && filepath.IsLocal(rel)
}

func mustRel(base, p string) string {
	rel, err := filepath.Rel(base, p)
	if err != nil {
		return p
	}
	return rel
}
