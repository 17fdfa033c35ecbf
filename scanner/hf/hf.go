// Package hf checks the metadata files that come with Hugging Face and
// MLflow models, where loading a model can run code without any pickle:
// auto_map and custom_pipelines (trust_remote_code imports Python modules
// from the repository), the modules themselves (modeling_*.py and
// friends), Jinja chat templates (rendered at inference time; sandbox
// escapes), sharded-checkpoint indexes (shard names that leave the
// directory) and MLflow MLmodel files (custom loader modules, pickled
// artifacts, shipped code).
//
// Files are accepted by base name, and only when their content is text.
// Findings in these text files carry line and column.
package hf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/hf"

// Rule IDs.
const (
	ruleRemoteCode     = "MG3501"
	ruleRemoteExternal = "MG3502"
	ruleCodeExec       = "MG3503"
	ruleCodeObfuscated = "MG3504"
	ruleCodeUnpickle   = "MG3505"
	ruleCodeNetwork    = "MG3506"
	ruleTemplateSSTI   = "MG3507"
	ruleShardPath      = "MG3508"
	ruleIndexMetadata  = "MG3509"
	ruleMLflowLoader   = "MG3510"
	ruleMLflowPickle   = "MG3511"
	ruleMLflowCode     = "MG3512"
	ruleMalformed      = "MG3513"
)

// maxText bounds the bytes read from one file; these files are small.
const maxText = 32 << 20

// maxPerRule caps the findings of one rule in one file.
const maxPerRule = 20

// kind is what a file name says the file is.
type kind int

const (
	kindNone kind = iota
	kindConfig
	kindChatJSON
	kindJinja
	kindIndex
	kindMLmodel
	kindPython
)

// configNames carry auto_map (and tokenizer_config.json chat templates).
var configNames = map[string]bool{
	"config.json":              true,
	"tokenizer_config.json":    true,
	"preprocessor_config.json": true,
	"processor_config.json":    true,
}

// pythonPrefixes name the modules trust_remote_code imports (the
// transformers naming convention for custom code).
var pythonPrefixes = []string{
	"modeling_", "configuration_", "tokenization_", "processing_",
	"image_processing_", "feature_extraction_", "video_processing_",
}

// indexSuffixes name sharded-checkpoint indexes.
var indexSuffixes = []string{
	".safetensors.index.json", ".bin.index.json", ".h5.index.json", ".msgpack.index.json",
}

func kindOf(name string) kind {
	base := path.Base(name)
	switch {
	case configNames[base]:
		return kindConfig
	case base == "chat_template.json":
		return kindChatJSON
	case base == "chat_template.jinja",
		strings.HasSuffix(base, ".jinja") && path.Base(path.Dir(name)) == "additional_chat_templates":
		return kindJinja
	case base == "MLmodel":
		return kindMLmodel
	case strings.HasSuffix(base, ".py"):
		for _, p := range pythonPrefixes {
			if strings.HasPrefix(base, p) {
				return kindPython
			}
		}
	}
	for _, s := range indexSuffixes {
		if strings.HasSuffix(base, s) {
			return kindIndex
		}
	}
	return kindNone
}

// fileName is the name a file is known by: the member inside a container,
// else the path.
func fileName(f *scanner.File) string {
	if f.Member != "" {
		m := f.Member
		if i := strings.LastIndexByte(m, '!'); i >= 0 {
			m = m[i+1:]
		}
		return strings.ReplaceAll(m, `\`, "/")
	}
	return f.Path
}

// Scanner checks Hugging Face and MLflow metadata files.
type Scanner struct{}

var _ scanner.Scanner = (*Scanner)(nil)

// New returns the scanner.
func New() *Scanner { return &Scanner{} }

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes the known file names when the content is text.
func (*Scanner) Accepts(f *scanner.File) bool {
	if kindOf(fileName(f)) == kindNone {
		return false
	}
	switch f.Sniff.Format {
	case format.Text:
		return true
	case format.LFSPointer:
		return false
	}
	// Python source may sniff as something else (a protocol-0 pickle
	// starts with printable opcodes): what matters is that it is text.
	return isText(f.Sniff.Head)
}

func isText(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	for i := 0; i < utf8.UTFMax && len(head) > 0; i++ {
		if utf8.Valid(head) {
			return true
		}
		head = head[:len(head)-1]
	}
	return false
}

// Scan implements scanner.Scanner.
func (s *Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	k := kindOf(fileName(&in.File))
	if in.Size > maxText {
		return []scanner.Finding{in.Finding(ruleMalformed,
			fmt.Sprintf("File is %d bytes, over the %d-byte limit for metadata files; it was not analysed.", in.Size, maxText),
			"too large")}, nil
	}
	src := make([]byte, in.Size)
	if n, err := in.R.ReadAt(src, 0); err != nil && !(errors.Is(err, io.EOF) && int64(n) == in.Size) {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := &doc{in: in, src: src}
	switch k {
	case kindConfig:
		d.config()
	case kindChatJSON:
		d.chatTemplateJSON()
	case kindJinja:
		d.jinja()
	case kindIndex:
		d.index()
	case kindMLmodel:
		d.mlmodel()
	case kindPython:
		d.python()
	}
	return d.findings(), nil
}

// doc is one file being checked.
type doc struct {
	in    *scanner.Input
	src   []byte
	out   []scanner.Finding
	count map[string]int
	lines []int // offsets where lines start, built on demand
}

// at records a finding at a document offset (-1: the file as a whole).
func (d *doc) at(rule string, off int, message, evidence string) {
	line, col := 0, 0
	if off >= 0 {
		line, col = d.lineCol(off)
	}
	d.atLine(rule, line, col, message, evidence)
}

// atLine records a finding at a 1-based line and column (0: none), at
// most maxPerRule of each rule.
func (d *doc) atLine(rule string, line, col int, message, evidence string) {
	if d.count == nil {
		d.count = map[string]int{}
	}
	if d.count[rule]++; d.count[rule] > maxPerRule {
		return
	}
	f := d.in.Finding(rule, message, evidence)
	f.Location.StartLine, f.Location.StartColumn = line, col
	d.out = append(d.out, f)
}

func (d *doc) findings() []scanner.Finding {
	out := d.out
	for _, rule := range slices.Sorted(maps.Keys(d.count)) {
		if n := d.count[rule]; n > maxPerRule {
			out = append(out, d.in.Finding(rule, fmt.Sprintf("%d more findings of this rule in the file were not listed.", n-maxPerRule), "more "+rule))
		}
	}
	return out
}

// lineCol converts a byte offset to a 1-based line and a 1-based column
// counted in Unicode code points (SARIF columnKind unicodeCodePoints).
func (d *doc) lineCol(off int) (int, int) {
	if d.lines == nil {
		d.lines = []int{0}
		for i, c := range d.src {
			if c == '\n' {
				d.lines = append(d.lines, i+1)
			}
		}
	}
	off = max(0, min(off, len(d.src)))
	lo, hi := 0, len(d.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if d.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, utf8.RuneCount(d.src[d.lines[lo]:off]) + 1
}

// malformed reports a parse error at its position.
func (d *doc) malformed(what string, err error) {
	off := -1
	var je *jsonError
	if errors.As(err, &je) {
		off = je.off
	}
	d.at(ruleMalformed, off, fmt.Sprintf("%s cannot be parsed: %v; loaders will fail on it, and other parsers may read it differently.", what, err), "malformed "+what)
}

// short cuts s for a message or evidence.
func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// quote is strconv-style quoting, cut to a readable length.
func quote(s string) string { return fmt.Sprintf("%q", short(s, 120)) }
