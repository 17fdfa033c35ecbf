// Package spool turns a stream (a decompressor, an archive member) into an
// io.ReaderAt that scanners can read at random: in memory while small, in
// an anonymous temporary file beyond that, never past a hard size limit.
package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge means the stream is longer than the allowed size.
var ErrTooLarge = errors.New("content larger than the allowed size")

// Spooled is content ready for random access. Close releases it.
type Spooled struct {
	io.ReaderAt
	Size int64
	file *os.File
}

// Close removes the temporary file, if any.
func (s *Spooled) Close() error {
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := s.file.Close()
	if rerr := os.Remove(name); err == nil && !errors.Is(rerr, os.ErrNotExist) {
		err = rerr
	}
	return err
}

// Read copies r into memory (up to maxMem bytes) or a temporary file, and
// fails with ErrTooLarge once more than maxSize bytes arrive.
func Read(r io.Reader, maxMem, maxSize int64) (*Spooled, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, min(maxMem, maxSize)+1))
	if err != nil {
		return nil, err
	}
	if n <= maxMem && n <= maxSize {
		return &Spooled{ReaderAt: bytes.NewReader(buf.Bytes()), Size: n}, nil
	}
	if n > maxSize {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, maxSize)
	}
	f, err := os.CreateTemp("", "modelgate-spool-*")
	if err != nil {
		return nil, err
	}
	s := &Spooled{ReaderAt: f, file: f}
	if _, err := f.Write(buf.Bytes()); err != nil {
		s.Close()
		return nil, err
	}
	rest, err := io.Copy(f, io.LimitReader(r, maxSize-n+1))
	if err == nil && n+rest > maxSize {
		err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, maxSize)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Size = n + rest
	return s, nil
}
