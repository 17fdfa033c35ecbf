// Package pickle analyses pickle streams (raw pickles, the pickles inside
// PyTorch, joblib, NumPy and dill files) without executing them: a bounded
// streaming opcode walker drives a symbolic VM with CPython's exact stack,
// memo and frame semantics, so every import and every call site is
// resolved from real values. Calls are denied by default: only names on
// the allowlist in globals.yaml may be called; the denylist grades
// severity.
//
// It never imports, unpickles or evaluates anything, never reads large
// payloads into memory (they are skipped by position), and bounds opcodes,
// stack, memo and nesting.
package pickle

import (
	"context"
	"fmt"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/pickle"

// Scanner analyses pickle streams.
type Scanner struct {
	lim Limits
	pol *policy
}

var _ scanner.Scanner = (*Scanner)(nil)

// New returns a pickle scanner with the default limits. It panics if the
// embedded policy is invalid, which a unit test rules out.
func New() *Scanner { return NewWithLimits(DefaultLimits) }

// NewWithLimits returns a pickle scanner with the given limits.
func NewWithLimits(lim Limits) *Scanner {
	pol, err := loadPolicy()
	if err != nil {
		panic(err)
	}
	return &Scanner{lim: lim, pol: pol}
}

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes content that reads as a pickle, and files named as
// pickles whose content is unrecognised (a broken pickle is still
// reported, never passed).
func (*Scanner) Accepts(f *scanner.File) bool {
	return f.Sniff.Routes(format.Pickle)
}

// Scan implements scanner.Scanner.
func (s *Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	w, err := s.analyse(ctx, in)
	return w.findings, err
}

// analyse walks the whole input and judges what it found.
func (s *Scanner) analyse(ctx context.Context, in *scanner.Input) (*walk, error) {
	w := &walk{in: in, pol: s.pol, lim: s.lim, counts: map[string]int{}}
	if in.Explain != nil {
		w.trace = &tracer{out: in.Explain}
		fmt.Fprintf(in.Explain, "\n== %s: pickle disassembly (offset, opcode, what it does)\n", in.Location().String())
	}
	err := w.stream(ctx, 0)
	if w.trace != nil {
		w.traceSummary()
	}
	w.judgeImports()
	w.judgeLayout()
	if err == nil {
		err = w.walkAlternatives(ctx)
	}
	if err == nil {
		err = w.scanNested(ctx)
	}
	w.formatInUse("pickle")
	return w, err
}
