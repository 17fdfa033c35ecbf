package zipread_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modelgate/modelgate/internal/zipread"
)

// Anomaly kinds, shortened for the tables.
const (
	mismatch   = zipread.KindNameMismatch
	encrypted  = zipread.KindEncrypted
	patched    = zipread.KindPatched
	duplicate  = zipread.KindDuplicateName
	overlap    = zipread.KindOverlap
	prefix     = zipread.KindPrefix
	outOfBound = zipread.KindOutOfBounds
	localHdr   = zipread.KindLocalHeader
	method     = zipread.KindUnsupportedMethod
	unsafe     = zipread.KindUnsafeName
	limit      = zipread.KindLimit
	comment    = zipread.KindCommentLength
	ambiguous  = zipread.KindEndRecordAmbiguous
	directory  = zipread.KindDirectory
	sizes      = zipread.KindSizeMismatch
)

// corruption is one test archive: built, then changed byte-wise.
type corruption struct {
	name    string
	members []member
	mutate  func(t testing.TB, b []byte) []byte
	want    []zipread.AnomalyKind
	// start is the expected Archive.Start.
	start int64
	// read maps entry names (first of each) to expected content; nil
	// means every member reads back as written.
	read map[string]string
}

func corruptions() []corruption {
	ab := []member{{name: "a", data: []byte("AAAA")}, {name: "b", data: []byte("BBBB")}}
	return []corruption{
		{name: "torch", members: torchMembers()},
		{name: "deflate and bzip2", members: []member{
			{name: "d", data: bytes.Repeat([]byte("deflate "), 100), method: zip.Deflate},
			{name: "z", data: []byte(strings.Repeat("hello bzip2 member\n", 3)), raw: bzip2Hello, method: zipread.MethodBzip2},
		}},
		{name: "name mismatch", members: torchMembers(), mutate: renameLocal("archive/data.pkl", "archive/Data.pkl"), want: kinds1(mismatch)},
		{name: "encrypted flag", members: torchMembers(), mutate: setFlags("archive/data.pkl", 0x1), want: kinds1(encrypted)},
		{name: "patched flag", members: torchMembers(), mutate: setFlags("archive/data.pkl", 0x20), want: kinds1(patched)},
		{name: "strong encryption flag", members: torchMembers(), mutate: setFlags("archive/data.pkl", 0x40), want: kinds1(encrypted)},
		{name: "local flag only", members: torchMembers(), mutate: setLocalFlags("archive/data.pkl", 0x41), want: kinds1(encrypted)},
		{name: "bad crc", members: torchMembers(), mutate: breakCRC("archive/data.pkl")},
		{name: "pickle prefix", members: torchMembers(), mutate: prepend("\x80\x02}q\x00."), want: kinds1(prefix), start: 6},
		{name: "duplicate name", members: append(ab, member{name: "a", data: []byte("second")}), want: kinds1(duplicate)},
		{name: "shared data", members: ab, mutate: pointAt("b", "a"), want: kinds1(mismatch, overlap), read: map[string]string{"a": "AAAA", "b": "AAAA"}},
		{name: "trailing bytes", members: ab, mutate: appendBytes("junk"), want: kinds1(comment)},
		{name: "end record in comment", members: ab, mutate: withComment("PK\x05\x06" + strings.Repeat("\x00", 16) + "\x05\x00"), want: kinds1(ambiguous)},
		// A fake end record that fits exactly wins, as in miniz and zipfile:
		// the archive they see is empty.
		{name: "exact fake end record", members: ab, mutate: withComment("PK\x05\x06" + strings.Repeat("\x00", 18)), want: kinds1(prefix), start: 218, read: map[string]string{}},
		{name: "unsupported method", members: []member{{name: "x", data: []byte("lzma?"), raw: []byte("lzma?"), method: 14}}, want: kinds1(method)},
		{name: "stored size mismatch", members: ab, mutate: setUncompressed("a", 3), want: kinds1(sizes)},
		{name: "no local header", members: ab, mutate: breakLocalSig("b"), want: kinds1(localHdr)},
		{name: "data past the end", members: ab, mutate: growSizes("b", 1000), want: kinds1(outOfBound, overlap), read: map[string]string{"a": "AAAA"}},
		{name: "zip64", members: nil, mutate: func(testing.TB, []byte) []byte { return zip64Archive("archive/data.pkl", pickleBytes) }},
		{name: "zip64 with prefix", mutate: func(testing.TB, []byte) []byte {
			return append([]byte("\x80\x02}q\x00."), zip64Archive("archive/data.pkl", pickleBytes)...)
		}, want: kinds1(prefix), start: 6},
		{name: "entry count", members: ab, mutate: setEndField(10, 5), want: kinds1(directory)},
		{name: "zip64 disagrees", mutate: func(t testing.TB, _ []byte) []byte {
			return setEndField(16, 12345)(t, zip64Archive("archive/data.pkl", pickleBytes))
		}, want: kinds1(directory)},
		{name: "empty", members: nil},
		{name: "empty with prefix", mutate: prepend("junk"), want: kinds1(prefix), start: 4},
	}
}

func kinds1(k ...zipread.AnomalyKind) []zipread.AnomalyKind { return k }

func TestCorruptions(t *testing.T) {
	for _, c := range corruptions() {
		t.Run(c.name, func(t *testing.T) {
			b := build(t, c.members...)
			if c.mutate != nil {
				b = c.mutate(t, b)
			}
			a := read(t, b)
			if diff := cmp.Diff(c.want, kinds(a), cmpEmpty); diff != "" {
				t.Errorf("anomaly kinds (-want +got):\n%s\n%v", diff, a.Anomalies)
			}
			if a.Start != c.start {
				t.Errorf("Start = %d, want %d", a.Start, c.start)
			}
			checkContent(t, a, c)
		})
	}
}

var cmpEmpty = cmp.Transformer("nilToEmpty", func(k []zipread.AnomalyKind) []zipread.AnomalyKind {
	if k == nil {
		return []zipread.AnomalyKind{}
	}
	return k
})

// checkContent reads every member back and compares it with what was
// written (or c.read).
func checkContent(t *testing.T, a *zipread.Archive, c corruption) {
	t.Helper()
	want := c.read
	if want == nil {
		want = map[string]string{}
		for _, m := range c.members {
			if _, dup := want[m.name]; !dup {
				want[m.name] = string(m.data)
			}
		}
	}
	for name, data := range want {
		e := entry(t, a, name, 0)
		if e.DataOffset < 0 || e.Method == 14 {
			continue
		}
		if got := string(content(t, a, e)); got != data {
			t.Errorf("%q reads %q, want %q", name, got, data)
		}
	}
}

func renameLocal(from, to string) func(testing.TB, []byte) []byte {
	return func(t testing.TB, b []byte) []byte {
		copy(b[localAt(t, b, from)+30:], to)
		return b
	}
}

func setFlags(name string, bits uint16) func(testing.TB, []byte) []byte {
	return func(t testing.TB, b []byte) []byte {
		b = setLocalFlags(name, bits)(t, b)
		cd := centralAt(t, b, name)
		le.PutUint16(b[cd+8:], le.Uint16(b[cd+8:])|bits)
		return b
	}
}

func setLocalFlags(name string, bits uint16) func(testing.TB, []byte) []byte {
	return func(t testing.TB, b []byte) []byte {
		lh := localAt(t, b, name)
		le.PutUint16(b[lh+6:], le.Uint16(b[lh+6:])|bits)
		return b
	}
}

func breakCRC(name string) func(testing.TB, []byte) []byte {
	return func(t testing.TB, b []byte) []byte {
		cd := centralAt(t, b, name)
		le.PutUint32(b[cd+16:], le.Uint32(b[cd+16:])^0xdeadbeef)
		return b
	}
}

func prepend(p string) func(testing.TB, []byte) []byte {
	return func(_ testing.TB, b []byte) []byte { return append([]byte(p), b...) }
}

func appendBytes(p string) func(testing.TB, []byte) []byte {
	return func(_ testing.TB, b []byte) []byte { return append(b, p...) }
}

// pointAt makes the directory entry of name use target's local header.
func pointAt(name, target string) func(testing.TB, []byte) []byte {
	return func(t testing.TB, b []byte) []byte {
		off := le.Uint32(b[centralAt(t, b, target)+42:])
		le.PutUint32(b[centralAt(t, b, name)+42:], off)
		return b
	}
}

// withComment sets the archive comment (the last bytes of the file).
func withComment(c string) func(testing.TB, []byte) []byte {
	return func(_ testing.TB, b []byte) []byte {
		le.PutUint16(b[len(b)-2:], uint16(len(c)))
		return append(b, c...)
	}
}

func setUncompressed(name string, n uint32) func(testing.TB, []byte) []byte {
	return func(t testing.TB, b []byte) []byte {
		le.PutUint32(b[centralAt(t, b, name)+24:], n)
		return b
	}
}

func growSizes(name string, by uint32) func(testing.TB, []byte) []byte {
	return func(t testing.TB, b []byte) []byte {
		cd := centralAt(t, b, name)
		le.PutUint32(b[cd+20:], le.Uint32(b[cd+20:])+by)
		le.PutUint32(b[cd+24:], le.Uint32(b[cd+24:])+by)
		return b
	}
}

// setEndField sets the 16-bit field at off in the end record (10: total
// entries; 16: directory offset, low half).
func setEndField(off int, v uint16) func(testing.TB, []byte) []byte {
	return func(_ testing.TB, b []byte) []byte {
		le.PutUint16(b[len(b)-22+off:], v)
		return b
	}
}

func breakLocalSig(name string) func(testing.TB, []byte) []byte {
	return func(t testing.TB, b []byte) []byte {
		b[localAt(t, b, name)+3] = 'X'
		return b
	}
}

func TestTorchLayout(t *testing.T) {
	b := build(t, torchMembers()...)
	a := read(t, b)
	var names []string
	for _, e := range a.Entries {
		names = append(names, e.Name)
		if e.DataOffset%64 != 0 {
			t.Errorf("%q: DataOffset %d is not 64-byte aligned", e.Name, e.DataOffset)
		}
		if e.Method != zipread.MethodStore || e.Flags != 0x0808 {
			t.Errorf("%q: method %d flags %#x, want stored with flags 0x0808", e.Name, e.Method, e.Flags)
		}
		if e.LocalName != e.Name {
			t.Errorf("LocalName %q, want %q", e.LocalName, e.Name)
		}
	}
	want := []string{"archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/version", "archive/.data/serialization_id"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	e := entry(t, a, "archive/data.pkl", 0)
	ra, n, ok := a.ReaderAt(e)
	if !ok || n != int64(len(pickleBytes)) {
		t.Fatalf("ReaderAt = %v, %d, %v", ra, n, ok)
	}
	got := make([]byte, n)
	if _, err := ra.ReadAt(got, 0); err != nil || !bytes.Equal(got, pickleBytes) {
		t.Errorf("ReadAt = %q, %v", got, err)
	}
	if !bytes.Equal(b[e.DataOffset:e.DataOffset+n], pickleBytes) {
		t.Errorf("DataOffset %d does not point at the data", e.DataOffset)
	}
}

func TestRealFixtures(t *testing.T) {
	// Files written by torch.save, kept by the format sniffer's tests.
	for _, tc := range []struct {
		file string
		want []zipread.AnomalyKind
	}{
		{"torch-zip.pt", nil},
		{"polyglot.pt", kinds1(prefix)},
	} {
		b, err := os.ReadFile("../../scanner/format/testdata/" + tc.file)
		if err != nil {
			t.Skipf("fixture: %v", err)
		}
		a := read(t, b)
		if diff := cmp.Diff(tc.want, kinds(a), cmpEmpty); diff != "" {
			t.Errorf("%s: anomaly kinds (-want +got):\n%s", tc.file, diff)
		}
		for _, e := range a.Entries {
			if ok, err := a.VerifyCRC(e); !ok || err != nil {
				t.Errorf("%s: %q: VerifyCRC = %v, %v", tc.file, e.Name, ok, err)
			}
		}
	}
}

func TestCRC(t *testing.T) {
	b := breakCRC("archive/data.pkl")(t, build(t, torchMembers()...))
	a := read(t, b)
	for _, e := range a.Entries {
		ok, err := a.VerifyCRC(e)
		if err != nil {
			t.Fatal(err)
		}
		if wantOK := e.Name != "archive/data.pkl"; ok != wantOK {
			t.Errorf("VerifyCRC(%q) = %v, want %v", e.Name, ok, wantOK)
		}
		if !ok {
			an := zipread.CRCAnomaly(e)
			if an.Kind != zipread.KindCRCMismatch || an.Entry != e.Name || an.Offset != e.HeaderOffset {
				t.Errorf("CRCAnomaly = %+v", an)
			}
		}
	}
}

func TestUnsafeNames(t *testing.T) {
	names := map[string]bool{
		"../evil": true, "a/../../evil": true, "/etc/passwd": true, `\\server\share`: true,
		`C:\evil`: true, "c:evil": true, `a\b`: true, "a\x00b": true, `..\x`: true, "..": true,
		"a:b": true, "a/..b": false, "..a/b": false, "archive/data.pkl": false, "./x": false, "ab:c": false,
	}
	for name, bad := range names {
		a := read(t, build(t, member{name: name, data: []byte("x")}))
		got := len(a.Anomalies) == 1 && a.Anomalies[0].Kind == unsafe
		if got != bad || (!bad && len(a.Anomalies) > 0) {
			t.Errorf("%q: anomalies %v, want unsafe=%v", name, a.Anomalies, bad)
		}
	}
}

func TestUnsafeLocalName(t *testing.T) {
	b := renameLocal("archive/data.pkl", "../../../x.pkl..")(t, build(t, torchMembers()...))
	if diff := cmp.Diff(kinds1(mismatch, unsafe), kinds(read(t, b))); diff != "" {
		t.Errorf("anomaly kinds (-want +got):\n%s", diff)
	}
}

func TestModes(t *testing.T) {
	a := read(t, build(t,
		member{name: "link", data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777},
		member{name: "dir/", mode: fs.ModeDir | 0o755},
		member{name: "file", data: []byte("x"), mode: 0o644},
	))
	want := map[string]fs.FileMode{"link": fs.ModeSymlink | 0o777, "dir/": fs.ModeDir | 0o755, "file": 0o644}
	for _, e := range a.Entries {
		if e.Mode != want[e.Name] {
			t.Errorf("%q: mode %v, want %v", e.Name, e.Mode, want[e.Name])
		}
	}
}

func TestNotZip(t *testing.T) {
	full := build(t, torchMembers()...)
	for name, b := range map[string][]byte{
		"short":           []byte("PK\x05\x06"),
		"pickle":          pickleBytes,
		"no end record":   full[:len(full)-22],
		"no directory":    bytes.Repeat([]byte("PK\x05\x06\xff\xff"), 20),
		"truncated head":  full[len(full)/2:],
		"no zip64 record": breakZip64(zip64Archive("x", []byte("x"))),
	} {
		_, err := zipread.Read(bytes.NewReader(b), int64(len(b)), zipread.Limits{})
		if !errors.Is(err, zipread.ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}

// TestTruncations reads every prefix of an archive: no panic, and either
// an error or entries that read without panicking.
func TestTruncations(t *testing.T) {
	b := build(t, append(torchMembers(), member{name: "d", data: bytes.Repeat([]byte("xy"), 500), method: zip.Deflate})...)
	for n := range len(b) {
		a, err := zipread.Read(bytes.NewReader(b[:n]), int64(n), zipread.Limits{})
		if err != nil {
			continue
		}
		for _, e := range a.Entries {
			if r, err := a.Open(e); err == nil {
				_, _ = io.Copy(io.Discard, r)
			}
		}
	}
}

func TestOutOfBoundsRead(t *testing.T) {
	b := growSizes("b", 1000)(t, build(t, member{name: "a", data: []byte("AAAA")}, member{name: "b", data: []byte("BBBB")}))
	a := read(t, b)
	r, err := a.Open(entry(t, a, "b", 0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.HasPrefix(got, []byte("BBBB")) {
		t.Errorf("read %q, %v; want BBBB… and io.ErrUnexpectedEOF", got, err)
	}
}

func TestUnsupportedMethodOpen(t *testing.T) {
	a := read(t, build(t, member{name: "x", data: []byte("zstd?"), raw: []byte("zstd?"), method: 93}))
	e := a.Entries[0]
	if _, err := a.Open(e); !errors.Is(err, zipread.ErrUnsupportedMethod) {
		t.Errorf("Open: %v, want ErrUnsupportedMethod", err)
	}
	raw, err := a.Raw(e)
	if err != nil || raw.Size() != 5 {
		t.Errorf("Raw = %v, %v", raw, err)
	}
}

func TestNoDataOpen(t *testing.T) {
	b := breakLocalSig("a")(t, build(t, member{name: "a", data: []byte("AAAA")}))
	a := read(t, b)
	if _, err := a.Open(a.Entries[0]); !errors.Is(err, zipread.ErrNoData) {
		t.Errorf("Open: %v, want ErrNoData", err)
	}
}

// failingReader fails every read at or after off.
type failingReader struct {
	r   io.ReaderAt
	off int64
}

var errBudget = errors.New("read budget exceeded")

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.off {
		return 0, errBudget
	}
	return f.r.ReadAt(p, off)
}

// TestReaderErrors: a failing reader is an error, never an anomaly.
func TestReaderErrors(t *testing.T) {
	b := build(t, torchMembers()...)
	a := read(t, b)
	points := []int64{0, a.Entries[2].HeaderOffset + 10, int64(len(b) - 30)}
	for _, off := range points {
		_, err := zipread.Read(failingReader{bytes.NewReader(b), off}, int64(len(b)), zipread.Limits{})
		if !errors.Is(err, errBudget) {
			t.Errorf("failing from %d: err = %v, want the reader's error", off, err)
		}
	}
}

func breakZip64(b []byte) []byte {
	b[bytes.LastIndex(b, []byte("PK\x06\x06"))+3] = 'X'
	return b
}

func TestEncryptedEntry(t *testing.T) {
	b := setFlags("archive/data.pkl", 0x1)(t, build(t, torchMembers()...))
	a := read(t, b)
	e := entry(t, a, "archive/data.pkl", 0)
	if !e.Encrypted() || entry(t, a, "archive/version", 0).Encrypted() {
		t.Error("Encrypted() does not follow the directory flag")
	}
	want := `encrypted "archive/data.pkl" at 0: encryption flag bits 0x1 set (directory flags 0x0809, local 0x0809); data read raw, as PyTorch does`
	if got := a.Anomalies[0].String(); got != want {
		t.Errorf("String() = %s\nwant        %s", got, want)
	}
}

// TestAnomalyCap: a hostile directory cannot produce unbounded anomalies.
func TestAnomalyCap(t *testing.T) {
	var ms []member
	for i := range 1500 {
		ms = append(ms, member{name: fmt.Sprintf("../%d", i)})
	}
	a := read(t, build(t, ms...))
	if len(a.Entries) != 1500 || len(a.Anomalies) != 1000 {
		t.Fatalf("%d entries, %d anomalies", len(a.Entries), len(a.Anomalies))
	}
	if last := a.Anomalies[999]; last.Kind != unsafe || last.Entry != "" {
		t.Errorf("last anomaly %v", last)
	}
}
