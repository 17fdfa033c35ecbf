// Package tflite analyses TensorFlow Lite models (.tflite FlatBuffers): it
// walks the Model table with every offset bounds-checked before use, and
// reports what a model needs beyond the builtin kernels: custom operators
// (native code registered by the application) and Flex operators (full
// TensorFlow ops run by the Select TF ops delegate, some of which read and
// write files or call Python), with the TensorFlow op taken from the
// NodeDef the delegate actually executes. It also reports malformed
// FlatBuffers and URLs or code in the description and metadata names.
//
// Only the FlatBuffer tables are read, through a page cache; tensor
// buffers' data is never read.
package tflite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/tflite"

// Rule IDs this scanner emits (see scanner/rules/tflite.yaml).
const (
	ruleMalformed = "MG3301" // malformed FlatBuffer or model structure
	ruleCustom    = "MG3302" // custom operator
	ruleFlex      = "MG3303" // Flex (Select TF ops) operator
	rulePyFunc    = "MG3304" // Flex operator calling host Python (PyFunc family)
	ruleFileOp    = "MG3305" // Flex operator reading or writing files
	ruleDisguised = "MG3306" // Flex operator whose NodeDef runs another op
	ruleOpcode    = "MG3307" // inconsistent or invalid operator code
	ruleURL       = "MG3308" // URL in the description or metadata names
	ruleCode      = "MG3309" // code in the description or metadata names
)

const (
	identifier = "TFL3"
	// schemaVersion is the only Model.version the runtime accepts.
	schemaVersion = 3
	// maxText caps how much of a description or name is scanned.
	maxText = 64 << 10
	// maxOptions caps the custom options decoded for a Flex operator, and
	// maxOptionsTotal those decoded in one file (operators may share one
	// options vector, so the walk could otherwise decode it a million times).
	maxOptions      = 1 << 20
	maxOptionsTotal = 16 << 20
	// maxTextTotal caps the description and metadata-name text scanned in
	// one file.
	maxTextTotal = 1 << 20
	// maxTextStrings caps the strings scanned in one file: each scan costs
	// a dozen regexp runs, whatever the string's length.
	maxTextStrings = 1024
	ctxEvery       = 4096
)

// Model, OperatorCode, SubGraph, Operator, Buffer and Metadata field slots
// (tensorflow/lite/schema/schema.fbs).
const (
	modelVersion        = 0
	modelOperatorCodes  = 1
	modelSubgraphs      = 2
	modelDescription    = 3
	modelBuffers        = 4
	modelMetadataBuffer = 5
	modelMetadata       = 6
	modelSignatureDefs  = 7

	opcodeDeprecated = 0
	opcodeCustom     = 1
	opcodeBuiltin    = 3

	subgraphTensors   = 0
	subgraphOperators = 3

	tensorBuffer = 2

	operatorOpcodeIndex      = 0
	operatorCustomOptions    = 5
	operatorLargeOptionsOff  = 9
	operatorLargeOptionsSize = 10
	bufferData               = 0
	bufferOffset             = 1
	bufferSize               = 2
	metadataName             = 0
	metadataBuffer           = 1
	signatureKey             = 2
	signatureSubgraphIndex   = 4
)

// Scanner analyses TFLite models.
type Scanner struct{}

// New returns a TFLite scanner.
func New() *Scanner { return &Scanner{} }

var _ scanner.Scanner = (*Scanner)(nil)

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes files whose content reads as TFLite, and files named
// .tflite whose content reads as nothing else, so that a broken file is
// explained rather than left unrecognised.
func (*Scanner) Accepts(f *scanner.File) bool {
	return f.Sniff.Routes(format.TFLite)
}

// Scan implements scanner.Scanner. It returns an error only when reading
// fails or ctx ends, together with the findings made so far.
func (*Scanner) Scan(ctx context.Context, in *scanner.Input) (fs []scanner.Finding, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := newReport(in)
	p := &parser{ctx: ctx, in: in, rep: rep, f: newFile(in.R, in.Size), nBuffers: -1, nSubgraph: -1}
	defer func() {
		// Every offset is checked before the FlatBuffers runtime sees it;
		// this is a last resort: a bug here ends the scan with an error
		// (reported as a scan error), never with a crash or a made-up
		// finding.
		if r := recover(); r != nil {
			fs, err = rep.findings(), fmt.Errorf("tflite: internal error walking the FlatBuffer: %v", r)
		}
	}()
	err = p.run()
	return rep.findings(), err
}

// opcode is one entry of Model.operator_codes.
type opcode struct {
	index      int
	at         int64
	code       int32 // effective builtin code
	custom     string
	uses       int
	nodeOps    map[string]int // Flex: ops of the NodeDefs of the operators using it
	badOptions int            // Flex: operators whose custom options did not decode
	optionsAt  int64
}

// parser is the state of one scan.
type parser struct {
	ctx   context.Context
	in    *scanner.Input
	rep   *report
	f     *file
	steps int

	optionsRead int64          // bytes of Flex custom options decoded so far
	textRead    int64          // bytes of text scanned so far
	textSeen    map[int64]bool // offsets of strings already scanned

	opcodes   []*opcode
	opcodesOK bool  // operator_codes was read, so opcode indices can be checked
	nBuffers  int64 // -1 until Model.buffers was read
	nSubgraph int64 // -1 until Model.subgraphs was counted
}

func (p *parser) tick() error {
	if p.steps++; p.steps%ctxEvery == 0 {
		return p.ctx.Err()
	}
	return nil
}

// section runs one part of the walk; a malformed structure becomes a
// finding and the walk goes on with the next part.
func (p *parser) section(fn func() error) error {
	err := fn()
	var m *malformed
	switch {
	case errors.As(err, &m):
		p.rep.add(ruleMalformed, m.off, "malformed FlatBuffer: "+m.msg, clip(m.msg, 120))
		return nil
	case errors.Is(err, errTooManyTables):
		p.rep.add(ruleMalformed, 0,
			fmt.Sprintf("the model holds more than %d tables, the FlatBuffers verifier's limit; the TFLite runtime rejects it and the walk stopped there", maxTables),
			fmt.Sprintf("more than %d tables", maxTables))
		return errStop
	}
	return err
}

var errStop = errors.New("tflite: walk stopped")

func (p *parser) run() error {
	err := p.walk()
	if errors.Is(err, errStop) {
		err = nil
	}
	p.report()
	return err
}

func (p *parser) walk() error {
	if p.in.Size < 8 {
		p.rep.add(ruleMalformed, 0, fmt.Sprintf("file is %s long, too short to hold a TFLite FlatBuffer (root offset and identifier)", byteCount(p.in.Size)), fmt.Sprintf("file size %d", p.in.Size))
		return nil
	}
	head, err := p.f.bytes(0, 8)
	if err != nil {
		return err
	}
	if id := string(head[4:8]); id != identifier {
		p.rep.add(ruleMalformed, 4, fmt.Sprintf("file identifier is %s, not %q: this is not a TFLite model", scanner.Quote(id), identifier), "identifier "+scanner.Quote(id))
		return nil
	}
	var model *table
	if err := p.section(func() error {
		root, err := p.f.u32(0)
		if err == nil {
			model, err = p.f.table(int64(root), "Model")
		}
		return err
	}); err != nil || model == nil {
		return err
	}
	for _, part := range []func(*table) error{p.version, p.operatorCodes, p.buffers, p.subgraphs, p.description, p.metadata, p.metadataBuffers, p.signatures} {
		if err := p.section(func() error { return part(model) }); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) version(m *table) error {
	v, err := m.u32(modelVersion, 0)
	if err == nil && v != schemaVersion {
		p.rep.add(ruleMalformed, m.pos,
			fmt.Sprintf("Model.version is %d; the TFLite runtime accepts only schema version %d", v, schemaVersion),
			fmt.Sprintf("version %d", v))
	}
	return err
}

// tables iterates over the vector of tables in field slot of t.
func (p *parser) tables(t *table, slot int, what string, fn func(i int64, e *table) error) error {
	off, err := p.f.ref(t, slot, what)
	if off < 0 || err != nil {
		return err
	}
	start, n, err := p.f.vector(off, 4, t.what+"."+what)
	if err != nil {
		return err
	}
	for i := int64(0); i < n; i++ {
		if err := p.tick(); err != nil {
			return err
		}
		e, err := p.f.tableAt(start, i, fmt.Sprintf("%s.%s[%d]", t.what, what, i))
		if err != nil {
			return err
		}
		if err := fn(i, e); err != nil {
			return err
		}
	}
	return nil
}

// count returns the length of the vector in field slot of t (0 if absent).
func (p *parser) count(t *table, slot int, elemSize int64, what string) (int64, error) {
	off, err := p.f.ref(t, slot, what)
	if off < 0 || err != nil {
		return 0, err
	}
	_, n, err := p.f.vector(off, elemSize, t.what+"."+what)
	return n, err
}

// operatorCodes reads Model.operator_codes; a malformed entry is reported
// and skipped so that the others are still checked.
func (p *parser) operatorCodes(m *table) error {
	err := p.tables(m, modelOperatorCodes, "operator_codes", func(i int64, t *table) error {
		return p.section(func() error {
			oc, err := p.operatorCode(int(i), t)
			p.opcodes = append(p.opcodes, oc) // nil for a malformed entry
			return err
		})
	})
	p.opcodesOK = err == nil
	return err
}

func (p *parser) operatorCode(i int, t *table) (*opcode, error) {
	oc := &opcode{index: i, at: t.pos}
	dep, err := t.i8(opcodeDeprecated, 0)
	if err != nil {
		return nil, err
	}
	builtin, err := t.i32(opcodeBuiltin, 0)
	if err != nil {
		return nil, err
	}
	off, err := p.f.ref(t, opcodeCustom, "custom_code")
	if err != nil {
		return nil, err
	}
	if off >= 0 {
		s, _, err := p.f.str(off, 256, t.what+".custom_code")
		if err != nil {
			return nil, err
		}
		oc.custom = s
	}
	oc.code = max(int32(dep), builtin)
	switch {
	case dep < 0 || builtin < 0:
		p.rep.add(ruleOpcode, t.pos,
			fmt.Sprintf("operator code %d has a negative builtin code (deprecated_builtin_code %d, builtin_code %d); no operator has one, and runtimes index their kernel tables with it", i, dep, builtin),
			fmt.Sprintf("operator code %d: codes %d/%d", i, dep, builtin))
	case dep != 0 && builtin != 0 && int32(dep) != min(builtin, placeholderForGreaterOpCodes):
		p.rep.add(ruleOpcode, t.pos,
			fmt.Sprintf("operator code %d has deprecated_builtin_code %d but builtin_code %d; runtimes before TF 2.4 read the first, newer ones the larger of the two, so different runtimes run different operators", i, dep, builtin),
			fmt.Sprintf("operator code %d: codes %d/%d", i, dep, builtin))
	}
	if oc.code == builtinCustom && oc.custom == "" {
		p.rep.add(ruleOpcode, t.pos,
			fmt.Sprintf("operator code %d is CUSTOM but names no custom op (custom_code is empty or absent); the interpreter cannot resolve it", i),
			fmt.Sprintf("operator code %d: CUSTOM without a name", i))
	}
	return oc, nil
}

// buffers counts Model.buffers and checks the offset and size of buffers
// stored outside the FlatBuffer (models over 2 GB). Buffer data is not read.
func (p *parser) buffers(m *table) error {
	n, err := p.count(m, modelBuffers, 4, "buffers")
	if err != nil {
		return err
	}
	p.nBuffers = n
	return p.tables(m, modelBuffers, "buffers", func(i int64, t *table) error {
		off, err := t.u64(bufferOffset, 0)
		if err != nil {
			return err
		}
		size, err := t.u64(bufferSize, 0)
		if err != nil {
			return err
		}
		if off > 1 && (off > uint64(p.in.Size) || size > uint64(p.in.Size)-off) {
			return bad(t.pos, "buffer %d claims %d bytes at file offset %d, past the end of the %d-byte file", i, size, off, p.in.Size)
		}
		// The data's length, not the data.
		doff, err := p.f.ref(t, bufferData, "data")
		if doff < 0 || err != nil {
			return err
		}
		n, err := p.f.peekU32(doff)
		if err != nil {
			return err
		}
		if doff%4 != 0 || !p.f.inside(doff+4, int64(n)) {
			return bad(doff, "%s.data at offset %d claims %d bytes, past the end of the %d-byte file or misaligned", t.what, doff, n, p.in.Size)
		}
		return nil
	})
}

// subgraphs walks the operators (checking opcode indices and collecting
// the Flex NodeDefs) and the tensors (checking buffer indices).
func (p *parser) subgraphs(m *table) error {
	n, err := p.count(m, modelSubgraphs, 4, "subgraphs")
	if err != nil {
		return err
	}
	p.nSubgraph = n
	return p.tables(m, modelSubgraphs, "subgraphs", func(si int64, sg *table) error {
		err := p.tables(sg, subgraphOperators, "operators", func(oi int64, op *table) error {
			return p.operator(si, oi, op)
		})
		if err != nil {
			return err
		}
		return p.tables(sg, subgraphTensors, "tensors", func(ti int64, t *table) error {
			b, err := t.u32(tensorBuffer, 0)
			if err == nil && p.nBuffers >= 0 && int64(b) >= p.nBuffers && (b != 0 || p.nBuffers > 0) {
				return bad(t.pos, "tensor %d of subgraph %d refers to buffer %d, but the model has %d buffers", ti, si, b, p.nBuffers)
			}
			return err
		})
	})
}

func (p *parser) operator(si, oi int64, op *table) error {
	idx, err := op.u32(operatorOpcodeIndex, 0)
	if err != nil {
		return err
	}
	if !p.opcodesOK {
		return nil
	}
	if int64(idx) >= int64(len(p.opcodes)) {
		return bad(op.pos, "operator %d of subgraph %d uses operator code %d, but the model has %d operator codes", oi, si, idx, len(p.opcodes))
	}
	oc := p.opcodes[idx]
	if oc == nil {
		return nil // malformed, already reported
	}
	oc.uses++
	if oc.code != builtinCustom || !isFlex(oc.custom) {
		return nil
	}
	opts, at, err := p.customOptions(op)
	if err != nil {
		return err
	}
	if opts == nil && p.optionsRead >= maxOptionsTotal {
		return nil // over the budget: the op is judged by its name
	}
	if name, ok := flexNodeDefOp(opts); ok && name != "" {
		if oc.nodeOps == nil {
			oc.nodeOps = map[string]int{}
		}
		oc.nodeOps[name]++
	} else {
		oc.badOptions++
		oc.optionsAt = at
	}
	return nil
}

// customOptions returns an operator's custom options (inline, or stored
// after the FlatBuffer for large models), up to maxOptions bytes.
func (p *parser) customOptions(op *table) ([]byte, int64, error) {
	off, err := p.f.ref(op, operatorCustomOptions, "custom_options")
	if err != nil {
		return nil, 0, err
	}
	if off >= 0 {
		start, n, err := p.f.vector(off, 1, "custom_options")
		if err != nil || n > maxOptions || p.optionsRead+n > maxOptionsTotal {
			return nil, off, err
		}
		p.optionsRead += n
		b, err := p.f.bytes(start, int(n))
		return b, off, err
	}
	loff, err := op.u64(operatorLargeOptionsOff, 0)
	if err != nil {
		return nil, 0, err
	}
	lsize, err := op.u64(operatorLargeOptionsSize, 0)
	if err != nil || lsize == 0 {
		return nil, op.pos, err
	}
	if loff > uint64(p.in.Size) || lsize > uint64(p.in.Size)-loff {
		return nil, op.pos, bad(op.pos, "custom options of %d bytes at file offset %d lie past the end of the %d-byte file", lsize, loff, p.in.Size)
	}
	if lsize > maxOptions || p.optionsRead+int64(lsize) > maxOptionsTotal {
		return nil, op.pos, nil
	}
	p.optionsRead += int64(lsize)
	b, err := p.f.bytes(int64(loff), int(lsize))
	return b, int64(loff), err
}

func (p *parser) description(m *table) error {
	off, err := p.f.ref(m, modelDescription, "description")
	if off < 0 || err != nil {
		return err
	}
	s, _, err := p.f.str(off, p.textBudget(off), "Model.description")
	if err == nil {
		p.checkText("the model description", s, off+4)
	}
	return err
}

func (p *parser) metadata(m *table) error {
	return p.tables(m, modelMetadata, "metadata", func(i int64, t *table) error {
		b, err := t.u32(metadataBuffer, 0)
		if err != nil {
			return err
		}
		if p.nBuffers >= 0 && int64(b) >= p.nBuffers {
			return bad(t.pos, "metadata entry %d refers to buffer %d, but the model has %d buffers", i, b, p.nBuffers)
		}
		off, err := p.f.ref(t, metadataName, "name")
		if off < 0 || err != nil {
			return err
		}
		s, _, err := p.f.str(off, p.textBudget(off), t.what+".name")
		if err == nil && s != "" {
			p.checkText(fmt.Sprintf("the name of metadata entry %d", i), s, off+4)
		}
		return err
	})
}

func (p *parser) metadataBuffers(m *table) error {
	off, err := p.f.ref(m, modelMetadataBuffer, "metadata_buffer")
	if off < 0 || err != nil {
		return err
	}
	start, n, err := p.f.vector(off, 4, "Model.metadata_buffer")
	if err != nil {
		return err
	}
	for i := int64(0); i < n; i++ {
		if err := p.tick(); err != nil {
			return err
		}
		b, err := p.f.u32(start + 4*i)
		if err != nil {
			return err
		}
		if p.nBuffers >= 0 && int64(b) >= p.nBuffers {
			return bad(start+4*i, "metadata_buffer[%d] refers to buffer %d, but the model has %d buffers", i, b, p.nBuffers)
		}
	}
	return nil
}

func (p *parser) signatures(m *table) error {
	return p.tables(m, modelSignatureDefs, "signature_defs", func(i int64, t *table) error {
		sg, err := t.u32(signatureSubgraphIndex, 0)
		if err != nil {
			return err
		}
		if p.nSubgraph >= 0 && int64(sg) >= p.nSubgraph {
			return bad(t.pos, "signature %d refers to subgraph %d, but the model has %d subgraphs", i, sg, p.nSubgraph)
		}
		off, err := p.f.ref(t, signatureKey, "signature_key")
		if off < 0 || err != nil {
			return err
		}
		_, _, err = p.f.str(off, 0, t.what+".signature_key")
		return err
	})
}

// textBudget returns how much of the string at off to scan: nothing if it
// was scanned already (tables may share strings) or the file's text budget
// is spent.
func (p *parser) textBudget(off int64) int {
	if p.textSeen == nil {
		p.textSeen = map[int64]bool{}
	}
	if p.textSeen[off] || p.textRead >= maxTextTotal || len(p.textSeen) >= maxTextStrings {
		return 0
	}
	p.textSeen[off] = true
	return int(min(maxText, maxTextTotal-p.textRead))
}

// checkText reports code (MG3309) and URLs (MG3308) in a description or a
// metadata name; off is the file offset of the text.
func (p *parser) checkText(where, s string, off int64) {
	p.textRead += int64(len(s))
	checkText(p.rep, where, s, off)
}

// report turns the operator codes into findings, one per distinct op.
func (p *parser) report() {
	seen := map[string]bool{}
	once := func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return true
	}
	for _, oc := range p.opcodes {
		if oc == nil || oc.code != builtinCustom || oc.custom == "" || stockCustomOps[oc.custom] {
			continue
		}
		if !isFlex(oc.custom) {
			if once("custom " + oc.custom) {
				p.rep.add(ruleCustom, oc.at,
					fmt.Sprintf("custom operator %s (%s) has no builtin kernel: the interpreter runs whatever native code the application registered under this name, and the model only loads where such code is installed", scanner.Quote(oc.custom), usage(oc)),
					"custom op "+scanner.Quote(oc.custom))
			}
			continue
		}
		p.flex(oc, once)
	}
}

// flex reports a Flex operator code: the TensorFlow ops its operators run
// (from their NodeDefs), or the op its name declares.
func (p *parser) flex(oc *opcode, once func(string) bool) {
	declared := strings.TrimPrefix(oc.custom, flexPrefix)
	ops := make([]string, 0, len(oc.nodeOps))
	for op := range oc.nodeOps {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	if len(ops) == 0 || oc.badOptions > 0 && !slices.Contains(ops, declared) {
		ops = append(ops, declared)
	}
	if oc.badOptions > 0 {
		p.rep.add(ruleMalformed, oc.optionsAt,
			fmt.Sprintf("%d operator(s) using Flex operator %s carry custom options that are not the [op, NodeDef] FlexBuffer the Flex delegate expects", oc.badOptions, scanner.Quote(oc.custom)),
			fmt.Sprintf("%s options undecodable", scanner.Quote(oc.custom)))
	}
	for _, op := range ops {
		if op != declared && once("disguised "+oc.custom+"/"+op) {
			p.rep.add(ruleDisguised, oc.at,
				fmt.Sprintf("operator code %d is named %s, but the NodeDef in its operators' custom options runs the TensorFlow op %s; the Flex delegate executes the NodeDef, so the name hides what runs", oc.index, scanner.Quote(oc.custom), scanner.Quote(op)),
				fmt.Sprintf("%s runs %s", scanner.Quote(oc.custom), scanner.Quote(op)))
		}
		if !once("flex " + op) {
			continue
		}
		if risk, risky := dangerousTFOps[op]; risky {
			p.rep.add(risk.rule, oc.at,
				fmt.Sprintf("Flex operator %s (%s) runs the TensorFlow op %s through the Select TF ops delegate, and that op %s; the standard converter never emits it", scanner.Quote(oc.custom), usage(oc), scanner.Quote(op), risk.why),
				"Flex op "+scanner.Quote(op))
			continue
		}
		p.rep.add(ruleFlex, oc.at,
			fmt.Sprintf("Flex operator %s (%s) runs the TensorFlow op %s through the Select TF ops delegate: the model needs the TensorFlow kernel library, and the full TensorFlow op set applies", scanner.Quote(oc.custom), usage(oc), scanner.Quote(op)),
			"Flex op "+scanner.Quote(op))
	}
}

func usage(oc *opcode) string {
	switch oc.uses {
	case 0:
		return fmt.Sprintf("operator code %d, used by no operator", oc.index)
	case 1:
		return fmt.Sprintf("operator code %d, used by 1 operator", oc.index)
	}
	return fmt.Sprintf("operator code %d, used by %d operators", oc.index, oc.uses)
}
