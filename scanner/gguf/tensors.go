package gguf

import (
	"cmp"
	"fmt"
	"github.com/modelgate/modelgate/scanner"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// ggmlType is a tensor type's name, elements per block and bytes per
// block (ggml's type_traits).
type ggmlType struct {
	name        string
	block, size uint64
}

// ggmlTypes lists the ggml types a GGUF file may use. 4, 5, 31-33 and 36-38
// were removed and are rejected by llama.cpp like unknown types.
var ggmlTypes = map[uint32]ggmlType{
	0: {"F32", 1, 4}, 1: {"F16", 1, 2},
	2: {"Q4_0", 32, 18}, 3: {"Q4_1", 32, 20},
	6: {"Q5_0", 32, 22}, 7: {"Q5_1", 32, 24},
	8: {"Q8_0", 32, 34}, 9: {"Q8_1", 32, 36},
	10: {"Q2_K", 256, 84}, 11: {"Q3_K", 256, 110}, 12: {"Q4_K", 256, 144},
	13: {"Q5_K", 256, 176}, 14: {"Q6_K", 256, 210}, 15: {"Q8_K", 256, 292},
	16: {"IQ2_XXS", 256, 66}, 17: {"IQ2_XS", 256, 74}, 18: {"IQ3_XXS", 256, 98},
	19: {"IQ1_S", 256, 50}, 20: {"IQ4_NL", 32, 18}, 21: {"IQ3_S", 256, 110},
	22: {"IQ2_S", 256, 82}, 23: {"IQ4_XS", 256, 136},
	24: {"I8", 1, 1}, 25: {"I16", 1, 2}, 26: {"I32", 1, 4}, 27: {"I64", 1, 8},
	28: {"F64", 1, 8}, 29: {"IQ1_M", 256, 56}, 30: {"BF16", 1, 2},
	34: {"TQ1_0", 256, 54}, 35: {"TQ2_0", 256, 66},
	39: {"MXFP4", 32, 17}, 40: {"NVFP4", 64, 36}, 41: {"Q1_0", 128, 18},
}

// tensorInfo is one tensor of the file.
type tensorInfo struct {
	name   string
	at     int64 // file offset of the info
	offset uint64
	nbytes uint64
	// sized says the type is known and the shape valid, so nbytes is
	// what loaders compute.
	sized bool
}

func (t *tensorInfo) label() string { return "tensor " + scanner.Quote(t.name) }

// tensorInfos reads and checks every tensor info.
func (p *parser) tensorInfos() error {
	if min := p.minTensorInfoSize(); p.nTensors > p.r.remaining()/min {
		return p.fail(ruleHeader, 8,
			fmt.Sprintf("header claims %d tensors, but each tensor info takes at least %s and only %s follow the metadata", p.nTensors, byteCount(min), byteCount(p.r.remaining())),
			fmt.Sprintf("tensor_count %d", p.nTensors))
	}
	p.tensors = make([]tensorInfo, 0, min(p.nTensors, 4096))
	names := make(map[string]int64, min(p.nTensors, 4096))
	for i := uint64(0); i < p.nTensors; i++ {
		if err := p.tick(); err != nil {
			return err
		}
		t := tensorInfo{at: p.r.off}
		p.where = func() string { return fmt.Sprintf("tensor info %d", i) }
		if err := p.tensorName(&t, i); err != nil {
			return err
		}
		p.where = func() string { return fmt.Sprintf("tensor info %d (%s)", i, t.label()) }
		if first, dup := names[t.name]; dup {
			p.rep.add(ruleDuplicate, t.at,
				fmt.Sprintf("%s is described twice, at offsets %d and %d; llama.cpp rejects the file while other readers keep one of the two, so tools load different weights", t.label(), first, t.at),
				"duplicate "+t.label())
		} else {
			names[t.name] = t.at
		}
		if err := p.tensorShape(&t); err != nil {
			return err
		}
		var err error
		if t.offset, err = p.r.u64(); err != nil {
			return err
		}
		p.tensors = append(p.tensors, t)
	}
	return nil
}

func (p *parser) tensorName(t *tensorInfo, i uint64) error {
	n, err := p.r.count()
	if err != nil {
		return err
	}
	if n > p.r.remaining() {
		return p.fail(ruleBounds, t.at,
			fmt.Sprintf("the name of tensor info %d has length %d, past the end of the file (%s remain)", i, n, byteCount(p.r.remaining())),
			fmt.Sprintf("tensor name length %d", n))
	}
	b, err := p.r.view(int(min(n, 2*maxExcerpt)))
	if err != nil {
		return err
	}
	t.name = string(b)
	if n > maxNameLen {
		p.rep.add(ruleTensor, t.at,
			fmt.Sprintf("%s has a %d-byte name; ggml allows at most %d bytes (GGML_MAX_NAME), and readers that copy names into fixed buffers overflow or truncate them", t.label(), n, maxNameLen),
			fmt.Sprintf("%s name length %d", t.label(), n))
	}
	return p.r.skip(n)
}

// tensorShape reads n_dims, the dimensions and the type, and computes the
// tensor's byte size.
func (p *parser) tensorShape(t *tensorInfo) error {
	at := p.r.off
	nd, err := p.r.u32()
	if err != nil {
		return err
	}
	dimSize := p.r.lenSize()
	if uint64(nd) > p.r.remaining()/dimSize {
		return p.fail(ruleBounds, at,
			fmt.Sprintf("%s claims %d dimensions, past the end of the file (%s remain)", t.label(), nd, byteCount(p.r.remaining())),
			fmt.Sprintf("%s n_dims %d", t.label(), nd))
	}
	valid := true
	if nd > maxDims {
		valid = false
		p.rep.add(ruleTensor, at,
			fmt.Sprintf("%s has %d dimensions; ggml supports at most %d, and readers that index a fixed-size array with n_dims write out of bounds", t.label(), nd, maxDims),
			fmt.Sprintf("%s n_dims %d", t.label(), nd))
	}
	dims := []uint64{1, 1, 1, 1}
	for j := uint32(0); j < nd; j++ {
		if err := p.tick(); err != nil {
			return err
		}
		d, err := p.r.count()
		if err != nil {
			return err
		}
		if j < maxDims {
			dims[j] = d
		}
	}
	typ, err := p.r.u32()
	if err != nil {
		return err
	}
	if !valid {
		return nil
	}
	if !p.checkDims(t, dims, at) {
		return nil
	}
	gt, known := ggmlTypes[typ]
	if !known {
		p.rep.add(ruleType, p.r.off-4,
			fmt.Sprintf("%s has ggml type %d, which is not a known tensor type (or was removed from ggml); its size cannot be checked and llama.cpp rejects it", t.label(), typ),
			fmt.Sprintf("%s ggml type %d", t.label(), typ))
		return nil
	}
	if dims[0]%gt.block != 0 {
		p.rep.add(ruleTensor, at,
			fmt.Sprintf("%s is %s with %d elements per row, not a multiple of the type's block size %d; llama.cpp rejects it and its byte size is undefined", t.label(), gt.name, dims[0], gt.block),
			fmt.Sprintf("%s row %d not a multiple of %d", t.label(), dims[0], gt.block))
		return nil
	}
	n := dims[0] / gt.block
	var hi uint64
	for _, f := range []uint64{gt.size, dims[1], dims[2], dims[3]} {
		var h uint64
		h, n = bits.Mul64(n, f)
		hi |= h
	}
	if hi != 0 || n > math.MaxInt64 {
		p.rep.add(ruleTensor, at,
			fmt.Sprintf("%s (%s, shape %s) has a byte size that overflows 64 bits; size checks in readers wrap around", t.label(), gt.name, shapeString(dims, nd)),
			fmt.Sprintf("%s byte size overflows", t.label()))
		return nil
	}
	t.nbytes, t.sized = n, true
	return nil
}

// checkDims reports dimensions ggml cannot represent: negative as int64,
// zero, or an element count that overflows int64.
func (p *parser) checkDims(t *tensorInfo, dims []uint64, at int64) bool {
	for j, d := range dims {
		switch {
		case d > math.MaxInt64:
			p.rep.add(ruleTensor, at,
				fmt.Sprintf("%s dimension %d is %d, negative as the int64 ggml stores it", t.label(), j, d),
				fmt.Sprintf("%s dimension %d is %d", t.label(), j, d))
			return false
		case d == 0:
			p.rep.add(ruleTensor, at,
				fmt.Sprintf("%s dimension %d is 0; models store no empty tensors, and llama.cpp's element-count check divides by each dimension", t.label(), j),
				fmt.Sprintf("%s dimension %d is 0", t.label(), j))
			return false
		}
	}
	elems := uint64(1)
	for _, d := range dims {
		hi, lo := bits.Mul64(elems, d)
		if hi != 0 || lo > math.MaxInt64 {
			p.rep.add(ruleTensor, at,
				fmt.Sprintf("%s has shape %v, whose element count overflows int64; size computations wrap around and undersized buffers are read past their end", t.label(), dims),
				fmt.Sprintf("%s element count overflows", t.label()))
			return false
		}
		elems = lo
	}
	return true
}

func shapeString(dims []uint64, nd uint32) string {
	parts := make([]string, 0, maxDims)
	for j := 0; j < int(min(nd, maxDims)); j++ {
		parts = append(parts, fmt.Sprint(dims[j]))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// alignUp rounds n up to a multiple of a (a power of two); ok is false on
// overflow.
func alignUp(n, a uint64) (uint64, bool) {
	r := (n + a - 1) &^ (a - 1)
	return r, r >= n
}

// layout checks where the tensor data lies: each tensor aligned, inside
// the file, not overlapping another, no unreferenced gaps, and nothing
// after the padded end of the last tensor.
func (p *parser) layout() error {
	size := uint64(p.in.Size)
	start, _ := alignUp(uint64(p.r.off), p.alignment) // off < 2^63: no overflow
	var data uint64                                   // bytes of the file from the start of the data section
	if size > start {
		data = size - start
	}
	fileOff := func(dataOff uint64) int64 { return int64(start + min(dataOff, data)) }
	var sized []*tensorInfo
	complete := true // every tensor has a known size inside the file
	for i := range p.tensors {
		t := &p.tensors[i]
		if t.offset%p.alignment != 0 {
			p.rep.add(ruleLayout, fileOff(t.offset),
				fmt.Sprintf("%s starts at data offset %d, not a multiple of the alignment %d; llama.cpp rejects the file and mmap-based readers read misaligned data", t.label(), t.offset, p.alignment),
				fmt.Sprintf("%s offset %d misaligned", t.label(), t.offset))
		}
		switch {
		case t.offset > data || t.sized && t.nbytes > data-t.offset:
			complete = false
			end := "past"
			if t.sized {
				end = fmt.Sprint(t.offset + min(t.nbytes, math.MaxUint64-t.offset))
			}
			p.rep.add(ruleLayout, fileOff(t.offset),
				fmt.Sprintf("%s occupies data bytes [%d, %s) but the data section holds only %s: the tensor lies past the end of the file (truncated or crafted), and readers that trust the offset read out of bounds", t.label(), t.offset, end, byteCount(data)),
				fmt.Sprintf("%s past the end of the file", t.label()))
		case !t.sized:
			complete = false
		default:
			sized = append(sized, t)
		}
	}
	slices.SortStableFunc(sized, func(a, b *tensorInfo) int {
		return cmp.Or(cmp.Compare(a.offset, b.offset), cmp.Compare(a.nbytes, b.nbytes))
	})
	var covered uint64 // end of the data covered so far
	var last *tensorInfo
	for _, t := range sized {
		next, _ := alignUp(covered, p.alignment)
		switch {
		case last != nil && t.offset < covered:
			p.rep.add(ruleLayout, fileOff(t.offset),
				fmt.Sprintf("%s [%d, %d) overlaps %s [%d, %d): two tensors alias the same bytes", t.label(), t.offset, t.offset+t.nbytes, last.label(), last.offset, last.offset+last.nbytes),
				fmt.Sprintf("%s overlaps %s", t.label(), last.label()))
		case complete && t.offset > next:
			what := "the start of the data section"
			if last != nil {
				what = last.label()
			}
			p.rep.add(ruleLayout, fileOff(next),
				fmt.Sprintf("%s of the data section between %s and %s (data offset %d) belong to no tensor; llama.cpp requires the tensors to be packed, and unreferenced bytes can hide content", byteCount(t.offset-next), what, t.label(), t.offset),
				fmt.Sprintf("gap of %s before %s", byteCount(t.offset-next), t.label()))
		}
		if last == nil || t.offset+t.nbytes > covered {
			covered, last = t.offset+t.nbytes, t
		}
	}
	if !complete {
		return nil
	}
	end, _ := alignUp(covered, p.alignment)
	if len(p.tensors) == 0 {
		end = 0
	}
	if data > end {
		p.rep.add(ruleTrailing, fileOff(end),
			fmt.Sprintf("%s follow the padded end of the tensor data (file offset %d); loaders ignore them, and they can hold a second file (a polyglot) or a payload", byteCount(data-end), int64(start+end)),
			"trailing "+byteCount(data-end))
	}
	return nil
}
