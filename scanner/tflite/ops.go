package tflite

import (
	"encoding/binary"
	"strings"
)

// Builtin operator codes the scanner names.
const (
	builtinCustom = 32
	// placeholderForGreaterOpCodes is what deprecated_builtin_code holds
	// for operators whose code does not fit in an int8.
	placeholderForGreaterOpCodes = 127
)

// flexPrefix marks a custom op run by the Flex delegate (Select TF ops).
const flexPrefix = "Flex"

// stockCustomOps are the custom ops the stock BuiltinOpResolver registers
// itself; they need no application code and are not reported.
var stockCustomOps = map[string]bool{
	"TFLite_Detection_PostProcess": true,
	"Mfcc":                         true,
	"AudioSpectrogram":             true,
	"NumericVerify":                true,
	"aeq.hadamard_rotation":        true,
}

// opRisk is what a dangerous TensorFlow op does, and its rule.
type opRisk struct {
	rule, why string
}

// dangerousTFOps are the TensorFlow ops that reach the host through the
// Flex delegate (the same families the SavedModel scanner reports).
var dangerousTFOps = map[string]opRisk{}

func init() {
	for risk, ops := range map[opRisk][]string{
		{rulePyFunc, "calls a Python function registered in the host process"}: {
			"PyFunc", "PyFuncStateless", "EagerPyFunc", "PyCall"},
		{ruleFileOp, "reads files from the host's file system"}: {
			"ReadFile", "MatchingFiles", "ImmutableConst", "Restore", "RestoreV2", "RestoreSlice",
			"WholeFileReader", "WholeFileReaderV2", "TextLineReader", "TextLineReaderV2",
			"FixedLengthRecordReader", "FixedLengthRecordReaderV2", "TFRecordReader", "TFRecordReaderV2",
			"LMDBReader", "ReaderRead", "ReaderReadV2", "ReaderReadUpTo", "ReaderReadUpToV2",
			"InitializeTableFromTextFile", "InitializeTableFromTextFileV2", "LoadAndRemapMatrix",
			"GenerateVocabRemapping", "TFRecordDataset", "TFRecordDatasetV2", "TextLineDataset",
			"FixedLengthRecordDataset", "FixedLengthRecordDatasetV2", "CSVDataset", "CSVDatasetV2",
			"ExperimentalCSVDataset", "LMDBDataset", "ExperimentalLMDBDataset", "SqlDataset",
			"ExperimentalSqlDataset", "MatchingFilesDataset", "ExperimentalMatchingFilesDataset",
			"LoadDataset"},
		{ruleFileOp, "writes or deletes files on the host's file system"}: {
			"WriteFile", "Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints", "DatasetToTFRecord",
			"ExperimentalDatasetToTFRecord", "SaveDataset", "SaveDatasetV2", "SnapshotDataset",
			"SnapshotDatasetV2", "CreateSummaryFileWriter", "CreateSummaryDbWriter"},
		{ruleFileOp, "sends tensors to debug URLs (file dumps or gRPC endpoints)"}: {
			"DebugIdentity", "DebugIdentityV2", "DebugIdentityV3", "DebugNanCount",
			"DebugNumericSummary", "DebugNumericSummaryV2", "CopyHost", "Copy"},
	} {
		for _, op := range ops {
			dangerousTFOps[op] = risk
		}
	}
}

// FlexBuffer types used by the Flex delegate's custom options.
const (
	fbtString = 5
	fbtVector = 10
)

// flexNodeDefOp decodes the custom options of a Flex operator, a FlexBuffer
// vector [op name, serialized NodeDef], and returns the op the NodeDef
// runs (which is what the delegate executes, whatever the operator code
// is called). ok is false if the options do not have that shape.
func flexNodeDefOp(b []byte) (op string, ok bool) {
	n := len(b)
	if n < 3 {
		return "", false
	}
	rootWidth := int(b[n-1])
	packed := b[n-2]
	width := 1 << (packed & 3)
	if !validWidth(rootWidth) || packed>>2 != fbtVector {
		return "", false
	}
	rootPos := n - 2 - rootWidth
	off, ok := flexUint(b, rootPos, rootWidth)
	if !ok || off > uint64(rootPos) {
		return "", false
	}
	vec := rootPos - int(off)
	size, ok := flexUint(b, vec-width, width)
	if !ok || size < 2 || size > uint64(n) {
		return "", false
	}
	types := vec + int(size)*width
	if types+int(size) > n {
		return "", false
	}
	var elems [2]string
	for i := range elems {
		et := b[types+i]
		if et>>2 != fbtString {
			return "", false
		}
		at := vec + i*width
		so, ok := flexUint(b, at, width)
		if !ok || so > uint64(at) {
			return "", false
		}
		s := at - int(so)
		sw := 1 << (et & 3)
		l, ok := flexUint(b, s-sw, sw)
		if !ok || l > uint64(n-s) {
			return "", false
		}
		elems[i] = string(b[s : s+int(l)])
	}
	return nodeDefOp([]byte(elems[1]))
}

func validWidth(w int) bool { return w == 1 || w == 2 || w == 4 || w == 8 }

// flexUint reads a little-endian unsigned integer of width bytes at i.
func flexUint(b []byte, i, width int) (uint64, bool) {
	if i < 0 || width > len(b) || i > len(b)-width {
		return 0, false
	}
	switch width {
	case 1:
		return uint64(b[i]), true
	case 2:
		return uint64(binary.LittleEndian.Uint16(b[i:])), true
	case 4:
		return uint64(binary.LittleEndian.Uint32(b[i:])), true
	case 8:
		return binary.LittleEndian.Uint64(b[i:]), true
	}
	return 0, false
}

// nodeDefOp returns field 2 (op) of a serialized tensorflow.NodeDef.
func nodeDefOp(b []byte) (string, bool) {
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return "", false
		}
		b = b[n:]
		field, wire := tag>>3, tag&7
		switch wire {
		case 0:
			if _, n = binary.Uvarint(b); n <= 0 {
				return "", false
			}
			b = b[n:]
		case 1, 5:
			size := 8
			if wire == 5 {
				size = 4
			}
			if len(b) < size {
				return "", false
			}
			b = b[size:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return "", false
			}
			if field == 2 {
				op := string(b[n : n+int(l)])
				return op, op != ""
			}
			b = b[n+int(l):]
		default:
			return "", false
		}
	}
	return "", false
}

// isFlex reports whether a custom code names a Flex op.
func isFlex(custom string) bool { return strings.HasPrefix(custom, flexPrefix) }
