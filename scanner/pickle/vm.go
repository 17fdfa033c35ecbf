package pickle

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/internal/pickleops"
)

// Limits bound the symbolic VM. Hitting one is a finding (MG1014), never a
// hang or a huge allocation.
type Limits struct {
	MaxOps     int64 // opcodes per file, all stacked pickles together
	MaxStack   int   // values on the stack and metastack together
	MaxMemo    int   // memo entries per pickle
	MaxPickles int   // stacked pickles per stream
	MaxNesting int   // pickles inside joblib object arrays
	MaxInline  int64 // str/bytes constants read into memory (base64 payload check)
}

// DefaultLimits are far above what real checkpoints use.
var DefaultLimits = Limits{
	MaxOps:     200_000_000,
	MaxStack:   4 << 20,
	MaxMemo:    4 << 20,
	MaxPickles: 1024,
	MaxNesting: 4,
	MaxInline:  1 << 20,
}

// imported is one import (GLOBAL, STACK_GLOBAL, INST or EXT) and what
// happened to it.
type imported struct {
	module, name string
	op           string
	off          int64
	j            judgement
	// unresolved says the module or name was not a constant string (or an
	// EXT code), with why.
	unresolved string
	// calledInit and instantiated record the first call that runs the
	// object's code (REDUCE, INST, OBJ: __init__ or the function) and the
	// first instantiation without __init__ (NEWOBJ, copyreg helpers).
	calledInit, instantiated *callSite
}

type callSite struct {
	op  string
	off int64
}

func (im *imported) display() string {
	if im.unresolved != "" {
		return "<unresolved>"
	}
	return im.module + "." + im.name
}

// errStop ends the walk of the current stream (a limit or an unrecoverable
// decode error); the reason has been recorded as a finding.
var errStop = errors.New("walk stopped")

// vm executes one pickle symbolically.
type vm struct {
	w     *walk
	rd    *reader
	stack []*value
	marks []int // stack heights saved by MARK
	memo  memo
	proto int
	depth int // nesting of joblib object-array pickles
	// lastIdx is the last memo index or frame length, for explain.
	lastIdx int64
}

// run walks one pickle from the reader's position to its STOP. It returns
// the pickle's value (the STOP operand).
func (m *vm) run(ctx context.Context) (*value, error) {
	for {
		if m.w.ops++; m.w.ops&0x3fff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if m.w.ops > m.w.lim.MaxOps {
			m.w.limit(m.rd.pos, fmt.Sprintf("more than %d opcodes", m.w.lim.MaxOps))
			return nil, errStop
		}
		off := m.rd.pos
		code, err := m.rd.byte1()
		if err != nil {
			return nil, m.w.decodeError(off, err)
		}
		op := pickleops.Lookup(code)
		if op == nil {
			m.w.malformed(off, fmt.Sprintf("invalid opcode 0x%02x at offset %d", code, off))
			return nil, errStop
		}
		if code == pickleops.STOP {
			return m.pop(off), nil
		}
		if err := m.step(ctx, op, off); err != nil {
			return nil, err
		}
		if m.w.trace != nil {
			m.w.traceOp(m, op, off)
		}
		if len(m.stack)+len(m.marks) > m.w.lim.MaxStack {
			m.w.limit(off, fmt.Sprintf("stack deeper than %d values", m.w.lim.MaxStack))
			return nil, errStop
		}
	}
}

func (m *vm) push(v *value) { m.stack = append(m.stack, v) }

func (m *vm) newValue(k kind, off int64) *value { return m.w.alloc.new(k, off) }

// pop removes the top value; on an empty stack CPython raises, so the
// stream is malformed, and the VM goes on with an unknown value.
func (m *vm) pop(off int64) *value {
	floor := 0
	if len(m.marks) > 0 {
		floor = m.marks[len(m.marks)-1]
	}
	if len(m.stack) <= floor {
		m.w.malformed(off, fmt.Sprintf("stack underflow at offset %d", off))
		return m.newValue(kUnknown, off)
	}
	v := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	return v
}

// peekTop returns the top value without popping it.
func (m *vm) peekTop(off int64) *value {
	v := m.pop(off)
	m.push(v)
	return v
}

// popMark removes and returns the values above the last MARK.
func (m *vm) popMark(off int64) []*value {
	if len(m.marks) == 0 {
		m.w.malformed(off, fmt.Sprintf("no MARK for the opcode at offset %d", off))
		return nil
	}
	h := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	if h > len(m.stack) {
		h = len(m.stack)
	}
	items := m.stack[h:]
	m.stack = m.stack[:h]
	return items
}

// step executes one opcode (after its byte has been read).
func (m *vm) step(ctx context.Context, op *pickleops.Op, off int64) error {
	switch op.Code {
	case pickleops.MARK:
		m.marks = append(m.marks, len(m.stack))
	case pickleops.POP:
		if len(m.stack) == 0 && len(m.marks) > 0 {
			m.popMark(off)
		} else {
			m.pop(off)
		}
	case pickleops.POP_MARK:
		m.popMark(off)
	case pickleops.DUP:
		m.w.gets++
		m.push(m.peekTop(off))
	case pickleops.PROTO:
		b, err := m.rd.byte1()
		if err != nil {
			return m.w.decodeError(off, err)
		}
		m.proto = int(b)
		if m.proto > pickleops.HighestProtocol {
			m.w.malformed(off, fmt.Sprintf("unsupported pickle protocol %d", m.proto))
			return errStop
		}
	case pickleops.FRAME:
		n, err := m.u64()
		if err != nil {
			return m.w.decodeError(off, err)
		}
		m.lastIdx = int64(n)
		if !m.rd.startFrame(off, n) {
			m.w.malformed(off, fmt.Sprintf("the frame at offset %d declares %d bytes, past the end of the stream", off, n))
		}
	default:
		return m.stepValue(ctx, op, off)
	}
	return nil
}

// stepValue executes opcodes that produce, store or consume values.
func (m *vm) stepValue(ctx context.Context, op *pickleops.Op, off int64) error {
	switch op.Code {
	case pickleops.NONE:
		m.push(m.newValue(kNone, off))
	case pickleops.NEWTRUE, pickleops.NEWFALSE:
		m.push(m.newValue(kBool, off))
	case pickleops.EMPTY_LIST:
		m.push(m.newValue(kList, off))
	case pickleops.EMPTY_DICT:
		m.push(m.newValue(kDict, off))
	case pickleops.EMPTY_TUPLE:
		m.push(m.newValue(kTuple, off))
	case pickleops.EMPTY_SET:
		m.push(m.newValue(kSet, off))
	case pickleops.NEXT_BUFFER:
		m.push(m.newValue(kBuffer, off))
	case pickleops.READONLY_BUFFER:
		m.peekTop(off)
	default:
		return m.stepData(ctx, op, off)
	}
	return nil
}

// stepData decodes constants and memo and container opcodes.
func (m *vm) stepData(ctx context.Context, op *pickleops.Op, off int64) error {
	switch op.Arg {
	case pickleops.ArgLen1, pickleops.ArgLen4, pickleops.ArgLen4Signed, pickleops.ArgLen8:
		return m.constant(op, off)
	}
	switch op.Code {
	case pickleops.INT, pickleops.LONG, pickleops.BININT, pickleops.BININT1, pickleops.BININT2,
		pickleops.LONG1, pickleops.LONG4, pickleops.FLOAT, pickleops.BINFLOAT:
		return m.number(op, off)
	case pickleops.STRING, pickleops.UNICODE:
		return m.textConstant(op, off)
	case pickleops.PUT, pickleops.BINPUT, pickleops.LONG_BINPUT, pickleops.MEMOIZE:
		return m.put(op, off)
	case pickleops.GET, pickleops.BINGET, pickleops.LONG_BINGET:
		return m.get(op, off)
	case pickleops.LIST, pickleops.TUPLE, pickleops.DICT, pickleops.FROZENSET:
		m.fromMark(op, off)
	case pickleops.TUPLE1, pickleops.TUPLE2, pickleops.TUPLE3:
		m.tupleN(int(op.Code-pickleops.TUPLE1)+1, off)
	case pickleops.APPEND, pickleops.APPENDS, pickleops.SETITEM, pickleops.SETITEMS, pickleops.ADDITEMS:
		m.fill(op, off)
	default:
		return m.stepObject(ctx, op, off)
	}
	return nil
}

// stepObject executes imports, calls and persistence opcodes.
func (m *vm) stepObject(ctx context.Context, op *pickleops.Op, off int64) error {
	switch op.Code {
	case pickleops.GLOBAL:
		module, name, err := m.globalLines()
		if err != nil {
			return m.w.decodeError(off, err)
		}
		m.push(m.importValue(module, name, "GLOBAL", off, ""))
	case pickleops.STACK_GLOBAL:
		name, module := m.pop(off), m.pop(off)
		m.push(m.stackGlobal(module, name, off))
	case pickleops.INST:
		module, name, err := m.globalLines()
		if err != nil {
			return m.w.decodeError(off, err)
		}
		args := m.popMark(off)
		cls := m.importValue(module, name, "INST", off, "")
		m.push(m.call("INST", off, cls, m.tupleOf(args, off)))
	case pickleops.OBJ:
		items := m.popMark(off)
		if len(items) == 0 {
			m.w.malformed(off, fmt.Sprintf("OBJ at offset %d has no class", off))
			m.push(m.newValue(kUnknown, off))
			return nil
		}
		m.push(m.call("OBJ", off, items[0], m.tupleOf(items[1:], off)))
	case pickleops.REDUCE:
		args := m.pop(off)
		m.push(m.call("REDUCE", off, m.pop(off), args))
	case pickleops.NEWOBJ:
		args := m.pop(off)
		m.push(m.call("NEWOBJ", off, m.pop(off), args))
	case pickleops.NEWOBJ_EX:
		m.pop(off) // kwargs
		args := m.pop(off)
		m.push(m.call("NEWOBJ_EX", off, m.pop(off), args))
	case pickleops.BUILD:
		state := m.pop(off)
		target := m.peekTop(off)
		return m.build(ctx, target, state, off)
	case pickleops.EXT1, pickleops.EXT2, pickleops.EXT4:
		code, err := m.extCode(op)
		if err != nil {
			return m.w.decodeError(off, err)
		}
		m.push(m.importValue("", "", op.Name, off, fmt.Sprintf("copyreg extension code %d", code)))
	case pickleops.PERSID:
		if _, err := m.rd.line(maxLine); err != nil {
			return m.w.decodeError(off, err)
		}
		m.push(m.newValue(kPersistent, off))
	case pickleops.BINPERSID:
		m.pop(off)
		m.push(m.newValue(kPersistent, off))
	default:
		m.w.malformed(off, fmt.Sprintf("opcode %s at offset %d is not handled", op.Name, off))
		return errStop
	}
	return nil
}

// maxLine bounds text arguments (GLOBAL lines, decimal numbers, STRING).
const maxLine = 64 << 10

func (m *vm) u64() (uint64, error) {
	b, err := m.rd.bytes(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (m *vm) globalLines() (string, string, error) {
	module, err := m.rd.line(maxLine)
	if err != nil {
		return "", "", err
	}
	mod := string(module)
	name, err := m.rd.line(maxLine)
	if err != nil {
		return "", "", err
	}
	return mod, string(name), nil
}

func (m *vm) extCode(op *pickleops.Op) (int64, error) {
	n := map[byte]int{pickleops.EXT1: 1, pickleops.EXT2: 2, pickleops.EXT4: 4}[op.Code]
	b, err := m.rd.bytes(n)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return int64(b[0]), nil
	case 2:
		return int64(binary.LittleEndian.Uint16(b)), nil
	}
	return int64(int32(binary.LittleEndian.Uint32(b))), nil
}

// number decodes the integer and float opcodes.
func (m *vm) number(op *pickleops.Op, off int64) error {
	v := m.newValue(kInt, off)
	var err error
	switch op.Code {
	case pickleops.BININT1:
		var b byte
		b, err = m.rd.byte1()
		v.n = int64(b)
	case pickleops.BININT2:
		var b []byte
		if b, err = m.rd.bytes(2); err == nil {
			v.n = int64(binary.LittleEndian.Uint16(b))
		}
	case pickleops.BININT:
		var b []byte
		if b, err = m.rd.bytes(4); err == nil {
			v.n = int64(int32(binary.LittleEndian.Uint32(b)))
		}
	case pickleops.LONG1, pickleops.LONG4:
		err = m.longBytes(op, v)
	case pickleops.BINFLOAT:
		v.kind = kFloat
		_, err = m.rd.bytes(8)
	default: // INT, LONG, FLOAT: decimal text
		err = m.decimalText(op, v)
	}
	if err != nil {
		return m.w.decodeError(off, err)
	}
	m.push(v)
	return nil
}

// longBytes reads LONG1/LONG4: a little-endian two's-complement integer.
// Small values are kept in n; the raw bytes (up to maxKeptString) in s.
func (m *vm) longBytes(op *pickleops.Op, v *value) error {
	var n int64
	if op.Code == pickleops.LONG1 {
		b, err := m.rd.byte1()
		if err != nil {
			return err
		}
		n = int64(b)
	} else {
		b, err := m.rd.bytes(4)
		if err != nil {
			return err
		}
		if n = int64(int32(binary.LittleEndian.Uint32(b))); n < 0 {
			return fmt.Errorf("LONG4 with negative length %d", n)
		}
	}
	if n > maxKeptString {
		v.truncated = true
		return m.rd.skip(n)
	}
	b, err := m.rd.bytes(int(n))
	if err != nil {
		return err
	}
	v.s = string(b)
	if n <= 8 {
		var x int64
		for i := len(b) - 1; i >= 0; i-- {
			x = x<<8 | int64(b[i])
		}
		if n > 0 && n < 8 && b[n-1]&0x80 != 0 {
			x -= 1 << (8 * n)
		}
		v.n = x
	}
	return nil
}

func (m *vm) decimalText(op *pickleops.Op, v *value) error {
	l, err := m.rd.line(maxLine)
	if err != nil {
		return err
	}
	text := strings.TrimSuffix(string(l), "L")
	if op.Code == pickleops.FLOAT {
		v.kind = kFloat
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return fmt.Errorf("FLOAT argument %q is not a number", text)
		}
		return nil
	}
	switch text {
	case "00", "01": // INT's spelling of False and True
		v.kind = kBool
		return nil
	}
	x, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		if _, ok := bigDecimal(text); !ok {
			return fmt.Errorf("%s argument %q is not an integer", op.Name, text)
		}
		v.s = text
		return nil
	}
	v.n = x
	return nil
}

func bigDecimal(s string) (string, bool) {
	t := strings.TrimPrefix(s, "-")
	if t == "" || len(t) > 4096 {
		return "", false
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return s, true
}

// constant reads a length-prefixed str or bytes constant. Payloads longer
// than the inline limit are skipped, not read.
func (m *vm) constant(op *pickleops.Op, off int64) error {
	n, err := m.constantLength(op)
	if err != nil {
		return m.w.decodeError(off, err)
	}
	if n > uint64(m.rd.remaining()) {
		m.rd.skip(m.rd.remaining())
		return m.w.decodeError(off, errEOF)
	}
	v := m.newValue(kBytes, off)
	switch op.Code {
	case pickleops.SHORT_BINUNICODE, pickleops.BINUNICODE, pickleops.BINUNICODE8,
		pickleops.SHORT_BINSTRING, pickleops.BINSTRING:
		v.kind = kStr
	}
	if op.Code == pickleops.BYTEARRAY8 {
		v.kind = kBytes
	}
	v.n = int64(n)
	dataOff := m.rd.pos
	if err := m.w.inspectPayload(m.rd, dataOff, int64(n), v); err != nil {
		return m.w.decodeError(off, err)
	}
	m.push(v)
	return nil
}

func (m *vm) constantLength(op *pickleops.Op) (uint64, error) {
	switch op.Arg {
	case pickleops.ArgLen1:
		b, err := m.rd.byte1()
		return uint64(b), err
	case pickleops.ArgLen4, pickleops.ArgLen4Signed:
		b, err := m.rd.bytes(4)
		if err != nil {
			return 0, err
		}
		n := binary.LittleEndian.Uint32(b)
		if op.Arg == pickleops.ArgLen4Signed && int32(n) < 0 {
			return 0, fmt.Errorf("%s with negative length", op.Name)
		}
		return uint64(n), nil
	}
	return m.u64()
}

// textConstant decodes STRING (a quoted repr) and UNICODE
// (raw-unicode-escape) lines.
func (m *vm) textConstant(op *pickleops.Op, off int64) error {
	l, err := m.rd.line(maxLine)
	if err != nil {
		return m.w.decodeError(off, err)
	}
	v := m.newValue(kStr, off)
	s := string(l)
	if op.Code == pickleops.STRING {
		if s, err = unquote(s); err != nil {
			return m.w.decodeError(off, err)
		}
	} else {
		s = rawUnicodeUnescape(s)
	}
	v.n = int64(len(s))
	if len(s) > maxKeptString {
		s, v.truncated = s[:maxKeptString], true
	}
	v.s = s
	m.push(v)
	return nil
}

// memoIndex reads the index argument of a PUT or GET family opcode (the
// u8, u32 or decimal-line encodings); ok is false for a decimal index that
// is not a non-negative integer.
func (m *vm) memoIndex(op *pickleops.Op) (idx int64, ok bool, err error) {
	switch op.Arg {
	case pickleops.ArgU1:
		b, err := m.rd.byte1()
		return int64(b), true, err
	case pickleops.ArgU4:
		b, err := m.rd.bytes(4)
		if err != nil {
			return 0, false, err
		}
		return int64(binary.LittleEndian.Uint32(b)), true, nil
	}
	l, err := m.rd.line(maxLine)
	if err != nil {
		return 0, false, err
	}
	idx, perr := strconv.ParseInt(string(l), 10, 64)
	return idx, perr == nil && idx >= 0, nil
}

// put stores the top of the stack in the memo (it does not pop).
func (m *vm) put(op *pickleops.Op, off int64) error {
	idx, ok := int64(m.memo.len()), true
	if op.Code != pickleops.MEMOIZE {
		var err error
		if idx, ok, err = m.memoIndex(op); err != nil {
			return m.w.decodeError(off, err)
		}
	}
	m.w.puts++
	m.lastIdx = idx
	switch {
	case !ok:
		m.w.malformed(off, fmt.Sprintf("%s at offset %d has an index that is not a non-negative integer", op.Name, off))
	case len(m.stack) == 0:
		m.w.malformed(off, fmt.Sprintf("%s at offset %d with an empty stack", op.Name, off))
	case !m.memo.set(idx, m.stack[len(m.stack)-1]) || m.memo.len() > m.w.lim.MaxMemo:
		m.w.limit(off, fmt.Sprintf("memo larger than %d entries", m.w.lim.MaxMemo))
		return errStop
	}
	return nil
}

// get pushes a memo entry; a missing one is an error in CPython, and an
// unknown value here (so that names built from it stay unresolved).
func (m *vm) get(op *pickleops.Op, off int64) error {
	idx, _, err := m.memoIndex(op)
	if err != nil {
		return m.w.decodeError(off, err)
	}
	m.w.gets++
	m.lastIdx = idx
	v := m.memo.get(idx)
	if v == nil {
		m.w.malformed(off, fmt.Sprintf("%s at offset %d reads memo entry %d, which was never stored", op.Name, off, idx))
		v = m.newValue(kUnknown, off)
		v.s = fmt.Sprintf("missing memo entry %d", idx)
	}
	m.push(v)
	return nil
}

// fromMark builds LIST, TUPLE, DICT or FROZENSET from the marked items.
func (m *vm) fromMark(op *pickleops.Op, off int64) {
	items := m.popMark(off)
	k := map[byte]kind{pickleops.LIST: kList, pickleops.TUPLE: kTuple, pickleops.DICT: kDict, pickleops.FROZENSET: kFrozenSet}[op.Code]
	v := m.newValue(k, off)
	m.absorb(v, items, k == kTuple || k == kDict)
	m.push(v)
}

func (m *vm) tupleN(n int, off int64) {
	items := make([]*value, n)
	for i := n - 1; i >= 0; i-- {
		items[i] = m.pop(off)
	}
	v := m.newValue(kTuple, off)
	m.absorb(v, items, true)
	m.push(v)
}

func (m *vm) tupleOf(items []*value, off int64) *value {
	v := m.newValue(kTuple, off)
	m.absorb(v, items, true)
	return v
}

// absorb adds items to a container: their weight always (expansion), the
// items themselves only when kept (tuples, small dicts).
func (m *vm) absorb(target *value, items []*value, keep bool) {
	for _, it := range items {
		if it == target {
			m.w.expansion(target.off, fmt.Sprintf("an object at offset %d is inserted into itself", target.off))
		}
		target.addWeight(it.weight)
	}
	if keep {
		room := maxKeptItems - len(target.items)
		if room < len(items) {
			target.itemsDropped = true
			items = items[:max(room, 0)]
		}
		target.items = append(target.items, items...)
	}
	m.w.checkWeight(target)
}

// fill executes APPEND(S), SETITEM(S) and ADDITEMS: method calls on the
// target, which is a mutation when the target is a global.
func (m *vm) fill(op *pickleops.Op, off int64) {
	var items []*value
	switch op.Code {
	case pickleops.APPEND:
		items = []*value{m.pop(off)}
	case pickleops.SETITEM:
		v, k := m.pop(off), m.pop(off)
		items = []*value{k, v}
	default:
		items = m.popMark(off)
	}
	target := m.peekTop(off)
	if target.kind == kGlobal {
		m.w.mutation(off, op.Name, target)
	}
	m.absorb(target, items, target.kind == kDict && len(target.items) < maxKeptItems)
}

func (m *vm) importValue(module, name, op string, off int64, unresolved string) *value {
	im := &imported{module: module, name: name, op: op, off: off, unresolved: unresolved}
	if unresolved == "" {
		im.j = m.w.pol.judge(module, name)
	}
	m.w.imports = append(m.w.imports, im)
	v := m.newValue(kGlobal, off)
	v.imp = im
	return v
}

// stackGlobal resolves STACK_GLOBAL operands; anything but two complete
// constant strings leaves the global unresolved.
func (m *vm) stackGlobal(module, name *value, off int64) *value {
	mod, ok1 := module.str()
	nm, ok2 := name.str()
	if ok1 && ok2 {
		return m.importValue(mod, nm, "STACK_GLOBAL", off, "")
	}
	why := []string{}
	for _, p := range []struct {
		role string
		v    *value
	}{{"module", module}, {"name", name}} {
		if _, ok := p.v.str(); !ok {
			why = append(why, fmt.Sprintf("the %s operand is %s", p.role, describe(p.v)))
		}
	}
	return m.importValue(fmt.Sprint(module.s), fmt.Sprint(name.s), "STACK_GLOBAL", off, strings.Join(why, "; "))
}

// describe says where a non-constant operand came from.
func describe(v *value) string {
	switch {
	case v.kind == kStr && v.truncated:
		return fmt.Sprintf("a %d-character string", v.n)
	case v.kind == kCall && v.callee != nil && v.callee.imp != nil:
		return "the result of calling " + v.callee.imp.display()
	case v.kind == kGlobal && v.imp != nil:
		return "the value of the global " + v.imp.display()
	case v.kind == kUnknown && v.s != "":
		return v.s
	}
	return "a " + v.kind.String() + " value"
}

// unquote decodes a protocol-0 STRING argument (a Python repr).
func unquote(s string) (string, error) {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return "", fmt.Errorf("STRING argument %q is not quoted", s)
	}
	body := s[1 : len(s)-1]
	if !strings.Contains(body, "\\") {
		return body, nil
	}
	if u, err := strconv.Unquote(`"` + strings.ReplaceAll(body, `"`, `\"`) + `"`); err == nil {
		return u, nil
	}
	return body, nil
}

// rawUnicodeUnescape decodes \uXXXX and \UXXXXXXXX escapes.
func rawUnicodeUnescape(s string) string {
	if !strings.Contains(s, `\u`) && !strings.Contains(s, `\U`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(s) {
				if r, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32); err == nil && r <= math.MaxInt32 {
					b.WriteRune(rune(r))
					i += 1 + n
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
