package pickle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// reader reads a pickle stream sequentially from an io.ReaderAt through a
// fixed buffer. Large payloads are skipped by moving the position, never
// read. It tracks FRAME boundaries exactly as CPython's pure-Python
// unpickler enforces them and reports reads that cross them.
type reader struct {
	r    io.ReaderAt
	size int64
	pos  int64 // next byte to read

	buf      []byte
	bufStart int64 // file offset of buf[0]
	bufLen   int

	frameEnd  int64 // end of the current frame, or -1 outside frames
	onViolate func(off int64, msg string)
	// onStraddle receives the end of a frame that a read crossed.
	onStraddle func(frameEnd int64)
}

const readBufSize = 64 << 10

// errEOF means the stream ended in the middle of an opcode.
var errEOF = errors.New("pickle ends in the middle of an opcode")

func newReader(r io.ReaderAt, start, size int64) *reader {
	return &reader{r: r, size: size, pos: start, buf: make([]byte, readBufSize), bufStart: start, frameEnd: -1}
}

// remaining is the number of bytes after the current position.
func (rd *reader) remaining() int64 { return rd.size - rd.pos }

// fill makes at least n bytes (n <= len(buf)) from pos available in buf.
func (rd *reader) fill(n int) error {
	if rd.pos >= rd.bufStart && rd.pos+int64(n) <= rd.bufStart+int64(rd.bufLen) {
		return nil
	}
	if int64(n) > rd.remaining() {
		return errEOF
	}
	want := int(min(int64(len(rd.buf)), rd.remaining()))
	got, err := rd.r.ReadAt(rd.buf[:want], rd.pos)
	if got < n {
		if err == nil || errors.Is(err, io.EOF) {
			return errEOF
		}
		return err
	}
	rd.bufStart, rd.bufLen = rd.pos, got
	return nil
}

// checkFrame reports an access of n bytes at pos that crosses the end of
// the current frame, and leaves the frame once it has been consumed.
func (rd *reader) checkFrame(n int64) {
	if rd.frameEnd < 0 {
		return
	}
	if rd.pos >= rd.frameEnd {
		rd.frameEnd = -1
		return
	}
	if rd.pos+n > rd.frameEnd {
		rd.onViolate(rd.pos, fmt.Sprintf("a %d-byte read at offset %d crosses the end of the frame at %d", n, rd.pos, rd.frameEnd))
		if rd.onStraddle != nil {
			rd.onStraddle(rd.frameEnd)
		}
		rd.frameEnd = -1
	}
}

// byte1 reads one byte.
func (rd *reader) byte1() (byte, error) {
	rd.checkFrame(1)
	if err := rd.fill(1); err != nil {
		return 0, err
	}
	b := rd.buf[rd.pos-rd.bufStart]
	rd.pos++
	return b, nil
}

// bytes returns the next n bytes (n <= readBufSize); the slice is valid
// until the next read.
func (rd *reader) bytes(n int) ([]byte, error) {
	rd.checkFrame(int64(n))
	if err := rd.fill(n); err != nil {
		return nil, err
	}
	i := int(rd.pos - rd.bufStart)
	rd.pos += int64(n)
	return rd.buf[i : i+n], nil
}

// line returns the bytes up to the next '\n' (excluded), at most max long
// (and never more than the read buffer holds).
func (rd *reader) line(max int) ([]byte, error) {
	limit := min(max+1, readBufSize)
	start := rd.pos
	if err := rd.fill(int(min(int64(limit), rd.size-start))); err != nil {
		return nil, err
	}
	i := int(start - rd.bufStart)
	avail := min(limit, rd.bufLen-i)
	j := bytes.IndexByte(rd.buf[i:i+avail], '\n')
	switch {
	case j >= 0:
		rd.checkFrame(int64(j + 1))
		rd.pos = start + int64(j+1)
		return rd.buf[i : i+j], nil
	case int64(avail) >= rd.size-start:
		rd.pos = rd.size
		return nil, errEOF
	}
	return nil, fmt.Errorf("text argument at offset %d is longer than %d bytes", start, limit-1)
}

// skip moves past n bytes without reading them.
func (rd *reader) skip(n int64) error {
	rd.checkFrame(n)
	if n < 0 || n > rd.remaining() {
		rd.pos = rd.size
		return errEOF
	}
	rd.pos += n
	return nil
}

// peek returns up to n bytes at the current position without consuming
// them or checking frames.
func (rd *reader) peek(n int) []byte {
	n = int(min(int64(n), rd.remaining()))
	if n <= 0 || rd.fill(n) != nil {
		return nil
	}
	i := int(rd.pos - rd.bufStart)
	return rd.buf[i : i+n]
}

// startFrame handles FRAME: a new frame may only start once the previous
// one has been consumed. It reports false when the frame runs past the end
// of the stream (a truncated file, reported as malformed by the caller).
func (rd *reader) startFrame(at int64, length uint64) bool {
	if rd.frameEnd >= 0 && rd.pos < rd.frameEnd {
		rd.onViolate(at, fmt.Sprintf("a new frame starts at offset %d, %d bytes before the end of the current frame", at, rd.frameEnd-rd.pos))
	}
	if length > uint64(rd.remaining()) {
		rd.frameEnd = rd.size
		return false
	}
	rd.frameEnd = rd.pos + int64(length)
	return true
}
