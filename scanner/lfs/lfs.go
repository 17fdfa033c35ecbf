// Package lfs recognises Git LFS pointer files. A pointer stands in for a
// model that was never checked out, so the scanner reports that the real
// content went unscanned instead of letting the file pass as clean.
package lfs

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner.
const Name = "embedded/lfs"

// RulePointer is the rule this scanner emits.
const RulePointer = "MG0003"

// Scanner reports Git LFS pointers.
type Scanner struct{}

var _ scanner.Scanner = (*Scanner)(nil)

// New returns the LFS pointer scanner.
func New() *Scanner { return &Scanner{} }

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts implements scanner.Scanner.
func (*Scanner) Accepts(f *scanner.File) bool { return f.Sniff.Format == format.LFSPointer }

// Pointer is the parsed content of a pointer file.
type Pointer struct {
	Version string
	OID     string // "sha256:<64 hex>"
	Size    int64  // -1 when absent or invalid
}

var oidPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Parse reads a pointer file's key/value lines. It is lenient: the point
// is to describe the pointer, and the sniffer has already decided it is one.
func Parse(text string) (Pointer, []string) {
	p := Pointer{Size: -1}
	var problems []string
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		key, value, ok := strings.Cut(line, " ")
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("line %d is not \"key value\"", i+1))
		case key == "version":
			p.Version = value
		case key == "oid":
			p.OID = value
			if !oidPattern.MatchString(value) {
				problems = append(problems, "oid is not sha256:<64 lowercase hex>")
			}
		case key == "size":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				problems = append(problems, "size is not a non-negative integer")
			} else {
				p.Size = n
			}
		}
	}
	if p.OID == "" {
		problems = append(problems, "no oid line")
	}
	return p, problems
}

// Scan implements scanner.Scanner.
func (*Scanner) Scan(_ context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	p, problems := Parse(string(in.Sniff.Head))
	msg := "Git LFS pointer: the model content was not checked out, so it was not scanned"
	if p.Size >= 0 {
		msg += fmt.Sprintf(" (the real file is %s)", humanBytes(p.Size))
	}
	msg += ". Fetch LFS content before scanning (actions/checkout with `lfs: true`, or `git lfs pull`)."
	if len(problems) > 0 {
		msg += " The pointer is also malformed: " + strings.Join(problems, "; ") + "."
	}
	evidence := "oid=" + p.OID
	if p.OID == "" {
		evidence = ""
	}
	return []scanner.Finding{in.Finding(RulePointer, msg, evidence)}, nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
