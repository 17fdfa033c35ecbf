package scanner

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"
)

// Limits bound the work spent on one file.
type Limits struct {
	// MaxFileSize skips files larger than this many bytes (0: no limit).
	// Scanners read headers and opcode streams, not payloads, so large
	// models are cheap; this exists for users who want a hard cap.
	MaxFileSize int64
	// MaxReadBytes caps the bytes all scanners together may read from one
	// file, members included.
	MaxReadBytes int64
	// FileTimeout caps the wall time spent on one file.
	FileTimeout time.Duration
	// MaxDepth caps container nesting (archive in archive).
	MaxDepth int
}

// DefaultLimits are the limits used when none are set.
var DefaultLimits = Limits{
	MaxReadBytes: 4 << 30,
	FileTimeout:  60 * time.Second,
	MaxDepth:     4,
}

func (l Limits) withDefaults() Limits {
	if l.MaxReadBytes <= 0 {
		l.MaxReadBytes = DefaultLimits.MaxReadBytes
	}
	if l.FileTimeout <= 0 {
		l.FileTimeout = DefaultLimits.FileTimeout
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	return l
}

// Sentinel errors for budget outcomes.
var (
	ErrReadBudget = errors.New("per-file read budget exceeded")
	ErrDepth      = errors.New("container nesting limit reached")
)

// budgetReader is an io.ReaderAt that fails once the shared byte budget is
// spent or the context is done, so no scanner can read without bound.
type budgetReader struct {
	ctx       context.Context
	r         io.ReaderAt
	size      int64
	remaining *atomic.Int64
}

func (b *budgetReader) ReadAt(p []byte, off int64) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= b.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), b.size-off)
	if b.remaining.Add(-want) < 0 {
		return 0, ErrReadBudget
	}
	n, err := b.r.ReadAt(p[:want], off)
	if err == nil && int64(len(p)) > want {
		err = io.EOF
	}
	return n, err
}

// isBudgetError reports whether err means a budget (time or bytes) ran out.
func isBudgetError(err error) bool {
	return errors.Is(err, ErrReadBudget) || errors.Is(err, context.DeadlineExceeded)
}
