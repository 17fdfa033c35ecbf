// Package format decides what a file is from its content: magic bytes and
// structure first, the file name only where a format has no magic
// (protobuf) or to say what the name claims. It reads a bounded head and
// tail and never parses further than a routing decision needs.
package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/modelgate/modelgate/internal/pickleops"
)

// Format names a file format. The values appear in reports.
type Format string

// Known formats.
const (
	Unknown      Format = "unknown"
	Pickle       Format = "pickle"
	Zip          Format = "zip"
	Tar          Format = "tar"
	Gzip         Format = "gzip"
	Bzip2        Format = "bzip2"
	XZ           Format = "xz"
	LZMA         Format = "lzma"
	Zstd         Format = "zstd"
	LZ4          Format = "lz4"
	SevenZip     Format = "7z"
	Zlib         Format = "zlib"
	NumPy        Format = "numpy"
	HDF5         Format = "hdf5"
	GGUF         Format = "gguf"
	GGML         Format = "ggml"
	Safetensors  Format = "safetensors"
	TFLite       Format = "tflite"
	ONNX         Format = "onnx"
	TFSavedModel Format = "tf-savedmodel"
	LFSPointer   Format = "lfs-pointer"
	Text         Format = "text"
)

// HeadSize is how many leading bytes Detect reads.
const HeadSize = 4096

// tailSize covers the zip end-of-central-directory record and the longest
// comment it may carry.
const tailSize = 65557

// Sniff is what Detect learnt about a file.
type Sniff struct {
	// Format is the format of the content at offset 0.
	Format Format
	// Claimed is the format the file name suggests ("" when the name says
	// nothing definite, as for .bin or .pt, which are pickles or zips).
	Claimed Format
	// Also lists other valid interpretations of the same bytes, such as a
	// zip directory at the end of a file that starts as a pickle.
	Also []Format
	// Head holds the first bytes of the file (up to HeadSize).
	Head []byte
}

// Is reports whether the file reads as f in any interpretation.
func (s Sniff) Is(f Format) bool {
	if s.Format == f {
		return true
	}
	for _, a := range s.Also {
		if a == f {
			return true
		}
	}
	return false
}

// Detect reads the head and the tail of a file of the given size and
// decides its format. name is the file's path, used for Claimed and for
// formats without magic bytes.
func Detect(r io.ReaderAt, size int64, name string) (Sniff, error) {
	s, err := DetectHead(r, size, name)
	if err != nil {
		return s, err
	}
	return s, s.CheckTail(r, size)
}

// DetectHead decides the format from the head alone (cheap enough for
// every file of a repository); CheckTail completes it.
func DetectHead(r io.ReaderAt, size int64, name string) (Sniff, error) {
	head := make([]byte, min(size, HeadSize))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return Sniff{}, err
	}
	s := Sniff{Head: head, Claimed: Claimed(name)}
	s.Format = detectHead(r, head, size, name)
	return s, nil
}

// CheckTail looks for a second interpretation at the end of the file: a
// zip directory behind content that is not a zip (a polyglot).
func (s *Sniff) CheckTail(r io.ReaderAt, size int64) error {
	if s.Format == Zip || s.Format == LFSPointer || size <= 22 {
		return nil
	}
	ok, err := hasZipDirectoryAtEnd(r, size)
	if ok {
		s.Also = append(s.Also, Zip)
	}
	return err
}

// IsModel reports whether content found without a name match is worth
// scanning: a model format, or a zip whose first member is laid out like a
// model archive (PyTorch, NumPy .npz, Keras). Other archives and text are
// not, so that sniffing a whole repository stays quiet.
func (s Sniff) IsModel() bool {
	switch s.Format {
	case Pickle, NumPy, Safetensors, GGUF, GGML, HDF5, TFLite, LFSPointer:
		return true
	case Zip:
		return modelZipMember(firstZipName(s.Head))
	}
	return false
}

// firstZipName returns the name in the zip's first local file header.
func firstZipName(head []byte) string {
	if len(head) < 30 || !hasPrefix(head, "PK\x03\x04") {
		return ""
	}
	n := int(binary.LittleEndian.Uint16(head[26:28]))
	if 30+n > len(head) {
		return ""
	}
	return string(head[30 : 30+n])
}

func modelZipMember(name string) bool {
	base := path.Base(name)
	switch {
	case base == "data.pkl", base == "version", base == "constants.pkl", base == "config.json", base == "metadata.json":
		return true
	case strings.HasSuffix(base, ".pkl"), strings.HasSuffix(base, ".npy"), strings.HasSuffix(base, ".h5"):
		return true
	}
	return strings.HasPrefix(name, "MAR-INF/")
}

func detectHead(r io.ReaderAt, head []byte, size int64, name string) Format {
	switch {
	case isLFSPointer(head, size):
		return LFSPointer
	case hasPrefix(head, "PK\x03\x04"), hasPrefix(head, "PK\x05\x06"):
		return Zip
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return Tar
	case hasPrefix(head, "\x1f\x8b"):
		return Gzip
	case hasPrefix(head, "BZh") && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return Bzip2
	case hasPrefix(head, "\xfd7zXZ\x00"):
		return XZ
	case hasPrefix(head, "(\xb5/\xfd"):
		return Zstd
	case hasPrefix(head, "\x04\x22\x4d\x18"):
		return LZ4
	case hasPrefix(head, "7z\xbc\xaf\x27\x1c"):
		return SevenZip
	case hasPrefix(head, "\x93NUMPY"):
		return NumPy
	case isHDF5(r, head, size):
		return HDF5
	case hasPrefix(head, "GGUF"):
		return GGUF
	case hasPrefix(head, "lmgg"), hasPrefix(head, "fmgg"), hasPrefix(head, "tjgg"):
		return GGML
	case len(head) >= 8 && string(head[4:8]) == "TFL3":
		return TFLite
	case isSafetensors(head, size):
		return Safetensors
	case pickleops.Plausible(head, size):
		return Pickle
	case isZlib(head):
		return Zlib
	case isLZMAAlone(head):
		return LZMA
	}
	if f := protobufByName(name); f != Unknown && looksLikeProtobuf(head) {
		return f
	}
	if isText(head) {
		return Text
	}
	return Unknown
}

func hasPrefix(b []byte, p string) bool { return bytes.HasPrefix(b, []byte(p)) }

// lfsVersions are the spec URLs git-lfs accepts on a pointer's first line.
var lfsVersions = []string{
	"version https://git-lfs.github.com/spec/v1\n",
	"version https://hawser.github.com/spec/v1\n",
	"version http://git-media.io/v/2\n",
}

func isLFSPointer(head []byte, size int64) bool {
	if size >= 1024 {
		return false
	}
	for _, v := range lfsVersions {
		if hasPrefix(head, v) {
			return true
		}
	}
	return false
}

// isHDF5 looks for the HDF5 signature at 0, 512, 1024, 2048 (a user block
// of a power-of-two size may precede it).
func isHDF5(r io.ReaderAt, head []byte, size int64) bool {
	const sig = "\x89HDF\r\n\x1a\n"
	for off := int64(0); off <= 2048 && off+8 <= size; off = max(off*2, 512) {
		var b []byte
		if off+8 <= int64(len(head)) {
			b = head[off : off+8]
		} else {
			b = make([]byte, 8)
			if _, err := r.ReadAt(b, off); err != nil {
				return false
			}
		}
		if string(b) == sig {
			return true
		}
	}
	return false
}

// isSafetensors applies the safetensors framing test: a u64 header length
// n, a JSON object starting at offset 8, and 8+n within the file. Broken
// files that fail this still reach the safetensors scanner through their
// name (see Claimed), which then says exactly what is wrong.
func isSafetensors(head []byte, size int64) bool {
	if len(head) < 9 || head[8] != '{' {
		return false
	}
	n := binary.LittleEndian.Uint64(head)
	return n >= 2 && n <= uint64(size-8)
}

func isZlib(head []byte) bool {
	if len(head) < 2 || head[0] != 0x78 {
		return false
	}
	switch head[1] {
	case 0x01, 0x5e, 0x9c, 0xda:
		return true
	}
	return false
}

// isLZMAAlone recognises the legacy .lzma header: properties byte 0x5d, a
// power-of-two dictionary size and an 8-byte size (often unknown, all 0xff).
func isLZMAAlone(head []byte) bool {
	if len(head) < 13 || head[0] != 0x5d {
		return false
	}
	dict := binary.LittleEndian.Uint32(head[1:5])
	return dict >= 1<<12 && dict&(dict-1) == 0
}

// looksLikeProtobuf checks that the first byte is a valid protobuf tag.
func looksLikeProtobuf(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	wire, field := head[0]&7, head[0]>>3
	return field >= 1 && (wire == 0 || wire == 1 || wire == 2 || wire == 5)
}

func protobufByName(name string) Format {
	base := strings.ToLower(path.Base(name))
	switch {
	case strings.HasSuffix(base, ".onnx"):
		return ONNX
	case base == "saved_model.pb", base == "keras_metadata.pb", base == "fingerprint.pb":
		return TFSavedModel
	}
	return Unknown
}

func isText(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	// A multi-byte rune may be cut at the end of the head.
	for i := 0; i < utf8.UTFMax && len(head) > 0; i++ {
		if utf8.Valid(head) {
			return true
		}
		head = head[:len(head)-1]
	}
	return len(head) == 0
}

// hasZipDirectoryAtEnd finds a zip end-of-central-directory record whose
// comment length matches the end of the file exactly, as zip readers that
// search from the end (Python's zipfile, PyTorch's miniz) would.
func hasZipDirectoryAtEnd(r io.ReaderAt, size int64) (bool, error) {
	n := min(size, tailSize)
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	for i := len(tail) - 22; i >= 0; i-- {
		if tail[i] != 'P' || string(tail[i:i+4]) != "PK\x05\x06" {
			continue
		}
		commentLen := int(binary.LittleEndian.Uint16(tail[i+20:]))
		if i+22+commentLen == len(tail) {
			return true, nil
		}
	}
	return false, nil
}

// Routes reports whether a file belongs to the scanner of format f: its
// content reads as f, or its name claims f and its content reads as
// nothing else (text or unknown), so that a broken file is explained by
// the scanner that knows the format instead of being left unrecognised.
func (s Sniff) Routes(f Format) bool {
	return s.Format == f || (s.Claimed == f && (s.Format == Unknown || s.Format == Text))
}
