package extract

import (
	"sort"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// fileIndex converts byte offsets in a file to line/column positions.
type fileIndex struct {
	data   []byte
	starts []int // byte offset of the start of every line
}

func newIndex(data []byte) *fileIndex {
	starts := make([]int, 1, 64)
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &fileIndex{data: data, starts: starts}
}

// pos returns the position of byte offset off, clamped to [0, len(data)].
// Columns count code points (an invalid byte counts as one).
func (x *fileIndex) pos(off int) promptcore.Position {
	if off < 0 {
		off = 0
	}
	if off > len(x.data) {
		off = len(x.data)
	}
	line := sort.Search(len(x.starts), func(i int) bool { return x.starts[i] > off }) - 1
	if line < 0 {
		line = 0
	}
	col := utf8.RuneCount(x.data[x.starts[line]:off]) + 1
	return promptcore.Position{Line: line + 1, Column: col, Offset: int64(off)}
}

// offsetAt returns the byte offset of 1-based line and code-point column,
// clamped to the file and to the end of the line.
func (x *fileIndex) offsetAt(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(x.starts) {
		return len(x.data)
	}
	off := x.starts[line-1]
	for c := 1; c < col && off < len(x.data) && x.data[off] != '\n'; c++ {
		_, n := utf8.DecodeRune(x.data[off:])
		off += n
	}
	return off
}

// verbatim returns a Locate for text copied byte for byte from
// data[start:end].
func (x *fileIndex) verbatim(start, end int) func(int) promptcore.Position {
	return func(o int) promptcore.Position {
		if o < 0 {
			o = 0
		}
		if o > end-start {
			o = end - start
		}
		return x.pos(start + o)
	}
}

// anchor says that text bytes from t on come from file offset f: byte for
// byte when lit, otherwise all of them from f (an escape sequence).
type anchor struct {
	t, f int
	lit  bool
}

// anchors accumulates a text-to-file mapping, merging contiguous runs.
type anchors []anchor

func (a *anchors) add(t, f int, lit bool) {
	if n := len(*a); n > 0 {
		p := (*a)[n-1]
		if p.t == t {
			(*a)[n-1] = anchor{t, f, lit}
			return
		}
		if p.lit && lit && p.f+(t-p.t) == f {
			return
		}
	}
	*a = append(*a, anchor{t, f, lit})
}

// locate returns a Locate over a text of length n mapped by a.
func (x *fileIndex) locate(a anchors, n int) func(int) promptcore.Position {
	if len(a) == 0 {
		return func(int) promptcore.Position { return x.pos(0) }
	}
	return func(o int) promptcore.Position {
		if o < 0 {
			o = 0
		}
		if o > n {
			o = n
		}
		i := sort.Search(len(a), func(i int) bool { return a[i].t > o }) - 1
		if i < 0 {
			i = 0
		}
		f := a[i].f
		if a[i].lit {
			f += o - a[i].t
		}
		return x.pos(f)
	}
}

// sub returns a Locate for text[a:] given the Locate of text.
func sub(loc func(int) promptcore.Position, a int) func(int) promptcore.Position {
	return func(o int) promptcore.Position {
		if o < 0 {
			o = 0
		}
		return loc(a + o)
	}
}
