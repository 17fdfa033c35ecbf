// Package archive opens containers — zip (PyTorch, TorchScript, NumPy
// .npz, Keras, TorchServe), tar and 7z — and routes every member through the
// engine by content, exactly like a top-level file, so a pickle under a
// .txt name or a second pickle beside data.pkl is found. Zip archives are
// read as leniently as PyTorch's own reader (central directory first, flag
// bits and CRCs ignored) and every way in which readers could disagree is
// reported. Members are streamed or spooled, never extracted by name.
package archive

import (
	"context"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/archive"

// Rule IDs.
const (
	ruleDifferential = "MG4001"
	ruleMalformed    = "MG4002"
	ruleBomb         = "MG4003"
	ruleCorrupt      = "MG4004"
	ruleTraversal    = "MG4005"
	ruleTooDeep      = "MG4006"
	ruleNotScanned   = "MG4007"
	rule7zMalformed  = "MG4008"
	ruleTorchScript  = "MG1017"
	ruleTSDangerous  = "MG1018"
	ruleFormatInUse  = "MG1015"
)

// Limits bound what is opened.
type Limits struct {
	MaxMembers   int   // members scanned per archive
	MaxMemory    int64 // a decompressed member kept in memory; larger ones spill to a temporary file
	MaxCRCVerify int64 // members up to this size get their CRC-32 checked
}

// DefaultLimits suit model archives with thousands of tensors.
var DefaultLimits = Limits{MaxMembers: 100_000, MaxMemory: 64 << 20, MaxCRCVerify: 64 << 20}

// Scanner opens archives.
type Scanner struct{ lim Limits }

var _ scanner.Scanner = (*Scanner)(nil)

// New returns an archive scanner with the default limits.
func New() *Scanner { return &Scanner{lim: DefaultLimits} }

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes zip content (also a zip directory behind other content, a
// polyglot), tar and 7z archives.
func (*Scanner) Accepts(f *scanner.File) bool {
	return f.Sniff.Is(format.Zip) || f.Sniff.Format == format.Tar || f.Sniff.Format == format.SevenZip
}

// Scan implements scanner.Scanner.
func (s *Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	switch in.Sniff.Format {
	case format.Tar:
		return s.scanTar(ctx, in)
	case format.SevenZip:
		return s.scanSevenZip(ctx, in)
	}
	return s.scanZip(ctx, in)
}
