package zipread

import (
	"fmt"
	"io"
	"sync/atomic"
)

// boundedReader enforces the member, ratio and total limits on the bytes
// a decompressor yields, delivering every byte below them.
type boundedReader struct {
	r        io.Reader
	name     string
	n        int64 // bytes yielded
	perEntry int64 // min(MaxMemberSize, ratio cap)
	why      string
	total    *atomic.Int64
	maxTotal int64
	err      error // sticky
}

// bound wraps src, e's data decoded from compressed bytes of input.
func (a *Archive) bound(e *Entry, src io.Reader, compressed int64) *boundedReader {
	b := &boundedReader{r: src, name: e.Name, total: &a.consumed, maxTotal: a.lim.MaxTotalSize}
	b.perEntry, b.why = a.lim.MaxMemberSize, "MaxMemberSize"
	if ratio := max(mulSat(a.lim.MaxRatio, max(compressed, 1)), ratioGrace); ratio < b.perEntry {
		b.perEntry, b.why = ratio, fmt.Sprintf("MaxRatio %d for %d compressed bytes", a.lim.MaxRatio, compressed)
	}
	return b
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	left := b.perEntry - b.n
	if left <= 0 {
		b.err = b.probe()
		return 0, b.err
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.r.Read(p)
	n, lerr := b.charge(n)
	b.n += int64(n)
	if lerr != nil {
		err = lerr
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// probe is called at the per-member limit: one more byte is an error,
// the end of the stream is not.
func (b *boundedReader) probe() error {
	var one [1]byte
	for range 100 {
		n, err := b.r.Read(one[:])
		if n > 0 {
			return fmt.Errorf("%w: member %s yields more than %d bytes (%s)", ErrLimit, short(b.name), b.perEntry, b.why)
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// charge counts n bytes against the archive total and returns how many of
// them may be delivered.
func (b *boundedReader) charge(n int) (int, error) {
	if n == 0 {
		return 0, nil
	}
	t := b.total.Add(int64(n))
	if t <= b.maxTotal {
		return n, nil
	}
	over := min(t-b.maxTotal, int64(n))
	b.total.Add(-over)
	return n - int(over), fmt.Errorf("%w: members opened yield more than %d bytes (MaxTotalSize)", ErrLimit, b.maxTotal)
}
