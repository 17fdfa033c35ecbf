package tflite_test

import (
	"bytes"
	"context"
	"github.com/modelgate/modelgate/scanner/scannertest"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/modelgate/modelgate/scanner/tflite"
)

// buildLarge builds, with the FlatBuffers runtime's own Builder (which
// lays objects out back to front and shares vtables, unlike the fixture
// generator), a model whose one weight buffer holds dataSize bytes and
// whose operator is opcode (builtin code, custom name).
func buildLarge(dataSize int, code int32, custom string) []byte {
	b := flatbuffers.NewBuilder(dataSize + 4096)
	data := b.CreateByteVector(make([]byte, dataSize))
	b.StartObject(3)
	buf0 := b.EndObject()
	b.StartObject(3)
	b.PrependUOffsetTSlot(0, data, 0)
	buf1 := b.EndObject()
	b.StartVector(4, 2, 4)
	b.PrependUOffsetT(buf1)
	b.PrependUOffsetT(buf0)
	buffers := b.EndVector(2)

	var customName flatbuffers.UOffsetT
	if custom != "" {
		customName = b.CreateString(custom)
	}
	b.StartObject(4)
	b.PrependInt8Slot(0, int8(min(code, 127)), 0)
	if custom != "" {
		b.PrependUOffsetTSlot(1, customName, 0)
	}
	b.PrependInt32Slot(2, 1, 1)
	b.PrependInt32Slot(3, code, 0)
	oc := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(oc)
	opcodes := b.EndVector(1)

	name := b.CreateString("w")
	b.StartObject(4)
	b.PrependUOffsetTSlot(3, name, 0)
	b.PrependUint32Slot(2, 1, 0)
	tensor := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(tensor)
	tensors := b.EndVector(1)

	b.StartObject(11)
	b.PrependUint32Slot(0, 0, 0)
	op := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(op)
	ops := b.EndVector(1)

	b.StartObject(5)
	b.PrependUOffsetTSlot(0, tensors, 0)
	b.PrependUOffsetTSlot(3, ops, 0)
	sg := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(sg)
	subgraphs := b.EndVector(1)

	desc := b.CreateString("MLIR Converted.")
	b.StartObject(8)
	b.PrependUint32Slot(0, 3, 0)
	b.PrependUOffsetTSlot(1, opcodes, 0)
	b.PrependUOffsetTSlot(2, subgraphs, 0)
	b.PrependUOffsetTSlot(3, desc, 0)
	b.PrependUOffsetTSlot(4, buffers, 0)
	model := b.EndObject()
	b.FinishWithFileIdentifier(model, []byte("TFL3"))
	return b.FinishedBytes()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// TestRuntimeBuiltModels checks models laid out by the FlatBuffers
// runtime, with a 16 MB weight buffer that must not be read.
func TestRuntimeBuiltModels(t *testing.T) {
	const dataSize = 16 << 20
	cases := []struct {
		code   int32
		custom string
		rules  []string
	}{
		{9, "", nil},
		{32, "MyNativeOp", []string{"MG3302"}},
		{32, "FlexWriteFile", []string{"MG3301", "MG3305"}}, // no custom options: the NodeDef is missing
		{150, "", nil},                                      // a code above 127: deprecated_builtin_code holds the placeholder
	}
	for _, c := range cases {
		data := buildLarge(dataSize, c.code, c.custom)
		in := scannertest.Input(t, "large.tflite", data)
		cr := &countingReader{r: bytes.NewReader(data)}
		in.R = cr
		fs, err := tflite.New().Scan(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if got := scannertest.RuleSet(fs); !equal(got, c.rules) {
			t.Errorf("code %d %q: rules %v, want %v", c.code, c.custom, got, c.rules)
			for _, f := range fs {
				t.Logf("  %s: %s", f.RuleID, f.Message)
			}
		}
		checkFindings(t, in, fs)
		if cr.n > 64<<10 {
			t.Errorf("code %d %q: read %d bytes of a %d-byte model; the weights must not be read", c.code, c.custom, cr.n, len(data))
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkScanLarge scans a 64 MB model built by the FlatBuffers runtime.
func BenchmarkScanLarge(b *testing.B) {
	data := buildLarge(64<<20, 9, "")
	in := scannertest.Input(b, "large.tflite", data)
	s := tflite.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// buildShared builds a model whose one subgraph lists n operators that all
// point to the same Flex operator table and its custom options: a DAG
// that makes a naive walk decode the same options n times.
func buildShared(n int, options []byte) []byte {
	b := flatbuffers.NewBuilder(4*n + 4096)
	custom := b.CreateString("FlexReadFile")
	b.StartObject(4)
	b.PrependInt8Slot(0, 32, 0)
	b.PrependUOffsetTSlot(1, custom, 0)
	b.PrependInt32Slot(3, 32, 0)
	oc := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(oc)
	opcodes := b.EndVector(1)

	opts := b.CreateByteVector(options)
	b.StartObject(6)
	b.PrependUint32Slot(0, 0, 0)
	b.PrependUOffsetTSlot(5, opts, 0)
	op := b.EndObject()
	b.StartVector(4, n, 4)
	for i := 0; i < n; i++ {
		b.PrependUOffsetT(op)
	}
	ops := b.EndVector(n)

	b.StartObject(5)
	b.PrependUOffsetTSlot(3, ops, 0)
	sg := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(sg)
	subgraphs := b.EndVector(1)

	b.StartObject(8)
	b.PrependUint32Slot(0, 3, 0)
	b.PrependUOffsetTSlot(1, opcodes, 0)
	b.PrependUOffsetTSlot(2, subgraphs, 0)
	model := b.EndObject()
	b.FinishWithFileIdentifier(model, []byte("TFL3"))
	return b.FinishedBytes()
}

// TestSharedTablesBounded checks that a DAG of shared tables costs at most
// the verifier's table limit, and that shared custom options are decoded
// within a budget.
func TestSharedTablesBounded(t *testing.T) {
	// A 4 KB NodeDef-shaped blob that does not decode: every visit would
	// copy and parse it.
	options := bytes.Repeat([]byte{0xAB}, 4096)
	for _, c := range []struct {
		n     int
		rules []string
	}{
		{100_000, []string{"MG3301", "MG3305"}},   // options undecodable; ReadFile by name
		{1_100_000, []string{"MG3301", "MG3305"}}, // and the table limit
	} {
		data := buildShared(c.n, options)
		in := scannertest.Input(t, "shared.tflite", data)
		fs, err := tflite.New().Scan(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if got := scannertest.RuleSet(fs); !equal(got, c.rules) {
			t.Errorf("%d operators: rules %v, want %v", c.n, got, c.rules)
		}
		checkFindings(t, in, fs)
		if c.n > 1_000_000 {
			found := false
			for _, f := range fs {
				found = found || f.Evidence == "more than 1000000 tables"
			}
			if !found {
				t.Errorf("%d operators: no table-limit finding", c.n)
			}
		}
	}
}
