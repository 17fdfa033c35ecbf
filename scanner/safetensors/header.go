package safetensors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/modelgate/modelgate/scanner"
	"io"
	"unicode/utf8"
)

const (
	// maxDepth bounds JSON nesting; serde_json, which the reference uses,
	// gives up at 128 and no legitimate header goes past 3.
	maxDepth = 64
	// maxTensors bounds the tensor entries kept for the layout check.
	maxTensors = 1 << 20
	// ctxEvery is how many tokens pass between context checks.
	ctxEvery = 1024
	// metadataKey is the reserved top-level key for free-text metadata.
	metadataKey = "__metadata__"
)

// header is what the walk learnt about the tensors.
type header struct {
	tensors map[string]*tensor
	// complete says the whole header parsed and every tensor has usable
	// offsets, so the layout can be checked.
	complete bool
}

// walker walks the header's JSON token by token, so that it sees duplicate
// keys (encoding/json keeps the last silently) and bounds depth and count.
type walker struct {
	ctx    context.Context
	dec    *json.Decoder
	hdr    []byte
	rep    *report
	tokens int
	stop   bool  // a syntax error, a limit or the context ended the walk
	err    error // the context's error, if it ended the walk
}

// parseHeader validates the header bytes and returns its tensors.
func parseHeader(ctx context.Context, hdr []byte, rep *report) (*header, error) {
	checkEncoding(hdr, rep)
	w := &walker{ctx: ctx, dec: json.NewDecoder(bytes.NewReader(hdr)), hdr: hdr, rep: rep}
	w.dec.UseNumber()
	h := w.header()
	return h, w.err
}

// checkEncoding reports invalid UTF-8 and leading whitespace, which Go's
// decoder tolerates and the reference reader does not.
func checkEncoding(hdr []byte, rep *report) {
	if i := firstInvalidUTF8(hdr); i >= 0 {
		rep.add(ruleSyntax, lengthSize+int64(i),
			fmt.Sprintf("header is not valid UTF-8: the first bad byte is at header offset %d", i),
			fmt.Sprintf("invalid UTF-8 at header byte %d", i))
	}
	if j := bytes.IndexFunc(hdr, notJSONSpace); j > 0 && hdr[j] == '{' {
		rep.add(ruleSyntax, lengthSize,
			fmt.Sprintf("header starts with %d whitespace bytes before '{'; the reference reader requires '{' as the first byte", j),
			"whitespace before '{'")
	}
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

func notJSONSpace(r rune) bool { return r != ' ' && r != '\t' && r != '\n' && r != '\r' }

// header walks the top-level object.
func (w *walker) header() *header {
	h := &header{tensors: map[string]*tensor{}}
	tok, at, ok := w.next()
	if !ok {
		return h
	}
	if tok != json.Delim('{') {
		w.fail(at, fmt.Sprintf("header is %s, not a JSON object", kindOf(tok)), "header is "+kindOf(tok))
		return h
	}
	w.members(1, "", func(key string, at int64) {
		if key == metadataKey {
			w.metadata(at)
		} else {
			w.tensor(h, key, at)
		}
	})
	if w.stop {
		return h
	}
	w.trailing()
	h.complete = allOffsetsUsable(h)
	return h
}

// trailing reports content after the object other than whitespace padding.
func (w *walker) trailing() {
	off := w.dec.InputOffset()
	i := bytes.IndexFunc(w.hdr[off:], notJSONSpace)
	if i < 0 {
		return
	}
	at := off + int64(i)
	extra := int64(len(w.hdr)) - at
	w.rep.add(ruleSyntax, lengthSize+at,
		fmt.Sprintf("header has %s of content after the JSON object, from header offset %d; only space padding may follow it", byteCount(extra), at),
		byteCount(extra)+" after the object")
}

// next reads one token and returns it with the header offset where it
// starts. It returns false once the walk has stopped.
func (w *walker) next() (json.Token, int64, bool) {
	if w.stop {
		return nil, 0, false
	}
	if w.tokens++; w.tokens%ctxEvery == 0 {
		if err := w.ctx.Err(); err != nil {
			w.err, w.stop = err, true
			return nil, 0, false
		}
	}
	at := w.tokenStart()
	tok, err := w.dec.Token()
	if err != nil {
		w.syntaxError(err, at)
		return nil, 0, false
	}
	return tok, at, true
}

// tokenStart skips the separators before the next token.
func (w *walker) tokenStart() int64 {
	i := w.dec.InputOffset()
	for i < int64(len(w.hdr)) {
		switch w.hdr[i] {
		case ' ', '\t', '\n', '\r', ',', ':':
			i++
		default:
			return i
		}
	}
	return i
}

func (w *walker) syntaxError(err error, at int64) {
	var se *json.SyntaxError
	detail := err.Error()
	switch {
	case errors.As(err, &se):
		at = se.Offset
	case w.tokens == 1 && errors.Is(err, io.EOF):
		at, detail = 0, "it holds only whitespace"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		at, detail = int64(len(w.hdr)), "the JSON ends before the object is closed"
	}
	w.fail(at, fmt.Sprintf("header is not valid JSON at header offset %d: %s", at, detail), detail)
}

// fail reports an MG2002 problem that ends the walk.
func (w *walker) fail(at int64, message, evidence string) {
	w.rep.add(ruleSyntax, lengthSize+at, message, evidence)
	w.stop = true
}

// members walks the object whose '{' was just read, at nesting depth
// depth. For each key it calls fn, which must consume the value. owner
// names the top-level entry the object belongs to ("" for the header
// itself) for duplicate-key findings.
func (w *walker) members(depth int, owner string, fn func(key string, at int64)) {
	if depth > maxDepth {
		w.tooDeep()
		return
	}
	var seen keySet
	for !w.stop && w.dec.More() {
		tok, at, ok := w.next()
		if !ok {
			return
		}
		key, _ := tok.(string) // the decoder only returns strings here
		if seen.add(key) {
			w.duplicate(owner, key, at)
		}
		fn(key, at)
	}
	w.next() // '}'
}

// elements walks the array whose '[' was just read, calling fn for each
// element; fn must consume it.
func (w *walker) elements(depth int, fn func(i int)) {
	if depth > maxDepth {
		w.tooDeep()
		return
	}
	for i := 0; !w.stop && w.dec.More(); i++ {
		fn(i)
	}
	w.next() // ']'
}

// value reads one value and returns its first token; arrays and objects
// are walked (for duplicates and depth) and skipped. ok is false once the
// walk has stopped.
func (w *walker) value(depth int, owner string) (json.Token, bool) {
	tok, _, ok := w.next()
	if ok {
		w.skip(tok, depth, owner)
	}
	return tok, ok && !w.stop
}

// skip consumes the rest of a value whose first token was tok.
func (w *walker) skip(tok json.Token, depth int, owner string) {
	switch tok {
	case json.Delim('{'):
		w.members(depth+1, owner, func(string, int64) { w.value(depth+1, owner) })
	case json.Delim('['):
		w.elements(depth+1, func(int) { w.value(depth+1, owner) })
	}
}

func (w *walker) tooDeep() {
	w.fail(w.dec.InputOffset(),
		fmt.Sprintf("header nests JSON deeper than %d levels at header offset %d; no valid header nests more than 3", maxDepth, w.dec.InputOffset()),
		fmt.Sprintf("nesting deeper than %d", maxDepth))
}

func (w *walker) duplicate(owner, key string, at int64) {
	where, evidence := "the header", "duplicate key "+scanner.Quote(key)
	switch {
	case owner == metadataKey:
		where, evidence = metadataKey, evidence+" in "+metadataKey
	case owner != "":
		where = tensorName(owner)
		evidence += " in " + where
	}
	w.rep.add(ruleDuplicate, lengthSize+at,
		fmt.Sprintf("%s repeats the key %s; JSON parsers disagree on which value wins", where, scanner.Quote(key)),
		evidence)
}

// keySet detects repeated keys; small objects (tensor entries) use a
// slice, large ones a map.
type keySet struct {
	small []string
	big   map[string]struct{}
}

const smallKeySet = 8

// add records key and reports whether it was already there.
func (s *keySet) add(key string) bool {
	if s.big != nil {
		_, dup := s.big[key]
		s.big[key] = struct{}{}
		return dup
	}
	for _, k := range s.small {
		if k == key {
			return true
		}
	}
	s.small = append(s.small, key)
	if len(s.small) > smallKeySet {
		s.big = make(map[string]struct{}, 2*len(s.small))
		for _, k := range s.small {
			s.big[k] = struct{}{}
		}
		s.small = nil
	}
	return false
}

// kindOf names the JSON type a value's first token starts, with its
// article ("an array").
func kindOf(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}
