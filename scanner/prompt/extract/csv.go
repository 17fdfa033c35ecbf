package extract

import (
	"fmt"
	"strings"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// csvField is one decoded CSV field and its mapping.
type csvField struct {
	text string
	a    anchors
}

// csvReader is an RFC 4180 reader that keeps offsets: quoted fields map
// "" to its first quote; everything else is verbatim. It is lenient: a
// stray quote inside an unquoted field is kept as text.
type csvReader struct {
	d     []byte
	i     int
	delim byte
}

// row reads one record; ok is false at end of input.
func (r *csvReader) row() (fields []csvField, ok bool) {
	if r.i >= len(r.d) {
		return nil, false
	}
	for {
		var f csvField
		if r.i < len(r.d) && r.d[r.i] == '"' {
			r.i++
			var out []byte
			f.a.add(0, r.i, true)
			for r.i < len(r.d) {
				c := r.d[r.i]
				if c == '"' {
					if r.i+1 < len(r.d) && r.d[r.i+1] == '"' {
						f.a.add(len(out), r.i, false)
						out = append(out, '"')
						r.i += 2
						f.a.add(len(out), r.i, true)
						continue
					}
					break
				}
				out = append(out, c)
				r.i++
			}
			f.a.add(len(out), r.i, true)
			f.text = string(out)
			if r.i < len(r.d) {
				r.i++ // closing quote
			}
			// Skip junk up to the delimiter or line end.
			for r.i < len(r.d) && r.d[r.i] != r.delim && r.d[r.i] != '\n' {
				r.i++
			}
		} else {
			s := r.i
			for r.i < len(r.d) && r.d[r.i] != r.delim && r.d[r.i] != '\n' {
				r.i++
			}
			e := r.i
			if e > s && r.d[e-1] == '\r' {
				e--
			}
			f.text = string(r.d[s:e])
			f.a.add(0, s, true)
		}
		fields = append(fields, f)
		if r.i >= len(r.d) {
			return fields, true
		}
		if r.d[r.i] == '\n' {
			r.i++
			return fields, true
		}
		r.i++ // delimiter
	}
}

// csv reads a CSV/TSV eval set with a header row. Columns are assigned
// roles by name (as for JSON records); under red-team paths every column
// is a payload. Columns with unknown names are skipped unless no column is
// known, in which case all are test input.
func (e *emitter) csv(delim byte) error {
	r := &csvReader{d: e.x.data, delim: delim}
	if len(r.d) >= 3 && string(r.d[:3]) == "\xef\xbb\xbf" {
		r.i = 3
	}
	header, ok := r.row()
	if !ok {
		return nil
	}
	roles := make([]promptcore.Role, len(header))
	known := false
	for i, h := range header {
		roles[i] = csvRole(h.text)
		if roles[i] != "" {
			known = true
		}
	}
	if !known {
		for i := range roles {
			roles[i] = promptcore.RoleTestInput
		}
	}
	for n := 1; ; n++ {
		fields, ok := r.row()
		if !ok {
			return nil
		}
		if n > MaxRecords {
			e.truncated = true
			return nil
		}
		for i, f := range fields {
			if i >= len(roles) || roles[i] == "" {
				continue
			}
			e.emit(f.text, roles[i], fmt.Sprintf("row %d %s", n, strings.TrimSpace(header[i].text)), e.x.locate(f.a, len(f.text)))
		}
	}
}

func csvRole(h string) promptcore.Role {
	h = strings.ToLower(strings.TrimSpace(h))
	switch {
	case h == "system" || h == "system_prompt":
		return promptcore.RoleSystem
	case strings.HasPrefix(h, "__expected") || h == "ideal" || h == "expected" || h == "expected_output" || h == "output" ||
		h == "completion" || h == "answer" || h == "target" || h == "response" || h == "reference":
		return promptcore.RoleExpected
	case h == "input" || h == "prompt" || h == "instruction" || h == "question" || h == "query" || h == "text" ||
		h == "goal" || h == "context" || h == "user" || h == "act":
		return promptcore.RoleTestInput
	}
	return ""
}
