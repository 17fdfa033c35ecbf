package inventory_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modelgate/modelgate/inventory"
	"github.com/modelgate/modelgate/scanner/format"
)

func describe(t *testing.T, path string, f format.Format, lim inventory.Limits) inventory.Model {
	t.Helper()
	return inventory.Describe(context.Background(), inventory.File{Path: path, OSPath: path, Format: f}, lim)
}

func sha(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestRealCheckpoints(t *testing.T) {
	tests := []struct {
		path      string
		format    format.Format
		framework string
		arch      string
		tensors   int
		params    uint64
		first     inventory.Tensor
		storages  int
	}{
		{"../testdata/pickle/benign/torch-state-dict.pt", format.Zip, "PyTorch", "", 5, 216, inventory.Tensor{Name: "0.weight", DType: "float32", Shape: []uint64{16, 8}}, 5},
		{"../testdata/pickle/benign/torch-checkpoint-adam.pt", format.Zip, "PyTorch", "", 20, 653, inventory.Tensor{Name: "model_state_dict.0.weight", DType: "float32", Shape: []uint64{16, 8}}, 20},
		{"../testdata/pickle/benign/torch-dtypes.pt", format.Zip, "PyTorch", "", 5, 27, inventory.Tensor{Name: "f16", DType: "float16", Shape: []uint64{4}}, 5},
		{"../testdata/pickle/benign/torchscript-tiny.pt", format.Zip, "PyTorch (TorchScript)", "", 2, 8, inventory.Tensor{Name: "weight", DType: "float32", Shape: []uint64{2, 3}}, 2},
		{"../scanner/gguf/testdata/valid-llama.gguf", format.GGUF, "GGUF", "llama", 2, 192, inventory.Tensor{Name: "token_embd.weight", DType: "F32", Shape: []uint64{16, 4}}, 0},
		{"../scanner/gguf/testdata/valid-big-endian.gguf", format.GGUF, "GGUF", "llama", 2, 192, inventory.Tensor{Name: "token_embd.weight", DType: "F32", Shape: []uint64{16, 4}}, 0},
		{"../scanner/gguf/testdata/valid-v1.gguf", format.GGUF, "GGUF", "llama", 2, 192, inventory.Tensor{Name: "token_embd.weight", DType: "F32", Shape: []uint64{16, 4}}, 0},
		{"../testdata/clean/models/model.safetensors", format.Safetensors, "safetensors", "", 4, 392, inventory.Tensor{Name: "model.embed_tokens.weight", DType: "BF16", Shape: []uint64{16, 8}}, 0},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			m := describe(t, tt.path, tt.format, inventory.Limits{})
			if len(m.Notes) > 0 {
				t.Errorf("notes: %v", m.Notes)
			}
			if m.SHA256 != sha(t, tt.path) {
				t.Errorf("sha256 %s is wrong", m.SHA256)
			}
			if m.Framework != tt.framework || m.Architecture != tt.arch || m.Storages != tt.storages {
				t.Errorf("framework %q arch %q storages %d", m.Framework, m.Architecture, m.Storages)
			}
			if m.TensorCount != tt.tensors || len(m.Tensors) != tt.tensors {
				t.Fatalf("%d tensors listed of %d, want %d", len(m.Tensors), m.TensorCount, tt.tensors)
			}
			if diff := cmp.Diff(tt.first, m.Tensors[0]); diff != "" {
				t.Errorf("first tensor (-want +got):\n%s", diff)
			}
			if p, ok := m.Parameters(); !ok || p != tt.params {
				t.Errorf("parameters %d, %v; want %d", p, ok, tt.params)
			}
		})
	}
}

func TestFormatsWithoutTensorParser(t *testing.T) {
	m := describe(t, "../testdata/pickle/benign/numpy-savez.npz", format.Zip, inventory.Limits{})
	if m.Framework != "NumPy" || m.SHA256 == "" || len(m.Tensors) != 0 {
		t.Errorf("%+v", m)
	}
	m = describe(t, "../testdata/demo/models/pytorch_model.bin", format.Pickle, inventory.Limits{})
	if m.Framework != "pickle" || m.SHA256 == "" || len(m.Tensors) != 0 || len(m.Notes) != 0 {
		t.Errorf("a raw pickle is hashed, never walked: %+v", m)
	}
	m = describe(t, "does-not-exist.pt", format.Zip, inventory.Limits{})
	if m.SHA256 != "" || len(m.Notes) != 1 {
		t.Errorf("missing file: %+v", m)
	}
}

func TestIsModel(t *testing.T) {
	for f, want := range map[format.Format]bool{format.Safetensors: true, format.Pickle: true, format.Zip: true,
		format.Text: false, format.LFSPointer: false, format.Unknown: false} {
		if inventory.IsModel(f) != want {
			t.Errorf("IsModel(%s) = %v", f, !want)
		}
	}
}

// writeSafetensors writes a safetensors file with n float32 tensors of
// rows×4 elements, and pad extra data bytes.
func writeSafetensors(t testing.TB, path string, n, rows int) {
	t.Helper()
	hdr := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	off := 0
	for i := range n {
		size := rows * 4 * 4
		hdr[fmt.Sprintf("layer.%04d.weight", i)] = map[string]any{"dtype": "F32", "shape": []int{rows, 4}, "data_offsets": []int{off, off + size}}
		off += size
	}
	js, _ := json.Marshal(hdr)
	buf := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	buf = append(buf, js...)
	buf = append(buf, make([]byte, off)...)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTensorCapAndHeaderLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	writeSafetensors(t, path, 50, 2)
	m := describe(t, path, format.Safetensors, inventory.Limits{MaxTensors: 10})
	if len(m.Tensors) != 10 || m.TensorCount != 50 || len(m.Notes) != 1 || !strings.Contains(m.Notes[0], "cut at 10 of 50") {
		t.Errorf("cap: %d of %d, notes %v", len(m.Tensors), m.TensorCount, m.Notes)
	}
	if _, ok := m.Parameters(); ok {
		t.Error("parameters of a cut list must be unknown")
	}
	if m.Tensors[0].Name != "layer.0000.weight" || m.Tensors[9].Name != "layer.0009.weight" {
		t.Errorf("tensors not in data order: %s … %s", m.Tensors[0].Name, m.Tensors[9].Name)
	}
	m = describe(t, path, format.Safetensors, inventory.Limits{MaxHeader: 100})
	if len(m.Tensors) != 0 || len(m.Notes) != 1 || !strings.Contains(m.Notes[0], "larger than the inventory reads") || m.SHA256 == "" {
		t.Errorf("header limit: %+v", m)
	}
}

func TestHostileHeaders(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		return p
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	ggufCount := append([]byte("GGUF\x03\x00\x00\x00"), binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 1<<62), 0)...)
	ggufKey := append([]byte("GGUF\x03\x00\x00\x00"), binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 0), 1), 1<<40)...)
	for _, tc := range []struct {
		name   string
		data   []byte
		format format.Format
		note   string
	}{
		{"len.safetensors", append(huge, '{', '}'), format.Safetensors, "runs past the end"},
		{"json.safetensors", append(binary.LittleEndian.AppendUint64(nil, 2), '[', ']'), format.Safetensors, "not a JSON object"},
		{"count.gguf", ggufCount, format.GGUF, "truncated"},
		{"key.gguf", ggufKey, format.GGUF, "exceeds the limit"},
		{"magic.gguf", []byte("GGUX\x03\x00\x00\x00"), format.GGUF, "no GGUF magic"},
		{"notzip.pt", []byte("PK\x03\x04 not really"), format.Zip, "zip directory"},
	} {
		m := describe(t, write(tc.name, tc.data), tc.format, inventory.Limits{})
		if len(m.Tensors) != 0 || len(m.Notes) == 0 || !strings.Contains(strings.Join(m.Notes, ";"), tc.note) || m.SHA256 == "" {
			t.Errorf("%s: tensors %d notes %v", tc.name, len(m.Tensors), m.Notes)
		}
	}
}

// TestHashingMemoryIsFlat: describing a file eight times larger allocates
// about the same.
func TestHashingMemoryIsFlat(t *testing.T) {
	dir := t.TempDir()
	small, large := filepath.Join(dir, "s.safetensors"), filepath.Join(dir, "l.safetensors")
	writeSafetensors(t, small, 8, 1<<14) // 4 MiB of data
	writeSafetensors(t, large, 8, 1<<17) // 32 MiB of data
	alloc := func(path string) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		describe(t, path, format.Safetensors, inventory.Limits{})
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	alloc(small) // warm up
	s, l := alloc(small), alloc(large)
	t.Logf("allocated %d bytes for 4 MiB, %d for 32 MiB", s, l)
	if l > s+256<<10 {
		t.Errorf("allocation grows with the file: %d → %d bytes", s, l)
	}
}

func BenchmarkDescribe(b *testing.B) {
	path := filepath.Join(b.TempDir(), "m.safetensors")
	writeSafetensors(b, path, 256, 1<<12) // 256 tensors, 16 MiB
	info, _ := os.Stat(path)
	b.SetBytes(info.Size())
	b.ReportAllocs()
	for b.Loop() {
		inventory.Describe(context.Background(), inventory.File{Path: path, OSPath: path, Format: format.Safetensors}, inventory.Limits{})
	}
}
