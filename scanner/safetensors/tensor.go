package safetensors

import (
	"encoding/json"
	"fmt"
	"github.com/modelgate/modelgate/scanner"
	"math/bits"
	"strconv"
	"strings"
)

// dtypeBits maps every dtype of the safetensors specification to its
// element size in bits (F4 and F6 types are sub-byte).
var dtypeBits = map[string]uint64{
	"BOOL": 8, "U8": 8, "I8": 8,
	"F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

// Fields of a tensor entry, as bits of tensor.seen.
const (
	fieldDtype = 1 << iota
	fieldShape
	fieldOffsets
)

var fieldNames = []struct {
	bit  int
	name string
}{{fieldDtype, "dtype"}, {fieldShape, "shape"}, {fieldOffsets, "data_offsets"}}

// tensor is one entry of the header. The *OK flags say a field is present
// and well-formed.
type tensor struct {
	name       string
	at         int64 // header offset of the name
	object     bool  // the entry is a JSON object
	seen       int   // fields present
	dtype      string
	dtypeOK    bool
	shape      shape
	shapeOK    bool
	begin, end uint64
	offsetsOK  bool
}

// shape folds the dimensions of a shape array into its element count.
type shape struct {
	dims     []uint64 // the first maxShownDims dimensions, for messages
	rank     int
	elems    uint64
	overflow bool // the element count overflowed 64 bits
}

const maxShownDims = 8

func (s *shape) push(d uint64) {
	if len(s.dims) < maxShownDims {
		s.dims = append(s.dims, d)
	}
	s.rank++
	hi, lo := bits.Mul64(s.elems, d)
	s.overflow = s.overflow || hi != 0
	s.elems = lo
}

func (s *shape) String() string {
	parts := make([]string, len(s.dims))
	for i, d := range s.dims {
		parts[i] = strconv.FormatUint(d, 10)
	}
	if more := s.rank - len(s.dims); more > 0 {
		parts = append(parts, fmt.Sprintf("…%d more", more))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// tensor walks one tensor entry, whose name was just read at header offset
// at, and checks it.
func (w *walker) tensor(h *header, name string, at int64) {
	if len(h.tensors) >= maxTensors {
		if _, dup := h.tensors[name]; !dup {
			w.fail(at, fmt.Sprintf("header lists more than %d tensors; the rest of it was not checked", maxTensors),
				fmt.Sprintf("more than %d tensors", maxTensors))
			return
		}
	}
	t := &tensor{name: name, at: at}
	w.entry(t)
	if w.stop {
		return
	}
	t.check(w.rep)
	h.tensors[name] = t // the last of duplicate entries wins, as in most parsers
}

// entry reads the entry object into t.
func (w *walker) entry(t *tensor) {
	tok, _, ok := w.next()
	if !ok {
		return
	}
	if tok != json.Delim('{') {
		w.skip(tok, 1, t.name)
		if !w.stop {
			w.bad(t, "is "+kindOf(tok)+", not an object", "entry is "+kindOf(tok))
		}
		return
	}
	t.object = true
	w.members(2, t.name, func(key string, _ int64) {
		switch key {
		case "dtype":
			w.dtype(t)
		case "shape":
			w.shape(t)
		case "data_offsets":
			w.offsets(t)
		default:
			if _, ok := w.value(2, t.name); ok {
				w.bad(t, "has an unexpected field "+scanner.Quote(key), "extra field "+scanner.Quote(key))
			}
		}
	})
}

// bad reports a malformed entry (MG2005).
func (w *walker) bad(t *tensor, what, evidence string) {
	w.rep.add(ruleEntry, lengthSize+t.at, tensorName(t.name)+" "+what, tensorName(t.name)+": "+evidence)
}

func (w *walker) dtype(t *tensor) {
	t.seen |= fieldDtype
	tok, ok := w.value(2, t.name)
	if !ok {
		return
	}
	s, isString := tok.(string)
	t.dtype, t.dtypeOK = s, isString
	if !isString {
		w.bad(t, "has a dtype field that is "+kindOf(tok)+", not a string", "dtype is "+kindOf(tok))
	}
}

func (w *walker) shape(t *tensor) {
	t.seen |= fieldShape
	t.shapeOK = false
	s := shape{elems: 1}
	good := w.uints(t, "shape", func(_ int, d uint64) { s.push(d) })
	if good {
		t.shape, t.shapeOK = s, true
	}
}

func (w *walker) offsets(t *tensor) {
	t.seen |= fieldOffsets
	t.offsetsOK = false
	var v [2]uint64
	n := 0
	if !w.uints(t, "data_offsets", func(i int, x uint64) {
		if i < len(v) {
			v[i] = x
		}
		n = i + 1
	}) {
		return
	}
	switch {
	case n != 2:
		w.bad(t, fmt.Sprintf("has %d data_offsets; it needs exactly 2 (begin and end)", n), fmt.Sprintf("%d data_offsets", n))
	case v[0] > v[1]:
		w.bad(t, fmt.Sprintf("has data_offsets [%d,%d] whose begin is after its end", v[0], v[1]), fmt.Sprintf("data_offsets [%d,%d]", v[0], v[1]))
	default:
		t.begin, t.end, t.offsetsOK = v[0], v[1], true
	}
}

// uints reads an array of non-negative integers for field, calling fn for
// each element. It reports the first malformed element (or a non-array)
// and returns whether the array was well-formed.
func (w *walker) uints(t *tensor, field string, fn func(i int, x uint64)) bool {
	tok, _, ok := w.next()
	if !ok {
		return false
	}
	if tok != json.Delim('[') {
		w.skip(tok, 2, t.name)
		if !w.stop {
			w.bad(t, "has a "+field+" field that is "+kindOf(tok)+", not an array", field+" is "+kindOf(tok))
		}
		return false
	}
	good := true
	w.elements(3, func(i int) {
		tok, ok := w.value(3, t.name)
		if !ok {
			return
		}
		x, why := uintValue(tok)
		if why == "" {
			fn(i, x)
			return
		}
		if good {
			w.bad(t, fmt.Sprintf("has %s[%d] that is %s; it must be a non-negative integer", field, i, why), fmt.Sprintf("%s[%d] is %s", field, i, why))
		}
		good = false
	})
	return good && !w.stop
}

// uintValue reads a non-negative integer, or says why tok is not one.
func uintValue(tok json.Token) (uint64, string) {
	num, ok := tok.(json.Number)
	if !ok {
		return 0, kindOf(tok)
	}
	s := string(num)
	x, err := strconv.ParseUint(s, 10, 64)
	switch {
	case err == nil:
		return x, ""
	case strings.HasPrefix(s, "-"):
		return 0, "negative (" + clip(s, 24) + ")"
	case strings.ContainsAny(s, ".eE"):
		return 0, "not an integer (" + clip(s, 24) + ")"
	}
	return 0, "larger than 2^64-1"
}

// check reports missing fields, an unknown dtype and a size mismatch.
func (t *tensor) check(rep *report) {
	for _, f := range fieldNames {
		if t.object && t.seen&f.bit == 0 {
			rep.add(ruleEntry, lengthSize+t.at, tensorName(t.name)+" has no "+f.name+" field", tensorName(t.name)+": missing "+f.name)
		}
	}
	if !t.dtypeOK {
		return
	}
	size, known := dtypeBits[t.dtype]
	if !known {
		rep.add(ruleDtype, lengthSize+t.at,
			fmt.Sprintf("%s has dtype %s, which is not a safetensors dtype", tensorName(t.name), scanner.Quote(t.dtype)),
			fmt.Sprintf("%s: dtype %s", tensorName(t.name), scanner.Quote(t.dtype)))
		return
	}
	if t.shapeOK && t.offsetsOK {
		t.checkSize(size, rep)
	}
}

// checkSize compares the span of the tensor with shape × dtype size, in
// bits so that sub-byte dtypes are exact, with 128-bit arithmetic.
func (t *tensor) checkSize(dtBits uint64, rep *report) {
	span := t.end - t.begin
	hi, lo := bits.Mul64(t.shape.elems, dtBits)
	overflow := t.shape.overflow || hi>>3 != 0
	need := hi<<61 | lo>>3
	if !overflow && lo%8 == 0 && need == span {
		return
	}
	what := fmt.Sprintf("shape %s of %s", t.shape.String(), t.dtype)
	var message, evidence string
	switch {
	case overflow:
		message = fmt.Sprintf("%s spans %s but its %s overflows 64 bits", tensorName(t.name), byteCount(span), what)
		evidence = what + " overflows"
	case lo%8 != 0:
		message = fmt.Sprintf("%s has %s, which is %d bits, not a whole number of bytes", tensorName(t.name), what, lo)
		evidence = fmt.Sprintf("%s is %d bits", what, lo)
	default:
		message = fmt.Sprintf("%s spans %s but %s needs %d", tensorName(t.name), byteCount(span), what, need)
		evidence = fmt.Sprintf("%s needs %d bytes, spans %d", what, need, span)
	}
	rep.add(ruleSize, lengthSize+t.at, message, tensorName(t.name)+": "+evidence)
}
