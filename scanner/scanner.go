// Package scanner is the engine core: the result model (Finding, Location,
// Severity, Result), the rule catalogue, the Scanner interface every format
// implements, and the engine that routes files to scanners under per-file
// budgets with a worker pool.
//
// The engine never executes, imports or deserialises model content, and
// neither may any Scanner: scanners parse bounded headers and opcode streams
// through the Input they are handed, and never open files themselves.
package scanner

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/modelgate/modelgate/scanner/format"
)

// Scanner analyses one family of formats. Implementations live in their own
// packages under scanner/ and are registered in scanner/list.
type Scanner interface {
	// Name identifies the scanner in findings ("embedded/safetensors").
	Name() string
	// Accepts decides, from what sniffing learnt, whether to scan the file.
	// It must be cheap and must not read anything.
	Accepts(f *File) bool
	// Scan analyses the file and returns its findings. An error means the
	// scan could not finish; findings returned with it are still reported.
	Scan(ctx context.Context, in *Input) ([]Finding, error)
}

// File is what a scanner may know before deciding to scan.
type File struct {
	// Path is the display path (relative, slash-separated).
	Path string
	// Member is the path inside a container, "" for a top-level file.
	Member string
	// Size is the size in bytes.
	Size int64
	// Sniff is the content-sniffing result.
	Sniff format.Sniff
}

// Input is a file opened for one scanner, through a reader bounded by the
// per-file read budget. Reads past the budget fail with ErrReadBudget and
// reads after the context ends fail with its error.
type Input struct {
	File
	// R reads the content; Size bounds it.
	R io.ReaderAt
	// Explain, when set, receives a human-readable account of the
	// analysis (a disassembly for pickles); scanners that have nothing to
	// explain ignore it.
	Explain io.Writer
	// nested scans a member of this file (set by the engine).
	nested func(ctx context.Context, member string, r io.ReaderAt, size int64) ([]Finding, error)
}

// ScanMember routes a member of a container (an archive entry, an embedded
// stream) through sniffing and every accepting scanner, exactly like a
// top-level file, one nesting level deeper. The findings come back located
// at path!member. Containers use it instead of scanning members themselves.
func (in *Input) ScanMember(ctx context.Context, member string, r io.ReaderAt, size int64) ([]Finding, error) {
	if in.nested == nil {
		return nil, ErrDepth
	}
	return in.nested(ctx, member, r, size)
}

// Location is where this input is: its path and member.
func (in *Input) Location() Location { return Location{Path: in.Path, Member: in.Member} }

// Finding builds a finding at this input's location with the rule's default
// severity; the engine sets the engine name and fingerprint.
func (in *Input) Finding(ruleID, message, evidence string) Finding {
	return Finding{
		RuleID:   ruleID,
		Message:  message,
		Evidence: evidence,
		Location: Location{Path: in.Path, Member: in.Member},
	}
}

// FindingAt is Finding with a byte offset.
func (in *Input) FindingAt(ruleID string, offset int64, message, evidence string) Finding {
	f := in.Finding(ruleID, message, evidence)
	f.Location.ByteOffset = Offset(offset)
	return f
}

// CollapseNote replaces every finding of an informational rule among a
// container's findings with one note at the container itself, or drops
// them all when anything at or above medium was found: "this archive is
// pickle-based" is worth saying once, and not beside real problems.
func (in *Input) CollapseNote(fs []Finding, ruleID, message string) []Finding {
	var kept []Finding
	n, serious := 0, false
	for _, f := range fs {
		if f.RuleID == ruleID {
			n++
			continue
		}
		if r, ok := LookupRule(f.RuleID); ok && max(f.Severity, r.Severity) >= SeverityMedium {
			serious = true
		}
		kept = append(kept, f)
	}
	if n == 0 || serious {
		return kept
	}
	return append(kept, in.Finding(ruleID, fmt.Sprintf(message, n), ruleID))
}

// Settings are the repository policy's adjustments to the embedded
// scanners (from .modelgate.yml).
type Settings struct {
	// PickleAllow and PickleDeny add pickle globals to the built-in lists:
	// "module.name" for one name, "module.*" for a whole module.
	PickleAllow, PickleDeny []string
	// RepoFS reads repository files by their display path, for scanners
	// that follow references between files (promptfoo and LangChain
	// file:// references); nil turns reference following off.
	RepoFS fs.FS
	// Root is the display path of the scan root, which references must
	// stay inside ("" or "." for the working directory).
	Root string
}

// Configurable is implemented by scanners that read Settings. Configure is
// called once, before the scan; an error is a policy error (exit 2).
type Configurable interface {
	Configure(Settings) error
}

// Configure hands the settings to every scanner that reads them.
func Configure(ss []Scanner, set Settings) error {
	for _, s := range ss {
		if c, ok := s.(Configurable); ok {
			if err := c.Configure(set); err != nil {
				return err
			}
		}
	}
	return nil
}
