package zipread_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"io/fs"
	"testing"

	"github.com/modelgate/modelgate/internal/zipread"
)

var le = binary.LittleEndian

// member describes one file for build.
type member struct {
	name   string
	data   []byte
	method uint16
	mode   fs.FileMode
	align  bool   // like torch.save: UTF-8 flag, FB extra padding to 64-byte data
	raw    []byte // already compressed data for CreateRaw (method as given)
}

// build writes members with archive/zip.
func build(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		if err := addMember(zw, &buf, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func addMember(zw *zip.Writer, buf *bytes.Buffer, m member) error {
	fh := &zip.FileHeader{Name: m.name, Method: m.method}
	if m.mode != 0 {
		fh.SetMode(m.mode)
	}
	if m.align {
		fh.Flags |= zipread.FlagUTF8
		if err := zw.Flush(); err != nil {
			return err
		}
		// The previous member's 16-byte data descriptor is written
		// when this one is created.
		off := buf.Len()
		if off > 0 {
			off += 16
		}
		fh.Extra = fbPadding(off, len(m.name))
	}
	if m.raw != nil {
		fh.CRC32 = crc32.ChecksumIEEE(m.data)
		fh.CompressedSize64, fh.UncompressedSize64 = uint64(len(m.raw)), uint64(len(m.data))
		w, err := zw.CreateRaw(fh)
		if err != nil {
			return err
		}
		_, err = w.Write(m.raw)
		return err
	}
	w, err := zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	_, err = w.Write(m.data)
	return err
}

// fbPadding is torch.save's "FB" extra field, padded with 'Z' so that the
// data of a local header at off starts on a 64-byte boundary.
func fbPadding(off, nameLen int) []byte {
	pad := (64 - (off+30+nameLen+4)%64) % 64
	extra := []byte{'F', 'B', byte(pad), 0}
	return append(extra, bytes.Repeat([]byte{'Z'}, pad)...)
}

// torchMembers is a torch.save-style layout (stored, aligned, under archive/).
func torchMembers() []member {
	return []member{
		{name: "archive/data.pkl", data: pickleBytes, align: true},
		{name: "archive/byteorder", data: []byte("little"), align: true},
		{name: "archive/data/0", data: bytes.Repeat([]byte{0, 0, 0x80, 0x3f}, 16), align: true},
		{name: "archive/version", data: []byte("3\n"), align: true},
		{name: "archive/.data/serialization_id", data: []byte("1234567890"), align: true},
	}
}

// pickleBytes is a small protocol-2 pickle ({'a': 1}).
var pickleBytes = []byte("\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.")

// bzip2Hello is bz2.compress(b"hello bzip2 member\n" * 3).
var bzip2Hello = mustHex("425a683931415926535953302fb900000ed9800010400010001266d010200022bfd540064201a008798421a75671c4bc955b592bb4f8bb9229c2848299817dc8")

func mustHex(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		b[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return b
}

func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// findRecord returns the offset of the first record with signature sig
// whose name (length at lenAt, bytes at nameAt) is name, or fails.
func findRecord(t testing.TB, b []byte, sig string, lenAt, nameAt int, name string) int {
	t.Helper()
	for i := 0; ; i++ {
		j := bytes.Index(b[i:], []byte(sig))
		if j < 0 || i+j+nameAt+len(name) > len(b) {
			t.Fatalf("no %q record named %q", sig, name)
		}
		i += j
		if int(le.Uint16(b[i+lenAt:])) == len(name) && string(b[i+nameAt:i+nameAt+len(name)]) == name {
			return i
		}
	}
}

func localAt(t testing.TB, b []byte, name string) int {
	t.Helper()
	return findRecord(t, b, "PK\x03\x04", 26, 30, name)
}

func centralAt(t testing.TB, b []byte, name string) int {
	t.Helper()
	return findRecord(t, b, "PK\x01\x02", 28, 46, name)
}

// read parses b with the default limits.
func read(t testing.TB, b []byte) *zipread.Archive {
	t.Helper()
	return readLim(t, b, zipread.DefaultLimits)
}

func readLim(t testing.TB, b []byte, lim zipread.Limits) *zipread.Archive {
	t.Helper()
	a, err := zipread.Read(bytes.NewReader(b), int64(len(b)), lim)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return a
}

// kinds lists the anomaly kinds in order.
func kinds(a *zipread.Archive) []zipread.AnomalyKind {
	out := []zipread.AnomalyKind{}
	for _, an := range a.Anomalies {
		out = append(out, an.Kind)
	}
	return out
}

// content reads an entry through Open.
func content(t testing.TB, a *zipread.Archive, e *zipread.Entry) []byte {
	t.Helper()
	r, err := a.Open(e)
	if err != nil {
		t.Fatalf("Open(%q): %v", e.Name, err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %q: %v", e.Name, err)
	}
	return got
}

// entry returns the i-th entry named name.
func entry(t testing.TB, a *zipread.Archive, name string, i int) *zipread.Entry {
	t.Helper()
	for _, e := range a.Entries {
		if e.Name == name {
			if i == 0 {
				return e
			}
			i--
		}
	}
	t.Fatalf("no entry %q", name)
	return nil
}

// zip64Archive hand-builds a one-member stored archive whose sizes and
// header offset live only in ZIP64 fields, ended by a ZIP64 end record,
// its locator and an end record of placeholders.
func zip64Archive(name string, data []byte) []byte {
	const ff32 = 0xffffffff
	n := uint64(len(data))
	b := le.AppendUint32(nil, 0x04034b50)
	b = le.AppendUint16(b, 45) // version needed
	b = le.AppendUint16(b, 0)  // flags
	b = le.AppendUint16(b, 0)  // method
	b = le.AppendUint32(b, 0)  // time, date
	b = le.AppendUint32(b, crc32.ChecksumIEEE(data))
	b = le.AppendUint32(b, ff32)
	b = le.AppendUint32(b, ff32)
	b = le.AppendUint16(b, uint16(len(name)))
	b = le.AppendUint16(b, 20)
	b = append(b, name...)
	b = appendZip64Extra(b, n, n)
	b = append(b, data...)
	cd := len(b)
	b = le.AppendUint32(b, 0x02014b50)
	b = le.AppendUint16(b, 3<<8|45) // made by Unix
	b = le.AppendUint16(b, 45)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, crc32.ChecksumIEEE(data))
	b = le.AppendUint32(b, ff32)
	b = le.AppendUint32(b, ff32)
	b = le.AppendUint16(b, uint16(len(name)))
	b = le.AppendUint16(b, 28)
	b = le.AppendUint16(b, 0)            // comment
	b = le.AppendUint16(b, 0)            // disk
	b = le.AppendUint16(b, 0)            // internal attributes
	b = le.AppendUint32(b, 0o100644<<16) // external attributes
	b = le.AppendUint32(b, ff32)
	b = append(b, name...)
	b = appendZip64Extra(b, n, n, 0)
	return appendZip64End(b, cd, len(b)-cd)
}

func appendZip64Extra(b []byte, vals ...uint64) []byte {
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, uint16(8*len(vals)))
	for _, v := range vals {
		b = le.AppendUint64(b, v)
	}
	return b
}

// appendZip64End appends the ZIP64 end record, its locator and an end
// record of placeholders for one entry.
func appendZip64End(b []byte, cdOff, cdLen int) []byte {
	end64 := len(b)
	b = le.AppendUint32(b, 0x06064b50)
	b = le.AppendUint64(b, 44)
	b = le.AppendUint16(b, 45)
	b = le.AppendUint16(b, 45)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, 1)
	b = le.AppendUint64(b, 1)
	b = le.AppendUint64(b, uint64(cdLen))
	b = le.AppendUint64(b, uint64(cdOff))
	b = le.AppendUint32(b, 0x07064b50)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, uint64(end64))
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 0x06054b50)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, 0xffff)
	b = le.AppendUint16(b, 0xffff)
	b = le.AppendUint32(b, 0xffffffff)
	b = le.AppendUint32(b, 0xffffffff)
	return le.AppendUint16(b, 0)
}
