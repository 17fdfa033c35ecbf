// Package inventory describes the model files of a finished scan for a
// machine-learning bill of materials: size, SHA-256, framework and, where
// it is cheap and safe, the tensors (names, dtypes, shapes).
//
// It runs only when a BOM is asked for, after the scan, and reads each
// model file again with bounded parsers that never load, import or
// unpickle anything:
//
//   - the SHA-256 is streamed through a fixed 64 KiB buffer, so memory does
//     not grow with the file;
//   - safetensors: the JSON header, read only when it is at most
//     Limits.MaxHeader bytes;
//   - GGUF: the metadata and tensor infos, read sequentially through at most
//     Limits.MaxGGUFHeader bytes, with tensor count, dimensions and string
//     lengths checked before use;
//   - PyTorch zip: the directory (the data/* storages) and the tensor names
//     from data.pkl, whose opcodes are walked by a symbolic stack bounded in
//     bytes, opcodes, stack depth and memo size (nothing is called).
//
// A parser that gives up leaves a note; the hash and size are still
// reported. Tensor lists are capped at Limits.MaxTensors per file.
package inventory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/modelgate/modelgate/scanner/format"
)

// File is a scanned file to describe.
type File struct {
	// Path is the display path used in reports.
	Path string
	// OSPath is the path to open.
	OSPath string
	// Format is the format the scan detected.
	Format format.Format
}

// Model is what the inventory learnt about one model file.
type Model struct {
	Path   string
	Format format.Format
	// Size is the size in bytes when the inventory read the file.
	Size int64
	// SHA256 is the hex digest of the content; "" when it could not be read.
	SHA256 string
	// Framework names the library the file belongs to ("PyTorch",
	// "safetensors", "GGUF", …); "" when unknown.
	Framework string
	// Architecture is the model architecture the file declares (GGUF
	// general.architecture), if any.
	Architecture string
	// Name is the model name the file declares (GGUF general.name), if any.
	Name string
	// Tensors lists the tensors found, at most Limits.MaxTensors.
	Tensors []Tensor
	// TensorCount is how many tensors the file declares (at least
	// len(Tensors)); 0 when unknown.
	TensorCount int
	// Storages counts the data/* storage entries of a PyTorch zip.
	Storages int
	// Notes say what could not be inventoried and why.
	Notes []string
}

// Tensor is one tensor: its name, dtype and shape. Shape is nil when
// unknown.
type Tensor struct {
	Name  string
	DType string
	Shape []uint64
}

// Parameters is the number of elements over all tensors; ok is false when
// a tensor's shape is unknown, the list was capped, or the sum overflows.
func (m *Model) Parameters() (n uint64, ok bool) {
	if len(m.Tensors) == 0 || len(m.Tensors) < m.TensorCount {
		return 0, false
	}
	for _, t := range m.Tensors {
		if t.Shape == nil {
			return 0, false
		}
		e, ok := elements(t.Shape)
		if !ok || n+e < n {
			return 0, false
		}
		n += e
	}
	return n, true
}

// elements multiplies a shape's dimensions; false on overflow.
func elements(shape []uint64) (uint64, bool) {
	n := uint64(1)
	for _, d := range shape {
		if d != 0 && n > ^uint64(0)/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// DTypes counts the tensors per dtype.
func (m *Model) DTypes() map[string]int {
	counts := map[string]int{}
	for _, t := range m.Tensors {
		counts[t.DType]++
	}
	return counts
}

func (m *Model) note(format string, args ...any) {
	m.Notes = append(m.Notes, fmt.Sprintf(format, args...))
}

// Limits bound the parsers. Zero fields take DefaultLimits' values.
type Limits struct {
	// MaxHeader is the largest safetensors JSON header read.
	MaxHeader int64
	// MaxGGUFHeader is how many bytes of GGUF metadata and tensor infos
	// may be read.
	MaxGGUFHeader int64
	// MaxPickle is the largest data.pkl decoded.
	MaxPickle int64
	// MaxOps bounds the opcodes walked in one data.pkl.
	MaxOps int
	// MaxTensors bounds the tensors kept per file.
	MaxTensors int
}

// DefaultLimits suit real checkpoints: a 100k-tensor header passes, a
// crafted one cannot take more than a few hundred MB of memory.
var DefaultLimits = Limits{
	MaxHeader:     16 << 20,
	MaxGGUFHeader: 256 << 20,
	MaxPickle:     16 << 20,
	MaxOps:        4 << 20,
	MaxTensors:    100_000,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	return Limits{
		MaxHeader:     positiveOr(l.MaxHeader, d.MaxHeader),
		MaxGGUFHeader: positiveOr(l.MaxGGUFHeader, d.MaxGGUFHeader),
		MaxPickle:     positiveOr(l.MaxPickle, d.MaxPickle),
		MaxOps:        positiveOr(l.MaxOps, d.MaxOps),
		MaxTensors:    positiveOr(l.MaxTensors, d.MaxTensors),
	}
}

// positiveOr returns v when it is positive, else def.
func positiveOr[T int | int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// IsModel reports whether a scanned file of this format belongs in the
// BOM as a model: every model, weight and archive format, but not text
// (prompt fixtures), Git LFS pointers or unrecognised content.
func IsModel(f format.Format) bool {
	switch f {
	case format.Text, format.LFSPointer, format.Unknown, "":
		return false
	}
	return true
}

// Build describes every file, in order. It stops early only when ctx ends.
func Build(ctx context.Context, files []File, lim Limits) ([]Model, error) {
	out := make([]Model, 0, len(files))
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, Describe(ctx, f, lim))
	}
	return out, nil
}

// Describe reads one file: its hash, then what its format's parser can
// tell. Problems become notes.
func Describe(ctx context.Context, f File, lim Limits) Model {
	lim = lim.withDefaults()
	m := Model{Path: f.Path, Format: f.Format, Framework: frameworks[f.Format]}
	fh, err := os.Open(f.OSPath)
	if err != nil {
		m.note("cannot open the file: %v", err)
		return m
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		m.note("cannot stat the file: %v", err)
		return m
	}
	m.Size = info.Size()
	if m.SHA256, err = hashFile(ctx, fh); err != nil {
		m.note("cannot hash the file: %v", err)
	}
	describeContent(ctx, &m, fh, lim)
	return m
}

// describeContent runs the format's tensor parser on r, under recover: a
// parser bug must cost the inventory of one file, not the scan.
func describeContent(ctx context.Context, m *Model, r io.ReaderAt, lim Limits) {
	defer func() {
		if p := recover(); p != nil {
			m.Tensors, m.TensorCount = nil, 0
			m.note("the tensor inventory failed: %v", p)
		}
	}()
	switch m.Format {
	case format.Safetensors:
		readSafetensors(m, r, lim)
	case format.GGUF:
		readGGUF(m, r, lim)
	case format.Zip:
		readZip(ctx, m, r, lim)
	}
}

// frameworks names the library of each format; zips are refined by
// their content (readZip).
var frameworks = map[format.Format]string{
	format.Pickle:       "pickle",
	format.NumPy:        "NumPy",
	format.HDF5:         "Keras (HDF5)",
	format.GGUF:         "GGUF",
	format.GGML:         "GGML",
	format.Safetensors:  "safetensors",
	format.TFLite:       "TensorFlow Lite",
	format.ONNX:         "ONNX",
	format.TFSavedModel: "TensorFlow",
}

// hashBuf is the hashing buffer size: memory per file is constant.
const hashBuf = 64 << 10

// hashFile streams the file through SHA-256, checking ctx between reads.
func hashFile(ctx context.Context, r io.ReaderAt) (string, error) {
	h := sha256.New()
	buf := make([]byte, hashBuf)
	for off := int64(0); ; {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := r.ReadAt(buf, off)
		h.Write(buf[:n])
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// keep appends a tensor unless the cap is reached.
func (m *Model) keep(t Tensor, lim Limits) bool {
	if len(m.Tensors) >= lim.MaxTensors {
		return false
	}
	m.Tensors = append(m.Tensors, t)
	return true
}

// capped notes that the tensor list was cut.
func (m *Model) capped(lim Limits) {
	if m.TensorCount > len(m.Tensors) {
		m.note("the tensor list is cut at %d of %d tensors", len(m.Tensors), m.TensorCount)
	}
}
