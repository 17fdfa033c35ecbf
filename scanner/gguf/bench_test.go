package gguf_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"github.com/modelgate/modelgate/scanner/scannertest"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/gguf"
)

// ggufBuilder writes GGUF v3 structures for the large-file tests.
type ggufBuilder struct{ bytes.Buffer }

func (b *ggufBuilder) u32(v uint32) { _ = binary.Write(b, binary.LittleEndian, v) }
func (b *ggufBuilder) u64(v uint64) { _ = binary.Write(b, binary.LittleEndian, v) }
func (b *ggufBuilder) str(s string) { b.u64(uint64(len(s))); b.WriteString(s) }

// sparseTensor is a tensor info of the 7B-like model.
type sparseTensor struct {
	name   string
	ne0    uint64
	ne1    uint64
	typ    uint32
	nbytes uint64
}

// llama7B lists the tensors of a llama-7B-shaped model quantised to Q4_K
// (output in Q6_K, norms in F32): 291 tensors, about 3.9 GB of data.
func llama7B() []sparseTensor {
	const embd, ff, vocab = 4096, 11008, 32000
	q4k := func(ne0, ne1 uint64) uint64 { return ne0 / 256 * 144 * ne1 }
	ts := []sparseTensor{{"token_embd.weight", embd, vocab, 12, q4k(embd, vocab)}}
	for l := 0; l < 32; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_output"} {
			ts = append(ts, sparseTensor{p + n + ".weight", embd, embd, 12, q4k(embd, embd)})
		}
		ts = append(ts,
			sparseTensor{p + "ffn_gate.weight", embd, ff, 12, q4k(embd, ff)},
			sparseTensor{p + "ffn_up.weight", embd, ff, 12, q4k(embd, ff)},
			sparseTensor{p + "ffn_down.weight", ff, embd, 12, q4k(ff, embd)},
			sparseTensor{p + "attn_norm.weight", embd, 1, 0, embd * 4},
			sparseTensor{p + "ffn_norm.weight", embd, 1, 0, embd * 4})
	}
	return append(ts,
		sparseTensor{"output_norm.weight", embd, 1, 0, embd * 4},
		sparseTensor{"output.weight", embd, vocab, 14, embd / 256 * 210 * vocab})
}

// writeSparseModel writes the header, metadata (a 32,000-token vocabulary
// and a chat template) and tensor infos of a 7B-like model, then extends
// the file to its full size without writing the tensor data (a sparse
// file). It returns the path and the size.
func writeSparseModel(t testing.TB) (string, int64) {
	t.Helper()
	const vocab, align = 32000, 32
	ts := llama7B()
	var b ggufBuilder
	b.WriteString("GGUF")
	b.u32(3)
	b.u64(uint64(len(ts)))
	b.u64(6)
	b.str("general.architecture")
	b.u32(8)
	b.str("llama")
	b.str("general.name")
	b.u32(8)
	b.str("sparse llama 7B")
	b.str("tokenizer.ggml.tokens")
	b.u32(9)
	b.u32(8)
	b.u64(vocab)
	for i := 0; i < vocab; i++ {
		b.str(fmt.Sprintf("tok%05d", i))
	}
	b.str("tokenizer.ggml.scores")
	b.u32(9)
	b.u32(6)
	b.u64(vocab)
	b.Write(make([]byte, 4*vocab))
	b.str("tokenizer.ggml.token_type")
	b.u32(9)
	b.u32(5)
	b.u64(vocab)
	b.Write(make([]byte, 4*vocab))
	b.str("tokenizer.chat_template")
	b.u32(8)
	b.str("{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}")
	var off uint64
	for _, tn := range ts {
		b.str(tn.name)
		b.u32(2)
		b.u64(tn.ne0)
		b.u64(tn.ne1)
		b.u32(tn.typ)
		b.u64(off)
		off += (tn.nbytes + align - 1) / align * align
	}
	start := (uint64(b.Len()) + align - 1) / align * align
	size := int64(start + off)
	path := filepath.Join(t.TempDir(), "sparse-7b.gguf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return path, size
}

// countingFile counts the bytes read through it.
type countingFile struct {
	r io.ReaderAt
	n int64
}

func (c *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

func openSparse(t testing.TB) (*scanner.Input, *countingFile) {
	path, size := writeSparseModel(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	sniff, err := format.Detect(f, size, path)
	if err != nil {
		t.Fatal(err)
	}
	cf := &countingFile{r: f}
	return &scanner.Input{File: scanner.File{Path: "sparse-7b.gguf", Size: size, Sniff: sniff}, R: cf}, cf
}

// TestSparseLargeModel scans a 3.9 GB model whose tensor data was never
// written: it must be clean and read only the metadata (well under 1 MB).
func TestSparseLargeModel(t *testing.T) {
	in, cf := openSparse(t)
	if in.Size < 3<<30 {
		t.Fatalf("model is %d bytes, want several GB", in.Size)
	}
	fs, err := gguf.New().Scan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Errorf("%s %s: %s", f.RuleID, f.Location, f.Message)
	}
	if cf.n > 1<<20 {
		t.Errorf("read %d bytes of a %d-byte model; want only the metadata", cf.n, in.Size)
	}
}

// BenchmarkScanSparse7B scans a 3.9 GB 7B-like GGUF (32,000-token
// vocabulary, 291 tensors); it takes about a millisecond because the
// tensor data is never read.
func BenchmarkScanSparse7B(b *testing.B) {
	in, cf := openSparse(b)
	s := gguf.New()
	b.ReportAllocs()
	cf.n = 0
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cf.n)/float64(b.N), "read-B/op")
	b.ReportMetric(float64(in.Size), "file-B")
}

func BenchmarkScanFixture(b *testing.B) {
	const path = "testdata/valid-llama.gguf"
	in := scannertest.Input(b, path, readFixture(b, path))
	s := gguf.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
