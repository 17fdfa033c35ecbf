package keras

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/modelgate/modelgate/scanner"
)

// The attributes TF-Keras keeps its configs in. Loading deserialises both
// (training_config when compiling).
var configAttrs = []string{"model_config", "training_config"}

// scanH5 checks the model_config and training_config root attributes of an
// HDF5 file. The root object header is read structurally; when that
// cannot account for every attribute (dense storage, damage), bounded
// windows of the file are searched instead (searchH5).
func (s *Scanner) scanH5(ctx context.Context, in *scanner.Input, rep *report) error {
	var root *h5Root
	h, err := openH5(in.R, in.Size)
	var e errH5
	switch {
	case errors.As(err, &e):
		root = &h5Root{problem: e.Error()}
	case err != nil:
		return err
	default:
		if root, err = h.rootAttrs(); err != nil {
			return err
		}
	}
	st := &h5State{}
	var unread error // why model_config could not be located
	for i := range root.attrs {
		a, name := &root.attrs[i], root.attrs[i].name
		switch {
		case !slices.Contains(configAttrs, name):
			continue
		case a.err != nil:
			if name == "model_config" {
				unread = a.err
			}
			continue
		}
		if err := s.h5Config(ctx, in, rep, name, a.off, a.n); err != nil {
			return err
		}
		st.cover(a.off, a.off+a.n)
		st.model = st.model || name == "model_config"
	}
	incomplete := root.problem != "" || root.dense
	if !incomplete && unread == nil {
		return nil // every root attribute accounted for
	}
	if err := s.searchH5(ctx, in, rep, h, st); err != nil {
		return err
	}
	if st.model {
		return nil
	}
	searchedAll := in.Size <= s.lim.SearchHead+s.lim.SearchTail
	why := ""
	switch {
	case unread != nil:
		why = fmt.Sprintf("the root group names a model_config attribute whose value could not be located (%v)", unread)
	case st.named:
		why = "a model_config attribute name is present but no readable value was found"
	case root.problem != "" && !searchedAll:
		why = fmt.Sprintf("the root group's attributes could not be read (%s) and only the first %d and last %d bytes of the file were searched", root.problem, s.lim.SearchHead, s.lim.SearchTail)
	case root.dense && !searchedAll:
		why = fmt.Sprintf("the root group keeps its attributes in dense storage, and only the first %d and last %d bytes of the file were searched", s.lim.SearchHead, s.lim.SearchTail)
	default:
		return nil
	}
	rep.add(ruleNotRead, -1, "HDF5 model config could not be extracted: "+why+"; the model's layers were not checked.", "model_config not extracted")
	return nil
}

// h5State is what the configs analysed so far cover.
type h5State struct {
	model  bool       // a model_config value was analysed (and reported on)
	named  bool       // the search saw a model_config attribute name
	spans  [][2]int64 // analysed or rejected byte ranges
	parsed int64      // bytes the search parsed
}

func (st *h5State) cover(from, to int64) { st.spans = append(st.spans, [2]int64{from, to}) }

func (st *h5State) covered(off int64) bool {
	for _, sp := range st.spans {
		if off >= sp[0] && off < sp[1] {
			return true
		}
	}
	return false
}

// h5Config analyses and reports on the string value of a config
// attribute at off (n bytes): its findings, or why it is invalid or was
// not analysed to the end.
func (s *Scanner) h5Config(ctx context.Context, in *scanner.Input, rep *report, name string, off, n int64) error {
	sr := io.NewSectionReader(in.R, off, min(n, s.lim.MaxConfig+1))
	res := s.analyse(ctx, jsonInput{r: sr, limit: s.lim.MaxConfig, nulEnds: true})
	if err := fatal(res.err); err != nil {
		res.w.flush(rep, name+" attribute", -1, off)
		return err
	}
	s.report(rep, res, name+" attribute", off, off)
	return nil
}

// Search bounds: patterns found, and bytes parsed from candidates.
const (
	maxNameHits  = 64
	maxJSONHits  = 4096
	searchChunk  = 1 << 20
	searchAttrHd = 1024 // bytes read around an attribute name
)

var (
	namePatterns = [][]byte{[]byte("model_config\x00"), []byte("training_config\x00")}
	keyPatterns  = [][]byte{[]byte(`"class_name"`), []byte(`"module"`)}
)

type hit struct {
	off  int64
	name string // attribute name, "" for a JSON candidate
}

// searchH5 scans the first SearchHead and last SearchTail bytes for
// attribute messages named model_config or training_config (in dense
// storage they lie in a fractal heap, whole) and, failing a value there,
// for JSON documents that start like a serialised Keras object.
func (s *Scanner) searchH5(ctx context.Context, in *scanner.Input, rep *report, h *h5File, st *h5State) error {
	names, docs, err := s.findHits(ctx, in)
	if err != nil {
		return err
	}
	if h == nil {
		h = &h5File{r: in.R, size: in.Size, so: 8, sl: 8}
	}
	budget := 2 * (s.lim.SearchHead + s.lim.SearchTail)
	for _, ht := range names {
		if ht.name == "model_config" {
			st.named = true
		}
		a, ok, err := h.attributeAt(ht.off, ht.name)
		if err != nil {
			return err
		}
		if !ok || a.err != nil || st.covered(a.off) {
			continue
		}
		if err := s.h5Config(ctx, in, rep, ht.name, a.off, a.n); err != nil {
			return err
		}
		st.cover(a.off, a.off+a.n)
		st.parsed += a.n
		st.model = st.model || ht.name == "model_config"
	}
	for _, ht := range docs {
		if st.covered(ht.off) || st.parsed > budget {
			continue
		}
		sr := io.NewSectionReader(in.R, ht.off, min(in.Size-ht.off, s.lim.MaxConfig+1))
		res := s.analyse(ctx, jsonInput{r: sr, limit: s.lim.MaxConfig, nulEnds: true, prefix: true})
		if err := fatal(res.err); err != nil {
			return err
		}
		end := ht.off + max(res.end, 1)
		var syn *syntaxError
		switch {
		case errors.As(res.err, &syn):
			end = ht.off + max(syn.pos, 1)
		case errors.Is(res.err, errTooLarge):
			end = ht.off + s.lim.MaxConfig
		}
		st.cover(ht.off, end)
		st.parsed += end - ht.off
		if res.err != nil || res.root.kind != vObject || !res.root.obj.className.ok {
			continue // a fragment, not a config: nothing to say about it
		}
		s.report(rep, res, fmt.Sprintf("model config found at byte %d", ht.off), ht.off, ht.off)
		st.model = true
	}
	return nil
}

// findHits streams the search windows once, collecting attribute-name
// and JSON-candidate positions.
func (s *Scanner) findHits(ctx context.Context, in *scanner.Input) (names, docs []hit, err error) {
	head := min(in.Size, s.lim.SearchHead)
	windows := [][2]int64{{0, head}}
	if tail := max(head, in.Size-s.lim.SearchTail); tail < in.Size {
		windows = append(windows, [2]int64{tail, in.Size})
	}
	const overlap = 64 // longer than every pattern; also room to back over spaces
	buf := make([]byte, min(searchChunk, in.Size)+overlap)
	for _, w := range windows {
		for cs := w[0]; cs < w[1]; cs += searchChunk {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			from, end := max(w[0], cs-overlap), min(w[1], cs+searchChunk)
			b := buf[:end-from]
			if err := readFull(in.R, in.Size, b, from); err != nil {
				return nil, nil, err
			}
			// A match starting in the overlap was found in the previous
			// chunk only if it ended there.
			fresh := func(pat []byte) int { return max(0, int(cs-from)-len(pat)+1) }
			for _, pat := range namePatterns {
				for _, i := range indexAll(b, pat, fresh(pat)) {
					if len(names) < maxNameHits {
						names = append(names, hit{off: from + int64(i), name: string(pat[:len(pat)-1])})
					}
				}
			}
			for _, pat := range keyPatterns {
				for _, i := range indexAll(b, pat, fresh(pat)) {
					if j := openBrace(b, i); j >= 0 && len(docs) < maxJSONHits {
						docs = append(docs, hit{off: from + int64(j)})
					}
				}
			}
		}
	}
	slices.SortFunc(docs, func(a, b hit) int { return cmp.Compare(a.off, b.off) })
	docs = slices.Compact(docs)
	return names, docs, nil
}

// indexAll returns the positions of pat in b at or after from.
func indexAll(b, pat []byte, from int) []int {
	var out []int
	for i := from; i <= len(b)-len(pat); {
		j := bytes.Index(b[i:], pat)
		if j < 0 {
			break
		}
		out = append(out, i+j)
		i += j + 1
	}
	return out
}

// openBrace returns the position of the "{" that precedes b[i], skipping
// JSON whitespace, or -1.
func openBrace(b []byte, i int) int {
	for j := i - 1; j >= 0; j-- {
		switch b[j] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return j
		}
		return -1
	}
	return -1
}

// attributeAt decodes an attribute message whose name starts at off: a
// version 1 or 2 header lies 8 bytes before it, a version 3 header 9.
func (h *h5File) attributeAt(off int64, name string) (h5Attr, bool, error) {
	for _, back := range []int64{8, 9} {
		start := off - back
		if start < 0 {
			continue
		}
		b := make([]byte, min(searchAttrHd, h.size-start))
		if err := readFull(h.r, h.size, b, start); err != nil {
			var e errH5
			if errors.As(err, &e) {
				continue
			}
			return h5Attr{}, false, err
		}
		ver := b[0]
		if back == 9 && ver != 3 || back == 8 && ver != 1 && ver != 2 || ver == 1 && b[1] != 0 {
			continue
		}
		if int(binary.LittleEndian.Uint16(b[2:])) != len(name)+1 {
			continue
		}
		dt, ds := int(binary.LittleEndian.Uint16(b[4:])), int(binary.LittleEndian.Uint16(b[6:]))
		if dt < 8 || dt > 512 || ds < 4 || ds > 256 {
			continue
		}
		a, ok := h.attribute(b, start, h.size-start-int64(len(b)))
		if ok && a.name == name {
			return a, true, nil
		}
	}
	return h5Attr{}, false, nil
}
