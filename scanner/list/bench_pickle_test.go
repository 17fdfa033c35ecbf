package list_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/list"
)

// The benchmark set: payload-heavy, opcode-dense and PyTorch zip
// inputs, built once per run in a temporary directory.

// blobPickle is a protocol-4 list of n byte blobs of size each, written
// sparse: the payloads are holes the scanner must skip, not read.
func blobPickle(b *testing.B, n int, size int64) scanner.Target {
	p := filepath.Join(b.TempDir(), "blobs.pkl")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	f.Write([]byte{0x80, 4, ']', '('})
	off := int64(4)
	var hdr [9]byte
	for i := 0; i < n; i++ {
		hdr[0] = 0x8e // BINBYTES8
		binary.LittleEndian.PutUint64(hdr[1:], uint64(size))
		f.WriteAt(hdr[:], off)
		off += 9 + size
	}
	f.WriteAt([]byte{'e', '.'}, off)
	return scanner.Target{Path: "blobs.pkl", OSPath: p, Size: off + 2, Wanted: true}
}

// densePickle is a protocol-2 list of short strings in APPENDS batches of
// 1000: ops opcodes of about six bytes each.
func densePickle(b *testing.B, ops int) scanner.Target {
	var buf bytes.Buffer
	buf.Write([]byte{0x80, 2, ']'})
	for i := 0; i < ops/1000; i++ {
		buf.WriteByte('(')
		for j := 0; j < 1000; j++ {
			buf.Write([]byte{'X', 4, 0, 0, 0, 'a', 'b', 'c', byte('a' + j%26)})
		}
		buf.WriteByte('e')
	}
	buf.WriteByte('.')
	p := filepath.Join(b.TempDir(), "dense.pkl")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return scanner.Target{Path: "dense.pkl", OSPath: p, Size: int64(buf.Len()), Wanted: true}
}

// torchZip is a PyTorch-layout zip: a state-dict pickle and one stored
// tensor storage of size bytes.
func torchZip(b *testing.B, size int64) scanner.Target {
	p := filepath.Join(b.TempDir(), "model.pt")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(f)
	pkl := []byte("\x80\x02}q\x00X\x06\x00\x00\x00weightq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00storageq\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06J\x00\x00\x00\x01tq\x07QK\x00K\x01\x85q\x08K\x01\x85q\x09\x89ccollections\nOrderedDict\nq\x0a)Rq\x0btq\x0cRq\x0ds.")
	for _, m := range []struct {
		name string
		data []byte
	}{{"archive/data.pkl", pkl}, {"archive/version", []byte("3\n")}} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Store})
		w.Write(m.data)
	}
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "archive/data/0", Method: zip.Store})
	chunk := make([]byte, 1<<20)
	for written := int64(0); written < size; written += int64(len(chunk)) {
		w.Write(chunk)
	}
	zw.Close()
	info, _ := f.Stat()
	f.Close()
	return scanner.Target{Path: "model.pt", OSPath: p, Size: info.Size(), Wanted: true}
}

func benchScan(b *testing.B, t scanner.Target, wantClean bool) {
	e := &scanner.Engine{Scanners: list.All(), Jobs: 1}
	b.SetBytes(t.Size)
	b.ReportAllocs()
	peak := samplePeakHeap(b)
	for b.Loop() {
		res, err := e.Run(context.Background(), []scanner.Target{t})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range res.Findings {
			if wantClean && f.Severity >= scanner.SeverityMedium {
				b.Fatalf("unexpected finding %s: %s", f.RuleID, f.Message)
			}
		}
	}
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
}

// samplePeakHeap samples the in-use heap every few milliseconds until the
// returned function is called, which reports the highest sample.
func samplePeakHeap(b *testing.B) func() uint64 {
	runtime.GC()
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				done <- peak
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		return <-done
	}
}

func BenchmarkPickleBlobs200MB(b *testing.B) { benchScan(b, blobPickle(b, 200, 1<<20), true) }
func BenchmarkPickleDense4M(b *testing.B)    { benchScan(b, densePickle(b, 4_000_000), true) }
func BenchmarkTorchZip200MB(b *testing.B)    { benchScan(b, torchZip(b, 200<<20), true) }
