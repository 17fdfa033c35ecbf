package keras

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// The config parser accepts exactly what Python's json.loads accepts (what
// Keras uses), because a document Go's encoding/json rejects but Python
// loads would let a payload hide behind a "malformed" verdict: NaN,
// Infinity and -Infinity, duplicate keys (the last wins), any JSON
// whitespace, and, for bytes input, UTF-16 and UTF-32 documents and a
// UTF-8 BOM. It streams: nothing but a small summary of each object (the
// keys the checks read) outlives the object, so memory stays bounded by the
// nesting depth whatever the size of the config.

// keepString is how many bytes of a string value are kept; longer strings
// keep their prefix and full length (names and module paths are short;
// only bytecode and weights run long).
const keepString = 4096

var (
	errTooLarge = errors.New("larger than the analysis limit")
	errTooDeep  = errors.New("nested deeper than the analysis limit")
)

// syntaxError is a document Python's json module rejects.
type syntaxError struct {
	msg string
	pos int64
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.pos) }

// readError is a failure of the underlying reader.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// parseAbort carries a parse error up through panic; only parse recovers it.
type parseAbort struct{ err error }

type vkind uint8

const (
	vNone vkind = iota
	vString
	vNumber
	vLiteral
	vObject
	vArray
)

// str is a string value: its first keepString bytes and its full length.
type str struct {
	s  string
	n  int64
	ok bool // the value was a string
}

// value summarises one JSON value.
type value struct {
	kind  vkind
	pos   int64 // offset of its first byte in the document
	str   str
	obj   *object
	alen  int // array length
	first str // array: the first element, when a string
}

// object summarises one JSON object: the members the checks read, with
// Python's last-duplicate-wins semantics.
type object struct {
	id, mark int   // identity, and len(walker.pending) when it began
	pos      int64 // offset of its "{" in the document

	className, module, registered, specName, name    str
	functionType, outputShapeType, outputShapeModule str
	configStr                                        str     // "config" when a string (a function name)
	config                                           *object // "config" when an object
	function, outputShape, code, val                 value
}

func (o *object) set(key string, v value) {
	switch key {
	case "class_name":
		o.className = v.str
	case "module":
		o.module = v.str
	case "registered_name":
		o.registered = v.str
	case "spec_name":
		o.specName = v.str
	case "name":
		o.name = v.str
	case "function_type":
		o.functionType = v.str
	case "output_shape_type":
		o.outputShapeType = v.str
	case "output_shape_module":
		o.outputShapeModule = v.str
	case "config":
		o.config, o.configStr = v.obj, v.str
	case "function":
		o.function = v
	case "output_shape":
		o.outputShape = v
	case "code":
		o.code = v
	case "value":
		o.val = v
	}
}

// visitor receives the parse events the checks need.
type visitor interface {
	open(o *object)
	close(o *object)
	stringValue(s str, pos int64)
}

// jsonInput describes a config's bytes.
type jsonInput struct {
	r       io.Reader
	limit   int64 // bytes analysed at most
	bytesIn bool  // json.loads(bytes): encoding detection and BOM (config.json)
	nulEnds bool  // a NUL ends the text (an HDF5 string as h5py returns it)
	prefix  bool  // only a prefix is a document: stop after the first value
}

// parser is a streaming recursive-descent parser for Python's JSON dialect.
type parser struct {
	br       *bufio.Reader
	pos      int64
	limit    int64
	nulEnds  bool
	eof      bool
	peeked   int // -1 or a byte read ahead
	maxDepth int
	v        visitor
	ctx      context.Context
	ops      int
	ids      int
	buf      []byte
}

// parse reads one document and returns its top-level value and where it
// ended. exact reports whether positions are offsets into the original
// bytes (not after transcoding from UTF-16 or UTF-32).
func parse(ctx context.Context, in jsonInput, maxDepth int, v visitor) (root value, end int64, exact bool, err error) {
	r, exact, err := decodeInput(in)
	if err != nil {
		return value{}, 0, exact, err
	}
	p := &parser{br: bufio.NewReaderSize(r, 16<<10), limit: in.limit, nulEnds: in.nulEnds,
		peeked: -1, maxDepth: maxDepth, v: v, ctx: ctx}
	defer func() {
		if x := recover(); x != nil {
			a, ok := x.(parseAbort)
			if !ok {
				panic(x)
			}
			err = a.err
		}
	}()
	c := p.skipWS()
	if c < 0 {
		p.fail("expecting value")
	}
	root = p.value(c, 1)
	if in.prefix {
		return root, p.pos, exact, nil
	}
	if c := p.skipWS(); c >= 0 {
		p.pos--
		p.fail("extra data")
	}
	return root, p.pos, exact, nil
}

// decodeInput applies Python's json.detect_encoding to bytes input: UTF-32
// and UTF-16 documents are transcoded (positions then no longer map to the
// file), a UTF-8 BOM is skipped.
func decodeInput(in jsonInput) (io.Reader, bool, error) {
	if !in.bytesIn {
		return in.r, true, nil
	}
	br := bufio.NewReader(in.r)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, true, &readError{err}
	}
	enc := detectEncoding(head)
	switch enc {
	case "utf-8":
		return br, true, nil
	case "utf-8-sig":
		_, _ = br.Discard(3)
		return br, false, nil
	}
	raw, err := io.ReadAll(io.LimitReader(br, in.limit+1))
	if err != nil {
		return nil, false, &readError{err}
	}
	if int64(len(raw)) > in.limit {
		return nil, false, errTooLarge
	}
	text, ok := transcode(raw, enc)
	if !ok {
		return nil, false, &syntaxError{msg: "invalid " + enc + " text", pos: 0}
	}
	return bytes.NewReader(text), false, nil
}

// detectEncoding is Python's json.detect_encoding.
func detectEncoding(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0, 0, 0xfe, 0xff}), bytes.HasPrefix(b, []byte{0xff, 0xfe, 0, 0}):
		return "utf-32"
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}), bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return "utf-16"
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return "utf-8-sig"
	}
	if len(b) >= 4 {
		switch {
		case b[0] == 0 && b[1] != 0:
			return "utf-16-be"
		case b[0] == 0:
			return "utf-32-be"
		case b[1] == 0 && (b[2] != 0 || b[3] != 0):
			return "utf-16-le"
		case b[1] == 0:
			return "utf-32-le"
		}
	} else if len(b) == 2 {
		switch {
		case b[0] == 0:
			return "utf-16-be"
		case b[1] == 0:
			return "utf-16-le"
		}
	}
	return "utf-8"
}

// transcode converts UTF-16 or UTF-32 text (with or without a BOM, as
// Python's codecs take it) to UTF-8.
func transcode(b []byte, enc string) ([]byte, bool) {
	var order binary.ByteOrder = binary.LittleEndian
	switch enc {
	case "utf-16-be", "utf-32-be":
		order = binary.BigEndian
	case "utf-16":
		if b[0] == 0xfe {
			order = binary.BigEndian
		}
		b = b[2:]
	case "utf-32":
		if b[0] == 0 {
			order = binary.BigEndian
		}
		b = b[4:]
	}
	out := make([]byte, 0, len(b))
	if enc == "utf-32" || enc == "utf-32-le" || enc == "utf-32-be" {
		if len(b)%4 != 0 {
			return nil, false
		}
		for i := 0; i < len(b); i += 4 {
			r := rune(order.Uint32(b[i:]))
			if r > utf8.MaxRune {
				return nil, false
			}
			out = utf8.AppendRune(out, r)
		}
		return out, true
	}
	if len(b)%2 != 0 {
		return nil, false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out, true
}

func (p *parser) fail(msg string) {
	panic(parseAbort{&syntaxError{msg: msg, pos: p.pos}})
}

// next returns the next byte, or -1 at the end of the text.
func (p *parser) next() int {
	if p.peeked >= 0 {
		c := p.peeked
		p.peeked = -1
		p.pos++
		return c
	}
	if p.eof {
		return -1
	}
	c, err := p.br.ReadByte()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			panic(parseAbort{&readError{err}})
		}
		p.eof = true
		return -1
	}
	if p.pos >= p.limit {
		panic(parseAbort{errTooLarge})
	}
	if c == 0 && p.nulEnds {
		p.eof = true
		return -1
	}
	p.pos++
	return int(c)
}

// unread pushes back the byte next just returned.
func (p *parser) unread(c int) {
	if c >= 0 {
		p.peeked = c
		p.pos--
	}
}

func (p *parser) skipWS() int {
	for {
		c := p.next()
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
}

// tick checks the context now and then.
func (p *parser) tick() {
	p.ops++
	if p.ops&0xfff == 0 {
		if err := p.ctx.Err(); err != nil {
			panic(parseAbort{&readError{err}})
		}
	}
}

// value parses the value whose first byte c was just read.
func (p *parser) value(c int, depth int) value {
	p.tick()
	pos := p.pos - 1
	switch {
	case c == '{':
		if depth > p.maxDepth {
			panic(parseAbort{errTooDeep})
		}
		o := p.object(pos, depth)
		return value{kind: vObject, pos: pos, obj: o}
	case c == '[':
		if depth > p.maxDepth {
			panic(parseAbort{errTooDeep})
		}
		return p.array(pos, depth)
	case c == '"':
		s := p.string(keepString)
		p.v.stringValue(s, pos)
		return value{kind: vString, pos: pos, str: s}
	case c == '-' || c >= '0' && c <= '9':
		p.number(c)
		return value{kind: vNumber, pos: pos}
	case c == 't':
		p.literal("rue")
	case c == 'f':
		p.literal("alse")
	case c == 'n':
		p.literal("ull")
	case c == 'N':
		p.literal("aN")
	case c == 'I':
		p.literal("nfinity")
	default:
		p.unread(c)
		p.fail("expecting value")
	}
	return value{kind: vLiteral, pos: pos}
}

func (p *parser) literal(rest string) {
	for i := 0; i < len(rest); i++ {
		if p.next() != int(rest[i]) {
			p.fail("expecting value")
		}
	}
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? and -Infinity.
func (p *parser) number(c int) {
	if c == '-' {
		c = p.next()
		if c == 'I' {
			p.literal("nfinity")
			return
		}
	}
	switch {
	case c == '0':
		c = p.next()
	case c >= '1' && c <= '9':
		c = p.digits()
	default:
		p.fail("expecting value")
	}
	// Python's scanner backs off to the integer when "." or "e" is not
	// followed by digits; the leftover byte then fails as a delimiter.
	if c == '.' {
		if d := p.next(); d < '0' || d > '9' {
			p.fail("expecting ',' delimiter")
		}
		c = p.digits()
	}
	if c == 'e' || c == 'E' {
		d := p.next()
		if d == '+' || d == '-' {
			d = p.next()
		}
		if d < '0' || d > '9' {
			p.fail("expecting ',' delimiter")
		}
		c = p.digits()
	}
	p.unread(c)
}

func (p *parser) digits() int {
	for {
		c := p.next()
		if c < '0' || c > '9' {
			return c
		}
	}
}

// string reads a string after its opening quote, keeping keep bytes.
func (p *parser) string(keep int) str {
	p.buf = p.buf[:0]
	var n int64
	emit := func(b ...byte) {
		n += int64(len(b))
		if len(p.buf) < keep {
			p.buf = append(p.buf, b[:min(len(b), keep-len(p.buf))]...)
		}
	}
	for {
		c := p.next()
		switch {
		case c < 0:
			p.fail("unterminated string")
		case c == '"':
			return str{s: string(p.buf), n: n, ok: true}
		case c < 0x20:
			p.fail("invalid control character in string")
		case c == '\\':
			p.escape(emit)
		default:
			n++
			if len(p.buf) < keep {
				p.buf = append(p.buf, byte(c))
			}
		}
	}
}

func (p *parser) escape(emit func(...byte)) {
	c := p.next()
	switch c {
	case '"', '\\', '/':
		emit(byte(c))
	case 'b':
		emit('\b')
	case 'f':
		emit('\f')
	case 'n':
		emit('\n')
	case 'r':
		emit('\r')
	case 't':
		emit('\t')
	case 'u':
		r := p.hex4()
		if utf16.IsSurrogate(r) && r < 0xdc00 {
			// A high surrogate combines with a following \uDC00-\uDFFF.
			if c := p.next(); c != '\\' {
				p.unread(c)
			} else if c := p.next(); c != 'u' {
				// "\x" after a lone surrogate: handle the escape normally.
				p.unread(c)
				emit(utf8.AppendRune(nil, utf8.RuneError)...)
				p.escape(emit)
				return
			} else if lo := p.hex4(); lo >= 0xdc00 && lo <= 0xdfff {
				r = utf16.DecodeRune(r, lo)
			} else {
				emit(utf8.AppendRune(nil, utf8.RuneError)...)
				r = lo
			}
		}
		emit(utf8.AppendRune(nil, r)...)
	default:
		p.fail("invalid \\escape")
	}
}

func (p *parser) hex4() rune {
	var r rune
	for range 4 {
		c := p.next()
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			p.fail("invalid \\uXXXX escape")
		}
	}
	return r
}

func (p *parser) object(pos int64, depth int) *object {
	p.ids++
	o := &object{id: p.ids, pos: pos}
	p.v.open(o)
	c := p.skipWS()
	if c == '}' {
		p.v.close(o)
		return o
	}
	for {
		if c != '"' {
			p.unread(c)
			p.fail("expecting property name enclosed in double quotes")
		}
		key := p.string(64)
		if c = p.skipWS(); c != ':' {
			p.unread(c)
			p.fail("expecting ':' delimiter")
		}
		v := p.value(p.skipWS(), depth+1)
		if key.n <= 64 {
			o.set(key.s, v)
		}
		c = p.skipWS()
		if c == '}' {
			break
		}
		if c != ',' {
			p.unread(c)
			p.fail("expecting ',' delimiter")
		}
		c = p.skipWS()
	}
	p.v.close(o)
	return o
}

func (p *parser) array(pos int64, depth int) value {
	v := value{kind: vArray, pos: pos}
	c := p.skipWS()
	if c == ']' {
		return v
	}
	for {
		e := p.value(c, depth+1)
		if v.alen == 0 && e.kind == vString {
			v.first = e.str
		}
		v.alen++
		c = p.skipWS()
		if c == ']' {
			return v
		}
		if c != ',' {
			p.unread(c)
			p.fail("expecting ',' delimiter")
		}
		c = p.skipWS()
	}
}
