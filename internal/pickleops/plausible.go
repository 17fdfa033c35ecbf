package pickleops

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strconv"
)

// Plausible reports whether head, the first bytes of a file, reads as the
// start of a pickle stream. It decodes opcodes and their arguments and
// tracks stack depth and marks, so that text which happens to start with an
// opcode byte is not taken for a pickle. complete says head is the whole
// file. It is a cheap routing test, not an analysis: it never fails on
// content the scanner should see (a PROTO opcode is enough).
func Plausible(head []byte, complete bool) bool {
	if len(head) >= 2 && head[0] == PROTO {
		// An explicit protocol byte followed by a real opcode: nothing else
		// begins this way by accident often enough to matter.
		return head[1] <= HighestProtocol && (len(head) == 2 || Lookup(head[2]) != nil)
	}
	w := plausibleWalk{buf: head}
	for n := 0; ; n++ {
		if w.pos >= len(w.buf) {
			// Ran out of sniffed bytes mid-stream: enough valid opcodes
			// is evidence enough, unless the file itself ended here.
			return !complete && n >= 8
		}
		op := Lookup(w.buf[w.pos])
		if op == nil {
			return false
		}
		w.pos++
		if !w.skipArg(op) {
			return !complete && w.pos >= len(w.buf) && n >= 8
		}
		if !w.apply(op.Effect) {
			return false
		}
		if op.Code == STOP {
			return n >= 1
		}
	}
}

type plausibleWalk struct {
	buf   []byte
	pos   int
	depth int   // values on the current (innermost) stack
	marks []int // depths saved by MARK
}

var (
	identLine   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	decimalLine = regexp.MustCompile(`^-?[0-9]+L?$`)
)

// line returns the next newline-terminated line (without the newline).
func (w *plausibleWalk) line() ([]byte, bool) {
	i := bytes.IndexByte(w.buf[w.pos:], '\n')
	if i < 0 || i > 256 {
		return nil, false
	}
	l := w.buf[w.pos : w.pos+i]
	w.pos += i + 1
	return l, true
}

func (w *plausibleWalk) fixed(n int) bool {
	if len(w.buf)-w.pos < n {
		return false
	}
	w.pos += n
	return true
}

// counted skips a length-prefixed argument whose length field has n bytes.
func (w *plausibleWalk) counted(n int, signed bool) bool {
	if len(w.buf)-w.pos < n {
		return false
	}
	var l uint64
	switch n {
	case 1:
		l = uint64(w.buf[w.pos])
	case 4:
		v := binary.LittleEndian.Uint32(w.buf[w.pos:])
		if signed && int32(v) < 0 {
			return false
		}
		l = uint64(v)
	case 8:
		l = binary.LittleEndian.Uint64(w.buf[w.pos:])
	}
	w.pos += n
	if l > uint64(len(w.buf)-w.pos) {
		w.pos = len(w.buf) // runs past the sniffed bytes: fine, stop here
		return false
	}
	w.pos += int(l)
	return true
}

func (w *plausibleWalk) skipArg(op *Op) bool {
	switch op.Arg {
	case ArgNone:
		return true
	case ArgU1:
		return w.fixed(1)
	case ArgU2:
		return w.fixed(2)
	case ArgI4, ArgU4:
		return w.fixed(4)
	case ArgU8, ArgF8:
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
		l, ok := w.line()
		return ok && (decimalLine.Match(l) || string(l) == "00" || string(l) == "01")
	case ArgFloatNL:
		l, ok := w.line()
		_, err := strconv.ParseFloat(string(l), 64)
		return ok && err == nil
	case ArgStringNL:
		l, ok := w.line()
		return ok && len(l) >= 2 && (l[0] == '\'' || l[0] == '"') && l[len(l)-1] == l[0]
	case ArgUnicodeNL, ArgRawNL:
		_, ok := w.line()
		return ok
	case ArgGlobalNL:
		m, ok1 := w.line()
		n, ok2 := w.line()
		return ok1 && ok2 && identLine.Match(m) && identLine.Match(n)
	}
	return false
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
