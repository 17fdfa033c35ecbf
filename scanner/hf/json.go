package hf

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON reader here accepts what Python's json module accepts, since
// transformers and huggingface_hub load these files with json.load: NaN,
// Infinity and -Infinity are numbers, duplicate keys are allowed (the last
// one wins in Python, but every occurrence is kept here, so that a value a
// different parser would pick is checked too), control characters inside
// strings are not. It records where every kept value starts, so findings
// point at a line and column, and it keeps only the top-level members a
// check asks for: the rest is validated and dropped.

// maxJSONDepth is about where Python's json gives up (RecursionError).
const maxJSONDepth = 900

// node is a kept JSON value.
type node struct {
	kind    byte // '{' object, '[' array, '"' string, '0' number, 't' true/false, 'n' null
	off     int  // offset of the value's first byte in the document
	str     string
	members []member // objects, in document order, duplicates included
	elems   []*node  // arrays
}

type member struct {
	key    string
	keyOff int
	val    *node
}

// get returns every value of key in an object, in document order.
func (n *node) get(key string) []*node {
	if n == nil || n.kind != '{' {
		return nil
	}
	var out []*node
	for _, m := range n.members {
		if m.key == key {
			out = append(out, m.val)
		}
	}
	return out
}

// jsonError is a syntax error at a document offset.
type jsonError struct {
	off int
	msg string
}

func (e *jsonError) Error() string { return e.msg }

type jsonParser struct {
	src  []byte
	pos  int
	keep func(key string) bool // top-level members to keep; nil keeps all
}

// parseJSON parses a whole document. keep selects the members of a
// top-level object that are kept (with everything under them); others are
// only checked for syntax.
func parseJSON(src []byte, keep func(string) bool) (*node, error) {
	if !utf8.Valid(src) {
		off := 0
		for off < len(src) {
			r, n := utf8.DecodeRune(src[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, &jsonError{off, "invalid UTF-8"}
	}
	p := &jsonParser{src: src, keep: keep}
	p.space()
	v, err := p.value(0, true)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.src) {
		return nil, p.errorf("extra data after the JSON value")
	}
	return v, nil
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return &jsonError{p.pos, fmt.Sprintf(format, args...)}
}

func (p *jsonParser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) literal(s string) bool {
	if len(p.src)-p.pos >= len(s) && string(p.src[p.pos:p.pos+len(s)]) == s {
		p.pos += len(s)
		return true
	}
	return false
}

// value parses one value; keep says whether to build a node for it.
func (p *jsonParser) value(depth int, keep bool) (*node, error) {
	if depth > maxJSONDepth {
		return nil, p.errorf("nested deeper than %d levels", maxJSONDepth)
	}
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of the document")
	}
	start := p.pos
	var n *node
	if keep {
		n = &node{off: start}
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return n, p.object(n, depth, keep)
	case c == '[':
		return n, p.array(n, depth, keep)
	case c == '"':
		s, err := p.string(keep)
		if n != nil {
			n.kind, n.str = '"', s
		}
		return n, err
	case p.literal("true"), p.literal("false"):
		if n != nil {
			n.kind = 't'
		}
		return n, nil
	case p.literal("null"):
		if n != nil {
			n.kind = 'n'
		}
		return n, nil
	case p.literal("NaN"), p.literal("Infinity"), p.literal("-Infinity"):
		if n != nil {
			n.kind = '0'
		}
		return n, nil
	case c == '-' || c >= '0' && c <= '9':
		if err := p.number(); err != nil {
			return nil, err
		}
		if n != nil {
			n.kind = '0'
		}
		return n, nil
	}
	return nil, p.errorf("expected a JSON value")
}

func (p *jsonParser) object(n *node, depth int, keep bool) error {
	if n != nil {
		n.kind = '{'
	}
	p.pos++ // {
	p.space()
	if p.literal("}") {
		return nil
	}
	for {
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return p.errorf("expected a property name in double quotes")
		}
		keyOff := p.pos
		wantKey := keep || (depth == 0 && p.keep != nil)
		key, err := p.string(wantKey)
		if err != nil {
			return err
		}
		p.space()
		if !p.literal(":") {
			return p.errorf("expected ':' after a property name")
		}
		p.space()
		keepVal := keep
		if depth == 0 && p.keep != nil {
			keepVal = p.keep(key)
		}
		v, err := p.value(depth+1, keepVal)
		if err != nil {
			return err
		}
		if n != nil && keepVal {
			n.members = append(n.members, member{key, keyOff, v})
		}
		p.space()
		if p.literal("}") {
			return nil
		}
		if !p.literal(",") {
			return p.errorf("expected ',' or '}' in an object")
		}
		p.space()
	}
}

func (p *jsonParser) array(n *node, depth int, keep bool) error {
	if n != nil {
		n.kind = '['
	}
	p.pos++ // [
	p.space()
	if p.literal("]") {
		return nil
	}
	for {
		v, err := p.value(depth+1, keep)
		if err != nil {
			return err
		}
		if n != nil {
			n.elems = append(n.elems, v)
		}
		p.space()
		if p.literal("]") {
			return nil
		}
		if !p.literal(",") {
			return p.errorf("expected ',' or ']' in an array")
		}
		p.space()
	}
}

// number accepts Python's -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?.
func (p *jsonParser) number() error {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	p.literal("-")
	if p.literal("0") {
		// no more integer digits
	} else if digits() == 0 {
		p.pos = start
		return p.errorf("expected a JSON value")
	}
	if p.pos+1 < len(p.src) && p.src[p.pos] == '.' && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' {
		p.pos++
		digits()
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		save := p.pos
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			p.pos = save // Python stops before a bare exponent marker
		}
	}
	return nil
}

// string reads a string literal at p.pos and returns its value when keep.
func (p *jsonParser) string(keep bool) (string, error) {
	p.pos++ // opening quote
	var buf []byte
	for {
		if p.pos >= len(p.src) {
			return "", p.errorf("unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("control character in a string")
		case c != '\\':
			if keep {
				buf = append(buf, c)
			}
			p.pos++
			continue
		}
		r, n, ok := unescape(p.src[p.pos:])
		if !ok {
			return "", p.errorf("invalid escape in a string")
		}
		if keep {
			buf = utf8.AppendRune(buf, r)
		}
		p.pos += n
	}
}

// unescape decodes the escape sequence at the start of b (which starts
// with a backslash): the rune, the bytes used, and whether it is valid.
// Surrogate pairs combine; a lone surrogate becomes U+FFFD (Python keeps
// it as a lone surrogate, which no template check cares about).
func unescape(b []byte) (rune, int, bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2, true
	case 'b':
		return '\b', 2, true
	case 'f':
		return '\f', 2, true
	case 'n':
		return '\n', 2, true
	case 'r':
		return '\r', 2, true
	case 't':
		return '\t', 2, true
	case 'u':
		r, ok := hex4(b[2:])
		if !ok {
			return 0, 0, false
		}
		if utf16.IsSurrogate(r) && len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if r2, ok := hex4(b[8:]); ok {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return d, 12, true
				}
			}
		}
		if utf16.IsSurrogate(r) {
			return utf8.RuneError, 6, true
		}
		return r, 6, true
	}
	return 0, 0, false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(v), err == nil
}

// rawOffset maps a byte index in the decoded value of the string literal
// starting at strOff in src to the document offset it came from.
func rawOffset(src []byte, strOff, decoded int) int {
	pos, n := strOff+1, 0
	for pos < len(src) && src[pos] != '"' {
		if n >= decoded {
			return pos
		}
		if src[pos] != '\\' {
			pos++
			n++
			continue
		}
		r, used, ok := unescape(src[pos:])
		if !ok {
			return pos
		}
		pos += used
		n += utf8.RuneLen(r)
	}
	return pos
}
