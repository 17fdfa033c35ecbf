package zipread

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
)

// Raw returns e's data as stored in the file (compressed, or encrypted),
// cut at the end of the file. It reads nothing and counts toward no limit.
func (a *Archive) Raw(e *Entry) (*io.SectionReader, error) {
	if e.DataOffset < 0 || e.DataOffset > a.size {
		return nil, fmt.Errorf("%w: %s", ErrNoData, short(e.Name))
	}
	n := min(clampU64(e.CompressedSize), a.size-e.DataOffset)
	return io.NewSectionReader(a.r, e.DataOffset, n), nil
}

// Open returns a stream of e's uncompressed data. Stored members stream
// their raw bytes; deflate and bzip2 members are decompressed as read.
// Flag bits are ignored and the CRC-32 is not checked, as in PyTorch.
// Reading fails with an error wrapping ErrLimit once the member yields
// more than MaxMemberSize bytes or MaxRatio times its compressed size, or
// all members opened through a yield more than MaxTotalSize; the bytes
// before the limit are delivered. Data cut by the end of the file ends in
// io.ErrUnexpectedEOF.
func (a *Archive) Open(e *Entry) (io.Reader, error) {
	raw, err := a.Raw(e)
	if err != nil {
		return nil, err
	}
	var src io.Reader
	switch e.Method {
	case MethodStore:
		src = &exactReader{r: raw, left: clampU64(e.CompressedSize)}
	case MethodDeflate:
		src = flate.NewReader(raw)
	case MethodBzip2:
		src = bzip2.NewReader(raw)
	default:
		return nil, fmt.Errorf("%w %d: %s", ErrUnsupportedMethod, e.Method, short(e.Name))
	}
	return a.bound(e, src, raw.Size()), nil
}

// ReaderAt returns a reader over a stored member's data, without copying,
// and its size. The data is cut at the end of the file (see KindOutOfBounds).
// ok is false for compressed members and members without data.
func (a *Archive) ReaderAt(e *Entry) (r io.ReaderAt, size int64, ok bool) {
	if e.Method != MethodStore {
		return nil, 0, false
	}
	raw, err := a.Raw(e)
	if err != nil {
		return nil, 0, false
	}
	return raw, raw.Size(), true
}

// Materialize gives random access to e's uncompressed data. Stored
// members are returned as by ReaderAt. Compressed members are decompressed
// through Open (limits apply) into memory up to maxMem bytes (the buffer
// grows by doubling, so briefly up to twice that) and beyond that into a
// temporary file with a random name, which closeFn removes. closeFn is
// never nil when err is nil and must be called.
func (a *Archive) Materialize(e *Entry, maxMem int64) (r io.ReaderAt, size int64, closeFn func() error, err error) {
	if ra, n, ok := a.ReaderAt(e); ok {
		return ra, n, nopClose, nil
	}
	src, err := a.Open(e)
	if err != nil {
		return nil, 0, nil, err
	}
	maxMem = max(maxMem, 0)
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(src, min(maxMem, math.MaxInt64-1)+1))
	if err != nil {
		return nil, 0, nil, err
	}
	if n <= maxMem {
		return bytes.NewReader(buf.Bytes()), n, nopClose, nil
	}
	return spill(&buf, src)
}

func nopClose() error { return nil }

// spill writes head and then the rest of src to a new temporary file.
func spill(head *bytes.Buffer, src io.Reader) (io.ReaderAt, int64, func() error, error) {
	f, err := os.CreateTemp("", "zipread-*")
	if err != nil {
		return nil, 0, nil, err
	}
	closeFn := func() error { return errors.Join(f.Close(), os.Remove(f.Name())) }
	n, err := head.WriteTo(f)
	if err == nil {
		var m int64
		m, err = io.Copy(f, src)
		n += m
	}
	if err != nil {
		return nil, 0, nil, errors.Join(err, closeFn())
	}
	return f, n, closeFn, nil
}

// VerifyCRC reads e fully through Open and reports whether its data
// matches the stored CRC-32. A false result with a nil error is a
// mismatch; record it with CRCAnomaly.
func (a *Archive) VerifyCRC(e *Entry) (ok bool, err error) {
	src, err := a.Open(e)
	if err != nil {
		return false, err
	}
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, src); err != nil {
		return false, err
	}
	return h.Sum32() == e.CRC32, nil
}

// exactReader reads left bytes from r and reports io.ErrUnexpectedEOF if
// r ends first.
type exactReader struct {
	r    io.Reader
	left int64
}

func (x *exactReader) Read(p []byte) (int, error) {
	if x.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > x.left {
		p = p[:x.left]
	}
	n, err := x.r.Read(p)
	x.left -= int64(n)
	if err == io.EOF && x.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
