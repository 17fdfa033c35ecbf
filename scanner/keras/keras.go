// Package keras checks Keras models for the ways their configs make
// loading run code: Keras 3 archives (.keras, a zip holding config.json)
// and TF-Keras 2 HDF5 files (.h5, whose root attribute model_config holds
// the config).
//
// In either, the config is a tree of serialised objects ({"module",
// "class_name", "config", "registered_name"}). The scanner reports Lambda
// layers and __lambda__ functions carrying marshalled bytecode, modules
// outside the Keras packages (which Keras ≤ 3.8 imports even in safe mode,
// CVE-2025-1550), custom and registered objects, TFOpLambda symbols,
// TorchModuleWrapper (which unpickles), and the allow-listed gadgets
// keras.config.enable_unsafe_deserialization and keras.utils.get_file.
//
// It reads only config.json (and metadata.json) of an archive, never
// re-routing members: the archive scanner already sends model.weights.h5
// and every other member through the engine. Of an HDF5 file it reads the
// superblock and the root object header, and only when that is not enough
// (dense attribute storage, damage) searches bounded windows of the file
// for the attribute (see h5.go and h5search.go). Configs are parsed by a
// streaming parser with Python's JSON dialect (pyjson.go). Nothing is ever
// unmarshalled, imported or run.
package keras

import (
	"compress/bzip2"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/modelgate/modelgate/internal/zipread"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/keras"

// Rule IDs this scanner emits (see scanner/rules/keras.yaml).
const (
	ruleLambda    = "MG3101" // Lambda / __lambda__ bytecode
	ruleDangerous = "MG3102" // module os, subprocess, builtins, ...
	ruleExternal  = "MG3103" // module outside the Keras packages
	ruleCustom    = "MG3104" // custom / registered object
	ruleTFOp      = "MG3105" // TFOpLambda
	ruleTFOpRisky = "MG3106" // TFOpLambda on a file, Python or native symbol
	ruleTorch     = "MG3107" // TorchModuleWrapper
	ruleUnsafe    = "MG3108" // enable_unsafe_deserialization
	ruleGetFile   = "MG3109" // keras.utils.get_file
	ruleFunction  = "MG3110" // function reference outside Keras
	ruleMalformed = "MG3111" // config invalid or missing
	ruleNotRead   = "MG3112" // config could not be extracted or fully analysed
)

// Limits bound the work on one file.
type Limits struct {
	// MaxConfig caps the bytes of one config document analysed.
	MaxConfig int64
	// MaxDepth caps JSON nesting; Python's own recursion limit (1000)
	// stops json.loads and Keras well before deeper documents load.
	MaxDepth int
	// SearchHead and SearchTail bound the HDF5 fallback search to the
	// first and last bytes of the file.
	SearchHead, SearchTail int64
}

// DefaultLimits suit real models: configs of large models are a few MiB.
var DefaultLimits = Limits{MaxConfig: 64 << 20, MaxDepth: 1000, SearchHead: 64 << 20, SearchTail: 8 << 20}

// Scanner checks Keras models.
type Scanner struct{ lim Limits }

var _ scanner.Scanner = (*Scanner)(nil)

// New returns a Keras scanner with the default limits.
func New() *Scanner { return NewWithLimits(DefaultLimits) }

// NewWithLimits returns a Keras scanner with the given limits; zero fields
// take their defaults.
func NewWithLimits(l Limits) *Scanner {
	if l.MaxConfig <= 0 {
		l.MaxConfig = DefaultLimits.MaxConfig
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.SearchHead <= 0 {
		l.SearchHead = DefaultLimits.SearchHead
	}
	if l.SearchTail <= 0 {
		l.SearchTail = DefaultLimits.SearchTail
	}
	return &Scanner{lim: l}
}

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes HDF5 files and zip archives laid out as Keras archives:
// named .keras, or whose first member is metadata.json or config.json, as
// keras.saving writes them.
func (*Scanner) Accepts(f *scanner.File) bool {
	return f.Sniff.Format == format.HDF5 || isKerasZip(f)
}

func isKerasZip(f *scanner.File) bool {
	if !f.Sniff.Is(format.Zip) {
		return false
	}
	if kerasNamed(f) {
		return true
	}
	switch firstZipName(f.Sniff.Head) {
	case "metadata.json", "config.json":
		return true
	}
	return false
}

// kerasNamed reports whether the file (or member) is named .keras.
func kerasNamed(f *scanner.File) bool {
	name := f.Path
	if f.Member != "" {
		name = f.Member
	}
	return strings.HasSuffix(strings.ToLower(path.Base(name)), ".keras")
}

// firstZipName returns the name in the first local file header.
func firstZipName(head []byte) string {
	if len(head) < 30 || string(head[:4]) != "PK\x03\x04" {
		return ""
	}
	n := int(binary.LittleEndian.Uint16(head[26:28]))
	if 30+n > len(head) {
		return ""
	}
	return string(head[30 : 30+n])
}

// Scan implements scanner.Scanner. It returns an error only when reading
// fails or ctx ends, together with the findings made so far.
func (s *Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := newReport(in)
	var err error
	if in.Sniff.Format == format.HDF5 {
		err = s.scanH5(ctx, in, rep)
	}
	// An HDF5 file with a zip directory at its end is also a Keras archive
	// to keras.saving (zipfile reads from the end).
	if err == nil && isKerasZip(&in.File) {
		err = s.scanArchive(ctx, in, rep)
	}
	return rep.findings(), err
}

// analysis is the outcome of parsing one config document.
type analysis struct {
	root  value
	end   int64 // where the document ended
	exact bool
	err   error
	w     *walker
}

func (s *Scanner) analyse(ctx context.Context, in jsonInput) *analysis {
	w := &walker{}
	root, end, exact, err := parse(ctx, in, s.lim.MaxDepth, w)
	return &analysis{root: root, end: end, exact: exact, err: err, w: w}
}

// fatal returns the error to stop the scan with: the context, the read
// budget or an I/O failure, as opposed to a property of the config.
func fatal(err error) error {
	var re *readError
	if !errors.As(err, &re) {
		return nil
	}
	var corrupt flate.CorruptInputError
	var structural bzip2.StructuralError
	switch {
	case errors.Is(re.err, zipread.ErrLimit), errors.Is(re.err, io.ErrUnexpectedEOF),
		errors.As(re.err, &corrupt), errors.As(re.err, &structural):
		return nil // the member's data, not the reading, is at fault
	}
	return re.err
}

// report turns an analysis into findings: the walker's, then what stopped
// the parse. src names the config, base maps positions to file offsets
// (-1: they do not map), at is the offset for findings about the whole.
func (s *Scanner) report(rep *report, a *analysis, src string, base, at int64) {
	if !a.exact {
		base = -1
	}
	a.w.flush(rep, src, base, at)
	var syn *syntaxError
	var re *readError
	switch {
	case a.err == nil:
	case errors.As(a.err, &syn):
		off := at
		if base >= 0 {
			off = base + syn.pos
		}
		rep.add(ruleMalformed, off, fmt.Sprintf("%s is not valid JSON (Python's json.loads rejects it: %s), so Keras cannot load the model; a corrupt or tampered file.", src, syn.Error()), src+" invalid JSON")
	case errors.Is(a.err, errTooLarge):
		rep.add(ruleNotRead, at, fmt.Sprintf("%s is larger than %d bytes; only that much was analysed, so layers past it were not checked.", src, s.lim.MaxConfig), src+" too large")
	case errors.Is(a.err, errTooDeep):
		rep.add(ruleNotRead, at, fmt.Sprintf("%s nests deeper than %d levels; the analysis stopped there, so layers past it were not checked.", src, s.lim.MaxDepth), src+" too deep")
	case errors.As(a.err, &re) && (errors.Is(re.err, io.ErrUnexpectedEOF)):
		rep.add(ruleMalformed, at, fmt.Sprintf("%s is cut short (%v), so Keras cannot load the model.", src, re.err), src+" truncated")
	case errors.As(a.err, &re):
		rep.add(ruleNotRead, at, fmt.Sprintf("%s could not be read to the end (%v); layers past that point were not checked.", src, re.err), src+" unreadable")
	}
}

// --- Keras 3 archives --------------------------------------------------------

// maxMetadata caps the bytes of metadata.json read.
const maxMetadata = 64 << 10

func (s *Scanner) scanArchive(ctx context.Context, in *scanner.Input, rep *report) error {
	a, err := zipread.Read(in.R, in.Size, zipread.DefaultLimits)
	if err != nil {
		if errors.Is(err, zipread.ErrFormat) {
			return nil // the archive scanner reports unreadable zips
		}
		return err
	}
	var cfg, meta *zipread.Entry
	for _, e := range a.Entries { // the last of duplicate names wins, as in zipfile
		switch e.Name {
		case "config.json":
			cfg = e
		case "metadata.json":
			meta = e
		}
	}
	known := kerasNamed(&in.File)
	if meta != nil {
		ok, err := metadataIsKeras(a, meta)
		if err != nil {
			return err
		}
		known = known || ok
	}
	if cfg == nil {
		if known {
			rep.add(ruleMalformed, -1, "Keras archive has no config.json, so keras.saving.load_model cannot load it; a corrupt or tampered file.", "config.json missing")
		}
		return nil
	}
	r, err := a.Open(cfg)
	if err != nil {
		if known || firstZipName(in.Sniff.Head) == "config.json" {
			rep.add(ruleNotRead, cfg.HeaderOffset, fmt.Sprintf("config.json cannot be read (%v); the model's layers were not checked.", err), "config.json unreadable")
		}
		return nil
	}
	res := s.analyse(ctx, jsonInput{r: r, limit: s.lim.MaxConfig, bytesIn: true})
	if err := fatal(res.err); err != nil {
		res.w.flush(rep, "config.json", -1, cfg.HeaderOffset)
		return err
	}
	isModel := res.root.kind == vObject && res.root.obj.className.ok
	if !known && !isModel && !(res.err != nil && res.w.sawClass) {
		return nil // some other zip that starts with a config.json
	}
	base := int64(-1)
	if cfg.Method == zipread.MethodStore && cfg.DataOffset >= 0 {
		base = cfg.DataOffset
	}
	s.report(rep, res, "config.json", base, cfg.HeaderOffset)
	if res.err == nil && !isModel {
		what := "is not a JSON object"
		if res.root.kind == vObject {
			what = "has no class_name at the top level"
		}
		rep.add(ruleMalformed, cfg.HeaderOffset, "config.json "+what+", so it does not describe a Keras model and keras.saving.load_model cannot load it.", "config.json not a model")
	}
	return nil
}

// metadataIsKeras reports whether metadata.json carries a keras_version.
func metadataIsKeras(a *zipread.Archive, e *zipread.Entry) (bool, error) {
	r, err := a.Open(e)
	if err != nil {
		return false, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, maxMetadata))
	if err != nil {
		return false, fatal(&readError{err})
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return false, nil
	}
	_, ok := m["keras_version"]
	return ok, nil
}
