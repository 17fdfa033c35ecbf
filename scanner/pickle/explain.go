package pickle

import (
	"fmt"
	"io"
	"strconv"

	"github.com/modelgate/modelgate/internal/pickleops"
)

// maxTraceLines bounds a disassembly; the summary of imports and calls
// that follows it is always complete.
const maxTraceLines = 20000

// tracer writes a readable disassembly for modelgate explain.
type tracer struct {
	out     io.Writer
	lines   int
	dropped int64
}

// traceOp prints one executed opcode with what the VM made of it.
func (w *walk) traceOp(m *vm, op *pickleops.Op, off int64) {
	t := w.trace
	if t.lines >= maxTraceLines {
		t.dropped++
		return
	}
	t.lines++
	indent := ""
	for range min(len(m.marks), 12) {
		indent += "  "
	}
	fmt.Fprintf(t.out, "%10d  %s%-16s %s\n", off, indent, op.Name, m.traceNote(op))
}

// traceNote describes the opcode's effect from the VM state after it ran.
func (m *vm) traceNote(op *pickleops.Op) string {
	top := func() *value {
		if len(m.stack) == 0 {
			return nil
		}
		return m.stack[len(m.stack)-1]
	}
	switch op.Code {
	case pickleops.PROTO:
		return strconv.Itoa(m.proto)
	case pickleops.FRAME:
		return fmt.Sprintf("%d bytes", m.lastIdx)
	case pickleops.PUT, pickleops.BINPUT, pickleops.LONG_BINPUT, pickleops.MEMOIZE:
		return fmt.Sprintf("memo[%d]", m.lastIdx)
	case pickleops.GET, pickleops.BINGET, pickleops.LONG_BINGET:
		return fmt.Sprintf("memo[%d] -> %s", m.lastIdx, show(top()))
	case pickleops.GLOBAL, pickleops.STACK_GLOBAL, pickleops.INST, pickleops.EXT1, pickleops.EXT2, pickleops.EXT4:
		return showImport(top())
	case pickleops.REDUCE, pickleops.OBJ, pickleops.NEWOBJ, pickleops.NEWOBJ_EX:
		return "call " + show(top())
	case pickleops.BUILD, pickleops.APPEND, pickleops.APPENDS, pickleops.SETITEM, pickleops.SETITEMS, pickleops.ADDITEMS:
		return "on " + show(top())
	}
	if op.Effect == pickleops.EffPush || op.Effect == pickleops.EffMarkPush1 {
		return show(top())
	}
	return ""
}

func showImport(v *value) string {
	if v == nil || v.imp == nil {
		return show(v)
	}
	im := v.imp
	if im.unresolved != "" {
		return "UNRESOLVED: " + im.unresolved
	}
	s := im.module + " " + im.name
	if im.j.resolved != im.module+"."+im.name {
		s += " -> " + im.j.resolved
	}
	return fmt.Sprintf("%s  [%s]", s, im.j.verdict)
}

// show renders a value briefly.
func show(v *value) string {
	if v == nil {
		return "?"
	}
	switch v.kind {
	case kStr:
		s := v.s
		if len(s) > 60 {
			s = s[:60] + "…"
		}
		if v.truncated {
			return fmt.Sprintf("%q… (%d characters)", s, v.n)
		}
		return strconv.Quote(s)
	case kBytes:
		return fmt.Sprintf("<%d bytes>", v.n)
	case kInt:
		if v.s != "" && len(v.s) > 8 {
			return fmt.Sprintf("<%d-byte integer>", len(v.s))
		}
		return strconv.FormatInt(v.n, 10)
	case kGlobal:
		return v.imp.display()
	case kCall:
		if v.callee != nil && v.callee.kind == kGlobal {
			return v.callee.imp.display() + "(…)"
		}
		return "<result of an unresolved call>"
	}
	return "<" + v.kind.String() + ">"
}

// traceSummary lists the imports and how they were used.
func (w *walk) traceSummary() {
	t := w.trace
	if t.dropped > 0 {
		fmt.Fprintf(t.out, "  … %d more opcodes not shown\n", t.dropped)
	}
	fmt.Fprintf(t.out, "\n  %d opcodes, %d imports:\n", w.ops, len(w.imports))
	for _, im := range w.imports {
		use := "imported only"
		switch {
		case im.calledInit != nil:
			use = fmt.Sprintf("called by %s at %d", im.calledInit.op, im.calledInit.off)
		case im.instantiated != nil:
			use = fmt.Sprintf("instantiated by %s at %d", im.instantiated.op, im.instantiated.off)
		}
		verdict := im.j.verdict.String()
		if im.unresolved != "" {
			verdict = "unresolved: " + im.unresolved
		}
		fmt.Fprintf(t.out, "  %10d  %-13s %-50s %s; %s\n", im.off, im.op, im.display(), verdict, use)
	}
}
