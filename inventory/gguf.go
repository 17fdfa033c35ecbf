package inventory

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// GGUF limits beyond Limits: what no real file comes near.
const (
	maxGGUFKey      = 64 << 10 // bytes of a metadata key or tensor name
	maxGGUFDims     = 8        // GGML_MAX_DIMS is 4
	maxGGUFDepth    = 4        // nesting of array values
	maxGGUFKV       = 1 << 20  // metadata entries
	maxGGUFKeptText = 256      // longest general.name / architecture kept
)

// ggmlTypeNames names the ggml tensor types by number ("" for removed or
// unknown numbers).
var ggmlTypeNames = [...]string{
	"F32", "F16", "Q4_0", "Q4_1", "", "", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
	"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
	"IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M",
	"BF16", "", "", "", "TQ1_0", "TQ2_0", "", "", "", "MXFP4",
	"NVFP4", "Q1_0",
}

func ggmlTypeName(t uint32) string {
	if int(t) < len(ggmlTypeNames) && ggmlTypeNames[t] != "" {
		return ggmlTypeNames[t]
	}
	return fmt.Sprintf("type %d", t)
}

// GGUF metadata value types and the size of the fixed-size ones.
const (
	ggufString = 8
	ggufArray  = 9
	ggufTypes  = 13
)

var ggufScalarSize = [ggufTypes]uint64{1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8}

var errGGUFLimit = errors.New("the header is larger than the inventory reads")

// ggufReader reads a GGUF header sequentially, at most limit bytes.
type ggufReader struct {
	br     *bufio.Reader
	order  binary.ByteOrder
	narrow bool // GGUF v1: 32-bit counts and lengths
	buf    [8]byte
}

// readGGUF lists the tensors of a GGUF file and its declared architecture
// and name.
func readGGUF(m *Model, r io.ReaderAt, lim Limits) {
	g := &ggufReader{br: bufio.NewReaderSize(io.NewSectionReader(r, 0, lim.MaxGGUFHeader), 64<<10), order: binary.LittleEndian}
	if err := g.read(m, lim); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errGGUFLimit
			if m.Size <= lim.MaxGGUFHeader {
				err = errors.New("the header is truncated")
			}
		}
		m.note("GGUF header: %v", err)
	}
	m.capped(lim)
}

func (g *ggufReader) read(m *Model, lim Limits) error {
	nTensors, nKV, err := g.header()
	if err != nil {
		return err
	}
	if nKV > maxGGUFKV {
		return fmt.Errorf("%d metadata entries exceed the limit of %d", nKV, maxGGUFKV)
	}
	for range nKV {
		if err := g.keyValue(m); err != nil {
			return err
		}
	}
	if nTensors > uint64(^uint(0)>>1) {
		return fmt.Errorf("tensor count %d", nTensors)
	}
	m.TensorCount = int(nTensors)
	for range nTensors {
		t, err := g.tensorInfo()
		if err != nil {
			return err
		}
		if !m.keep(t, lim) {
			break
		}
	}
	return nil
}

// header reads the magic, the version and the two counts.
func (g *ggufReader) header() (nTensors, nKV uint64, err error) {
	head, err := g.next(8)
	if err != nil {
		return 0, 0, err
	}
	if string(head[:4]) != "GGUF" {
		return 0, 0, errors.New("no GGUF magic")
	}
	v := binary.LittleEndian.Uint32(head[4:])
	switch sw := bits.ReverseBytes32(v); {
	case v >= 1 && v <= 3:
	case sw >= 2 && sw <= 3:
		v, g.order = sw, binary.BigEndian
	default:
		return 0, 0, fmt.Errorf("unknown version 0x%08x", v)
	}
	g.narrow = v == 1
	if nTensors, err = g.count(); err != nil {
		return 0, 0, err
	}
	nKV, err = g.count()
	return nTensors, nKV, err
}

// keyValue reads one metadata entry, keeping general.architecture and
// general.name.
func (g *ggufReader) keyValue(m *Model) error {
	key, err := g.text(maxGGUFKey)
	if err != nil {
		return err
	}
	typ, err := g.u32()
	if err != nil {
		return err
	}
	if typ == ggufString && (key == "general.architecture" || key == "general.name") {
		return g.keepText(m, key)
	}
	return g.skipValue(typ, 0)
}

// keepText reads a short string value into the model; a long one is
// skipped.
func (g *ggufReader) keepText(m *Model, key string) error {
	n, err := g.count()
	if err != nil {
		return err
	}
	if n > maxGGUFKeptText {
		return g.skip(n)
	}
	b, err := g.next(int(n))
	if err != nil {
		return err
	}
	if key == "general.architecture" {
		m.Architecture = string(b)
	} else {
		m.Name = string(b)
	}
	return nil
}

// skipValue skips a value of type typ.
func (g *ggufReader) skipValue(typ uint32, depth int) error {
	switch {
	case typ >= ggufTypes:
		return fmt.Errorf("unknown value type %d", typ)
	case typ == ggufString:
		n, err := g.count()
		if err != nil {
			return err
		}
		return g.skip(n)
	case typ != ggufArray:
		return g.skip(ggufScalarSize[typ])
	case depth >= maxGGUFDepth:
		return errors.New("arrays nested too deep")
	}
	et, err := g.u32()
	if err != nil {
		return err
	}
	n, err := g.count()
	if err != nil {
		return err
	}
	if et < ggufTypes && ggufScalarSize[et] > 0 {
		if n > ^uint64(0)/ggufScalarSize[et] {
			return errGGUFLimit
		}
		return g.skip(n * ggufScalarSize[et])
	}
	for range n {
		if err := g.skipValue(et, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// tensorInfo reads one tensor's name, shape and type.
func (g *ggufReader) tensorInfo() (Tensor, error) {
	name, err := g.text(maxGGUFKey)
	if err != nil {
		return Tensor{}, err
	}
	nd, err := g.u32()
	if err != nil {
		return Tensor{}, err
	}
	if nd > maxGGUFDims {
		return Tensor{}, fmt.Errorf("tensor %q has %d dimensions", name, nd)
	}
	shape := make([]uint64, nd)
	for i := range shape {
		if shape[i], err = g.count(); err != nil {
			return Tensor{}, err
		}
	}
	typ, err := g.u32()
	if err != nil {
		return Tensor{}, err
	}
	if _, err := g.next(8); err != nil { // data offset
		return Tensor{}, err
	}
	return Tensor{Name: name, DType: ggmlTypeName(typ), Shape: shape}, nil
}

// text reads a length-prefixed string of at most max bytes.
func (g *ggufReader) text(max uint64) (string, error) {
	n, err := g.count()
	if err != nil {
		return "", err
	}
	if n > max {
		return "", fmt.Errorf("a %d-byte name exceeds the limit of %d", n, max)
	}
	b, err := g.next(int(n))
	return string(b), err
}

// next returns the next n bytes (a fresh copy when n > 8).
func (g *ggufReader) next(n int) ([]byte, error) {
	b := g.buf[:0]
	if n > len(g.buf) {
		b = make([]byte, n)
	}
	b = b[:n]
	_, err := io.ReadFull(g.br, b)
	return b, err
}

func (g *ggufReader) skip(n uint64) error {
	for n > 0 {
		step := int(min(n, 1<<30))
		if _, err := g.br.Discard(step); err != nil {
			return err
		}
		n -= uint64(step)
	}
	return nil
}

func (g *ggufReader) u32() (uint32, error) {
	b, err := g.next(4)
	if err != nil {
		return 0, err
	}
	return g.order.Uint32(b), nil
}

// count reads a count or length: u64, or u32 in GGUF v1.
func (g *ggufReader) count() (uint64, error) {
	if g.narrow {
		v, err := g.u32()
		return uint64(v), err
	}
	b, err := g.next(8)
	if err != nil {
		return 0, err
	}
	return g.order.Uint64(b), nil
}
