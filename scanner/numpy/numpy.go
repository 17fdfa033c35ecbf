// Package numpy validates NumPy .npy headers and hands the pickled body of
// object arrays to the engine, so `numpy.load(allow_pickle=True)` payloads
// get the full pickle analysis. Array data is never read.
package numpy

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/numpy"

// Rule IDs.
const (
	ruleHeader = "MG1019"
	ruleObject = "MG1020"
)

// maxHeader is numpy's own limit on header length without allow_pickle
// (larger headers are refused by numpy.load).
const maxHeader = 10000

// Scanner checks .npy files.
type Scanner struct{}

var _ scanner.Scanner = (*Scanner)(nil)

// New returns a NumPy scanner.
func New() *Scanner { return &Scanner{} }

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts implements scanner.Scanner.
func (*Scanner) Accepts(f *scanner.File) bool { return f.Sniff.Format == format.NumPy }

// Header is a parsed .npy header.
type Header struct {
	Major, Minor int
	Descr        string
	Fortran      bool
	Shape        []int64
	DataOffset   int64
}

var (
	descrRE   = regexp.MustCompile(`'descr'\s*:\s*('(?:[^'\\]|\\.)*'|\[.*\])`)
	fortranRE = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRE   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
	keyRE     = regexp.MustCompile(`'([a-z_]+)'\s*:`)
	objectRE  = regexp.MustCompile(`'[<>|=]?O\d*'`)
	simpleRE  = regexp.MustCompile(`^'[<>|=]?([a-zA-Z])(\d+)'$`)
)

// ParseHeader reads the magic, version and header dictionary.
func ParseHeader(r io.ReaderAt, size int64) (*Header, error) {
	pre := make([]byte, 12)
	if _, err := r.ReadAt(pre[:min(12, int(size))], 0); err != nil && err != io.EOF {
		return nil, err
	}
	if size < 10 || string(pre[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("no .npy magic")
	}
	h := &Header{Major: int(pre[6]), Minor: int(pre[7])}
	var n, start int64
	switch h.Major {
	case 1:
		n, start = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		if size < 12 {
			return nil, fmt.Errorf("truncated version %d header", h.Major)
		}
		n, start = int64(binary.LittleEndian.Uint32(pre[8:12])), 12
	default:
		return nil, fmt.Errorf("unknown format version %d.%d", h.Major, h.Minor)
	}
	if n > maxHeader || start+n > size {
		return nil, fmt.Errorf("header length %d is beyond the file (%d bytes) or numpy's %d-byte limit", n, size, maxHeader)
	}
	text := make([]byte, n)
	if _, err := r.ReadAt(text, start); err != nil && err != io.EOF {
		return nil, err
	}
	h.DataOffset = start + n
	return h, h.parseDict(string(text))
}

func (h *Header) parseDict(text string) error {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "{") || !strings.HasSuffix(t, "}") {
		return fmt.Errorf("header is not a dictionary literal")
	}
	for _, k := range keyRE.FindAllStringSubmatch(t, -1) {
		if k[1] != "descr" && k[1] != "fortran_order" && k[1] != "shape" {
			return fmt.Errorf("header has an unexpected key %q", k[1])
		}
	}
	d, f, s := descrRE.FindStringSubmatch(t), fortranRE.FindStringSubmatch(t), shapeRE.FindStringSubmatch(t)
	if d == nil || f == nil || s == nil {
		return fmt.Errorf("header lacks descr, fortran_order or shape")
	}
	h.Descr, h.Fortran = d[1], f[1] == "True"
	for _, dim := range strings.Split(s[1], ",") {
		if dim = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(dim), "L")); dim == "" {
			continue
		}
		n, err := strconv.ParseInt(dim, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("shape dimension %q is not a non-negative integer", dim)
		}
		h.Shape = append(h.Shape, n)
	}
	return nil
}

// Object reports whether the dtype holds Python objects (any 'O' code).
func (h *Header) Object() bool {
	return objectRE.MatchString(h.Descr)
}

// DataSize is prod(shape) × itemsize for simple dtypes (ok false for
// structured dtypes, whose size is not checked).
func (h *Header) DataSize() (int64, bool) {
	m := simpleRE.FindStringSubmatch(h.Descr)
	if m == nil {
		return 0, false
	}
	item, _ := strconv.ParseInt(m[2], 10, 64)
	if m[1] == "U" {
		item *= 4
	}
	total := item
	for _, d := range h.Shape {
		if d != 0 && total > (1<<62)/d {
			return 0, false
		}
		total *= d
	}
	return total, true
}

// Scan implements scanner.Scanner.
func (*Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	h, err := ParseHeader(in.R, in.Size)
	if err != nil {
		return []scanner.Finding{in.FindingAt(ruleHeader, 0, "NumPy header: "+err.Error()+".", err.Error())}, nil
	}
	body := in.Size - h.DataOffset
	if h.Object() {
		fs := []scanner.Finding{in.FindingAt(ruleObject, h.DataOffset,
			fmt.Sprintf("Array of dtype %s holds pickled Python objects (%d bytes from offset %d); numpy.load needs allow_pickle=True and unpickles them.", h.Descr, body, h.DataOffset),
			"descr="+h.Descr)}
		nested, err := in.ScanMember(ctx, fmt.Sprintf("@%d", h.DataOffset), io.NewSectionReader(in.R, h.DataOffset, body), body)
		fs = append(fs, nested...)
		return in.CollapseNote(fs, "MG1015", "Object array pickle (%d stream(s)): no dangerous content found."), err
	}
	if want, ok := h.DataSize(); ok && want != body {
		return []scanner.Finding{in.FindingAt(ruleHeader, h.DataOffset,
			fmt.Sprintf("NumPy body is %d bytes but shape %v of %s needs %d.", body, h.Shape, h.Descr, want),
			fmt.Sprintf("body %d != %d", body, want))}, nil
	}
	return nil, nil
}
