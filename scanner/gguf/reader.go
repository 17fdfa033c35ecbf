package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// errEnd reports a fixed-size field that runs past the end of the file.
// The parser turns it into a finding (the file is truncated); it is never
// returned from Scan.
var errEnd = errors.New("gguf: field runs past the end of the file")

// bufSize is the read-ahead of the reader. Metadata is read in windows of
// this size, so at most one window past the tensor infos is ever read.
const bufSize = 64 << 10

// reader reads the header, the metadata and the tensor infos sequentially
// through a window buffer over the file. It never reads ahead of the
// current offset by more than bufSize, it skips strings and arrays that do
// not matter without reading them, and every length is checked against the
// bytes that remain before anything is read or allocated.
type reader struct {
	r      io.ReaderAt
	size   int64
	off    int64 // offset of the next byte to consume
	buf    []byte
	bufOff int64 // file offset of buf[0]
	order  binary.ByteOrder
	// narrow is set for GGUF v1, whose counts, string lengths and
	// dimensions are u32 rather than u64.
	narrow bool
}

// remaining is the number of bytes after the current offset.
func (r *reader) remaining() uint64 { return uint64(r.size - r.off) }

// lenSize is the size of a count or length field.
func (r *reader) lenSize() uint64 {
	if r.narrow {
		return 4
	}
	return 8
}

// view returns the next n bytes (n <= bufSize) without consuming them. The
// slice is valid until the next call.
func (r *reader) view(n int) ([]byte, error) {
	if int64(n) > r.size-r.off {
		return nil, errEnd
	}
	if r.off < r.bufOff || r.off+int64(n) > r.bufOff+int64(len(r.buf)) {
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
	i := r.off - r.bufOff
	return r.buf[i : i+int64(n)], nil
}

// fill reads the window that starts at the current offset.
func (r *reader) fill() error {
	m := min(int64(bufSize), r.size-r.off)
	if int64(cap(r.buf)) < m {
		r.buf = make([]byte, m)
	}
	r.buf = r.buf[:m]
	n, err := r.r.ReadAt(r.buf, r.off)
	if int64(n) < m {
		r.buf = r.buf[:0]
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("gguf: reading %d bytes at offset %d: %w", m, r.off, err)
	}
	r.bufOff = r.off
	return nil
}

// next consumes n bytes (n <= bufSize) and returns them; the slice is
// valid until the next call.
func (r *reader) next(n int) ([]byte, error) {
	b, err := r.view(n)
	if err == nil {
		r.off += int64(n)
	}
	return b, err
}

// skip consumes n bytes without reading them.
func (r *reader) skip(n uint64) error {
	if n > r.remaining() {
		return errEnd
	}
	r.off += int64(n)
	return nil
}

func (r *reader) u8() (uint8, error) {
	b, err := r.next(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *reader) u32() (uint32, error) {
	b, err := r.next(4)
	if err != nil {
		return 0, err
	}
	return r.order.Uint32(b), nil
}

func (r *reader) u64() (uint64, error) {
	b, err := r.next(8)
	if err != nil {
		return 0, err
	}
	return r.order.Uint64(b), nil
}

// count reads a count or length field: u32 in v1, u64 afterwards.
func (r *reader) count() (uint64, error) {
	if r.narrow {
		v, err := r.u32()
		return uint64(v), err
	}
	return r.u64()
}
