package zipread_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modelgate/modelgate/internal/zipread"
)

func TestEntryLimits(t *testing.T) {
	b := build(t, member{name: "a", data: []byte("1")}, member{name: "b", data: []byte("2")}, member{name: "c", data: []byte("3")})
	for name, tc := range map[string]struct {
		lim     zipread.Limits
		entries int
		want    []zipread.AnomalyKind
	}{
		"entries":   {zipread.Limits{MaxEntries: 2}, 2, kinds1(limit)},
		"directory": {zipread.Limits{MaxCentralDirectory: 2*47 + 10}, 2, kinds1(limit)},
		"exact":     {zipread.Limits{MaxCentralDirectory: 2 * 47}, 2, kinds1(limit)},
		"none":      {zipread.Limits{MaxEntries: 3}, 3, nil},
	} {
		a := readLim(t, b, tc.lim)
		if len(a.Entries) != tc.entries {
			t.Errorf("%s: %d entries, want %d", name, len(a.Entries), tc.entries)
		}
		if diff := cmp.Diff(tc.want, kinds(a), cmpEmpty); diff != "" {
			t.Errorf("%s: anomaly kinds (-want +got):\n%s", name, diff)
		}
	}
}

// readN reads e through Open and returns the bytes delivered and the
// error that ended the stream.
func readN(t *testing.T, a *zipread.Archive, e *zipread.Entry) (int64, error) {
	t.Helper()
	r, err := a.Open(e)
	if err != nil {
		t.Fatal(err)
	}
	return io.Copy(io.Discard, r)
}

func TestMemberLimits(t *testing.T) {
	zeros := make([]byte, 10<<20)
	bomb := build(t, member{name: "bomb", data: zeros, method: zip.Deflate})
	stored := build(t, member{name: "s1", data: zeros[:600]}, member{name: "s2", data: zeros[:600]})
	for name, tc := range map[string]struct {
		b    []byte
		lim  zipread.Limits
		want []int64 // bytes delivered per entry; -n: n bytes, then ErrLimit
	}{
		"ratio":        {bomb, zipread.Limits{MaxRatio: 10}, []int64{-1 << 20}},
		"ratio passes": {bomb, zipread.Limits{MaxRatio: 1100}, []int64{10 << 20}},
		// Deflate tops out near 1032:1, which all-zero data reaches.
		"zeros hit the default ratio": {bomb, zipread.Limits{}, []int64{-1000 * int64(read(t, bomb).Entries[0].CompressedSize)}},
		"member":                      {stored, zipread.Limits{MaxMemberSize: 500}, []int64{-500, -500}},
		"member exact":                {stored, zipread.Limits{MaxMemberSize: 600}, []int64{600, 600}},
		"total":                       {stored, zipread.Limits{MaxTotalSize: 1000}, []int64{600, -400}},
		"deflate size":                {bomb, zipread.Limits{MaxMemberSize: 12345}, []int64{-12345}},
	} {
		a := readLim(t, tc.b, tc.lim)
		var got []int64
		for _, e := range a.Entries {
			n, err := readN(t, a, e)
			if errors.Is(err, zipread.ErrLimit) {
				n = -n
			} else if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			got = append(got, n)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: delivered (-want +got):\n%s", name, diff)
		}
	}
}

func TestMaterialize(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	a := read(t, build(t, member{name: "d", data: data, method: zip.Deflate}, member{name: "s", data: data}))
	for _, tc := range []struct {
		name   string
		maxMem int64
		kind   string
	}{
		{"d", 1 << 20, "*bytes.Reader"},
		{"d", 1000, "*os.File"},
		{"d", 0, "*os.File"},
		{"s", 0, "*io.SectionReader"},
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.name, tc.maxMem), func(t *testing.T) {
			r, n, closeFn, err := a.Materialize(entry(t, a, tc.name, 0), tc.maxMem)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", r); got != tc.kind {
				t.Errorf("reader %s, want %s", got, tc.kind)
			}
			got := make([]byte, n)
			if _, err := r.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
				t.Errorf("content differs (%d bytes, %v)", n, err)
			}
			checkClose(t, r, closeFn)
		})
	}
}

// checkClose calls closeFn and checks that a temporary file is gone.
func checkClose(t *testing.T, r any, closeFn func() error) {
	t.Helper()
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	if f, ok := r.(*os.File); ok {
		if _, err := os.Stat(f.Name()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("temporary file %s still exists: %v", f.Name(), err)
		}
	}
}

func TestMaterializeLimit(t *testing.T) {
	a := readLim(t, build(t, member{name: "bomb", data: make([]byte, 4<<20), method: zip.Deflate}), zipread.Limits{MaxMemberSize: 1 << 20})
	for _, maxMem := range []int64{1 << 30, 1000} {
		if _, _, _, err := a.Materialize(a.Entries[0], maxMem); !errors.Is(err, zipread.ErrLimit) {
			t.Errorf("maxMem %d: err = %v, want ErrLimit", maxMem, err)
		}
	}
}

// TestZip64ManyEntries uses archive/zip's own ZIP64 end records, written
// for 65,535 entries or more.
func TestZip64ManyEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 65,536-entry archive")
	}
	b := manyEntries(t, 1<<16)
	if !bytes.Contains(b[len(b)-98:], []byte("PK\x06\x06")) {
		t.Fatal("archive/zip wrote no ZIP64 end record")
	}
	a := read(t, append([]byte("junk"), b...))
	if len(a.Entries) != 1<<16 || a.Start != 4 {
		t.Fatalf("%d entries, Start %d", len(a.Entries), a.Start)
	}
	if diff := cmp.Diff(kinds1(prefix), kinds(a)); diff != "" {
		t.Errorf("anomaly kinds (-want +got):\n%s", diff)
	}
	last := a.Entries[len(a.Entries)-1]
	if got := string(content(t, a, last)); got != last.Name {
		t.Errorf("last entry reads %q", got)
	}
}

// manyEntries builds n stored entries whose content is their name.
func manyEntries(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range n {
		name := fmt.Sprintf("archive/data/%d", i)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestZip64HandBuilt(t *testing.T) {
	b := zip64Archive("archive/data.pkl", pickleBytes)
	// The builder must agree with archive/zip.
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(zr.File) != 1 || zr.File[0].UncompressedSize64 != uint64(len(pickleBytes)) {
		t.Fatalf("archive/zip: %v", err)
	}
	a := read(t, b)
	e := a.Entries[0]
	if e.CompressedSize != uint64(len(pickleBytes)) || e.HeaderOffset != 0 || e.Mode != 0o644 {
		t.Errorf("entry %+v", e)
	}
}

// TestHostileZip64Values: sizes and offsets near 2^64 neither panic nor
// allocate; the member reads up to the end of the file.
func TestHostileZip64Values(t *testing.T) {
	for name, tc := range map[string]struct {
		usize, csize, offset uint64
		want                 []zipread.AnomalyKind
	}{
		"huge sizes":  {1<<64 - 1, 1<<64 - 1, 0, kinds1(outOfBound, overlap)},
		"huge offset": {5, 5, 1<<63 + 5, kinds1(localHdr)},
		"past end":    {5, 5, 1 << 40, kinds1(localHdr)},
	} {
		b := zip64Archive("x", []byte("12345"))
		extra := centralAt(t, b, "x") + 46 + 1 + 4
		le.PutUint64(b[extra:], tc.usize)
		le.PutUint64(b[extra+8:], tc.csize)
		le.PutUint64(b[extra+16:], tc.offset)
		a := read(t, b)
		if diff := cmp.Diff(tc.want, kinds(a)); diff != "" {
			t.Errorf("%s: anomaly kinds (-want +got):\n%s", name, diff)
		}
		r, err := a.Open(a.Entries[0])
		if err != nil {
			continue
		}
		if _, err := io.Copy(io.Discard, r); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: reading: %v", name, err)
		}
		if _, _, _, err := a.Materialize(a.Entries[0], 1<<20); err != nil {
			t.Errorf("%s: Materialize: %v", name, err)
		}
	}
}

// TestTotalConcurrent: members read at once never exceed MaxTotalSize.
func TestTotalConcurrent(t *testing.T) {
	var ms []member
	for i := range 16 {
		ms = append(ms, member{name: fmt.Sprint(i), data: make([]byte, 1000)})
	}
	a := readLim(t, build(t, ms...), zipread.Limits{MaxTotalSize: 5500})
	got := make(chan int64)
	for _, e := range a.Entries {
		go func() {
			r, _ := a.Open(e)
			n, _ := io.Copy(io.Discard, r)
			got <- n
		}()
	}
	var total int64
	for range a.Entries {
		total += <-got
	}
	if total != 5500 {
		t.Errorf("members yielded %d bytes in all, want 5500", total)
	}
}
