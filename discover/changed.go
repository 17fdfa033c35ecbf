package discover

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/modelgate/modelgate/scanner"
)

// Changed is the set of files changed since a git ref, as absolute paths
// with symlinks resolved.
type Changed struct {
	files map[string]bool
}

// Has reports whether the file at path (relative to the working directory
// or absolute) changed.
func (c *Changed) Has(path string) bool { return c.files[canonical(path)] }

// Len is the number of changed files.
func (c *Changed) Len() int { return len(c.files) }

// Filter keeps the targets that changed.
func (c *Changed) Filter(ts []scanner.Target) []scanner.Target {
	var out []scanner.Target
	for _, t := range ts {
		if c.Has(t.OSPath) {
			out = append(out, t)
		}
	}
	return out
}

func canonical(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// ChangedSince lists the files of the git work tree containing dir that
// were added, copied, modified, renamed or had their type changed between
// ref and HEAD (from their merge base, as a pull request sees it), plus
// uncommitted and untracked changes. Deleted files are not listed.
//
// A shallow CI clone may lack ref or the merge base: ChangedSince then
// fetches ref (depth 1) and compares the two trees directly, which for a
// pull request's merge commit is exactly the pull request's change.
func ChangedSince(ctx context.Context, dir, ref string) (*Changed, error) {
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("invalid ref %q", ref)
	}
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	root := strings.TrimSpace(string(top))
	if _, err := git(ctx, root, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		// Not in a shallow clone yet: fetch just that commit.
		if _, ferr := git(ctx, root, "fetch", "--no-tags", "--depth=1", "origin", ref); ferr != nil {
			return nil, fmt.Errorf("%s is not a commit in this clone and fetching it failed: %w (check out with fetch-depth: 0)", ref, ferr)
		}
		ref = "FETCH_HEAD"
	}
	committed, err := git(ctx, root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT", ref+"...HEAD", "--")
	if err != nil {
		// No merge base in a shallow history: compare the trees.
		if committed, err = git(ctx, root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT", ref, "HEAD", "--"); err != nil {
			return nil, err
		}
	}
	worktree, err := git(ctx, root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT", "HEAD", "--")
	if err != nil {
		return nil, err
	}
	untracked, err := git(ctx, root, "ls-files", "-z", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	c := &Changed{files: map[string]bool{}}
	canonRoot := canonical(root)
	for _, list := range [][]byte{committed, worktree, untracked} {
		for _, name := range bytes.Split(list, []byte{0}) {
			if len(name) > 0 {
				c.files[filepath.Join(canonRoot, filepath.FromSlash(string(name)))] = true
			}
		}
	}
	return c, nil
}

// git runs a git command in dir. safe.directory is relaxed because CI
// containers check out the workspace as another user.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "safe.directory=*", "-c", "core.quotepath=off", "-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}
