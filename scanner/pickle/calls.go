package pickle

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// call records a call opcode. Calls whose callable is not an imported
// global (a call result, a missing memo entry, a constant) cannot be
// judged by name and are reported as unresolved.
func (m *vm) call(op string, off int64, callee, args *value) *value {
	res := m.newValue(kCall, off)
	res.callee, res.args = callee, args
	res.addWeight(args.weight)
	if callee.kind != kGlobal {
		m.w.unresolvedCall(off, op, callee)
		return res
	}
	im := callee.imp
	if op == "NEWOBJ" || op == "NEWOBJ_EX" {
		im.markInstantiated(op, off)
	} else {
		im.markCalled(op, off)
	}
	m.special(im, args, op, off)
	return res
}

func (im *imported) markCalled(op string, off int64) {
	if im.calledInit == nil {
		im.calledInit = &callSite{op, off}
	}
}

func (im *imported) markInstantiated(op string, off int64) {
	if im.instantiated == nil {
		im.instantiated = &callSite{op, off}
	}
}

// special follows allowlisted helpers that call something else: the
// copyreg reconstructors instantiate their class argument, defaultdict
// calls its factory, _load_from_bytes loads its bytes.
func (m *vm) special(im *imported, args *value, op string, off int64) {
	if im.unresolved != "" {
		return
	}
	switch im.j.resolved {
	case "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__":
		m.instantiate(args.item(0), op, off)
		if base := args.item(1); im.j.resolved == "copyreg._reconstructor" && base != nil && base.kind == kGlobal {
			if base.imp.j.resolved != "builtins.object" {
				base.imp.markCalled(op, off) // base.__init__(obj, state) runs
			}
		}
	case "collections.defaultdict":
		if f := args.item(0); f != nil && f.kind == kGlobal {
			f.imp.markCalled(op, off) // the factory runs on every missing key
		} else if f != nil && f.kind != kNone {
			m.w.unresolvedCall(off, "defaultdict factory", f)
		}
	case "torch.storage._load_from_bytes":
		if b := args.item(0); b != nil && b.kind == kBytes {
			b.safeLoader = true
		} else {
			m.w.unresolvedCall(off, "_load_from_bytes argument", args.item(0))
		}
	}
}

// instantiate records that cls is instantiated without __init__.
func (m *vm) instantiate(cls *value, op string, off int64) {
	switch {
	case cls == nil:
		m.w.malformed(off, fmt.Sprintf("%s at offset %d has no class argument", op, off))
	case cls.kind == kGlobal:
		cls.imp.markInstantiated(op, off)
	default:
		m.w.unresolvedCall(off, op+" class", cls)
	}
}

// build executes BUILD: __setstate__ or attribute updates on the target.
// On a global that is a mutation of module state; on a joblib array
// wrapper, the array's bytes follow in the stream and are skipped.
func (m *vm) build(ctx context.Context, target, state *value, off int64) error {
	target.addWeight(state.weight)
	m.w.checkWeight(target)
	if target.kind == kGlobal {
		m.w.mutation(off, "BUILD", target)
		return nil
	}
	if target.kind == kCall && target.callee.kind == kGlobal &&
		strings.HasSuffix(target.callee.imp.j.resolved, "numpy_pickle.NumpyArrayWrapper") {
		return m.joblibArray(ctx, state, off)
	}
	return nil
}

// joblibArray skips the array data joblib writes right after a
// NumpyArrayWrapper's BUILD: an optional alignment padding, then the raw
// array bytes, or, for object arrays, a whole nested pickle.
func (m *vm) joblibArray(ctx context.Context, state *value, off int64) error {
	typestr, ok := dtypeString(state.dictGet("dtype"))
	if !ok {
		m.w.malformed(off, fmt.Sprintf("joblib array wrapper at offset %d has no readable dtype; its data cannot be skipped", off))
		return errStop
	}
	if strings.Contains(typestr, "O") {
		if m.depth >= m.w.lim.MaxNesting {
			m.w.limit(off, fmt.Sprintf("joblib object arrays nested deeper than %d", m.w.lim.MaxNesting))
			return errStop
		}
		sub := &vm{w: m.w, rd: m.rd, depth: m.depth + 1}
		_, err := sub.run(ctx)
		return err
	}
	size, ok := arrayBytes(typestr, state.dictGet("shape"))
	if !ok {
		m.w.malformed(off, fmt.Sprintf("joblib array wrapper at offset %d has an unreadable shape or dtype %q", off, typestr))
		return errStop
	}
	if state.dictGet("numpy_array_alignment_bytes") != nil {
		pad, err := m.rd.byte1()
		if err != nil {
			return m.w.decodeError(off, err)
		}
		if err := m.rd.skip(int64(pad)); err != nil {
			return m.w.decodeError(off, err)
		}
	}
	if err := m.rd.skip(size); err != nil {
		return m.w.decodeError(off, err)
	}
	return nil
}

// dtypeString reads the type string of a numpy.dtype(...) call result.
func dtypeString(d *value) (string, bool) {
	if d == nil || d.kind != kCall || d.args == nil {
		return "", false
	}
	return d.args.item(0).str()
}

// arrayBytes is prod(shape) × itemsize for a numpy type string such as
// "<f4", "|b1", "<U5" or "V16", with overflow checks.
func arrayBytes(typestr string, shape *value) (int64, bool) {
	t := strings.TrimLeft(typestr, "<>|=")
	if t == "" {
		return 0, false
	}
	letter, digits := t[0], t[1:]
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if letter == 'U' {
		n *= 4
	}
	if shape == nil || shape.kind != kTuple || shape.itemsDropped {
		return 0, false
	}
	total := n
	for _, d := range shape.items {
		if d.kind != kInt || d.n < 0 || d.s != "" && len(d.s) > 8 {
			return 0, false
		}
		if d.n != 0 && total > (1<<62)/d.n {
			return 0, false
		}
		total *= d.n
	}
	return total, true
}
