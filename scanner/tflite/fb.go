package tflite

import (
	"errors"
	"fmt"
	"io"

	flatbuffers "github.com/google/flatbuffers/go"
)

// The FlatBuffers runtime indexes its byte slice without bounds checks and
// panics on a bad offset, and it wants the whole buffer in memory. This
// file gives it only what it can use safely: every table is first checked
// (its soffset, vtable and inline size lie inside the file, aligned), then
// copied with its vtable into a small synthetic buffer that the runtime's
// Table reads; vectors and strings are checked against the file before
// their length or content is read. Content is read through a page cache
// over the file, so tensor buffers are never read.

const (
	pageSize = 4096
	// maxPages bounds the page cache (16 MiB); it is cleared when full.
	maxPages = 4096
	// maxTables is the FlatBuffers verifier's default table limit; a file
	// with more tables fails verification in the TFLite runtime.
	maxTables = 1_000_000
)

// errMalformed wraps a structural problem of the FlatBuffer, reported as
// MG3301.
type malformed struct {
	off int64
	msg string
}

func (m *malformed) Error() string { return m.msg }

func bad(off int64, format string, args ...any) error {
	return &malformed{off: off, msg: fmt.Sprintf(format, args...)}
}

// errTooManyTables ends the walk at the verifier's table limit.
var errTooManyTables = errors.New("tflite: table limit reached")

// file reads a FlatBuffer through a page cache.
type file struct {
	r      io.ReaderAt
	size   int64
	pages  map[int64][]byte
	tables int
}

func newFile(r io.ReaderAt, size int64) *file {
	return &file{r: r, size: size, pages: map[int64][]byte{}}
}

// inside reports whether [off, off+n) lies in the file.
func (f *file) inside(off, n int64) bool {
	return off >= 0 && n >= 0 && off <= f.size && n <= f.size-off
}

// bytes returns the n bytes at off, which the caller has checked to lie
// inside the file. The slice must not be modified.
func (f *file) bytes(off int64, n int) ([]byte, error) {
	if !f.inside(off, int64(n)) {
		return nil, bad(off, "%d bytes at offset %d lie outside the %d-byte file", n, off, f.size)
	}
	if n == 0 {
		return nil, nil
	}
	first, last := off/pageSize, (off+int64(n)-1)/pageSize
	if first == last {
		p, err := f.page(first)
		if err != nil {
			return nil, err
		}
		i := off - first*pageSize
		return p[i : i+int64(n)], nil
	}
	out := make([]byte, 0, n)
	for i := first; i <= last; i++ {
		p, err := f.page(i)
		if err != nil {
			return nil, err
		}
		lo := max(off, i*pageSize) - i*pageSize
		hi := min(off+int64(n), i*pageSize+int64(len(p))) - i*pageSize
		out = append(out, p[lo:hi]...)
	}
	return out, nil
}

func (f *file) page(i int64) ([]byte, error) {
	if p, ok := f.pages[i]; ok {
		return p, nil
	}
	if len(f.pages) >= maxPages {
		clear(f.pages)
	}
	start := i * pageSize
	p := make([]byte, min(pageSize, f.size-start))
	n, err := f.r.ReadAt(p, start)
	if n < len(p) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("tflite: reading %d bytes at offset %d: %w", len(p), start, err)
	}
	f.pages[i] = p
	return p, nil
}

func (f *file) u32(off int64) (uint32, error) {
	b, err := f.bytes(off, 4)
	if err != nil {
		return 0, err
	}
	return flatbuffers.GetUint32(b), nil
}

// peekU32 reads the u32 at off without caching the page around it: the
// length of a tensor buffer, whose data must not be read.
func (f *file) peekU32(off int64) (uint32, error) {
	if p, ok := f.pages[off/pageSize]; ok && off%pageSize+4 <= int64(len(p)) {
		return flatbuffers.GetUint32(p[off%pageSize:]), nil
	}
	if !f.inside(off, 4) {
		return 0, bad(off, "4 bytes at offset %d lie outside the %d-byte file", off, f.size)
	}
	var b [4]byte
	n, err := f.r.ReadAt(b[:], off)
	if n < 4 {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("tflite: reading 4 bytes at offset %d: %w", off, err)
	}
	return flatbuffers.GetUint32(b[:]), nil
}

// table is a checked table: the runtime's Table over a copy of the vtable
// followed by the inline table.
type table struct {
	t    flatbuffers.Table
	pos  int64 // file offset of the table
	size int   // inline size in bytes (from the vtable)
	what string
}

// table checks the table at pos and returns it.
func (f *file) table(pos int64, what string) (*table, error) {
	if f.tables++; f.tables > maxTables {
		return nil, errTooManyTables
	}
	if !f.inside(pos, 4) {
		return nil, bad(pos, "%s at offset %d lies outside the %d-byte file", what, pos, f.size)
	}
	if pos%4 != 0 {
		return nil, bad(pos, "%s at offset %d is not 4-byte aligned (the FlatBuffers verifier rejects it)", what, pos)
	}
	b, err := f.bytes(pos, 4)
	if err != nil {
		return nil, err
	}
	vt := pos - int64(flatbuffers.GetSOffsetT(b))
	if !f.inside(vt, 4) || vt%2 != 0 {
		return nil, bad(pos, "the vtable of %s (offset %d) lies outside the file or is misaligned", what, vt)
	}
	hdr, err := f.bytes(vt, 4)
	if err != nil {
		return nil, err
	}
	vtSize := int(flatbuffers.GetVOffsetT(hdr))
	tSize := int(flatbuffers.GetVOffsetT(hdr[2:]))
	switch {
	case vtSize < 4 || vtSize%2 != 0 || !f.inside(vt, int64(vtSize)):
		return nil, bad(vt, "the vtable of %s at offset %d has an invalid size %d", what, vt, vtSize)
	case tSize < 4 || !f.inside(pos, int64(tSize)):
		return nil, bad(pos, "%s at offset %d has an inline size of %d bytes, which does not fit in the file", what, pos, tSize)
	}
	vtable, err := f.bytes(vt, vtSize)
	if err != nil {
		return nil, err
	}
	inline, err := f.bytes(pos, tSize)
	if err != nil {
		return nil, err
	}
	syn := make([]byte, vtSize+tSize)
	copy(syn, vtable)
	copy(syn[vtSize:], inline)
	flatbuffers.WriteSOffsetT(syn[vtSize:], flatbuffers.SOffsetT(vtSize)) // the vtable now sits at 0
	return &table{t: flatbuffers.Table{Bytes: syn, Pos: flatbuffers.UOffsetT(vtSize)}, pos: pos, size: tSize, what: what}, nil
}

// field returns the position in t.t.Bytes of field slot, width bytes
// wide, or 0 when the field is absent.
func (t *table) field(slot, width int) (flatbuffers.UOffsetT, error) {
	o := int(t.t.Offset(flatbuffers.VOffsetT(4 + 2*slot)))
	switch {
	case o == 0:
		return 0, nil
	case o < 4 || o+width > t.size:
		return 0, bad(t.pos, "field %d of %s lies outside the table (offset %d, table size %d)", slot, t.what, o, t.size)
	}
	return t.t.Pos + flatbuffers.UOffsetT(o), nil
}

// abs converts a position in t.t.Bytes to a file offset.
func (t *table) abs(p flatbuffers.UOffsetT) int64 { return t.pos + int64(p-t.t.Pos) }

func (t *table) u32(slot int, def uint32) (uint32, error) {
	p, err := t.field(slot, 4)
	if p == 0 || err != nil {
		return def, err
	}
	return t.t.GetUint32(p), nil
}

func (t *table) i32(slot int, def int32) (int32, error) {
	p, err := t.field(slot, 4)
	if p == 0 || err != nil {
		return def, err
	}
	return t.t.GetInt32(p), nil
}

func (t *table) i8(slot int, def int8) (int8, error) {
	p, err := t.field(slot, 1)
	if p == 0 || err != nil {
		return def, err
	}
	return t.t.GetInt8(p), nil
}

func (t *table) u64(slot int, def uint64) (uint64, error) {
	p, err := t.field(slot, 8)
	if p == 0 || err != nil {
		return def, err
	}
	return t.t.GetUint64(p), nil
}

// ref follows the uoffset in field slot and returns the file offset it
// points to (checked to leave room for a length or soffset), or -1 when
// the field is absent.
func (f *file) ref(t *table, slot int, what string) (int64, error) {
	p, err := t.field(slot, 4)
	if p == 0 || err != nil {
		return -1, err
	}
	at := t.abs(p)
	target := at + int64(t.t.GetUOffsetT(p))
	if !f.inside(target, 4) {
		return -1, bad(at, "%s.%s (at offset %d) points to offset %d, outside the %d-byte file", t.what, what, at, target, f.size)
	}
	return target, nil
}

// vector checks the vector at off (elements elemSize bytes wide) and
// returns the offset of its first element and its length.
func (f *file) vector(off int64, elemSize int64, what string) (int64, int64, error) {
	if off%4 != 0 {
		return 0, 0, bad(off, "%s at offset %d is not 4-byte aligned (the FlatBuffers verifier rejects it)", what, off)
	}
	n, err := f.u32(off)
	if err != nil {
		return 0, 0, err
	}
	start := off + 4
	if !f.inside(start, int64(n)*elemSize) {
		if elemSize == 1 {
			return 0, 0, bad(off, "%s at offset %d claims a length of %d bytes, past the end of the %d-byte file", what, off, n, f.size)
		}
		return 0, 0, bad(off, "%s at offset %d claims %d elements of %d bytes, past the end of the %d-byte file", what, off, n, elemSize, f.size)
	}
	return start, int64(n), nil
}

// tableAt follows element i of a vector of tables that starts at start.
func (f *file) tableAt(start, i int64, what string) (*table, error) {
	at := start + 4*i
	off, err := f.u32(at)
	if err != nil {
		return nil, err
	}
	return f.table(at+int64(off), what)
}

// str reads the string at off: at most max bytes of it, and its full
// length. Like the FlatBuffers verifier it requires the terminating NUL.
func (f *file) str(off int64, max int, what string) (string, int64, error) {
	start, n, err := f.vector(off, 1, what)
	if err != nil {
		return "", 0, err
	}
	if !f.inside(start+n, 1) {
		return "", 0, bad(off, "%s at offset %d has no terminating NUL inside the file", what, off)
	}
	if z, err := f.bytes(start+n, 1); err != nil {
		return "", 0, err
	} else if z[0] != 0 {
		return "", 0, bad(off, "%s at offset %d is not NUL-terminated (the FlatBuffers verifier rejects it)", what, off)
	}
	b, err := f.bytes(start, int(min(n, int64(max))))
	if err != nil {
		return "", 0, err
	}
	return string(b), n, nil
}
