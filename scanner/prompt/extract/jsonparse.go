package extract

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// kind is the kind of a value in the format-neutral tree that the JSON and
// YAML readers build.
type kind uint8

const (
	kOther kind = iota // null, bool, number, non-string YAML scalar
	kStr
	kSeq
	kMap
)

// node is a JSON or YAML value. Strings carry their Locate.
type node struct {
	kind   kind
	str    string
	locate func(int) promptcore.Position
	keys   []string
	vals   []*node // map values (parallel to keys) or sequence items
}

// get returns the value of key k in a map node, or nil.
func (n *node) get(k string) *node {
	if n == nil || n.kind != kMap {
		return nil
	}
	for i, key := range n.keys {
		if key == k {
			return n.vals[i]
		}
	}
	return nil
}

// strVal returns the string value of key k, or "".
func (n *node) strVal(k string) string {
	if v := n.get(k); v != nil && v.kind == kStr {
		return v.str
	}
	return ""
}

var errJSON = errors.New("extract: invalid JSON")

const maxDepth = 64

// jsonParser is a small JSON reader that keeps, for every string, the map
// from decoded bytes to file offsets.
type jsonParser struct {
	x      *fileIndex
	d      []byte
	i      int
	values int
}

// maxValues caps the values in one JSON document (memory bound).
const maxValues = 1 << 20

// other is shared by every non-string scalar.
var other = &node{kind: kOther}

func parseJSON(x *fileIndex, start, end int) (*node, error) {
	if bytes.HasPrefix(x.data[start:end], []byte("\xef\xbb\xbf")) {
		start += 3
	}
	p := &jsonParser{x: x, d: x.data[:end], i: start}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.d) {
		return nil, errJSON
	}
	return n, nil
}

func (p *jsonParser) ws() {
	for p.i < len(p.d) {
		switch p.d[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errors.New("extract: JSON nested too deeply")
	}
	if p.values++; p.values > maxValues {
		return nil, errors.New("extract: JSON has too many values")
	}
	p.ws()
	if p.i >= len(p.d) {
		return nil, errJSON
	}
	switch c := p.d[p.i]; c {
	case '{':
		p.i++
		n := &node{kind: kMap}
		p.ws()
		if p.i < len(p.d) && p.d[p.i] == '}' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			if p.i >= len(p.d) || p.d[p.i] != '"' {
				return nil, errJSON
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.d) || p.d[p.i] != ':' {
				return nil, errJSON
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k.str)
			n.vals = append(n.vals, v)
			p.ws()
			if p.i >= len(p.d) {
				return nil, errJSON
			}
			if p.d[p.i] == ',' {
				p.i++
				continue
			}
			if p.d[p.i] == '}' {
				p.i++
				return n, nil
			}
			return nil, errJSON
		}
	case '[':
		p.i++
		n := &node{kind: kSeq}
		p.ws()
		if p.i < len(p.d) && p.d[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
			p.ws()
			if p.i >= len(p.d) {
				return nil, errJSON
			}
			if p.d[p.i] == ',' {
				p.i++
				continue
			}
			if p.d[p.i] == ']' {
				p.i++
				return n, nil
			}
			return nil, errJSON
		}
	case '"':
		return p.str()
	default:
		// Literal: number, true, false, null. Accept any run of literal bytes.
		s := p.i
		for p.i < len(p.d) {
			b := p.d[p.i]
			if b == ',' || b == '}' || b == ']' || b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '"' || b == '{' || b == '[' || b == ':' {
				break
			}
			p.i++
		}
		if p.i == s {
			return nil, errJSON
		}
		return other, nil
	}
}

// str reads a JSON string at p.i (an opening quote) and returns it with an
// exact mapping: verbatim runs map byte for byte, and every byte an escape
// produces maps to the escape's backslash.
func (p *jsonParser) str() (*node, error) {
	p.i++ // opening quote
	// Fast path: no escapes.
	if j := bytes.IndexAny(p.d[p.i:], "\"\\"); j >= 0 && p.d[p.i+j] == '"' {
		s, start := string(p.d[p.i:p.i+j]), p.i
		p.i += j + 1
		return &node{kind: kStr, str: s, locate: p.x.verbatim(start, start+j)}, nil
	}
	var out []byte
	var a anchors
	a.add(0, p.i, true)
	for {
		if p.i >= len(p.d) {
			return nil, errJSON
		}
		c := p.d[p.i]
		if c == '"' {
			a.add(len(out), p.i, true)
			p.i++
			break
		}
		if c != '\\' {
			out = append(out, c)
			p.i++
			continue
		}
		esc := p.i
		a.add(len(out), esc, false)
		if p.i+1 >= len(p.d) {
			return nil, errJSON
		}
		e := p.d[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return nil, errJSON
			}
			if utf16.IsSurrogate(r) {
				// A following \uXXXX low surrogate makes a pair; the whole
				// pair maps to the first backslash.
				if p.i+1 < len(p.d) && p.d[p.i] == '\\' && p.d[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					r2, ok2 := p.hex4()
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						r = dec
					} else {
						p.i = save
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, errJSON
		}
		a.add(len(out), p.i, true)
	}
	s := string(out)
	return &node{kind: kStr, str: s, locate: p.x.locate(a, len(s))}, nil
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.d) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.d[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}
