package pickle

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/modelgate/modelgate/internal/pickleops"
	"github.com/modelgate/modelgate/scanner"
)

// walk is the analysis of one file (or member): every stacked pickle in
// it, the imports and calls they make, and the anomalies met on the way.
type walk struct {
	in    *scanner.Input
	pol   *policy
	lim   Limits
	alloc slab

	ops, gets, puts int64
	imports         []*imported
	findings        []scanner.Finding
	counts          map[string]int // findings per rule, for caps
	tops            []*value       // the value of each stacked pickle
	nested          []nestedPayload
	expanded        bool
	trace           *tracer // set for modelgate explain
	alts            []int64 // frame ends straddled by an argument
	isAlt           bool    // this walk is itself an alternative reading
}

// nestedPayload is a str/bytes constant whose content is a pickle or an
// archive, to be scanned once the walk is over.
type nestedPayload struct {
	v    *value
	off  int64 // where the content starts
	size int64
	data []byte // decoded content (base64), or nil to read from the file
	how  string
}

// perRuleCap bounds findings of one rule per file, so a hostile stream
// cannot flood the report.
const perRuleCap = 20

func (w *walk) add(rule string, off int64, msg, evidence string) {
	if w.counts[rule]++; w.counts[rule] > perRuleCap {
		return
	}
	w.findings = append(w.findings, w.in.FindingAt(rule, off, msg, evidence))
}

func (w *walk) malformed(off int64, msg string) {
	w.add(ruleMalformed, off, "Malformed pickle: "+msg+".", "")
}

func (w *walk) limit(off int64, msg string) {
	w.add(ruleLimit, off, fmt.Sprintf("Analysis stopped at offset %d: %s. The rest of the stream was not analysed.", off, msg), msg)
}

func (w *walk) expansion(off int64, msg string) {
	if w.expanded {
		return
	}
	w.expanded = true
	w.add(ruleExpansion, off, "Expansion: "+msg+".", "expansion")
}

// checkWeight reports an object graph far larger than the stream that
// builds it (memo references multiplying a structure).
func (w *walk) checkWeight(v *value) {
	if v.weight > 1_000_000 && v.weight > 16*w.ops {
		w.expansion(v.off, fmt.Sprintf("%d opcodes build an object graph of about %d elements through shared references", w.ops, v.weight))
	}
}

func (w *walk) frameViolation(off int64, msg string) {
	w.add(ruleFrame, off, "FRAME violation: "+msg+". The C unpickler and linear disassemblers read different opcodes here.", "frame violation")
}

// maxAltWalks bounds the alternative readings tried after frame violations.
const maxAltWalks = 4

// noteAlt remembers where a reader that honours the frame boundary would
// resume, so that the bytes there are walked too.
func (w *walk) noteAlt(frameEnd int64) {
	if !w.isAlt && len(w.alts) < maxAltWalks {
		w.alts = append(w.alts, frameEnd)
	}
}

// walkAlternatives walks the stream again from each frame boundary that an
// argument straddled: what the C unpickler may execute, hidden from a
// linear reading. Its findings join this walk's.
func (w *walk) walkAlternatives(ctx context.Context) error {
	for _, off := range w.alts {
		alt := &walk{in: w.in, pol: w.pol, lim: w.lim, counts: map[string]int{}, isAlt: true}
		err := alt.stream(ctx, off)
		alt.judgeImports()
		for _, f := range alt.findings {
			if f.RuleID != ruleMalformed && f.RuleID != ruleTrailing {
				w.findings = append(w.findings, f)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *walk) mutation(off int64, op string, target *value) {
	name := target.imp.display()
	w.add(ruleMutation, off, fmt.Sprintf("%s at offset %d modifies the imported global %s instead of a new object.", op, off, name),
		fmt.Sprintf("%s on %s", op, name))
}

func (w *walk) unresolvedCall(off int64, op string, callee *value) {
	desc := "nothing"
	if callee != nil {
		desc = describe(callee)
	}
	w.add(ruleUnresolved, off, fmt.Sprintf("%s at offset %d calls %s, which cannot be resolved to a named function.", op, off, desc),
		fmt.Sprintf("%s calls %s", op, desc))
}

// decodeError turns a read or decode error into a malformed finding and
// stops the walk; context errors pass through.
func (w *walk) decodeError(off int64, err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, scanner.ErrReadBudget):
		return err
	case errors.Is(err, errEOF):
		w.malformed(off, fmt.Sprintf("the stream ends in the middle of the opcode at offset %d (truncated or missing STOP)", off))
	default:
		w.malformed(off, fmt.Sprintf("at offset %d: %v", off, err))
	}
	return errStop
}

// stream walks every pickle stacked from start to the end of the input,
// stopping at data that is not a pickle (reported as trailing data unless
// the layout expects it: legacy PyTorch storages).
func (w *walk) stream(ctx context.Context, start int64) error {
	rd := newReader(w.in.R, start, w.in.Size)
	rd.onViolate, rd.onStraddle = w.frameViolation, w.noteAlt
	for i := 0; ; i++ {
		if i >= w.lim.MaxPickles {
			w.limit(rd.pos, fmt.Sprintf("more than %d stacked pickles", w.lim.MaxPickles))
			return nil
		}
		m := &vm{w: w, rd: rd}
		top, err := m.run(ctx)
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil {
			return err
		}
		w.tops = append(w.tops, top)
		if rd.remaining() == 0 || w.legacyStoragesFollow() {
			return nil
		}
		if !pickleops.Plausible(rd.peek(4096), rd.remaining()) {
			w.add(ruleTrailing, rd.pos, fmt.Sprintf("%d bytes that are not a pickle follow the end of the pickle stream at offset %d.", rd.remaining(), rd.pos),
				fmt.Sprintf("%d trailing bytes", rd.remaining()))
			return nil
		}
	}
}

// legacyMagic is PyTorch's legacy magic number 0x1950a86a20f9469cfc6c, as
// LONG1 bytes and as a decimal LONG.
const (
	legacyMagicBytes   = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
	legacyMagicDecimal = "119547037146038801333356"
	legacyProtocol     = 1001
)

func isLegacyMagic(v *value) bool {
	return v != nil && v.kind == kInt && (v.s == legacyMagicBytes || v.s == legacyMagicDecimal)
}

// legacyLayout says the stream looks like legacy torch.save output: the
// second pickle is the protocol version 1001.
func (w *walk) legacyLayout() bool {
	return len(w.tops) >= 2 && w.tops[1].kind == kInt && w.tops[1].s == "" && w.tops[1].n == legacyProtocol
}

// legacyStoragesFollow: after the five pickles of a legacy checkpoint come
// raw storage bytes, not more pickles.
func (w *walk) legacyStoragesFollow() bool {
	return len(w.tops) >= 5 && (isLegacyMagic(w.tops[0]) || w.legacyLayout())
}

// inspectPayload reads or skips the content of a str/bytes constant. It
// keeps a prefix in v and queues content that is itself a pickle or an
// archive (also base64-encoded) for a nested scan.
func (w *walk) inspectPayload(rd *reader, off, n int64, v *value) error {
	nested := looksNested(rd.peek(int(min(n, 4096))), n)
	keep := min(n, maxKeptString)
	b, err := rd.bytes(int(keep))
	if err != nil {
		return err
	}
	v.s, v.truncated = string(b), n > keep
	if nested {
		v.nested = true
		w.nested = append(w.nested, nestedPayload{v: v, off: off, size: n, how: "embedded"})
	} else if v.kind == kStr && looksBase64Nested(v.s) && n <= w.lim.MaxInline {
		if data := w.decodeBase64(off, n); data != nil {
			v.nested = true
			w.nested = append(w.nested, nestedPayload{v: v, off: off, size: int64(len(data)), data: data, how: "base64-encoded"})
		}
	}
	if n > keep {
		return rd.skip(n - keep)
	}
	return nil
}

// looksNested recognises a pickle (strictly: its opcodes must check out
// against the payload's length, and a protocol-0/1 pickle must import
// something) or a zip archive at the start of a payload. Tensor data in
// bytes constants must not look nested by accident.
func looksNested(head []byte, size int64) bool {
	if size < 8 {
		return false
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) && len(head) >= 30 {
		nameLen := int(head[26]) | int(head[27])<<8
		return nameLen > 0 && int64(30+nameLen) <= size
	}
	if len(head) > 2 && head[0] == pickleops.PROTO {
		return head[1] >= 2 && head[1] <= pickleops.HighestProtocol && pickleops.Plausible(head, size)
	}
	return textImport.Match(head) && pickleops.Plausible(head, size)
}

// textImport finds a protocol-0 GLOBAL or INST operand pair.
var textImport = regexp.MustCompile(`[ci][A-Za-z_][A-Za-z0-9_.]*\n[A-Za-z_][A-Za-z0-9_.]*\n`)

// looksBase64Nested recognises base64 of a pickle ("\x80\x02".."\x80\x05")
// or of a zip.
func looksBase64Nested(s string) bool {
	for _, p := range []string{"gAJ", "gAN", "gAS", "gAU", "UEsDB"} {
		if len(s) >= 16 && s[:len(p)] == p {
			return true
		}
	}
	return false
}

func (w *walk) decodeBase64(off, n int64) []byte {
	raw := make([]byte, n)
	if _, err := w.in.R.ReadAt(raw, off); err != nil {
		return nil
	}
	out, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(raw)))
	if err != nil {
		return nil
	}
	return out
}

// scanNested scans queued payloads through the engine, so a nested pickle,
// PyTorch archive or zip gets the same analysis as a top-level file.
func (w *walk) scanNested(ctx context.Context) error {
	for i, p := range w.nested {
		if i >= perRuleCap {
			break
		}
		if !p.v.safeLoader {
			w.add(ruleNested, p.off, fmt.Sprintf("A constant at offset %d (%d bytes, %s) is itself a pickle or archive; it was scanned too.", p.off, p.size, p.how),
				fmt.Sprintf("%s payload of %d bytes", p.how, p.size))
		}
		var r io.ReaderAt = io.NewSectionReader(w.in.R, p.off, p.size)
		if p.data != nil {
			r = bytes.NewReader(p.data)
		}
		fs, err := w.in.ScanMember(ctx, fmt.Sprintf("@%d", p.off), r, p.size)
		if err != nil && !errors.Is(err, scanner.ErrDepth) {
			return err
		}
		w.findings = append(w.findings, fs...)
	}
	return nil
}
