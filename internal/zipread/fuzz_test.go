package zipread_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/modelgate/modelgate/internal/zipread"
)

// fuzzLimits are small so that every input runs quickly.
var fuzzLimits = zipread.Limits{
	MaxEntries:          200,
	MaxCentralDirectory: 1 << 20,
	MaxMemberSize:       2 << 20,
	MaxTotalSize:        3 << 20,
	MaxRatio:            50,
}

// FuzzRead checks that Read and the member readers never panic and never
// yield more than the limits allow.
func FuzzRead(f *testing.F) {
	for _, c := range corruptions() {
		b := build(f, c.members...)
		if c.mutate != nil {
			b = c.mutate(f, b)
		}
		f.Add(b)
	}
	f.Add(manyEntries(f, 20))
	f.Add(build(f, member{name: "bomb", data: make([]byte, 1<<16), method: zip.Deflate}))
	for _, name := range []string{"torch-zip.pt", "polyglot.pt", "plain.zip"} {
		if b, err := os.ReadFile("../../scanner/format/testdata/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(readEverything)
}

// readEverything reads b as an archive and every member in every way.
func readEverything(t *testing.T, b []byte) {
	a, err := zipread.Read(bytes.NewReader(b), int64(len(b)), fuzzLimits)
	if err != nil {
		return
	}
	checkInvariants(t, a, int64(len(b)))
	var total int64
	for _, e := range a.Entries {
		total += readBounded(t, a, e)
		materialize(t, a, e)
	}
	if total > fuzzLimits.MaxTotalSize {
		t.Fatalf("members yielded %d bytes in all", total)
	}
}

func checkInvariants(t *testing.T, a *zipread.Archive, size int64) {
	if len(a.Entries) > fuzzLimits.MaxEntries {
		t.Fatalf("%d entries", len(a.Entries))
	}
	if a.Start < 0 || a.Start > size {
		t.Fatalf("Start %d", a.Start)
	}
	for _, e := range a.Entries {
		if e.DataOffset >= 0 && e.DataOffset < e.HeaderOffset+30 {
			t.Fatalf("%q: data at %d, header at %d", e.Name, e.DataOffset, e.HeaderOffset)
		}
	}
	for _, an := range a.Anomalies {
		if an.Kind == "" || an.Detail == "" {
			t.Fatalf("empty anomaly %+v", an)
		}
	}
}

// readBounded reads e through Open and returns the bytes it yielded.
func readBounded(t *testing.T, a *zipread.Archive, e *zipread.Entry) int64 {
	r, err := a.Open(e)
	if err != nil {
		return 0
	}
	n, err := io.Copy(io.Discard, r)
	if n > fuzzLimits.MaxMemberSize {
		t.Fatalf("%q yielded %d bytes", e.Name, n)
	}
	if err != nil && !errors.Is(err, zipread.ErrLimit) && n > fuzzLimits.MaxMemberSize/2 {
		// Not an invariant, only a sanity check that errors stop early.
		t.Logf("%q: %d bytes then %v", e.Name, n, err)
	}
	return n
}

func materialize(t *testing.T, a *zipread.Archive, e *zipread.Entry) {
	r, n, closeFn, err := a.Materialize(e, 4096)
	if err != nil {
		return
	}
	defer func() {
		if err := closeFn(); err != nil {
			t.Fatal(err)
		}
	}()
	if n < 0 || n > fuzzLimits.MaxMemberSize && e.Method != zipread.MethodStore {
		t.Fatalf("%q materialized %d bytes", e.Name, n)
	}
	buf := make([]byte, min(n, 64))
	_, _ = r.ReadAt(buf, 0)
}
