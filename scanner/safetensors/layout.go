package safetensors

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// allOffsetsUsable says whether every tensor has well-formed offsets, the
// precondition of the layout check. (A malformed entry is already a
// finding; checking the layout without it would only add noise.)
func allOffsetsUsable(h *header) bool {
	for _, t := range h.tensors {
		if !t.offsetsOK {
			return false
		}
	}
	return true
}

// layout is the state of the walk over tensors sorted by offset.
type layout struct {
	rep     *report
	base    int64  // file offset of the data section
	data    uint64 // size of the data section
	covered uint64 // end of the data covered so far
	last    *tensor
	messy   bool // gaps or overlaps seen
}

// checkLayout checks that the tensors tile the data section exactly
// (MG2007) and that they end where the file does (MG2008). dataSize is the
// file size minus the length field and the header.
func checkLayout(ctx context.Context, h *header, dataSize int64, rep *report) error {
	ts := sortedByOffset(h)
	l := &layout{rep: rep, base: rep.Input().Size - dataSize, data: uint64(dataSize)}
	for i, t := range ts {
		if i%ctxEvery == ctxEvery-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		l.visit(t)
	}
	if l.messy {
		// A clean tiling that runs past the data is a truncated file, which
		// MG2008 explains; otherwise name the tensors outside the data.
		l.outside(ts)
	}
	l.fileSize()
	return nil
}

func sortedByOffset(h *header) []*tensor {
	ts := make([]*tensor, 0, len(h.tensors))
	for _, t := range h.tensors {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *tensor) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	return ts
}

// visit checks the next tensor in offset order against what is covered.
func (l *layout) visit(t *tensor) {
	switch {
	case t.begin > l.covered:
		l.gap(t)
	case t.begin < l.covered:
		l.overlap(t)
	}
	if t.end > l.covered || l.last == nil {
		l.covered, l.last = max(l.covered, t.end), t
	}
}

func (l *layout) gap(t *tensor) {
	l.messy = true
	size := t.begin - l.covered
	var message string
	if l.last == nil {
		message = fmt.Sprintf("the data section starts with %s that belong to no tensor; the first, %s, begins at %d", byteCount(size), tensorName(t.name), t.begin)
	} else {
		message = fmt.Sprintf("%s between %s (ends at %d) and %s (begins at %d) belong to no tensor", byteCount(size), tensorName(l.last.name), l.covered, tensorName(t.name), t.begin)
	}
	l.rep.add(ruleLayout, l.fileOffset(l.covered), message,
		fmt.Sprintf("gap of %s before %s", byteCount(size), tensorName(t.name)))
}

func (l *layout) overlap(t *tensor) {
	l.messy = true
	l.rep.add(ruleLayout, l.fileOffset(t.begin),
		fmt.Sprintf("%s [%d,%d) overlaps %s [%d,%d)", tensorName(t.name), t.begin, t.end, tensorName(l.last.name), l.last.begin, l.last.end),
		fmt.Sprintf("%s overlaps %s", tensorName(t.name), tensorName(l.last.name)))
}

// outside reports every tensor that ends past the data section.
func (l *layout) outside(ts []*tensor) {
	for _, t := range ts {
		if t.end <= l.data {
			continue
		}
		l.rep.add(ruleLayout, l.fileOffset(min(t.begin, l.data)),
			fmt.Sprintf("%s [%d,%d) ends past the data section, which holds only %s", tensorName(t.name), t.begin, t.end, byteCount(l.data)),
			fmt.Sprintf("%s ends past the data", tensorName(t.name)))
	}
}

// fileSize reports bytes after the last tensor, or missing ones.
func (l *layout) fileSize() {
	switch {
	case l.covered < l.data:
		extra := l.data - l.covered
		l.rep.add(ruleFileSize, l.fileOffset(l.covered),
			fmt.Sprintf("%s follow the end of the last tensor (data offset %d); loaders ignore them, and they can hold a second file", byteCount(extra), l.covered),
			"trailing "+byteCount(extra))
	case l.covered > l.data:
		missing := l.covered - l.data
		l.rep.add(ruleFileSize, l.fileOffset(l.data),
			fmt.Sprintf("file is truncated: its tensors need %s of data but only %d follow the header (%d missing)", byteCount(l.covered), l.data, missing),
			"missing "+byteCount(missing))
	}
}

// fileOffset converts a data offset (at most the data size) to a file
// offset.
func (l *layout) fileOffset(dataOff uint64) int64 {
	return l.base + int64(min(dataOff, l.data))
}
