// Package tensorflow scans the protobuf files of a TensorFlow SavedModel
// directory: saved_model.pb (the graphs and their function library),
// keras_metadata.pb (TF-Keras layer configs) and fingerprint.pb.
//
// In saved_model.pb it collects the op of every node of every meta graph,
// both in graph_def.node and in every library function's node_def, and
// reports ops that call back into Python, touch the file system or look
// like command execution. Checkpoint ops (SaveV2, RestoreV2,
// MergeV2Checkpoints …) appear in every SavedModel's saver, so they are
// judged by context: those reachable from the meta graph's SaverDef are
// the saver's own and pass unless they name a constant path outside the
// checkpoint directory; anywhere else they are reported. Vocabulary table
// initialisers (InitializeTableFromTextFile) are judged the same way: fed
// from the model's assets they pass, a constant path outside the model or
// a computed one is reported, as is an asset file name that leaves
// assets/.
//
// In keras_metadata.pb it parses each layer's JSON metadata and reports
// Lambda layers whose function is marshalled Python bytecode (run on load)
// or a reference to a Python function by module and name.
//
// Files are read through protoskel: constant tensor contents are skipped
// unread. variables/ files are weights and never read; the engine routes
// them elsewhere.
package tensorflow

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/modelgate/modelgate/internal/protoskel"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/tensorflow"

// Rule IDs this scanner emits (see scanner/rules/tensorflow.yaml).
const (
	rulePyFunc    = "MG3201" // PyFunc family: Python callbacks
	ruleFileOp    = "MG3202" // ops that read or write files
	ruleSystemOp  = "MG3203" // unknown ops named like command execution
	ruleLambda    = "MG3204" // Keras Lambda with marshalled bytecode
	ruleLambdaRef = "MG3205" // Keras Lambda naming a Python function
	ruleMalformed = "MG3206" // not a valid protobuf of the expected type
	ruleTooLarge  = "MG3207" // structure too large to parse within limits
)

// Limits of the parse.
const (
	// maxSkeletonDefault caps the bytes of structure (everything except tensor
	// contents) held in memory.
	maxSkeletonDefault = 256 << 20
	// maxDepth is protobuf's C++ recursion limit, which TensorFlow uses.
	maxDepth = 100
	// maxString cuts longer strings: string constants in saved_model.pb,
	// layer metadata JSON in keras_metadata.pb (a whole model's config is
	// one string, so the cap is generous there).
	maxString      = 1 << 20
	maxKerasString = 64 << 20
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

// Scanner scans SavedModel protobuf files.
type Scanner struct{}

// New returns a TensorFlow SavedModel scanner.
func New() *Scanner { return &Scanner{} }

var _ scanner.Scanner = (*Scanner)(nil)

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes files sniffed as SavedModel protobufs (saved_model.pb,
// keras_metadata.pb, fingerprint.pb), and files with those names whose
// content reads as nothing else, so a broken file is explained.
func (*Scanner) Accepts(f *scanner.File) bool {
	return f.Sniff.Routes(format.TFSavedModel)
}

// Scan implements scanner.Scanner. It returns an error only when reading
// fails or ctx ends, with the findings made so far.
func (*Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := newReport(in)
	name := in.Member
	if name == "" {
		name = in.Path
	}
	var err error
	switch strings.ToLower(path.Base(name)) {
	case "keras_metadata.pb":
		err = scanKeras(ctx, in, rep)
	case "fingerprint.pb":
		_, err = parse(ctx, in, rep, fingerprintDesc, "fingerprint.pb (FingerprintDef)", maxString)
	default:
		err = scanSavedModel(ctx, in, rep)
	}
	return rep.findings(), err
}

// parse reads the file as a message of type md into m's type and returns
// it, or nil (with no error) after reporting why it could not.
func parse(ctx context.Context, in *scanner.Input, rep *report, md protoreflect.MessageType, what string, maxStr int) (proto.Message, error) {
	if in.Size == 0 {
		rep.add(ruleMalformed, noOffset, fmt.Sprintf("the file is empty; %s cannot be empty", what), "empty file")
		return nil, nil
	}
	res, err := protoskel.Read(ctx, in.R, in.Size, md.Descriptor(), protoskel.Options{
		MaxOutput: maxSkeleton,
		MaxDepth:  maxDepth,
		MaxString: maxStr,
	})
	var fe *protoskel.FormatError
	switch {
	case errors.As(err, &fe):
		rep.add(ruleMalformed, fe.Offset,
			fmt.Sprintf("the file does not parse as %s: %s at offset %d; TensorFlow rejects it", what, fe.Reason, fe.Offset),
			fmt.Sprintf("invalid protobuf at offset %d", fe.Offset))
		return nil, nil
	case errors.Is(err, protoskel.ErrTooLarge):
		rep.add(ruleTooLarge, noOffset,
			fmt.Sprintf("the structure of %s (tensor contents excluded) exceeds the scanner's limit of %s, so it was not analysed", what, sizeText(maxSkeleton)),
			"structure over "+sizeText(maxSkeleton))
		return nil, nil
	case err != nil:
		return nil, err
	}
	m := md.New().Interface()
	opts := proto.UnmarshalOptions{DiscardUnknown: true, RecursionLimit: maxDepth + 2}
	if err := opts.Unmarshal(res.Skeleton, m); err != nil {
		rep.add(ruleMalformed, noOffset,
			fmt.Sprintf("the file does not decode as %s (%v); TensorFlow rejects it", what, err),
			"undecodable "+what)
		return nil, nil
	}
	return m, nil
}
