// Package gguf validates GGUF model files (llama.cpp, Ollama, LM Studio,
// llama-cpp-python): the header (magic, version, counts), every metadata
// key-value pair (all value types, nested arrays), the tensor infos and the
// layout of the tensor data, and looks at the metadata that tools act on:
// Jinja chat templates (CVE-2024-34359 SSTI) and free-text general.* keys.
//
// The scanner reads the header, the metadata and the tensor infos through a
// bounded window over the file, never the tensor data. Every count and
// length is checked against the bytes left in the file before anything is
// read, skipped or allocated, so a header that claims 2^60 entries costs
// nothing. Legacy GGML files (lmgg, fmgg, tjgg) are recognised and reported
// as not analysed.
package gguf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/gguf"

// Rule IDs this scanner emits (see scanner/rules/gguf.yaml).
const (
	ruleHeader    = "MG3401" // magic, header size, counts that cannot fit
	ruleBounds    = "MG3402" // a length or count runs past the end of the file
	ruleVersion   = "MG3403" // unknown version
	ruleValue     = "MG3404" // bad value type, bool, key, nesting, alignment
	ruleDuplicate = "MG3405" // repeated metadata key or tensor name
	ruleTensor    = "MG3406" // name length, n_dims, dimensions, block size
	ruleType      = "MG3407" // unknown ggml type
	ruleLayout    = "MG3408" // misaligned, overlapping, gapped, past the file
	ruleTrailing  = "MG3409" // bytes after the tensor data
	ruleSSTI      = "MG3410" // chat template with sandbox-escape markers
	ruleCode      = "MG3411" // code or shell text in general.* metadata
	ruleURL       = "MG3412" // URL in general.* metadata or a chat template
	// ruleUnparsedTemplate is the prompt scanner's rule for a Jinja
	// template that does not parse.
	ruleUnparsedTemplate = "MG5110"
	ruleLegacy           = "MG3413" // legacy GGML file, not analysed
)

const (
	magic = "GGUF"
	// defaultAlignment applies when general.alignment is absent.
	defaultAlignment = 32
	// maxKV and maxTensors are scanner limits far above any real model
	// (dozens of keys, a few thousand tensors); they bound memory.
	maxKV      = 1 << 20
	maxTensors = 1 << 18
	// maxDims is GGML_MAX_DIMS.
	maxDims = 4
	// maxNameLen is GGML_MAX_NAME (64) minus the terminator.
	maxNameLen = 63
	// maxKeyLen is the specification's limit on key length.
	maxKeyLen = 65535
	// maxArrayDepth bounds nested arrays (llama.cpp accepts none; gguf-py
	// accepts any depth).
	maxArrayDepth = 8
	// maxTextElements is how many elements of a string array under
	// general.* or tokenizer.chat_templates have their text scanned (real
	// ones hold a handful of tags or template names).
	maxTextElements = 1024
	// ctxEvery is how many loop steps pass between context checks.
	ctxEvery = 4096
)

// errStop ends the parse after a finding that makes the rest of the file
// unreadable; it is never returned from Scan.
var errStop = errors.New("gguf: stopped at a finding")

// Scanner validates GGUF files.
type Scanner struct{}

// New returns a GGUF scanner.
func New() *Scanner { return &Scanner{} }

var _ scanner.Scanner = (*Scanner)(nil)

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes files whose content reads as GGUF or legacy GGML, and files
// named .gguf whose content reads as nothing else, so that a broken file is
// explained rather than left unrecognised.
func (*Scanner) Accepts(f *scanner.File) bool {
	return f.Sniff.Format == format.GGML || f.Sniff.Routes(format.GGUF)
}

// Scan implements scanner.Scanner. It returns an error only when reading
// fails or ctx ends, together with the findings made so far.
func (*Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := newReport(in)
	if in.Sniff.Format == format.GGML {
		return legacy(in, rep)
	}
	p := &parser{
		ctx:       ctx,
		in:        in,
		rep:       rep,
		r:         &reader{r: in.R, size: in.Size, order: binary.LittleEndian},
		alignment: defaultAlignment,
	}
	err := p.parse()
	switch {
	case errors.Is(err, errStop):
		err = nil
	case errors.Is(err, errEnd):
		p.truncated()
		err = nil
	}
	return rep.findings(), err
}

// parser is the state of one scan.
type parser struct {
	ctx     context.Context
	in      *scanner.Input
	rep     *report
	r       *reader
	version uint32
	steps   int

	nKV, nTensors uint64
	keys          map[string]int64 // metadata key → file offset of its first entry
	alignment     uint64
	// where describes what is being read, for the truncation finding.
	where func() string

	tensors []tensorInfo
}

func (p *parser) parse() error {
	if err := p.header(); err != nil {
		return err
	}
	if err := p.metadata(); err != nil {
		return err
	}
	if err := p.tensorInfos(); err != nil {
		return err
	}
	return p.layout()
}

// tick checks the context every ctxEvery steps.
func (p *parser) tick() error {
	if p.steps++; p.steps%ctxEvery == 0 {
		return p.ctx.Err()
	}
	return nil
}

// fail records a finding that ends the parse.
func (p *parser) fail(rule string, off int64, message, evidence string) error {
	p.rep.add(rule, off, message, evidence)
	return errStop
}

// truncated reports a fixed-size field cut off by the end of the file.
func (p *parser) truncated() {
	what := "the header"
	if p.where != nil {
		what = p.where()
	}
	p.rep.add(ruleBounds, p.in.Size,
		fmt.Sprintf("file ends at byte %d in the middle of %s: the file is truncated or its counts are wrong", p.in.Size, what),
		fmt.Sprintf("ends inside %s", what))
}

// header reads the magic, the version and the two counts.
func (p *parser) header() error {
	size := p.in.Size
	if size < 8 {
		b := make([]byte, size)
		if err := readFull(p.in.R, b, 0); err != nil {
			return err
		}
		if string(b) != magic[:min(len(b), 4)] {
			return p.fail(ruleHeader, 0, fmt.Sprintf("file does not start with the GGUF magic: it starts with %s", scanner.Quote(string(b))), "magic "+scanner.Quote(string(b)))
		}
		return p.fail(ruleHeader, 0, fmt.Sprintf("file is %s long, too short to hold a GGUF header", byteCount(size)), fmt.Sprintf("file size %d", size))
	}
	head, err := p.r.next(8)
	if err != nil {
		return err
	}
	if string(head[:4]) != magic {
		m := string(head[:4])
		return p.fail(ruleHeader, 0, fmt.Sprintf("file does not start with the GGUF magic: it starts with %s", scanner.Quote(m)), "magic "+scanner.Quote(m))
	}
	v := binary.LittleEndian.Uint32(head[4:])
	switch sw := bits.ReverseBytes32(v); {
	case v >= 1 && v <= 3:
		p.version = v
	case sw >= 2 && sw <= 3:
		p.version, p.r.order = sw, binary.BigEndian
	default:
		return p.fail(ruleVersion, 4,
			fmt.Sprintf("GGUF version %d (0x%08x) is not 1, 2 or 3 in either byte order; the layout of the rest of the file is unknown, so it was not analysed", v, v),
			fmt.Sprintf("version 0x%08x", v))
	}
	p.r.narrow = p.version == 1
	if need := 8 + 2*p.r.lenSize(); uint64(size) < need {
		return p.fail(ruleHeader, 8,
			fmt.Sprintf("file is %s long, too short to hold the %d-byte GGUF v%d header", byteCount(size), need, p.version),
			fmt.Sprintf("file size %d", size))
	}
	if p.nTensors, err = p.r.count(); err != nil {
		return err
	}
	if p.nKV, err = p.r.count(); err != nil {
		return err
	}
	return p.checkCounts()
}

// minKVSize is the smallest metadata entry: an empty key, the value type
// and a one-byte value.
func (p *parser) minKVSize() uint64 { return p.r.lenSize() + 4 + 1 }

// minTensorInfoSize is the smallest tensor info: an empty name, n_dims,
// the type and the offset.
func (p *parser) minTensorInfoSize() uint64 { return p.r.lenSize() + 4 + 4 + 8 }

// checkCounts reports counts that cannot fit in the file or exceed the
// scanner's limits, before anything is read or allocated from them.
func (p *parser) checkCounts() error {
	rem := p.r.remaining()
	countsAt := int64(8)
	switch {
	case p.nKV > rem/p.minKVSize():
		return p.fail(ruleHeader, countsAt,
			fmt.Sprintf("header claims %d metadata entries, but each takes at least %s and only %s follow the header", p.nKV, byteCount(p.minKVSize()), byteCount(rem)),
			fmt.Sprintf("metadata_kv_count %d", p.nKV))
	case p.nKV > maxKV:
		return p.fail(ruleHeader, countsAt,
			fmt.Sprintf("header claims %d metadata entries, more than the scanner's limit of %d (real models have a few dozen)", p.nKV, maxKV),
			fmt.Sprintf("metadata_kv_count %d", p.nKV))
	case p.nTensors > (rem-p.nKV*p.minKVSize())/p.minTensorInfoSize():
		return p.fail(ruleHeader, countsAt,
			fmt.Sprintf("header claims %d tensors, but each tensor info takes at least %s and only %s follow the header (the metadata needs at least %s of them)", p.nTensors, byteCount(p.minTensorInfoSize()), byteCount(rem), byteCount(p.nKV*p.minKVSize())),
			fmt.Sprintf("tensor_count %d", p.nTensors))
	case p.nTensors > maxTensors:
		return p.fail(ruleHeader, countsAt,
			fmt.Sprintf("header claims %d tensors, more than the scanner's limit of %d (real models have a few thousand)", p.nTensors, maxTensors),
			fmt.Sprintf("tensor_count %d", p.nTensors))
	}
	return nil
}

// readFull reads len(b) bytes at off.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("gguf: reading %d bytes at offset %d: %w", len(b), off, err)
}

// legacyMagics names the GGML-family formats that preceded GGUF.
var legacyMagics = map[string]string{
	"lmgg": "ggml (unversioned)",
	"fmgg": "ggmf",
	"tjgg": "ggjt",
}

// legacy reports a GGML-family file: its layout depends on the model
// architecture (the hyperparameters are not self-describing), so it is
// recognised but not analysed.
func legacy(in *scanner.Input, rep *report) ([]scanner.Finding, error) {
	head := make([]byte, min(in.Size, 8))
	if err := readFull(in.R, head, 0); err != nil {
		return nil, err
	}
	name, ok := legacyMagics[string(head[:min(4, len(head))])]
	if !ok {
		name = "magic " + scanner.Quote(string(head[:min(4, len(head))]))
	}
	version := ""
	if len(head) >= 8 && string(head[:4]) != "lmgg" {
		version = fmt.Sprintf(" version %d", binary.LittleEndian.Uint32(head[4:8]))
	}
	rep.add(ruleLegacy, 0,
		fmt.Sprintf("legacy GGML-family file (%s%s), the format llama.cpp replaced with GGUF in August 2023; its layout depends on the model architecture, so it was not analysed", name, version),
		fmt.Sprintf("legacy %s%s", name, version))
	return rep.findings(), nil
}
