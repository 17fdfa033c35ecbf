package prompt

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/prompt/extract"
)

// Following file references. promptfoo configs name their prompts and
// tests as file:// paths and LangChain prompts name template_path and
// examples files; the injection is often in the file, not in the config.
// With RefOptions the scanner reads such files from the repository and
// scans them as if they were fixtures, locating findings in the
// referenced file. It is bounded: references resolve relative to the
// referring file and must stay inside the scan root (no ".." escape, no
// absolute paths), targets over maxRefFile bytes are not read, at most
// maxRefs references per file are followed, one level deep, and every
// target is scanned once per scanner. A reference that escapes the root
// (MG5022) or names a missing or oversized file (MG5023) is reported as a
// note at the reference.

// Rules for references that are not followed.
const (
	RuleRefEscapes       = "MG5022"
	RuleRefMissing       = "MG5023"
	maxRefs              = 64
	maxRefFile     int64 = 1 << 20
)

// RefOptions lets the scanner follow file references.
type RefOptions struct {
	// FS reads repository files by their display path (scanner.File.Path).
	FS fs.FS
	// Root is the display path of the scan root, which references must
	// stay inside; "" or "." allows everything FS holds.
	Root string
}

// refState is the per-scanner state of reference following.
type refState struct {
	opts RefOptions
	seen sync.Map // resolved target path → struct{}
}

// NewWithRefs returns a prompt scanner that follows file references
// through opts.FS.
func NewWithRefs(opts RefOptions) *Scanner {
	return &Scanner{refs: &refState{opts: opts}}
}

// resolveRef resolves a reference target against the referring file's
// path. ok is false when the result leaves the scan root.
func (r *refState) resolveRef(from, target string) (string, bool) {
	if path.IsAbs(target) || strings.HasPrefix(target, `\`) || len(target) > 1 && target[1] == ':' {
		return target, false
	}
	p := path.Join(path.Dir(from), target)
	if p == ".." || strings.HasPrefix(p, "../") {
		return p, false
	}
	root := path.Clean(r.opts.Root)
	if root == "." || root == "" {
		return p, true
	}
	return p, p == root || strings.HasPrefix(p, root+"/")
}

// followRefs scans the files the fixture at in references.
func (s *Scanner) followRefs(ctx context.Context, col *scanner.Collector, in *scanner.Input, refs []extract.Ref) {
	for i, ref := range refs {
		if i == maxRefs || ctx.Err() != nil {
			return
		}
		target, ok := extract.RefPath(ref.Target)
		if !ok {
			continue
		}
		p, inside := s.refs.resolveRef(in.Path, target)
		if !inside {
			refNote(col, in, ref, RuleRefEscapes, fmt.Sprintf("File reference %s (%s) resolves to %s, outside the scanned repository: it was not followed, and the prompt it loads cannot be reviewed here.", scanner.Quote(ref.Target), ref.Source, scanner.Quote(p)))
			continue
		}
		if s.refs.opts.FS == nil {
			continue
		}
		data, why := readRef(s.refs.opts.FS, p)
		if why != "" {
			refNote(col, in, ref, RuleRefMissing, fmt.Sprintf("File reference %s (%s): %s, so the prompt it loads was not scanned.", scanner.Quote(ref.Target), ref.Source, why))
			continue
		}
		if _, dup := s.refs.seen.LoadOrStore(p, struct{}{}); dup {
			continue
		}
		segs, _ := extract.ExtractRef(ref, p, data)
		for _, seg := range segs {
			seg.Source = strings.TrimSpace(seg.Source + " of " + p + ", referenced by " + in.Path + " " + ref.Source)
			for _, h := range segmentHits(p, seg) {
				addAt(col, in, p, seg, h)
			}
		}
	}
}

// readRef reads a referenced file, or says why it could not.
func readRef(fsys fs.FS, p string) ([]byte, string) {
	st, err := fs.Stat(fsys, p)
	switch {
	case err != nil:
		return nil, scanner.Quote(p) + " does not exist in the repository"
	case st.IsDir():
		return nil, scanner.Quote(p) + " is a directory"
	case st.Size() > maxRefFile:
		return nil, fmt.Sprintf("%s is %d bytes, over the %d-byte limit for referenced files", scanner.Quote(p), st.Size(), maxRefFile)
	}
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, scanner.Quote(p) + " could not be read"
	}
	return data, ""
}

// refNote reports an unfollowed reference at its position.
func refNote(col *scanner.Collector, in *scanner.Input, ref extract.Ref, rule, msg string) {
	f := in.Finding(rule, msg, ref.Target)
	f.Location.StartLine, f.Location.StartColumn = ref.Pos.Line, ref.Pos.Column
	col.AddFinding(f)
}
