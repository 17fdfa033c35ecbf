package pickleops

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strconv"
)

// Plausible reports whether head, the first bytes of a stream of size
// bytes, reads as the start of a pickle. It decodes opcodes and their
// arguments and tracks stack depth and marks, so that text or binary data
// that happens to start with an opcode byte is not taken for a pickle.
// Length fields must fit in the stream: a payload that runs past the head
// but not past the stream is accepted as evidence (a pickle may start with
// a huge bytes constant), one that runs past the stream is not. It is a
// cheap routing test, not an analysis.
func Plausible(head []byte, size int64) bool {
	complete := int64(len(head)) >= size
	w := plausibleWalk{buf: head, size: size}
	for n := 0; ; n++ {
		if w.pos >= len(w.buf) {
			// Ran out of sniffed bytes mid-stream: enough valid opcodes
			// is evidence enough, unless the stream itself ended here.
			return !complete && n >= 8
		}
		op := Lookup(w.buf[w.pos])
		if op == nil {
			return w.convinced(n)
		}
		w.pos++
		switch w.skipArg(op) {
		case argBad:
			return w.convinced(n)
		case argPastHead:
			// A length that fits the stream but not the head: the opcodes
			// so far were valid, and random bytes almost never produce a
			// length that fits.
			return n >= 1 || op.Arg == ArgLen8 || op.Arg == ArgU8
		}
		if op.Code == PROTO && w.buf[w.pos-1] > HighestProtocol {
			return false
		}
		if !w.apply(op.Effect) {
			return w.convinced(n)
		}
		switch op.Code {
		case REDUCE, INST, OBJ, NEWOBJ, NEWOBJ_EX:
			w.calls++
		case STOP:
			return n >= 1
		}
	}
}

// convincing is how many valid, stack-consistent opcodes make a stream a
// pickle even if something invalid follows (joblib writes raw array bytes
// inside its pickles; broken pickles still run their first opcodes).
const convincing = 16

// convinced decides for a stream that turned invalid after n opcodes: a
// long valid run, or a call after an import, is a pickle (whose first
// opcodes CPython runs before it fails).
func (w *plausibleWalk) convinced(n int) bool {
	return n >= convincing || (w.calls > 0 && n >= 3)
}

type argResult uint8

const (
	argOK argResult = iota
	argBad
	argPastHead
)

type plausibleWalk struct {
	buf   []byte
	size  int64 // size of the whole stream
	pos   int
	calls int   // call opcodes seen
	depth int   // values on the current (innermost) stack
	marks []int // depths saved by MARK
}

var (
	identLine   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	decimalLine = regexp.MustCompile(`^-?[0-9]+L?$`)
)

// line returns the next newline-terminated line (without the newline).
func (w *plausibleWalk) line() ([]byte, argResult) {
	i := bytes.IndexByte(w.buf[w.pos:], '\n')
	switch {
	case i > 256:
		return nil, argBad
	case i < 0 && len(w.buf)-w.pos <= 256 && int64(len(w.buf)) < w.size:
		return nil, argPastHead
	case i < 0:
		return nil, argBad
	}
	l := w.buf[w.pos : w.pos+i]
	w.pos += i + 1
	return l, argOK
}

func (w *plausibleWalk) fixed(n int) argResult {
	if len(w.buf)-w.pos < n {
		if int64(w.pos+n) > w.size {
			return argBad
		}
		return argPastHead
	}
	w.pos += n
	return argOK
}

// counted skips a length-prefixed argument whose length field has n bytes.
func (w *plausibleWalk) counted(n int, signed bool) argResult {
	if r := w.fixed(n); r != argOK {
		return r
	}
	var l uint64
	switch n {
	case 1:
		l = uint64(w.buf[w.pos-1])
	case 4:
		v := binary.LittleEndian.Uint32(w.buf[w.pos-4:])
		if signed && int32(v) < 0 {
			return argBad
		}
		l = uint64(v)
	case 8:
		l = binary.LittleEndian.Uint64(w.buf[w.pos-8:])
	}
	if l > uint64(w.size-int64(w.pos)) {
		return argBad // longer than the rest of the stream
	}
	if l > uint64(len(w.buf)-w.pos) {
		return argPastHead
	}
	w.pos += int(l)
	return argOK
}

func (w *plausibleWalk) skipArg(op *Op) argResult {
	switch op.Arg {
	case ArgNone:
		return argOK
	case ArgU1:
		return w.fixed(1)
	case ArgU2:
		return w.fixed(2)
	case ArgI4, ArgU4:
		return w.fixed(4)
	case ArgU8:
		if r := w.fixed(8); r != argOK {
			return r
		}
		// FRAME: the frame must fit in the stream.
		if binary.LittleEndian.Uint64(w.buf[w.pos-8:]) > uint64(w.size-int64(w.pos)) {
			return argBad
		}
		return argOK
	case ArgF8:
		return w.fixed(8)
	case ArgLen1, ArgLong1:
		return w.counted(1, false)
	case ArgLen4:
		return w.counted(4, false)
	case ArgLen4Signed, ArgLong4:
		return w.counted(4, true)
	case ArgLen8:
		return w.counted(8, false)
	case ArgDecimalNL:
		return w.lineMatching(func(l []byte) bool { return decimalLine.Match(l) || string(l) == "00" || string(l) == "01" })
	case ArgFloatNL:
		return w.lineMatching(func(l []byte) bool { _, err := strconv.ParseFloat(string(l), 64); return err == nil })
	case ArgStringNL:
		return w.lineMatching(func(l []byte) bool { return len(l) >= 2 && (l[0] == '\'' || l[0] == '"') && l[len(l)-1] == l[0] })
	case ArgUnicodeNL, ArgRawNL:
		return w.lineMatching(func([]byte) bool { return true })
	case ArgGlobalNL:
		if r := w.lineMatching(identLine.Match); r != argOK {
			return r
		}
		return w.lineMatching(identLine.Match)
	}
	return argBad
}

// lineMatching reads a text line and checks it.
func (w *plausibleWalk) lineMatching(valid func([]byte) bool) argResult {
	l, r := w.line()
	if r == argOK && !valid(l) {
		return argBad
	}
	return r
}

// apply checks and applies a stack effect; false means the stream would
// fail in CPython here (stack underflow or a missing mark).
func (w *plausibleWalk) apply(e Effect) bool {
	need := func(n int) bool { return w.depth >= n }
	switch e {
	case EffPush:
		w.depth++
	case EffNone:
	case EffNeed1:
		return need(1)
	case EffPop1:
		if w.depth == 0 && len(w.marks) > 0 { // POP on an empty stack pops the mark
			return w.popMark()
		}
		if !need(1) {
			return false
		}
		w.depth--
	case EffPop1Push1:
		return need(1)
	case EffPop2Push1, EffAppend:
		if !need(2) {
			return false
		}
		w.depth--
	case EffPop3Push1, EffSetItem:
		if !need(3) {
			return false
		}
		w.depth -= 2
	case EffDup:
		if !need(1) {
			return false
		}
		w.depth++
	case EffMark:
		w.marks = append(w.marks, w.depth)
		w.depth = 0
	case EffPopMark:
		return w.popMark()
	case EffMarkPush1:
		if !w.popMark() {
			return false
		}
		w.depth++
	case EffMarkInto:
		if !w.popMark() {
			return false
		}
		return need(1)
	}
	return true
}

func (w *plausibleWalk) popMark() bool {
	if len(w.marks) == 0 {
		return false
	}
	w.depth = w.marks[len(w.marks)-1]
	w.marks = w.marks[:len(w.marks)-1]
	return true
}
