package keras

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// This file reads exactly one thing from an HDF5 file: the attributes of
// the root group, where TF-Keras 2 (and Keras 3's legacy H5 writer) keep
// model_config and training_config. It follows the superblock (versions
// 0-3) to the root object header (versions 1 and 2), walks its messages
// and continuation blocks, and locates the value of each string attribute
// in compact storage: inline for fixed-length strings, in a global heap
// collection for variable-length strings (what h5py 3 writes for bytes and
// str). Attributes in dense storage (a fractal heap, used by the newer file
// format past 8 attributes or for messages over 64 KiB) are not followed
// here; the caller falls back to searching the bytes (h5search.go).
//
// Everything read is bounded: the header chunks, their number, the
// messages, and the global heap walk.

const (
	h5Signature   = "\x89HDF\r\n\x1a\n"
	maxH5Chunks   = 256      // object header chunks followed
	maxH5Header   = 16 << 20 // bytes of object header read in all
	maxH5Messages = 1 << 16  // messages walked
	maxHeapObjs   = 1 << 16  // global heap objects walked to find one
	undefinedAddr = ^uint64(0)
)

// errH5 marks a structure the reader cannot follow; the value says why.
type errH5 string

func (e errH5) Error() string { return string(e) }

// h5File is an HDF5 file opened for root-attribute reading.
type h5File struct {
	r      io.ReaderAt
	size   int64
	base   int64 // absolute offset of the superblock; addresses are relative to it
	so, sl int   // sizes of offsets and lengths
	root   int64 // absolute offset of the root object header
}

// h5Attr is a root attribute: where its string value lies in the file.
type h5Attr struct {
	name string
	off  int64 // absolute offset of the string bytes
	n    int64 // their length
	vlen bool  // variable-length (NUL ends it, as h5py reads it)
	err  error // why the value could not be located
}

// h5Root is what the root object header says.
type h5Root struct {
	attrs []h5Attr
	// dense: an Attribute Info message points at a fractal heap, so some
	// attributes are stored where this reader does not look.
	dense bool
	// problem says why the header could not be read completely ("" when it
	// was).
	problem string
}

func (r *h5Root) attr(name string) *h5Attr {
	for i := range r.attrs {
		if r.attrs[i].name == name {
			return &r.attrs[i]
		}
	}
	return nil
}

// readFull reads len(p) bytes at off; a short read is an errH5 (the file
// is truncated), any other error is returned as is.
func readFull(r io.ReaderAt, size int64, p []byte, off int64) error {
	if off < 0 || off > size || int64(len(p)) > size-off {
		return errH5(fmt.Sprintf("%d bytes at %d run past the end of the file (%d bytes)", len(p), off, size))
	}
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return errH5(fmt.Sprintf("short read of %d bytes at %d", len(p), off))
	}
	return err
}

// openH5 finds the superblock (at 0, 512, 1024 or 2048, as sniffing does)
// and the root object header address.
func openH5(r io.ReaderAt, size int64) (*h5File, error) {
	var sb [96]byte
	for off := int64(0); off <= 2048; off = max(off*2, 512) {
		n := min(int64(len(sb)), size-off)
		if n < 8 {
			break
		}
		if err := readFull(r, size, sb[:n], off); err != nil {
			return nil, err
		}
		if string(sb[:8]) != h5Signature {
			continue
		}
		return parseSuperblock(r, size, off, sb[:n])
	}
	return nil, errH5("no HDF5 signature at 0, 512, 1024 or 2048")
}

func parseSuperblock(r io.ReaderAt, size, at int64, b []byte) (*h5File, error) {
	if len(b) < 12 {
		return nil, errH5("superblock truncated")
	}
	h := &h5File{r: r, size: size, base: at}
	var rootAt int
	switch v := b[8]; v {
	case 0, 1:
		if len(b) < 16 {
			return nil, errH5("superblock truncated")
		}
		h.so, h.sl = int(b[13]), int(b[14])
		rootAt = 24 + 4*h.so // base, free-space, end-of-file and driver addresses
		if v == 1 {
			rootAt += 4
		}
		rootAt += h.so // the root symbol table entry's link name offset
	case 2, 3:
		h.so, h.sl = int(b[9]), int(b[10])
		rootAt = 12 + 3*h.so // base, extension and end-of-file addresses
	default:
		return nil, errH5(fmt.Sprintf("superblock version %d", v))
	}
	if !validWidth(h.so) || !validWidth(h.sl) {
		return nil, errH5(fmt.Sprintf("offset size %d, length size %d", h.so, h.sl))
	}
	if rootAt+h.so > len(b) {
		return nil, errH5("superblock truncated")
	}
	root, err := h.addr(uintN(b[rootAt:], h.so))
	if err != nil {
		return nil, fmt.Errorf("root object header: %w", err)
	}
	h.root = root
	return h, nil
}

func validWidth(n int) bool { return n == 2 || n == 4 || n == 8 }

// uintN decodes a little-endian unsigned integer of n (2, 4 or 8) bytes.
func uintN(b []byte, n int) uint64 {
	switch n {
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

// addr converts a file address to an absolute offset inside the file.
func (h *h5File) addr(a uint64) (int64, error) {
	if h.so < 8 && a == uint64(1)<<(8*h.so)-1 || a == undefinedAddr {
		return 0, errH5("undefined address")
	}
	if a >= uint64(h.size) || int64(a) > h.size-h.base {
		return 0, errH5(fmt.Sprintf("address %d lies past the end of the file (%d bytes)", a, h.size))
	}
	return h.base + int64(a), nil
}

func (h *h5File) undefined(a uint64) bool {
	return a == undefinedAddr || h.so < 8 && a == uint64(1)<<(8*h.so)-1
}

// chunk is a run of object header messages.
type chunk struct {
	off, n int64
	v2     bool
	cont   bool // a continuation block (version 2: "OCHK" ... checksum)
}

// rootAttrs reads the root object header. An error is a read failure of
// the underlying reader (a budget, the context, I/O); structural problems
// end up in h5Root.problem.
func (h *h5File) rootAttrs() (*h5Root, error) {
	root := &h5Root{}
	first, flags, err := h.headerPrefix(h.root)
	if err != nil {
		return root, h.problem(root, err)
	}
	queue := []chunk{first}
	seen := map[int64]bool{}
	var total int64
	msgs := 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if seen[c.off] {
			root.problem = "object header continuation loop"
			break
		}
		seen[c.off] = true
		if len(seen) > maxH5Chunks || total+c.n > maxH5Header {
			root.problem = "object header larger than the reader's limits"
			break
		}
		total += c.n
		if c.n < 0 || c.off > h.size || c.n > h.size-c.off {
			root.problem = fmt.Sprintf("object header chunk at %d (%d bytes) runs past the end of the file", c.off, c.n)
			break
		}
		buf := make([]byte, c.n)
		if err := readFull(h.r, h.size, buf, c.off); err != nil {
			return root, h.problem(root, err)
		}
		more, err := h.messages(root, c, buf, flags, &msgs)
		if err != nil {
			return root, h.problem(root, err)
		}
		queue = append(queue, more...)
	}
	return root, nil
}

// problem records a structural error, or returns a read error.
func (h *h5File) problem(root *h5Root, err error) error {
	var e errH5
	if errors.As(err, &e) {
		root.problem = e.Error()
		return nil
	}
	return err
}

// headerPrefix reads the object header prefix at off and returns its first
// chunk of messages (and, for version 2, the header flags).
func (h *h5File) headerPrefix(off int64) (chunk, byte, error) {
	var b [32]byte
	n := min(int64(len(b)), h.size-off)
	if err := readFull(h.r, h.size, b[:max(n, 0)], off); err != nil {
		return chunk{}, 0, err
	}
	switch {
	case n >= 16 && b[0] == 1:
		size := int64(binary.LittleEndian.Uint32(b[8:]))
		return chunk{off: off + 16, n: size}, 0, nil
	case n >= 7 && string(b[:4]) == "OHDR" && b[4] == 2:
		flags := b[5]
		p := 6
		if flags&0x20 != 0 {
			p += 16
		}
		if flags&0x10 != 0 {
			p += 4
		}
		w := 1 << (flags & 3)
		if int64(p+w) > n {
			return chunk{}, 0, errH5("object header prefix truncated")
		}
		size := int64(uintN64(b[p:], w))
		return chunk{off: off + int64(p+w), n: size, v2: true}, flags, nil
	}
	return chunk{}, 0, errH5(fmt.Sprintf("no object header at %d", off))
}

// uintN64 decodes 1, 2, 4 or 8 little-endian bytes.
func uintN64(b []byte, n int) uint64 {
	if n == 1 {
		return uint64(b[0])
	}
	return uintN(b, n)
}

// Message types read here.
const (
	msgContinuation = 0x10
	msgAttribute    = 0x0c
	msgAttrInfo     = 0x15
)

// messages walks one chunk and returns the continuation chunks it names.
func (h *h5File) messages(root *h5Root, c chunk, buf []byte, flags byte, count *int) ([]chunk, error) {
	p, end := 0, len(buf)
	hdr := 8 // version 1: type u16, size u16, flags u8, 3 reserved
	if c.v2 {
		if c.cont {
			if len(buf) < 8 || string(buf[:4]) != "OCHK" {
				return nil, errH5(fmt.Sprintf("no continuation block at %d", c.off))
			}
			p, end = 4, end-4 // signature, checksum
		}
		hdr = 4 // type u8, size u16, flags u8 (+ creation order u16)
		if flags&0x04 != 0 {
			hdr += 2
		}
	}
	var more []chunk
	for p+hdr <= end {
		*count++
		if *count > maxH5Messages {
			return more, errH5("too many object header messages")
		}
		var typ, size int
		var mflags byte
		if c.v2 {
			typ, size, mflags = int(buf[p]), int(binary.LittleEndian.Uint16(buf[p+1:])), buf[p+3]
		} else {
			typ, size, mflags = int(binary.LittleEndian.Uint16(buf[p:])), int(binary.LittleEndian.Uint16(buf[p+2:])), buf[p+4]
		}
		data := p + hdr
		if data+size > end {
			return more, errH5("object header message runs past its chunk")
		}
		msg := buf[data : data+size]
		switch typ {
		case msgContinuation:
			if len(msg) < h.so+h.sl {
				return more, errH5("continuation message truncated")
			}
			off, err := h.addr(uintN(msg, h.so))
			if err != nil {
				return more, fmt.Errorf("continuation: %w", err)
			}
			n := int64(uintN(msg[h.so:], h.sl))
			if n < 0 || n > maxH5Header {
				return more, errH5("continuation block too large")
			}
			more = append(more, chunk{off: off, n: n, v2: c.v2, cont: true})
		case msgAttribute:
			if mflags&0x02 != 0 {
				root.problem = "shared attribute message"
				break
			}
			if a, ok := h.attribute(msg, c.off+int64(data), 0); ok {
				root.attrs = append(root.attrs, a)
			}
		case msgAttrInfo:
			if h.denseStorage(msg) {
				root.dense = true
			}
		}
		p = data + size
		if !c.v2 {
			p = data + (size+7)&^7
		}
	}
	return more, nil
}

// denseStorage reports whether an Attribute Info message points at a
// fractal heap.
func (h *h5File) denseStorage(msg []byte) bool {
	if len(msg) < 2 {
		return false
	}
	p := 2
	if msg[1]&0x01 != 0 {
		p += 2 // maximum creation index
	}
	if p+h.so > len(msg) {
		return true // unreadable: assume the worst
	}
	return !h.undefined(uintN(msg[p:], h.so))
}

// attribute decodes an attribute message whose data starts at absolute
// offset at; extra more bytes of the file follow msg (when the message's
// own length is unknown). ok is false when it is not an attribute at all.
func (h *h5File) attribute(msg []byte, at, extra int64) (h5Attr, bool) {
	if len(msg) < 8 {
		return h5Attr{}, false
	}
	ver, flags := msg[0], msg[1]
	nameLen := int(binary.LittleEndian.Uint16(msg[2:]))
	dtLen := int(binary.LittleEndian.Uint16(msg[4:]))
	dsLen := int(binary.LittleEndian.Uint16(msg[6:]))
	p, pad := 8, func(n int) int { return n }
	switch ver {
	case 1:
		flags = 0
		pad = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		p = 9 // name character set
	default:
		return h5Attr{}, false
	}
	if p+pad(nameLen) > len(msg) || nameLen == 0 {
		return h5Attr{}, false
	}
	a := h5Attr{name: strings.TrimRight(string(msg[p:p+nameLen]), "\x00")}
	p += pad(nameLen)
	if p+pad(dtLen)+pad(dsLen) > len(msg) || dtLen < 8 {
		a.err = errH5("attribute message truncated")
		return a, true
	}
	dt := msg[p : p+dtLen]
	p += pad(dtLen)
	ds := msg[p : p+dsLen]
	p += pad(dsLen)
	if flags&0x03 != 0 {
		a.err = errH5("shared datatype or dataspace")
		return a, true
	}
	if n, ok := h.elements(ds); !ok || n != 1 {
		a.err = errH5("not a single string (dataspace of " + fmt.Sprint(n) + " elements)")
		return a, true
	}
	data := msg[p:]
	class, size := dt[0]&0x0f, int64(binary.LittleEndian.Uint32(dt[4:]))
	switch {
	case class == 3: // fixed-length string, inline
		if size > int64(len(data))+extra {
			a.err = errH5("fixed-length string runs past its message")
			return a, true
		}
		a.off, a.n = at+int64(p), size
	case class == 9 && dt[1]&0x0f == 1: // variable-length string, in a global heap
		a.vlen = true
		if len(data) < 4+h.so+4 {
			a.err = errH5("variable-length reference truncated")
			return a, true
		}
		n := int64(binary.LittleEndian.Uint32(data))
		a.off, a.n, a.err = h.heapObject(uintN(data[4:], h.so), binary.LittleEndian.Uint32(data[4+h.so:]), n)
	default:
		a.err = errH5(fmt.Sprintf("not a string (datatype class %d)", class))
	}
	return a, true
}

// elements returns the number of elements a dataspace message describes.
func (h *h5File) elements(ds []byte) (uint64, bool) {
	if len(ds) < 4 {
		return 0, false
	}
	rank := int(ds[1])
	p := 8 // version 1: version, rank, flags, 5 reserved
	switch ds[0] {
	case 1:
	case 2:
		p = 4
		switch ds[3] {
		case 0:
			return 1, true // scalar
		case 2:
			return 0, true // null
		}
	default:
		return 0, false
	}
	if p+rank*h.sl > len(ds) {
		return 0, false
	}
	n := uint64(1)
	for i := range rank {
		d := uintN(ds[p+i*h.sl:], h.sl)
		if d != 0 && n > ^uint64(0)/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// heapObject locates object index in the global heap collection at addr;
// want is the length the reference claims.
func (h *h5File) heapObject(addr uint64, index uint32, want int64) (int64, int64, error) {
	if addr == 0 && index == 0 {
		return 0, 0, errH5("null variable-length reference")
	}
	off, err := h.addr(addr)
	if err != nil {
		return 0, 0, fmt.Errorf("global heap: %w", err)
	}
	hdr := make([]byte, 8+h.sl)
	if err := readFull(h.r, h.size, hdr, off); err != nil {
		return 0, 0, err
	}
	if string(hdr[:4]) != "GCOL" {
		return 0, 0, errH5(fmt.Sprintf("no global heap collection at %d", off))
	}
	end := off + min(int64(uintN(hdr[8:], h.sl)), h.size-off)
	obj := make([]byte, 8+h.sl)
	for p, i := off+int64(len(hdr)), 0; p+int64(len(obj)) <= end && i < maxHeapObjs; i++ {
		if err := readFull(h.r, h.size, obj, p); err != nil {
			return 0, 0, err
		}
		idx := binary.LittleEndian.Uint16(obj)
		n := uintN(obj[8:], h.sl)
		if idx == 0 || n > uint64(end-p) {
			break // free space, the end of the collection
		}
		if uint32(idx) == index {
			data := p + int64(len(obj))
			return data, min(int64(n), max(want, 0), end-data), nil
		}
		p += int64(len(obj)) + (int64(n)+7)&^7
	}
	return 0, 0, errH5(fmt.Sprintf("global heap object %d not found in the collection at %d", index, off))
}
