package zipread

import (
	"errors"
	"math"
)

// Limits bound the work Read and the member readers may do. A zero or
// negative field takes its value from DefaultLimits; use math.MaxInt64 (or
// math.MaxInt) to lift a limit.
type Limits struct {
	// MaxEntries caps the central-directory entries read; the rest are
	// skipped with a KindLimit anomaly.
	MaxEntries int
	// MaxCentralDirectory caps the central-directory bytes read, and
	// separately the bytes kept for local-header names that differ from
	// the directory's (LocalName is "" beyond that).
	MaxCentralDirectory int64
	// MaxMemberSize caps the uncompressed bytes one opened member may yield.
	MaxMemberSize int64
	// MaxTotalSize caps the uncompressed bytes all members opened through
	// one Archive may yield together.
	MaxTotalSize int64
	// MaxRatio caps uncompressed/compressed bytes for a member. It is
	// enforced once a member has yielded more than 1 MiB, so that small
	// members are never refused. Deflate tops out near 1032:1, which
	// all-zero data reaches: 1000 refuses large zero-filled deflated
	// members as well as bombs.
	MaxRatio int64
}

// DefaultLimits suit model files: large stored tensors pass, compression
// bombs do not.
var DefaultLimits = Limits{
	MaxEntries:          100_000,
	MaxCentralDirectory: 64 << 20,
	MaxMemberSize:       8 << 30,
	MaxTotalSize:        16 << 30,
	MaxRatio:            1000,
}

// ratioGrace is the output below which MaxRatio is not enforced.
const ratioGrace = 1 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	if l.MaxCentralDirectory <= 0 {
		l.MaxCentralDirectory = DefaultLimits.MaxCentralDirectory
	}
	if l.MaxMemberSize <= 0 {
		l.MaxMemberSize = DefaultLimits.MaxMemberSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultLimits.MaxTotalSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultLimits.MaxRatio
	}
	return l
}

// Sentinel errors. Errors returned by this package wrap one of them.
var (
	// ErrFormat means there is no usable end record or central directory.
	ErrFormat = errors.New("zipread: not a readable zip archive")
	// ErrLimit means a Limits bound was reached; the member is not
	// necessarily damaged.
	ErrLimit = errors.New("zipread: limit exceeded")
	// ErrUnsupportedMethod means the member's compression method is not
	// stored (0), deflate (8) or bzip2 (12).
	ErrUnsupportedMethod = errors.New("zipread: unsupported compression method")
	// ErrNoData means the member's local header is missing or unreadable,
	// so where its data starts is unknown.
	ErrNoData = errors.New("zipread: member data cannot be located")
)

// mulSat returns a*b for non-negative operands, saturating at MaxInt64.
func mulSat(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// clampU64 converts v to int64, saturating at MaxInt64.
func clampU64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
