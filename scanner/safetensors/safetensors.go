// Package safetensors validates safetensors files against the layout rules
// of the reference implementation: the 8-byte header length, the JSON
// header (syntax, duplicate keys, tensor entries, dtypes and sizes), the
// tiling of the data section, the file size, and the free-text metadata.
//
// The scanner reads the length field and the header only, never tensor
// data, and bounds everything it does by the size of the header, which the
// reference implementation itself caps at 100,000,000 bytes.
package safetensors

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/safetensors"

// Rule IDs this scanner emits (see scanner/rules/).
const (
	ruleLength    = "MG2001" // header length out of bounds
	ruleSyntax    = "MG2002" // header not a valid JSON object
	ruleDuplicate = "MG2003" // repeated key
	ruleDtype     = "MG2004" // unknown dtype
	ruleEntry     = "MG2005" // malformed tensor entry
	ruleSize      = "MG2006" // shape × dtype size != byte span
	ruleLayout    = "MG2007" // gaps, overlaps, offsets outside the data
	ruleFileSize  = "MG2008" // trailing or missing bytes
	ruleMetaType  = "MG2009" // metadata not a string map
	ruleMetaCode  = "MG2010" // metadata carries code
	ruleMetaURL   = "MG2011" // metadata carries a URL
)

const (
	// lengthSize is the size of the little-endian u64 header length.
	lengthSize = 8
	// maxHeader is the reference implementation's header size limit.
	maxHeader = 100_000_000
	// minHeader is the smallest header that can hold a JSON object ("{}").
	minHeader = 2
)

// Scanner validates safetensors files.
type Scanner struct{}

// New returns a safetensors scanner.
func New() *Scanner { return &Scanner{} }

var _ scanner.Scanner = (*Scanner)(nil)

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes files whose content reads as safetensors, and files named
// .safetensors whose content reads as nothing else (so that a broken file
// is explained precisely rather than just left unrecognised).
func (*Scanner) Accepts(f *scanner.File) bool {
	return f.Sniff.Routes(format.Safetensors)
}

// Scan implements scanner.Scanner. It returns an error only when reading
// fails or ctx ends, together with the findings made so far.
func (*Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := newReport(in)
	hdr, err := readHeader(in, rep)
	if err != nil || hdr == nil {
		return rep.findings(), err
	}
	h, err := parseHeader(ctx, hdr, rep)
	if err != nil || !h.complete {
		return rep.findings(), err
	}
	err = checkLayout(ctx, h, in.Size-lengthSize-int64(len(hdr)), rep)
	return rep.findings(), err
}

// readHeader reads the length field and the header bytes it announces. It
// returns nil (and no error) when the length itself is a finding.
func readHeader(in *scanner.Input, rep *report) ([]byte, error) {
	if in.Size < lengthSize {
		rep.add(ruleLength, 0,
			fmt.Sprintf("file is %d bytes long, too short to hold the 8-byte header length", in.Size),
			fmt.Sprintf("file size %d", in.Size))
		return nil, nil
	}
	var field [lengthSize]byte
	if err := readFull(in.R, field[:], 0); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(field[:])
	if !checkLength(n, in.Size, rep) {
		return nil, nil
	}
	hdr := make([]byte, n)
	if err := readFull(in.R, hdr, lengthSize); err != nil {
		return nil, err
	}
	return hdr, nil
}

// checkLength reports a header length the reference reader would reject.
func checkLength(n uint64, size int64, rep *report) bool {
	evidence := fmt.Sprintf("header length %d", n)
	switch {
	case n < minHeader:
		rep.add(ruleLength, 0, fmt.Sprintf("header length is %d, too small to hold even an empty JSON object", n), evidence)
	case n > maxHeader:
		rep.add(ruleLength, 0, fmt.Sprintf("header length %d exceeds the 100,000,000-byte limit of the reference implementation (the file is %d bytes)", n, size), evidence)
	case n > uint64(size-lengthSize):
		rep.add(ruleLength, 0, fmt.Sprintf("header length %d points past the end of the file: only %d bytes follow the length field", n, size-lengthSize), evidence)
	default:
		return true
	}
	return false
}

// readFull reads exactly len(p) bytes at off.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("safetensors: reading %d bytes at offset %d: %w", len(p), off, err)
}
