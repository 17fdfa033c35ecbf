package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
	"gopkg.in/yaml.v3"
)

// maxYAMLDocs bounds the documents read from one multi-document stream.
const maxYAMLDocs = 1000

// parseYAML parses data[start:end] (a whole file or a front matter block
// starting at line firstLine) into format-neutral trees, one per document
// of a "---"-separated stream (at most maxYAMLDocs; an empty document
// gives a nil tree, so indexes stay those of the stream). Aliases and merge keys are not followed (no alias bombs);
// depth is capped.
func parseYAML(x *fileIndex, start, end int) ([]*node, error) {
	if end-start > MaxYAMLSize {
		return nil, ErrTooLarge
	}
	docs, err := unmarshalYAMLDocs(x.data[start:end], maxYAMLDocs)
	lineBase := 0
	if start > 0 {
		lineBase = x.pos(start).Line - 1
	}
	c := &yconv{x: x, lineBase: lineBase}
	out := make([]*node, len(docs))
	empty := true
	for i, doc := range docs {
		if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			out[i], empty = c.conv(doc.Content[0], 0), false
		}
	}
	if empty && err == nil {
		err = errors.New("extract: empty YAML")
	}
	return out, err
}

type yconv struct {
	x        *fileIndex
	lineBase int
}

func (c *yconv) conv(y *yaml.Node, depth int) *node {
	if y == nil || depth > maxDepth {
		return &node{kind: kOther}
	}
	switch y.Kind {
	case yaml.MappingNode:
		n := &node{kind: kMap}
		for i := 0; i+1 < len(y.Content); i += 2 {
			k := y.Content[i]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" {
				continue
			}
			n.keys = append(n.keys, k.Value)
			n.vals = append(n.vals, c.conv(y.Content[i+1], depth+1))
		}
		return n
	case yaml.SequenceNode:
		n := &node{kind: kSeq}
		for _, v := range y.Content {
			n.vals = append(n.vals, c.conv(v, depth+1))
		}
		return n
	case yaml.ScalarNode:
		if y.Tag != "!!str" && y.Tag != "" {
			return &node{kind: kOther, str: y.Value}
		}
		return &node{kind: kStr, str: y.Value, locate: c.scalarLocate(y)}
	}
	return &node{kind: kOther}
}

// scalarLocate maps a YAML scalar's decoded value back to the file by
// aligning it with the source text (see align).
func (c *yconv) scalarLocate(y *yaml.Node) func(int) promptcore.Position {
	x := c.x
	line, col := y.Line+c.lineBase, y.Column
	if line == 1 && bytes.HasPrefix(x.data, []byte("\xef\xbb\xbf")) {
		col++ // the YAML reader does not count a byte order mark
	}
	s := x.offsetAt(line, col)
	st := y.Style &^ (yaml.TaggedStyle | yaml.FlowStyle)
	if y.Style&yaml.TaggedStyle != 0 {
		// Skip an explicit tag such as !!str before the value.
		for s < len(x.data) && x.data[s] == '!' {
			for s < len(x.data) && x.data[s] != ' ' && x.data[s] != '\n' {
				s++
			}
			for s < len(x.data) && x.data[s] == ' ' {
				s++
			}
		}
	}
	switch st {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if s < len(x.data) && (x.data[s] == '"' || x.data[s] == '\'') {
			s++
		}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		if i := bytes.IndexByte(x.data[s:], '\n'); i >= 0 {
			s += i + 1
		} else {
			s = len(x.data)
		}
	}
	indent := -1
	if st == yaml.LiteralStyle || st == yaml.FoldedStyle {
		indent = blockIndent(x.data, s)
	}
	a := align(x.data, s, y.Value, st == yaml.DoubleQuotedStyle, st == yaml.SingleQuotedStyle, indent)
	return x.locate(a, len(y.Value))
}

// align maps the decoded scalar text to the source starting at s, walking
// both forward rune by rune:
//   - an equal rune maps exactly;
//   - a double-quoted escape maps every byte of the rune it produces to the
//     backslash (an escaped line break produces nothing and is skipped);
//   - a single-quoted doubled quote maps to its first quote;
//   - otherwise source whitespace (line breaks and indentation removed by
//     block, folded, quoted or plain multi-line folding) is skipped before
//     retrying, and a text rune that still does not match (a line break
//     that folding turned into a space) maps to the current source byte.
//
// In block scalars (indent >= 0) the first indent spaces of every source
// line are skipped. The result is exact for plain, quoted and literal
// scalars without escapes, exact for the words of folded scalars (a folded
// line break maps to the line break), and for escapes exact to the escape;
// it is monotone and never leaves the file.
func align(d []byte, s int, text string, dq, sq bool, indent int) anchors {
	var a anchors
	// In block scalars, skip the indentation of every content line so that
	// spaces of more-indented lines map exactly.
	skipIndent := func() {
		for k := 0; k < indent && s < len(d) && d[s] == ' '; k++ {
			s++
		}
	}
	skipIndent()
	for t := 0; t < len(text); {
		r, n := utf8.DecodeRuneInString(text[t:])
		if s >= len(d) {
			a.add(t, len(d), false)
			return a
		}
		if dq && d[s] == '\\' {
			l := 2
			if s+1 < len(d) {
				switch d[s+1] {
				case 'x':
					l = 4
				case 'u':
					l = 6
				case 'U':
					l = 10
				case '\n', '\r':
					// Escaped line break: skip it and the next line's indentation.
					s += 2
					if s < len(d) && d[s-1] == '\r' && d[s] == '\n' {
						s++
					}
					for s < len(d) && (d[s] == ' ' || d[s] == '\t') {
						s++
					}
					continue
				}
			}
			a.add(t, s, false)
			s += l
			t += n
			continue
		}
		if sq && d[s] == '\'' && r == '\'' && s+1 < len(d) && d[s+1] == '\'' {
			a.add(t, s, false)
			s += 2
			t += n
			continue
		}
		sr, sn := utf8.DecodeRune(d[s:])
		if sr == r && sn == n {
			a.add(t, s, true)
			s += n
			t += n
			if r == '\n' {
				skipIndent()
			}
			continue
		}
		// A line break folded into a space maps to the line break.
		if r == ' ' && (d[s] == '\n' || d[s] == '\r') {
			a.add(t, s, false)
			for s < len(d) && (d[s] == ' ' || d[s] == '\t' || d[s] == '\n' || d[s] == '\r') {
				s++
			}
			t += n
			continue
		}
		// Skip folded whitespace in the source.
		k := s
		for k < len(d) && (d[k] == ' ' || d[k] == '\t' || d[k] == '\n' || d[k] == '\r') {
			kr, kn := utf8.DecodeRune(d[k:])
			if kr == r && kn == n {
				break
			}
			k++
		}
		if k < len(d) {
			if kr, kn := utf8.DecodeRune(d[k:]); kr == r && kn == n {
				a.add(t, k, true)
				s = k + n
				t += n
				if r == '\n' {
					skipIndent()
				}
				continue
			}
		}
		// No match: an unknown transformation. Map the rune to the current
		// source byte and leave the skipped whitespace behind (so that every
		// source byte is skipped at most once: linear time).
		a.add(t, s, false)
		s = k
		t += n
	}
	a.add(len(text), s, true)
	return a
}

// unmarshalYAML guards against panics inside the YAML library.
// unmarshalYAMLDocs decodes up to max documents of a YAML stream. It
// returns the documents read before an error together with the error.
func unmarshalYAMLDocs(d []byte, max int) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("extract: YAML: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(d))
	for len(docs) < max {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return docs, fmt.Errorf("extract: YAML: %w", err)
		}
		docs = append(docs, &doc)
	}
	return docs, nil
}

// blockIndent returns the indentation of the first non-blank line from s
// (the content indentation of a block scalar without an explicit
// indentation indicator).
func blockIndent(d []byte, s int) int {
	for s < len(d) {
		n := 0
		for s+n < len(d) && d[s+n] == ' ' {
			n++
		}
		if s+n < len(d) && d[s+n] != '\n' && d[s+n] != '\r' {
			return n
		}
		i := bytes.IndexByte(d[s:], '\n')
		if i < 0 {
			return n
		}
		s += i + 1
	}
	return 0
}
