package onnx

import (
	"fmt"
	"github.com/modelgate/modelgate/scanner"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/scanner/onnx/onnxpb"
)

// TensorProto.DataType values the checks need.
const (
	dtFloat      = 1
	dtInt64      = 7
	dtString     = 8
	dtDouble     = 11
	dtUint32     = 12
	dtUint64     = 13
	dtComplex64  = 14
	dtComplex128 = 15
	dtUint4      = 21
	dtInt4       = 22
	dtFloat4E2M1 = 23
)

// dataLocationExternal is TensorProto.DataLocation EXTERNAL.
const dataLocationExternal = 1

// dtypes maps each data type the checks understand to its name and its
// size in bits. STRING has no fixed size; types newer than FLOAT8E8M0 are
// left unchecked.
var dtypes = map[int32]struct {
	name string
	bits int64
}{
	1: {"FLOAT", 32}, 2: {"UINT8", 8}, 3: {"INT8", 8}, 4: {"UINT16", 16}, 5: {"INT16", 16},
	6: {"INT32", 32}, 7: {"INT64", 64}, 8: {"STRING", 0}, 9: {"BOOL", 8}, 10: {"FLOAT16", 16},
	11: {"DOUBLE", 64}, 12: {"UINT32", 32}, 13: {"UINT64", 64}, 14: {"COMPLEX64", 64},
	15: {"COMPLEX128", 128}, 16: {"BFLOAT16", 16}, 17: {"FLOAT8E4M3FN", 8}, 18: {"FLOAT8E4M3FNUZ", 8},
	19: {"FLOAT8E5M2", 8}, 20: {"FLOAT8E5M2FNUZ", 8}, 21: {"UINT4", 4}, 22: {"INT4", 4},
	23: {"FLOAT4E2M1", 4}, 24: {"FLOAT8E8M0", 8},
}

// typedElements is how many entries of the typed field that stores a data
// type (float_data for FLOAT, int32_data for INT8 …) hold numel values.
func typedElements(dt int32, numel int64) int64 {
	switch dt {
	case dtComplex64, dtComplex128:
		return 2 * numel
	case dtUint4, dtInt4, dtFloat4E2M1:
		return (numel + 1) / 2 // two 4-bit values per int32_data entry
	}
	return numel
}

// typedField names the field that stores a data type's values.
func typedField(dt int32) string {
	switch dt {
	case dtFloat, dtComplex64:
		return "float_data"
	case dtInt64:
		return "int64_data"
	case dtString:
		return "string_data"
	case dtDouble, dtComplex128:
		return "double_data"
	case dtUint32, dtUint64:
		return "uint64_data"
	}
	return "int32_data"
}

func sum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// shape multiplies the dimensions; ok is false for a negative dimension or
// an element count that overflows.
func shape(dims []int64) (numel int64, text string, ok bool) {
	parts := make([]string, 0, min(len(dims), 9))
	numel, ok = 1, true
	for i, d := range dims {
		if i < 8 {
			parts = append(parts, strconv.FormatInt(d, 10))
		} else if i == 8 {
			parts = append(parts, "…")
		}
		if d < 0 {
			ok = false
			continue
		}
		hi, lo := bits.Mul64(uint64(numel), uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			ok = false
			continue
		}
		if ok {
			numel = int64(lo)
		}
	}
	return numel, "[" + strings.Join(parts, ", ") + "]", ok
}

// byteSize is the size of numel values of bits bits, or -1 on overflow.
func byteSize(numel, bitsPer int64) int64 {
	hi, lo := bits.Mul64(uint64(numel), uint64(bitsPer))
	if hi != 0 || lo > math.MaxInt64-7 {
		return -1
	}
	return (int64(lo) + 7) / 8
}

// tensor checks one tensor's data against its declared type and shape, and
// its external-data reference; what describes it.
func (w *walker) tensor(t *onnxpb.TensorProto, where desc) {
	off := t.GetMgOffset()
	w.text(where.suffix("doc_string"), t.GetDocString(), off)
	w.props(where.suffix("metadata_props"), t.GetMetadataProps())
	if len(t.GetExternalData()) > 0 || t.GetDataLocation() == dataLocationExternal {
		w.external(t, where)
		return
	}
	what := where
	if t.GetSegment() != nil {
		return // a segment of a tensor split across messages
	}
	numel, dims, ok := shape(t.GetDims())
	dt, known := dtypes[t.GetDataType()]
	if !ok {
		w.rep.add(ruleTensor, off,
			fmt.Sprintf("%s has the shape %s, with a negative dimension or more elements than a 64-bit count holds; loaders that multiply it out overflow", what(), dims),
			fmt.Sprintf("%s shape %s", scanner.Quote(t.GetName()), dims))
		return
	}
	if !known {
		return
	}
	if raw := t.GetMgRawDataSize(); len(raw) > 0 {
		have := raw[len(raw)-1] // the last occurrence wins
		if t.GetDataType() == dtString {
			w.rep.add(ruleTensor, off,
				fmt.Sprintf("%s is a STRING tensor stored in raw_data (%d bytes); ONNX forbids raw_data for strings and loaders disagree on how to read it", what(), have),
				fmt.Sprintf("%s STRING raw_data %d bytes", scanner.Quote(t.GetName()), have))
			return
		}
		if want := byteSize(numel, dt.bits); want != have {
			w.rep.add(ruleTensor, off,
				fmt.Sprintf("%s declares shape %s of %s, %s, but its raw_data holds %d bytes%s", what(), dims, dt.name, declared(want), have, beyondFile(want, w.in.Size)),
				fmt.Sprintf("%s %s %s: raw_data %d bytes", scanner.Quote(t.GetName()), dt.name, dims, have))
		}
		return
	}
	counts := [][]int64{t.GetMgFloatDataCount(), t.GetMgInt32DataCount(), t.GetMgStringDataCount(),
		t.GetMgInt64DataCount(), t.GetMgDoubleDataCount(), t.GetMgUint64DataCount()}
	var have int64
	for _, c := range counts {
		have += sum(c)
	}
	want := typedElements(t.GetDataType(), numel)
	switch {
	case have == 0 && numel > 0:
		size := "a string each"
		if dt.bits > 0 {
			size = declared(byteSize(numel, dt.bits))
		}
		w.rep.add(ruleTensor, off,
			fmt.Sprintf("%s declares shape %s of %s (%d elements, %s) but carries no data at all%s", what(), dims, dt.name, numel, size, beyondFile(byteSize(numel, dt.bits), w.in.Size)),
			fmt.Sprintf("%s %s %s: no data", scanner.Quote(t.GetName()), dt.name, dims))
	case have != 0 && have != want:
		w.rep.add(ruleTensor, off,
			fmt.Sprintf("%s declares shape %s of %s, which needs %d entries in %s, but it holds %d", what(), dims, dt.name, want, typedField(t.GetDataType()), have),
			fmt.Sprintf("%s %s %s: %d of %d entries", scanner.Quote(t.GetName()), dt.name, dims, have, want))
	}
}

// declared renders a declared byte size.
func declared(n int64) string {
	if n < 0 {
		return "more bytes than a 64-bit size holds"
	}
	return fmt.Sprintf("%d bytes", n)
}

// beyondFile adds a note when a declared size exceeds the whole file.
func beyondFile(want, size int64) string {
	if want < 0 || want > size {
		return fmt.Sprintf(" (the whole file is %d bytes)", size)
	}
	return ""
}

// external checks the external-data reference of a tensor. The scanner
// cannot open the referenced file, so it judges where the location points
// and whether offset and length are well formed and agree with the shape.
func (w *walker) external(t *onnxpb.TensorProto, what desc) {
	off := t.GetMgOffset()
	var location string
	var hasLocation bool
	var offset, length int64 = 0, -1
	for _, kv := range t.GetExternalData() {
		switch kv.GetKey() {
		case "location":
			location, hasLocation = kv.GetValue(), true
		case "offset", "length":
			n, err := strconv.ParseInt(kv.GetValue(), 10, 64)
			if err != nil || n < 0 {
				w.rep.add(ruleTensor, off,
					fmt.Sprintf("%s has the external-data %s %s, which is not a non-negative integer", what(), kv.GetKey(), scanner.Quote(kv.GetValue())),
					fmt.Sprintf("%s %s %s", scanner.Quote(t.GetName()), kv.GetKey(), scanner.Quote(kv.GetValue())))
				return
			}
			if kv.GetKey() == "offset" {
				offset = n
			} else {
				length = n
			}
		}
	}
	if !hasLocation || location == "" {
		w.rep.add(ruleTensor, off,
			fmt.Sprintf("%s keeps its data externally but names no location; loaders reject it", what()),
			scanner.Quote(t.GetName())+" external data without location")
		return
	}
	if problem := escapes(location); problem != "" {
		w.rep.add(rulePath, off,
			fmt.Sprintf("%s reads its external data from %s, which %s: loading the model reads (and with some tools copies out) a file outside the model's directory", what(), scanner.Quote(location), problem),
			"location "+scanner.Quote(location))
	}
	if length >= 0 && offset > math.MaxInt64-length {
		w.rep.add(ruleTensor, off,
			fmt.Sprintf("%s reads %d bytes of external data at offset %d, past the largest possible file offset", what(), length, offset),
			fmt.Sprintf("%s offset %d length %d", scanner.Quote(t.GetName()), offset, length))
		return
	}
	numel, dims, ok := shape(t.GetDims())
	dt, known := dtypes[t.GetDataType()]
	if length < 0 || !ok || !known || dt.bits == 0 {
		return
	}
	if want := byteSize(numel, dt.bits); want != length {
		w.rep.add(ruleTensor, off,
			fmt.Sprintf("%s declares shape %s of %s, %s, but its external data length is %d bytes", what(), dims, dt.name, declared(want), length),
			fmt.Sprintf("%s %s %s: external length %d", scanner.Quote(t.GetName()), dt.name, dims, length))
	}
}

// escapes says how an external-data location leaves the model's
// directory, or "" when it stays inside. Both separators count: a model
// travels between systems.
func escapes(loc string) string {
	lower := strings.ToLower(strings.ReplaceAll(loc, `\`, "/"))
	switch {
	case strings.IndexByte(loc, 0) >= 0:
		return "contains a NUL byte (the path is cut short where C code reads it)"
	case strings.HasPrefix(lower, "//"):
		return "is a UNC or network path"
	case len(lower) >= 2 && lower[1] == ':' && (lower[0] >= 'a' && lower[0] <= 'z'):
		return "starts with a drive letter (an absolute Windows path)"
	case hasAnyPrefix(lower, "/dev/", "/proc/", "/sys/") || lower == "/dev" || lower == "/proc":
		return "names a device or kernel file (reading it can hang, exhaust memory or leak process data)"
	case strings.HasPrefix(lower, "/"):
		return "is an absolute path"
	case strings.HasPrefix(lower, "~"):
		return "starts with ~ (a home directory, if any tool expands it)"
	}
	for _, part := range strings.Split(lower, "/") {
		if part == ".." {
			return "climbs out through \"..\""
		}
	}
	if isWindowsDevice(lower) {
		return "names a Windows device"
	}
	return ""
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// isWindowsDevice recognises reserved device names (CON, NUL, COM1 …) as
// the first path element, with or without an extension.
func isWindowsDevice(lower string) bool {
	first, _, _ := strings.Cut(lower, "/")
	base, _, _ := strings.Cut(first, ".")
	switch base {
	case "con", "prn", "aux", "nul":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "com") || strings.HasPrefix(base, "lpt")) && base[3] >= '1' && base[3] <= '9'
}
