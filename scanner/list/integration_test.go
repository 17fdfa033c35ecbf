package list_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/list"
)

// sparseSafetensors writes a valid safetensors file whose single tensor is
// size bytes of holes: the file is huge, but costs no disk.
func sparseSafetensors(t testing.TB, dir string, size int64) scanner.Target {
	t.Helper()
	header := []byte(`{"w":{"dtype":"U8","shape":[` + itoa(size) + `],"data_offsets":[0,` + itoa(size) + `]}}`)
	for len(header)%8 != 0 {
		header = append(header, ' ')
	}
	p := filepath.Join(dir, "huge.safetensors")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	f.Write(n[:])
	f.Write(header)
	total := int64(8+len(header)) + size
	if err := f.Truncate(total); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	return scanner.Target{Path: "huge.safetensors", OSPath: p, Size: total, Wanted: true}
}

func itoa(n int64) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

// TestLargePayloadsAreNotRead scans an 8 GiB model under a 1 MiB read
// budget: it passes only if the scanners read headers, not tensor data.
func TestLargePayloadsAreNotRead(t *testing.T) {
	target := sparseSafetensors(t, t.TempDir(), 8<<30)
	e := &scanner.Engine{Scanners: list.All(), Limits: scanner.Limits{MaxReadBytes: 1 << 20}}
	res, err := e.Run(context.Background(), []scanner.Target{target})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || len(res.Errors) != 0 {
		t.Fatalf("findings %+v, errors %+v", res.Findings, res.Errors)
	}
	if res.Files[0].Format != "safetensors" || res.Files[0].Status != scanner.StatusScanned {
		t.Fatalf("file %+v", res.Files[0])
	}
}

// BenchmarkScanLargeModel shows that time and memory do not grow with the
// size of the tensor data (compare -benchmem across sizes).
func BenchmarkScanLargeModel(b *testing.B) {
	for _, size := range []int64{1 << 20, 1 << 30, 64 << 30} {
		b.Run(itoa(size>>20)+"MiB", func(b *testing.B) {
			target := sparseSafetensors(b, b.TempDir(), size)
			e := &scanner.Engine{Scanners: list.All(), Jobs: 1}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Run(context.Background(), []scanner.Target{target}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestContainersListTheirFormats: the policy judges a container by what is
// inside it, so the engine records the model formats of its members.
func TestContainersListTheirFormats(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "pickle", "benign")
	var targets []scanner.Target
	for _, name := range []string{"torch-state-dict.pt", "sklearn-pipeline-compress3.joblib", "numpy-savez.npz", "plain-data-proto4.pkl"} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, scanner.Target{Path: name, OSPath: p, Size: st.Size(), Wanted: true})
	}
	e := &scanner.Engine{Scanners: list.All()}
	res, err := e.Run(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Files {
		got[f.Path] = fmt.Sprint(f.Format, f.Contains)
	}
	want := map[string]string{
		"torch-state-dict.pt":               "zip[pickle]",
		"sklearn-pipeline-compress3.joblib": "zlib[pickle]",
		"numpy-savez.npz":                   "zip[numpy]",
		"plain-data-proto4.pkl":             "pickle[]",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
}
