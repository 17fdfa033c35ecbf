package markdown

import (
	"fmt"
	"strings"
)

// document collects the rendered parts: a head that is always kept, units
// that may be dropped from the end to respect a size bound, and a tail.
type document struct {
	head  []string
	units []unit
	tail  string
}

type unit struct {
	text string
	kind string
}

func (d *document) addHead(s string) {
	if s != "" {
		d.head = append(d.head, s)
	}
}

func (d *document) add(text, kind string) { d.units = append(d.units, unit{text, kind}) }

// truncationReserve is room kept for the truncation line.
const truncationReserve = 400

// assemble joins the parts, dropping trailing units when the whole would
// exceed opt.MaxBytes, and says what was dropped.
func (d *document) assemble(opt Options) string {
	var b strings.Builder
	for _, h := range d.head {
		b.WriteString(h)
	}
	total := b.Len() + len(d.tail)
	for _, u := range d.units {
		total += len(u.text)
	}
	if opt.MaxBytes <= 0 || total <= opt.MaxBytes {
		for _, u := range d.units {
			b.WriteString(u.text)
		}
		b.WriteString(d.tail)
		return b.String()
	}
	budget := opt.MaxBytes - b.Len() - len(d.tail) - truncationReserve
	kept := 0
	for _, u := range d.units {
		if len(u.text) > budget {
			break
		}
		b.WriteString(u.text)
		budget -= len(u.text)
		kept++
	}
	b.WriteString(truncationLine(d.units[kept:], opt))
	b.WriteString(d.tail)
	out := b.String()
	if len(out) > opt.MaxBytes { // a head larger than the bound: cut hard
		out = clip(out, opt.MaxBytes)
	}
	return out
}

// truncationLine says how much was cut, by kind of unit, and where the rest is.
func truncationLine(cut []unit, opt Options) string {
	chars := 0
	counts := map[string]int{}
	var kinds []string
	for _, u := range cut {
		chars += len(u.text)
		if counts[u.kind] == 0 {
			kinds = append(kinds, u.kind)
		}
		counts[u.kind]++
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = plural(counts[k], k)
	}
	limit := opt.Limit
	if limit == "" {
		limit = fmt.Sprintf("the %s-character limit", thousands(opt.MaxBytes))
	}
	line := fmt.Sprintf("\n> [!NOTE]\n> ✂️ Truncated: %s characters were cut (%s) to stay within %s.",
		thousands(chars), strings.Join(parts, ", "), limit)
	if opt.FullReport != "" {
		line += " The full report is in " + opt.FullReport + "."
	}
	return line + "\n"
}

// thousands formats n with comma separators: 65536 → "65,536".
func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
