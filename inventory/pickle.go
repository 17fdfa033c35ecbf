package inventory

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/internal/pickleops"
)

// The state-dict walker reads a PyTorch data.pkl symbolically, to find the
// tensors and their names. It keeps a stack of symbolic values (strings,
// ints, tuples, globals, persistent ids, tensors, dicts, and "other" for
// everything else) and applies only the few operations that build a state
// dict: OrderedDict() and dict literals, SETITEM(S) on them, persistent
// storage ids, and torch._utils._rebuild_tensor_v2/_v3/_rebuild_parameter.
// Nothing is imported or called; unknown calls yield "other". Every other
// opcode keeps the stack's shape through its documented effect.
//
// Bounds: the bytes (Limits.MaxPickle), the opcodes (Limits.MaxOps), the
// stack and the memo (below), tuple items kept (longer tuples become
// "other"), strings kept (longer ones become "other"), and the tensors
// recorded (Limits.MaxTensors).
const (
	maxStack      = 1 << 16
	maxMemo       = 1 << 18
	maxTupleItems = 16
	maxKeptString = 1 << 10
)

type pkind uint8

const (
	pOther pkind = iota
	pStr
	pInt
	pTuple
	pGlobal
	pStorage
	pTensor
	pDict
)

// pval is a symbolic value. Tensors are indexes into walker.tensors so that
// a dict can rename the tensors it holds when it is nested.
type pval struct {
	kind  pkind
	s     string // str; global "module.name"; storage dtype
	i     int64
	items []pval // tuple
	// tensor: a tensor not yet named (names come from the dict keys)
	tensor *Tensor
	// dict: shared by every copy of the value (memo, DUP), as in Python
	dict *pdict
}

// pdict is a dict's state: the named tensors it holds (indexes into
// walker.tensors) and whether a parent has named them already.
type pdict struct {
	held   []int
	nested bool
}

var other = pval{kind: pOther}

type walker struct {
	ctx     context.Context
	data    []byte
	pos     int
	lim     Limits
	stack   []pval
	marks   []int
	memo    map[uint64]pval
	tensors []Tensor
	// held counts the tensor references dicts hold, bounded by maxHeld so
	// that one big dict set under many keys cannot grow without bound.
	held int
}

// maxHeld bounds the tensor references held by all dicts together.
const maxHeld = 1 << 20

// errFull stops the walk when the tensor cap is reached.
var errFull = errors.New("the tensor list is cut")

var errWalk = errors.New("malformed pickle")

// walkStateDict returns the named tensors of a PyTorch data.pkl, in the
// order they are stored; the error says why the walk stopped early.
func walkStateDict(ctx context.Context, data []byte, lim Limits) ([]Tensor, error) {
	w := &walker{ctx: ctx, data: data, lim: lim.withDefaults(), memo: map[uint64]pval{}}
	err := w.run()
	return w.tensors, err
}

func (w *walker) run() error {
	for ops := 0; w.pos < len(w.data); ops++ {
		if ops >= w.lim.MaxOps {
			return fmt.Errorf("more than %d opcodes", w.lim.MaxOps)
		}
		if ops%4096 == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		at := w.pos
		op := pickleops.Lookup(w.data[w.pos])
		if op == nil {
			return fmt.Errorf("%w: byte 0x%02x at offset %d is no opcode", errWalk, w.data[at], at)
		}
		w.pos++
		if op.Code == pickleops.STOP {
			return nil
		}
		if err := w.step(op); err != nil {
			return fmt.Errorf("%s at offset %d: %w", op.Name, at, err)
		}
		if len(w.stack) > maxStack {
			return fmt.Errorf("stack deeper than %d", maxStack)
		}
		if len(w.tensors) >= w.lim.MaxTensors {
			return fmt.Errorf("%w at %d tensors", errFull, len(w.tensors))
		}
	}
	return fmt.Errorf("%w: no STOP", errWalk)
}

// step applies one opcode: the state-dict ones by meaning, the rest by
// their stack effect.
func (w *walker) step(op *pickleops.Op) error {
	arg, n, err := w.arg(op.Arg)
	if err != nil {
		return err
	}
	switch op.Code {
	case pickleops.BINUNICODE, pickleops.SHORT_BINUNICODE, pickleops.BINUNICODE8, pickleops.UNICODE,
		pickleops.STRING, pickleops.BINSTRING, pickleops.SHORT_BINSTRING:
		w.push(str(op.Code, arg))
	case pickleops.BININT, pickleops.BININT1, pickleops.BININT2, pickleops.INT, pickleops.LONG, pickleops.LONG1:
		w.push(pval{kind: pInt, i: n})
	case pickleops.GLOBAL:
		mod, name, _ := strings.Cut(string(arg), "\n")
		w.push(pval{kind: pGlobal, s: mod + "." + name})
	case pickleops.EMPTY_DICT:
		w.push(newDict())
	case pickleops.PUT, pickleops.BINPUT, pickleops.LONG_BINPUT, pickleops.MEMOIZE:
		return w.put(op.Code, n)
	case pickleops.GET, pickleops.BINGET, pickleops.LONG_BINGET:
		v, ok := w.memo[uint64(n)]
		if !ok {
			return fmt.Errorf("%w: memo %d is not set", errWalk, n)
		}
		w.push(v)
	default:
		return w.structural(op)
	}
	return nil
}

// structural applies opcodes that combine stack values.
func (w *walker) structural(op *pickleops.Op) error {
	switch op.Code {
	case pickleops.TUPLE1, pickleops.TUPLE2, pickleops.TUPLE3:
		items, err := w.popN(int(op.Code-pickleops.TUPLE1) + 1)
		if err != nil {
			return err
		}
		w.push(tuple(items))
	case pickleops.EMPTY_TUPLE:
		w.push(pval{kind: pTuple})
	case pickleops.TUPLE, pickleops.DICT:
		items, err := w.popMark()
		if err != nil {
			return err
		}
		if op.Code == pickleops.TUPLE {
			w.push(tuple(items))
			return nil
		}
		d := newDict()
		w.setItems(d.dict, items)
		w.push(d)
	case pickleops.STACK_GLOBAL:
		items, err := w.popN(2)
		if err != nil {
			return err
		}
		w.push(pval{kind: pGlobal, s: items[0].s + "." + items[1].s})
	case pickleops.BINPERSID:
		pid, err := w.pop()
		if err != nil {
			return err
		}
		w.push(storage(pid))
	case pickleops.REDUCE:
		items, err := w.popN(2)
		if err != nil {
			return err
		}
		w.push(w.call(items[0], items[1]))
	case pickleops.BUILD:
		if _, err := w.pop(); err != nil { // the state; the object stays
			return err
		}
		_, err := w.top()
		return err
	case pickleops.SETITEM:
		items, err := w.popN(2)
		if err != nil {
			return err
		}
		return w.intoTop(items)
	case pickleops.SETITEMS:
		items, err := w.popMark()
		if err != nil {
			return err
		}
		return w.intoTop(items)
	default:
		return w.effect(op.Effect)
	}
	return nil
}

// effect keeps the stack's shape for opcodes the walker does not model.
func (w *walker) effect(e pickleops.Effect) error {
	var err error
	switch e {
	case pickleops.EffPush:
		w.push(other)
	case pickleops.EffNone:
	case pickleops.EffNeed1:
		_, err = w.top()
	case pickleops.EffPop1:
		_, err = w.pop()
	case pickleops.EffPop1Push1, pickleops.EffPop2Push1, pickleops.EffPop3Push1:
		n := map[pickleops.Effect]int{pickleops.EffPop1Push1: 1, pickleops.EffPop2Push1: 2, pickleops.EffPop3Push1: 3}[e]
		if _, err = w.popN(n); err == nil {
			w.push(other)
		}
	case pickleops.EffDup:
		var v pval
		if v, err = w.top(); err == nil {
			w.push(v)
		}
	case pickleops.EffAppend:
		if _, err = w.pop(); err == nil {
			_, err = w.top()
		}
	case pickleops.EffMark:
		w.marks = append(w.marks, len(w.stack))
	case pickleops.EffPopMark:
		_, err = w.popMark()
	case pickleops.EffMarkPush1:
		if _, err = w.popMark(); err == nil {
			w.push(other)
		}
	case pickleops.EffMarkInto:
		if _, err = w.popMark(); err == nil {
			_, err = w.top()
		}
	}
	return err
}

// call models the few callables of a state dict.
func (w *walker) call(fn, args pval) pval {
	if fn.kind != pGlobal || args.kind != pTuple {
		return other
	}
	switch fn.s {
	case "collections.OrderedDict", "builtins.dict", "__builtin__.dict":
		return newDict()
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_tensor":
		return rebuildTensor(fn.s, args.items)
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		if len(args.items) > 0 && args.items[0].kind == pTensor {
			return args.items[0]
		}
	}
	return other
}

// rebuildTensor reads (storage, storage_offset, size, …[, dtype]) into a
// tensor.
func rebuildTensor(fn string, args []pval) pval {
	if len(args) < 3 || args[0].kind != pStorage {
		return other
	}
	t := &Tensor{DType: args[0].s}
	if shape, ok := ints(args[2]); ok {
		t.Shape = shape
	}
	if fn == "torch._utils._rebuild_tensor_v3" && len(args) > 6 && args[6].kind == pGlobal {
		t.DType = strings.TrimPrefix(args[6].s, "torch.")
	}
	return pval{kind: pTensor, tensor: t}
}

// storage reads a persistent id ('storage', torch.FloatStorage, key,
// location, numel).
func storage(pid pval) pval {
	if pid.kind != pTuple || len(pid.items) < 2 || pid.items[0].s != "storage" || pid.items[1].kind != pGlobal {
		return other
	}
	name := strings.TrimPrefix(pid.items[1].s, "torch.")
	return pval{kind: pStorage, s: storageDTypes[name]}
}

// storageDTypes maps typed storage classes to dtypes.
var storageDTypes = map[string]string{
	"FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
	"BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
	"ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
	"BoolStorage": "bool", "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
}

// intoTop sets key/value pairs into the dict on top of the stack.
func (w *walker) intoTop(pairs []pval) error {
	if len(w.stack) == 0 {
		return fmt.Errorf("%w: stack underflow", errWalk)
	}
	if target := w.stack[len(w.stack)-1]; target.kind == pDict {
		w.setItems(target.dict, pairs)
	}
	return nil
}

func newDict() pval { return pval{kind: pDict, dict: &pdict{}} }

// setItems records the tensors (and nested dicts of tensors) set into d
// under string keys. A nested dict's tensors are prefixed with the key the
// first time the dict is set into another; later references keep the
// first path.
func (w *walker) setItems(d *pdict, pairs []pval) {
	for i := 0; i+1 < len(pairs); i += 2 {
		key, val := pairs[i], pairs[i+1]
		if key.kind != pStr {
			continue
		}
		switch val.kind {
		case pTensor:
			if len(w.tensors) >= w.lim.MaxTensors || w.held >= maxHeld {
				continue
			}
			w.held++
			t := *val.tensor
			t.Name = key.s
			d.held = append(d.held, len(w.tensors))
			w.tensors = append(w.tensors, t)
		case pDict:
			if val.dict == d || val.dict.nested {
				continue
			}
			if w.held += len(val.dict.held); w.held > maxHeld {
				continue
			}
			val.dict.nested = true
			for _, idx := range val.dict.held {
				if len(w.tensors[idx].Name)+len(key.s) < maxKeptString {
					w.tensors[idx].Name = key.s + "." + w.tensors[idx].Name
				}
			}
			d.held = append(d.held, val.dict.held...)
		}
	}
}

func tuple(items []pval) pval {
	if len(items) > maxTupleItems {
		return other
	}
	return pval{kind: pTuple, items: items}
}

func ints(v pval) ([]uint64, bool) {
	if v.kind != pTuple {
		return nil, false
	}
	out := make([]uint64, 0, len(v.items))
	for _, it := range v.items {
		if it.kind != pInt || it.i < 0 {
			return nil, false
		}
		out = append(out, uint64(it.i))
	}
	return out, true
}

func str(code byte, arg []byte) pval {
	if len(arg) > maxKeptString {
		return other
	}
	s := string(arg)
	switch code {
	case pickleops.STRING:
		s = strings.Trim(strings.TrimSuffix(s, "\n"), `'"`)
	case pickleops.UNICODE:
		s = strings.TrimSuffix(s, "\n")
	}
	return pval{kind: pStr, s: s}
}

func (w *walker) put(code byte, n int64) error {
	v, err := w.top()
	if err != nil {
		return err
	}
	key := uint64(n)
	if code == pickleops.MEMOIZE {
		key = uint64(len(w.memo))
	}
	if _, exists := w.memo[key]; !exists && len(w.memo) >= maxMemo {
		return fmt.Errorf("more than %d memo entries", maxMemo)
	}
	w.memo[key] = v
	return nil
}

func (w *walker) push(v pval) { w.stack = append(w.stack, v) }

func (w *walker) top() (pval, error) {
	if len(w.stack) == 0 || (len(w.marks) > 0 && w.marks[len(w.marks)-1] == len(w.stack)) {
		return pval{}, fmt.Errorf("%w: stack underflow", errWalk)
	}
	return w.stack[len(w.stack)-1], nil
}

func (w *walker) pop() (pval, error) {
	v, err := w.top()
	if err == nil {
		w.stack = w.stack[:len(w.stack)-1]
	}
	return v, err
}

// popN pops n values, returned bottom first.
func (w *walker) popN(n int) ([]pval, error) {
	floor := 0
	if len(w.marks) > 0 {
		floor = w.marks[len(w.marks)-1]
	}
	if len(w.stack)-floor < n {
		return nil, fmt.Errorf("%w: stack underflow", errWalk)
	}
	items := append([]pval(nil), w.stack[len(w.stack)-n:]...)
	w.stack = w.stack[:len(w.stack)-n]
	return items, nil
}

// popMark pops everything above the topmost mark and the mark.
func (w *walker) popMark() ([]pval, error) {
	if len(w.marks) == 0 {
		return nil, fmt.Errorf("%w: no MARK", errWalk)
	}
	m := w.marks[len(w.marks)-1]
	w.marks = w.marks[:len(w.marks)-1]
	items := append([]pval(nil), w.stack[m:]...)
	w.stack = w.stack[:m]
	return items, nil
}

// arg reads an opcode's inline argument: the bytes of text and byte
// arguments, the value of integer ones.
func (w *walker) arg(a pickleops.Arg) ([]byte, int64, error) {
	switch a {
	case pickleops.ArgNone:
		return nil, 0, nil
	case pickleops.ArgU1, pickleops.ArgU2, pickleops.ArgI4, pickleops.ArgU4:
		return w.fixed(a)
	case pickleops.ArgU8, pickleops.ArgF8:
		_, err := w.take(8)
		return nil, 0, err
	case pickleops.ArgDecimalNL:
		line, err := w.line()
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(line)), "L"), 10, 64)
		return nil, n, err
	case pickleops.ArgFloatNL, pickleops.ArgStringNL, pickleops.ArgUnicodeNL, pickleops.ArgRawNL:
		line, err := w.line()
		return line, 0, err
	case pickleops.ArgGlobalNL:
		mod, err := w.line()
		if err != nil {
			return nil, 0, err
		}
		name, err := w.line()
		return []byte(strings.TrimSuffix(string(mod), "\n") + "\n" + strings.TrimSuffix(string(name), "\n")), 0, err
	case pickleops.ArgLong1:
		return w.long(1)
	case pickleops.ArgLong4:
		return w.long(4)
	}
	return w.counted(a)
}

// fixed reads a fixed-width little-endian integer argument.
func (w *walker) fixed(a pickleops.Arg) ([]byte, int64, error) {
	width := map[pickleops.Arg]int{pickleops.ArgU1: 1, pickleops.ArgU2: 2, pickleops.ArgI4: 4, pickleops.ArgU4: 4}[a]
	b, err := w.take(width)
	if err != nil {
		return nil, 0, err
	}
	switch a {
	case pickleops.ArgU1:
		return nil, int64(b[0]), nil
	case pickleops.ArgU2:
		return nil, int64(binary.LittleEndian.Uint16(b)), nil
	case pickleops.ArgI4:
		return nil, int64(int32(binary.LittleEndian.Uint32(b))), nil
	}
	return nil, int64(binary.LittleEndian.Uint32(b)), nil
}

// counted reads a length-prefixed argument.
func (w *walker) counted(a pickleops.Arg) ([]byte, int64, error) {
	width := map[pickleops.Arg]int{pickleops.ArgLen1: 1, pickleops.ArgLen4Signed: 4, pickleops.ArgLen4: 4, pickleops.ArgLen8: 8}[a]
	if width == 0 {
		return nil, 0, fmt.Errorf("%w: unknown argument kind %d", errWalk, a)
	}
	b, err := w.take(width)
	if err != nil {
		return nil, 0, err
	}
	var n uint64
	switch width {
	case 1:
		n = uint64(b[0])
	case 4:
		n = uint64(binary.LittleEndian.Uint32(b))
		if a == pickleops.ArgLen4Signed && int32(n) < 0 {
			return nil, 0, fmt.Errorf("%w: negative length", errWalk)
		}
	default:
		n = binary.LittleEndian.Uint64(b)
	}
	if n > uint64(len(w.data)-w.pos) {
		return nil, 0, fmt.Errorf("%w: a %d-byte argument runs past the end", errWalk, n)
	}
	out, err := w.take(int(n))
	return out, 0, err
}

// long reads LONG1/LONG4: a little-endian two's-complement integer.
func (w *walker) long(width int) ([]byte, int64, error) {
	b, err := w.take(width)
	if err != nil {
		return nil, 0, err
	}
	n := uint64(b[0])
	if width == 4 {
		n = uint64(int32(binary.LittleEndian.Uint32(b)))
		if int64(n) < 0 {
			return nil, 0, fmt.Errorf("%w: negative length", errWalk)
		}
	}
	if n > uint64(len(w.data)-w.pos) {
		return nil, 0, fmt.Errorf("%w: a %d-byte integer runs past the end", errWalk, n)
	}
	v, err := w.take(int(n))
	if err != nil || n > 8 {
		return nil, 0, err // too long to matter as a size; keep the stack shape
	}
	var x int64
	for i := len(v) - 1; i >= 0; i-- {
		x = x<<8 | int64(v[i])
	}
	if n > 0 && n < 8 && v[n-1]&0x80 != 0 {
		x -= 1 << (8 * n)
	}
	return nil, x, nil
}

func (w *walker) take(n int) ([]byte, error) {
	if n < 0 || n > len(w.data)-w.pos {
		return nil, fmt.Errorf("%w: truncated", errWalk)
	}
	b := w.data[w.pos : w.pos+n]
	w.pos += n
	return b, nil
}

func (w *walker) line() ([]byte, error) {
	i := bytes.IndexByte(w.data[w.pos:], '\n')
	if i < 0 {
		return nil, fmt.Errorf("%w: unterminated line", errWalk)
	}
	return w.take(i + 1)
}
