// Package onnx scans ONNX models (a protobuf ModelProto) for what makes
// loading them unsafe or surprising: operators that need native or Python
// custom-op libraries, external-data paths that leave the model's
// directory, tensors whose declared size does not match their data, code
// and URLs in free-text fields, and files that are not ModelProtos at all.
//
// The model is read through protoskel: the graph, its subgraphs, functions
// and tensor headers are decoded with the generated types in onnxpb, while
// tensor payloads (raw_data and the typed arrays) are skipped unread and
// only their sizes are kept. A multi-gigabyte model costs its graph, not
// its weights. Nothing here opens files: external data is judged by the
// shape of its location alone.
package onnx

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/modelgate/modelgate/internal/protoskel"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/onnx/onnxpb"
)

// Name identifies the scanner in findings.
const Name = "embedded/onnx"

// Rule IDs this scanner emits (see scanner/rules/onnx.yaml).
const (
	ruleMalformed  = "MG3001" // not a ModelProto, or missing graph / IR version
	ruleCustomOp   = "MG3002" // operator from a non-standard domain
	ruleExtensions = "MG3003" // onnxruntime-extensions operator (Python ops)
	rulePath       = "MG3004" // external data outside the model's directory
	ruleTensor     = "MG3005" // declared tensor size does not match its data
	ruleTextCode   = "MG3006" // code or shell text in doc strings / metadata
	ruleTextURL    = "MG3007" // URL in doc strings / metadata
	ruleTooLarge   = "MG3008" // structure too large to parse within limits
)

// Limits of the parse.
const (
	// maxSkeletonDefault caps the bytes of model structure (everything except
	// tensor payloads) held in memory. Real models' graphs are a few
	// megabytes even for large language models.
	maxSkeletonDefault = 256 << 20
	// maxDepth is protobuf's own recursion limit, which ONNX's C++ loader
	// inherits: anything deeper does not load.
	maxDepth = 100
	// maxText cuts doc strings and metadata values; the matchers look at
	// the first megabyte.
	maxText = 1 << 20
)

// maxSkeleton is maxSkeletonDefault, variable so that tests can lower it.
var maxSkeleton = maxSkeletonDefault

// sizeText renders a byte limit: "256 MiB", or bytes below a mebibyte.
func sizeText(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Scanner scans ONNX models.
type Scanner struct{}

// New returns an ONNX scanner.
func New() *Scanner { return &Scanner{} }

var _ scanner.Scanner = (*Scanner)(nil)

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes files sniffed as ONNX, and files named .onnx whose content
// reads as nothing else, so that a broken model is explained rather than
// left unrecognised.
func (*Scanner) Accepts(f *scanner.File) bool {
	return f.Sniff.Routes(format.ONNX)
}

// Scan implements scanner.Scanner. It returns an error only when reading
// fails or ctx ends, with the findings made so far.
func (*Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := newReport(in)
	m, err := parse(ctx, in, rep)
	if err != nil || m == nil {
		return rep.findings(), err
	}
	w := newWalker(ctx, in, rep, m)
	if err := w.model(m); err != nil {
		return rep.findings(), err
	}
	w.reportOps()
	return rep.findings(), nil
}

// parse reads the model's skeleton and decodes it. It returns nil (and no
// error) when the file is not a model, after reporting why.
func parse(ctx context.Context, in *scanner.Input, rep *report) (*onnxpb.ModelProto, error) {
	if in.Size == 0 {
		rep.add(ruleMalformed, noOffset, "the file is empty; an ONNX model is a serialised ModelProto and cannot be empty", "empty file")
		return nil, nil
	}
	md := (&onnxpb.ModelProto{}).ProtoReflect().Descriptor()
	res, err := protoskel.Read(ctx, in.R, in.Size, md, protoskel.Options{
		MaxOutput: maxSkeleton,
		MaxDepth:  maxDepth,
		MaxString: maxText,
	})
	var fe *protoskel.FormatError
	switch {
	case errors.As(err, &fe):
		rep.add(ruleMalformed, fe.Offset,
			fmt.Sprintf("the file does not parse as an ONNX ModelProto: %s at offset %d; ONNX loaders reject it", fe.Reason, fe.Offset),
			fmt.Sprintf("invalid protobuf at offset %d", fe.Offset))
		return nil, nil
	case errors.Is(err, protoskel.ErrTooLarge):
		rep.add(ruleTooLarge, noOffset,
			fmt.Sprintf("the model's structure (graph, names, attributes and doc strings, weights excluded) exceeds the scanner's limit of %s, so it was not analysed", sizeText(maxSkeleton)),
			"structure over "+sizeText(maxSkeleton))
		return nil, nil
	case err != nil:
		return nil, err
	}
	m := &onnxpb.ModelProto{}
	opts := proto.UnmarshalOptions{DiscardUnknown: true, RecursionLimit: maxDepth + 2}
	if err := opts.Unmarshal(res.Skeleton, m); err != nil {
		rep.add(ruleMalformed, noOffset,
			fmt.Sprintf("the file does not decode as an ONNX ModelProto (%v); ONNX loaders reject it", err),
			"undecodable ModelProto")
		return nil, nil
	}
	switch {
	case m.Graph == nil && m.GetIrVersion() == 0:
		rep.add(ruleMalformed, noOffset,
			"the file parses as protobuf but has neither an IR version nor a graph: it is not an ONNX model",
			"no ir_version, no graph")
		return nil, nil
	case m.Graph == nil:
		rep.add(ruleMalformed, noOffset,
			fmt.Sprintf("the model (IR version %d) has no graph; ONNX loaders reject it", m.GetIrVersion()),
			"no graph")
	case m.GetIrVersion() <= 0:
		rep.add(ruleMalformed, noOffset,
			fmt.Sprintf("the model declares IR version %d; ModelProto.ir_version must be set to a positive version, and loaders reject it", m.GetIrVersion()),
			fmt.Sprintf("ir_version %d", m.GetIrVersion()))
	}
	return m, nil
}
