package inventory

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"io"
	"slices"
)

// safetensorsEntry is one tensor of a safetensors header.
type safetensorsEntry struct {
	DType       string    `json:"dtype"`
	Shape       []uint64  `json:"shape"`
	DataOffsets [2]uint64 `json:"data_offsets"`
}

// readSafetensors lists the tensors of a safetensors header, in data
// order. Only a header of at most MaxHeader bytes is read.
func readSafetensors(m *Model, r io.ReaderAt, lim Limits) {
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		m.note("cannot read the header length: %v", err)
		return
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n > uint64(max(m.Size-8, 0)):
		m.note("the header length %d runs past the end of the file", n)
		return
	case n > uint64(lim.MaxHeader):
		m.note("the %d-byte header is larger than the inventory reads (%d bytes)", n, lim.MaxHeader)
		return
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		m.note("cannot read the header: %v", err)
		return
	}
	parseSafetensorsHeader(m, hdr, lim)
}

// parseSafetensorsHeader decodes the header JSON into the tensor list.
func parseSafetensorsHeader(m *Model, hdr []byte, lim Limits) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		m.note("the header is not a JSON object: %v", err)
		return
	}
	delete(raw, "__metadata__")
	type placed struct {
		t   Tensor
		off uint64
	}
	var ts []placed
	bad := 0
	for name, v := range raw {
		var e safetensorsEntry
		if err := json.Unmarshal(v, &e); err != nil || e.DType == "" || e.Shape == nil {
			bad++
			continue
		}
		ts = append(ts, placed{Tensor{Name: name, DType: e.DType, Shape: e.Shape}, e.DataOffsets[0]})
	}
	slices.SortFunc(ts, func(a, b placed) int { return cmp.Or(cmp.Compare(a.off, b.off), cmp.Compare(a.t.Name, b.t.Name)) })
	m.TensorCount = len(ts)
	for _, p := range ts {
		if !m.keep(p.t, lim) {
			break
		}
	}
	if bad > 0 {
		m.note("%d header entries are not tensors with a dtype and a shape", bad)
	}
	m.capped(lim)
}
