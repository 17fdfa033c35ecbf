package format_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelgate/modelgate/scanner/format"
)

func detectFile(t testing.TB, name string) format.Sniff {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := format.Detect(bytes.NewReader(data), int64(len(data)), name)
	if err != nil {
		t.Fatalf("Detect(%s): %v", name, err)
	}
	return s
}

func TestDetect(t *testing.T) {
	tests := []struct {
		file    string
		want    format.Format
		claimed format.Format
		also    []format.Format
		model   bool
	}{
		{"pickle-p0.pkl", format.Pickle, format.Pickle, nil, true},
		{"pickle-p0-list.pkl", format.Pickle, format.Pickle, nil, true},
		{"pickle-p1.pkl", format.Pickle, format.Pickle, nil, true},
		{"pickle-p2.pkl", format.Pickle, format.Pickle, nil, true},
		{"pickle-p3.pkl", format.Pickle, format.Pickle, nil, true},
		{"pickle-p4.pkl", format.Pickle, format.Pickle, nil, true},
		{"pickle-p5.pkl", format.Pickle, format.Pickle, nil, true},
		{"pickle-p2.bin", format.Pickle, "", nil, true},
		{"torch-zip.pt", format.Zip, "", nil, true},
		{"torch-zip.pkl", format.Zip, format.Pickle, nil, true},
		{"plain.zip", format.Zip, format.Zip, nil, false},
		{"array.npy", format.NumPy, format.NumPy, nil, true},
		{"model.gguf", format.GGUF, format.GGUF, nil, true},
		{"model.tflite", format.TFLite, format.TFLite, nil, true},
		{"weights.h5", format.HDF5, format.HDF5, nil, true},
		{"userblock.h5", format.HDF5, format.HDF5, nil, true},
		{"model.safetensors", format.Safetensors, format.Safetensors, nil, true},
		{"model.tar", format.Tar, format.Tar, nil, false},
		{"model.pkl.gz", format.Gzip, format.Gzip, nil, false},
		{"model.pkl.bz2", format.Bzip2, format.Bzip2, nil, false},
		{"model.pkl.xz", format.XZ, format.XZ, nil, false},
		{"model.pkl.lzma", format.LZMA, format.LZMA, nil, false},
		{"model.joblib", format.Zlib, format.Pickle, nil, false},
		{"model.7z", format.SevenZip, format.SevenZip, nil, false},
		{"model.zst", format.Zstd, format.Zstd, nil, false},
		{"model.lz4", format.LZ4, format.LZ4, nil, false},
		{"pointer.safetensors", format.LFSPointer, format.Safetensors, nil, true},
		{"onnx-like.onnx", format.ONNX, format.ONNX, nil, false},
		{"saved_model.pb", format.TFSavedModel, format.TFSavedModel, nil, false},
		{"notes.txt", format.Text, "", nil, false},
		{"lookalike.txt", format.Text, "", nil, false},
		{"random.bin", format.Unknown, "", nil, false},
		{"empty.bin", format.Unknown, "", nil, false},
		{"disguised.safetensors", format.Pickle, format.Safetensors, nil, true},
		{"polyglot.pt", format.Pickle, "", []format.Format{format.Zip}, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := detectFile(t, tt.file)
			if s.Format != tt.want || s.Claimed != tt.claimed || !slices.Equal(s.Also, tt.also) {
				t.Errorf("got format=%s claimed=%q also=%v, want %s %q %v", s.Format, s.Claimed, s.Also, tt.want, tt.claimed, tt.also)
			}
			if s.IsModel() != tt.model {
				t.Errorf("IsModel() = %v, want %v", s.IsModel(), tt.model)
			}
		})
	}
}

func TestEveryFixtureIsInTheTable(t *testing.T) {
	// Guards against fixtures the table forgot: each must at least sniff
	// without error.
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			detectFile(t, e.Name())
		}
	}
}

func TestDataOnlyAndCodeCapableAreDisjoint(t *testing.T) {
	all := []format.Format{format.Unknown, format.Pickle, format.Zip, format.Tar, format.Gzip, format.Bzip2, format.XZ,
		format.LZMA, format.Zstd, format.LZ4, format.SevenZip, format.Zlib, format.NumPy, format.HDF5, format.GGUF,
		format.GGML, format.Safetensors, format.TFLite, format.ONNX, format.TFSavedModel, format.LFSPointer, format.Text}
	for _, f := range all {
		if format.DataOnly(f) && format.CodeCapable(f) {
			t.Errorf("%s is both data-only and code-capable", f)
		}
	}
}

func FuzzDetect(f *testing.F) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join("testdata", e.Name())); err == nil {
			f.Add(data, e.Name())
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		s, err := format.Detect(bytes.NewReader(data), int64(len(data)), name)
		if err != nil {
			t.Fatalf("Detect on an in-memory reader failed: %v", err)
		}
		if len(s.Head) > format.HeadSize {
			t.Fatalf("head of %d bytes", len(s.Head))
		}
		_ = s.IsModel()
	})
}

func BenchmarkDetectHead(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "pickle-p0.pkl"))
	if err != nil {
		b.Fatal(err)
	}
	r := bytes.NewReader(data)
	for b.Loop() {
		if _, err := format.DetectHead(r, int64(len(data)), "x.bin"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRoutes(t *testing.T) {
	for _, tt := range []struct {
		s    format.Sniff
		f    format.Format
		want bool
	}{
		{format.Sniff{Format: format.Safetensors}, format.Safetensors, true},
		{format.Sniff{Format: format.Unknown, Claimed: format.Safetensors}, format.Safetensors, true},
		{format.Sniff{Format: format.Text, Claimed: format.ONNX}, format.ONNX, true},
		{format.Sniff{Format: format.Pickle, Claimed: format.Safetensors}, format.Safetensors, false},
		{format.Sniff{Format: format.Unknown}, format.GGUF, false},
	} {
		if got := tt.s.Routes(tt.f); got != tt.want {
			t.Errorf("%+v.Routes(%s) = %v, want %v", tt.s, tt.f, got, tt.want)
		}
	}
}
