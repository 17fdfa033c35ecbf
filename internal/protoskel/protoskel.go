// Package protoskel reads the skeleton of a protobuf message straight from
// an io.ReaderAt: every field its schema declares, re-encoded into a
// compact buffer that the generated Go types then unmarshal, except bulk
// payloads (tensor bytes and numeric arrays), which it skips without
// reading and replaces by their sizes and file offsets.
//
// Model files put gigabytes of weights inside the protobuf (ONNX raw_data,
// TensorFlow tensor_content); a scanner needs the graph around them, not
// the numbers. Reading the skeleton costs I/O and memory in proportion to
// the graph, and the parse stays exact: the walk follows the schema's
// descriptors and the wire format, and reports every encoding error with
// its file offset.
//
// Schemas opt in with synthetic fields, named with the prefix "mg_" and
// numbered far above any real field (the numbers of real files' fields with
// those numbers are dropped, so a file cannot forge them):
//
//   - mg_offset (int64) in any message receives the file offset at which
//     that message's content starts;
//   - a declared field X is bulk when its message also declares
//     mg_X_size, mg_X_count or mg_X_offset (repeated int64). Each
//     occurrence of X is skipped and appends to those fields: its payload
//     length in bytes, its element count (for packed or single scalars;
//     1 for a bytes value), and the file offset of its payload.
//
// Fields the schema does not declare are skipped without being read (their
// framing is still checked), like unknown fields in any protobuf reader,
// and a declared field whose wire type does not match the schema is also
// an unknown field, as protobuf parsers treat it.
package protoskel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Options bound one read.
type Options struct {
	// MaxOutput caps the skeleton size in bytes; past it Read fails with
	// ErrTooLarge.
	MaxOutput int
	// MaxDepth caps message nesting (groups included); deeper input is a
	// FormatError. Protobuf's C++ parser, which ONNX and TensorFlow use,
	// stops at 100.
	MaxDepth int
	// MaxString cuts longer string and bytes values to this many bytes in
	// the skeleton (0: no cut); Result.Truncated counts them.
	MaxString int
}

// ErrTooLarge means the skeleton outgrew Options.MaxOutput.
var ErrTooLarge = errors.New("protoskel: message structure exceeds the size limit")

// FormatError is a wire-format error at a file offset: the bytes are not a
// valid encoding of the message.
type FormatError struct {
	Offset int64
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("invalid protobuf at offset %d: %s", e.Offset, e.Reason)
}

// Result is a skeleton and what was left out of it.
type Result struct {
	// Skeleton is the compact encoding, for proto.Unmarshal with
	// DiscardUnknown.
	Skeleton []byte
	// Truncated counts string values cut to Options.MaxString.
	Truncated int
	// Skipped is the number of payload bytes skipped unread (bulk fields
	// and unknown fields).
	Skipped int64
}

// Synthetic field numbers and names start here.
const (
	syntheticPrefix = "mg_"
	offsetField     = "mg_offset"
	// lengthWidth is the width of the padded varint written for the
	// length of each embedded message, patched once the message is done.
	// Five bytes hold 35 bits, more than any skeleton may grow.
	lengthWidth = 5
	// maxVarintLen is the longest varint encoding of a 64-bit value.
	maxVarintLen = 10
)

// Read reads the message md that fills [0, size) of r.
func Read(ctx context.Context, r io.ReaderAt, size int64, md protoreflect.MessageDescriptor, opt Options) (*Result, error) {
	if opt.MaxOutput <= 0 || opt.MaxOutput > 1<<34 {
		opt.MaxOutput = 1 << 34
	}
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = 100
	}
	w := &walker{
		ctx: ctx,
		src: source{r: r, size: size},
		opt: opt,
		res: &Result{},
	}
	if err := w.message(md, size, 0); err != nil {
		return w.res, err
	}
	w.res.Skeleton = w.out
	return w.res, nil
}

// plan is what the walk needs to know about one message type.
type plan struct {
	md      protoreflect.MessageDescriptor
	fields  map[protowire.Number]*fieldPlan // declared, not synthetic
	offsetN protowire.Number                // mg_offset, or 0
}

type fieldPlan struct {
	fd   protoreflect.FieldDescriptor
	wire protowire.Type // the wire type of one element
	bulk bool
	// Synthetic destinations of a bulk field (0 when not declared).
	sizeN, countN, offN protowire.Number
}

// plans caches a plan per message descriptor; plans never change once
// built, so scans share them.
var plans sync.Map // protoreflect.MessageDescriptor → *plan

func (w *walker) planFor(md protoreflect.MessageDescriptor) *plan {
	if p, ok := plans.Load(md); ok {
		return p.(*plan)
	}
	p := &plan{md: md, fields: map[protowire.Number]*fieldPlan{}}
	fds := md.Fields()
	synthetic := func(name string) protowire.Number {
		if fd := fds.ByName(protoreflect.Name(name)); fd != nil && fd.Kind() == protoreflect.Int64Kind {
			return fd.Number()
		}
		return 0
	}
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		name := string(fd.Name())
		if strings.HasPrefix(name, syntheticPrefix) {
			continue // never read from input: a file cannot forge them
		}
		fp := &fieldPlan{fd: fd, wire: wireType(fd.Kind())}
		fp.sizeN = synthetic(syntheticPrefix + name + "_size")
		fp.countN = synthetic(syntheticPrefix + name + "_count")
		fp.offN = synthetic(syntheticPrefix + name + "_offset")
		fp.bulk = fp.sizeN != 0 || fp.countN != 0 || fp.offN != 0
		p.fields[fd.Number()] = fp
	}
	p.offsetN = synthetic(offsetField)
	actual, _ := plans.LoadOrStore(md, p)
	return actual.(*plan)
}

// wireType is the wire type of one value of a field kind.
func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.BoolKind, protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Sint32Kind,
		protoreflect.Uint32Kind, protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind:
		return protowire.VarintType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.BytesType
}

// packable reports whether a field may arrive as a packed run.
func packable(fd protoreflect.FieldDescriptor, wire protowire.Type) bool {
	return fd.IsList() && wire != protowire.BytesType && wire != protowire.StartGroupType
}

type walker struct {
	ctx    context.Context
	src    source
	opt    Options
	out    []byte
	res    *Result
	fields int
}

func (w *walker) errorf(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// grow checks the output budget before n more bytes are appended.
func (w *walker) grow(n int) error {
	if len(w.out)+n > w.opt.MaxOutput {
		return ErrTooLarge
	}
	return nil
}

// message walks the content of a message of type md from the current
// position to end, appending its skeleton to w.out.
func (w *walker) message(md protoreflect.MessageDescriptor, end int64, depth int) error {
	if depth > w.opt.MaxDepth {
		return w.errorf(w.src.pos, "messages nest deeper than %d levels", w.opt.MaxDepth)
	}
	p := w.planFor(md)
	if p.offsetN != 0 {
		if err := w.grow(16); err != nil {
			return err
		}
		w.out = protowire.AppendTag(w.out, p.offsetN, protowire.VarintType)
		w.out = protowire.AppendVarint(w.out, uint64(w.src.pos))
	}
	for w.src.pos < end {
		if w.fields++; w.fields%4096 == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		tagAt := w.src.pos
		num, typ, err := w.tag(end)
		if err != nil {
			return err
		}
		if typ == protowire.EndGroupType {
			return w.errorf(tagAt, "end-group marker for field %d outside any group", num)
		}
		fp := p.fields[num]
		switch {
		case fp == nil, fp.fd.Kind() == protoreflect.GroupKind:
			// Undeclared or synthetic; groups (a proto2 relic no model
			// format uses) are checked and skipped, not decoded.
			err = w.skipValue(num, typ, end, depth)
		case fp.bulk:
			err = w.bulk(fp, typ, end)
		case fp.fd.Kind() == protoreflect.MessageKind && typ == protowire.BytesType:
			err = w.embedded(fp, end, depth)
		case typ == fp.wire, typ == protowire.BytesType && packable(fp.fd, fp.wire):
			err = w.copyValue(fp, typ, end)
		default:
			// Wrong wire type: an unknown field to protobuf parsers.
			err = w.skipValue(num, typ, end, depth)
		}
		if err != nil {
			return err
		}
	}
	if w.src.pos != end {
		return w.errorf(end, "a field runs past the end of its enclosing message")
	}
	return nil
}

// tag reads a field key.
func (w *walker) tag(end int64) (protowire.Number, protowire.Type, error) {
	at := w.src.pos
	v, err := w.varint(end)
	if err != nil {
		return 0, 0, err
	}
	num, typ := protowire.DecodeTag(v)
	if v>>3 > uint64(protowire.MaxValidNumber) || num < protowire.MinValidNumber {
		return 0, 0, w.errorf(at, "invalid field number %d", v>>3)
	}
	if typ > protowire.Fixed32Type {
		return 0, 0, w.errorf(at, "invalid wire type %d for field %d", typ, num)
	}
	return num, typ, nil
}

// varint reads a varint that must end before end.
func (w *walker) varint(end int64) (uint64, error) {
	at := w.src.pos
	var v uint64
	for i := 0; i < maxVarintLen; i++ {
		if w.src.pos >= end {
			return 0, w.errorf(at, "truncated varint")
		}
		b, err := w.src.byte()
		if err != nil {
			return 0, err
		}
		if i == maxVarintLen-1 && b > 1 {
			break
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, w.errorf(at, "varint longer than 64 bits")
}

// length reads the length of a length-delimited value and checks that the
// value ends by end.
func (w *walker) length(end int64) (int64, error) {
	at := w.src.pos
	v, err := w.varint(end)
	if err != nil {
		return 0, err
	}
	if v > uint64(end-w.src.pos) {
		return 0, w.errorf(at, "length %d runs past the end of the enclosing message (%d bytes left)", v, end-w.src.pos)
	}
	return int64(v), nil
}

// fixedSize is the size of a fixed-width value, 0 for other wire types.
func fixedSize(typ protowire.Type) int64 {
	switch typ {
	case protowire.Fixed32Type:
		return 4
	case protowire.Fixed64Type:
		return 8
	}
	return 0
}

// skipValue skips one value of any wire type, checking its framing.
func (w *walker) skipValue(num protowire.Number, typ protowire.Type, end int64, depth int) error {
	at := w.src.pos
	switch typ {
	case protowire.VarintType:
		_, err := w.varint(end)
		return err
	case protowire.Fixed32Type, protowire.Fixed64Type:
		n := fixedSize(typ)
		if n > end-at {
			return w.errorf(at, "truncated fixed-width value of field %d", num)
		}
		w.src.skip(n)
		w.res.Skipped += n
		return nil
	case protowire.BytesType:
		n, err := w.length(end)
		if err != nil {
			return err
		}
		w.src.skip(n)
		w.res.Skipped += n
		return nil
	case protowire.StartGroupType:
		return w.skipGroup(num, end, depth+1)
	}
	return w.errorf(at, "invalid wire type %d", typ)
}

// skipGroup skips a group up to its matching end marker.
func (w *walker) skipGroup(num protowire.Number, end int64, depth int) error {
	start := w.src.pos
	if depth > w.opt.MaxDepth {
		return w.errorf(start, "groups nest deeper than %d levels", w.opt.MaxDepth)
	}
	for w.src.pos < end {
		n, typ, err := w.tag(end)
		if err != nil {
			return err
		}
		if typ == protowire.EndGroupType {
			if n != num {
				return w.errorf(w.src.pos, "group %d closed by the end marker of field %d", num, n)
			}
			return nil
		}
		if err := w.skipValue(n, typ, end, depth); err != nil {
			return err
		}
	}
	return w.errorf(start, "group %d is not closed", num)
}

// embedded walks a declared sub-message and appends it with its length.
func (w *walker) embedded(fp *fieldPlan, end int64, depth int) error {
	n, err := w.length(end)
	if err != nil {
		return err
	}
	if err := w.grow(protowire.SizeTag(fp.fd.Number()) + lengthWidth); err != nil {
		return err
	}
	w.out = protowire.AppendTag(w.out, fp.fd.Number(), protowire.BytesType)
	at := len(w.out)
	w.out = append(w.out, make([]byte, lengthWidth)...)
	if err := w.message(fp.fd.Message(), w.src.pos+n, depth+1); err != nil {
		return err
	}
	putPaddedVarint(w.out[at:at+lengthWidth], uint64(len(w.out)-at-lengthWidth))
	return nil
}

// putPaddedVarint writes v as a varint of exactly len(b) bytes (a
// non-minimal encoding that every protobuf parser accepts).
func putPaddedVarint(b []byte, v uint64) {
	for i := range b {
		b[i] = byte(v&0x7f) | 0x80
		v >>= 7
	}
	b[len(b)-1] &^= 0x80
}

// copyValue copies one scalar, string or packed value into the skeleton.
func (w *walker) copyValue(fp *fieldPlan, typ protowire.Type, end int64) error {
	num := fp.fd.Number()
	at := w.src.pos
	switch typ {
	case protowire.VarintType:
		v, err := w.varint(end)
		if err != nil {
			return err
		}
		if err := w.grow(protowire.SizeTag(num) + protowire.SizeVarint(v)); err != nil {
			return err
		}
		w.out = protowire.AppendTag(w.out, num, typ)
		w.out = protowire.AppendVarint(w.out, v)
		return nil
	case protowire.Fixed32Type, protowire.Fixed64Type:
		n := fixedSize(typ)
		if n > end-at {
			return w.errorf(at, "truncated fixed-width value of field %d", num)
		}
		if err := w.grow(protowire.SizeTag(num) + int(n)); err != nil {
			return err
		}
		w.out = protowire.AppendTag(w.out, num, typ)
		return w.appendBytes(n)
	}
	n, err := w.length(end)
	if err != nil {
		return err
	}
	packed := typ != fp.wire
	if size := fixedSize(fp.wire); packed && size > 0 && n%size != 0 {
		return w.errorf(at, "packed field %s is %d bytes long, not a multiple of %d", fp.fd.Name(), n, size)
	}
	keep := n
	if k := fp.fd.Kind(); (k == protoreflect.StringKind || k == protoreflect.BytesKind) && w.opt.MaxString > 0 && n > int64(w.opt.MaxString) {
		keep = int64(w.opt.MaxString)
		w.res.Truncated++
	}
	if err := w.grow(protowire.SizeTag(num) + protowire.SizeVarint(uint64(keep)) + int(min(keep, 1<<40))); err != nil {
		return err
	}
	w.out = protowire.AppendTag(w.out, num, protowire.BytesType)
	w.out = protowire.AppendVarint(w.out, uint64(keep))
	start := len(w.out)
	if err := w.appendBytes(keep); err != nil {
		return err
	}
	if packed && fp.wire == protowire.VarintType {
		var run varintRun
		if run.feed(w.out[start:]); !run.ok() {
			return w.errorf(at, "packed field %s holds an invalid varint", fp.fd.Name())
		}
	}
	w.src.skip(n - keep)
	w.res.Skipped += n - keep
	return nil
}

// varintRun validates and counts the varints of a packed run fed to it
// in chunks, as the protobuf runtime would decode them.
type varintRun struct {
	count int64
	run   int // bytes of the varint in progress
	bad   bool
}

func (v *varintRun) feed(chunk []byte) {
	for _, b := range chunk {
		v.run++
		if v.run == maxVarintLen && b > 1 || v.run > maxVarintLen {
			v.bad = true
		}
		if b < 0x80 {
			v.count++
			v.run = 0
		}
	}
}

// ok reports whether the run so far ended on a complete, valid varint.
func (v *varintRun) ok() bool { return !v.bad && v.run == 0 }

// appendBytes copies the next n bytes of the input to the skeleton.
func (w *walker) appendBytes(n int64) error {
	for n > 0 {
		chunk, err := w.src.peek(n)
		if err != nil {
			return err
		}
		w.out = append(w.out, chunk...)
		w.src.skip(int64(len(chunk)))
		n -= int64(len(chunk))
	}
	return nil
}

// bulk skips one occurrence of a bulk field and records it.
func (w *walker) bulk(fp *fieldPlan, typ protowire.Type, end int64) error {
	var size, count, off int64
	switch {
	case typ == protowire.BytesType && fp.wire == protowire.BytesType:
		n, err := w.length(end)
		if err != nil {
			return err
		}
		off, size, count = w.src.pos, n, 1
		w.src.skip(n)
	case typ == protowire.BytesType && packable(fp.fd, fp.wire):
		n, err := w.length(end)
		if err != nil {
			return err
		}
		off, size = w.src.pos, n
		if count, err = w.countPacked(fp, n); err != nil {
			return err
		}
	case typ == fp.wire && typ != protowire.StartGroupType:
		off = w.src.pos
		if err := w.skipValue(fp.fd.Number(), typ, end, 0); err != nil {
			return err
		}
		size, count = w.src.pos-off, 1
	default:
		// Wrong wire type: unknown to protobuf parsers, and so to us.
		return w.skipValue(fp.fd.Number(), typ, end, 0)
	}
	w.res.Skipped += size
	if err := w.grow(3 * (lengthWidth + maxVarintLen)); err != nil {
		return err
	}
	for _, rec := range []struct {
		num protowire.Number
		v   int64
	}{{fp.sizeN, size}, {fp.countN, count}, {fp.offN, off}} {
		if rec.num != 0 {
			w.out = protowire.AppendTag(w.out, rec.num, protowire.VarintType)
			w.out = protowire.AppendVarint(w.out, uint64(rec.v))
		}
	}
	return nil
}

// countPacked skips a packed run of n bytes and returns its element count.
// Fixed-width runs are counted from their length; varint runs must be
// read, a chunk at a time, to count their terminating bytes.
func (w *walker) countPacked(fp *fieldPlan, n int64) (int64, error) {
	at := w.src.pos
	if size := fixedSize(fp.wire); size > 0 {
		if n%size != 0 {
			return 0, w.errorf(at, "packed field %s is %d bytes long, not a multiple of %d", fp.fd.Name(), n, size)
		}
		w.src.skip(n)
		return n / size, nil
	}
	var run varintRun
	for left := n; left > 0; {
		chunk, err := w.src.peek(left)
		if err != nil {
			return 0, err
		}
		run.feed(chunk)
		w.src.skip(int64(len(chunk)))
		left -= int64(len(chunk))
	}
	if !run.ok() {
		return 0, w.errorf(at, "packed field %s holds an invalid varint", fp.fd.Name())
	}
	return run.count, nil
}

// source reads forward through r with a small window, so that skipping a
// payload costs nothing and every byte is read at most once.
type source struct {
	r      io.ReaderAt
	size   int64
	buf    []byte
	bufOff int64
	pos    int64
}

const windowSize = 64 << 10

// byte returns the byte at pos and advances.
func (s *source) byte() (byte, error) {
	b, err := s.peek(1)
	if err != nil {
		return 0, err
	}
	s.pos++
	return b[0], nil
}

// peek returns between 1 and n bytes at pos without advancing.
func (s *source) peek(n int64) ([]byte, error) {
	if s.pos < s.bufOff || s.pos >= s.bufOff+int64(len(s.buf)) {
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
	b := s.buf[s.pos-s.bufOff:]
	return b[:min(int64(len(b)), n)], nil
}

// fill reads the window starting at pos.
func (s *source) fill() error {
	if s.pos >= s.size {
		return io.ErrUnexpectedEOF
	}
	n := min(windowSize, s.size-s.pos)
	if cap(s.buf) < int(n) {
		s.buf = make([]byte, n)
	}
	s.buf = s.buf[:n]
	got, err := s.r.ReadAt(s.buf, s.pos)
	if got == int(n) {
		err = nil
	} else if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		s.buf = s.buf[:0]
		return fmt.Errorf("protoskel: reading %d bytes at offset %d: %w", n, s.pos, err)
	}
	s.bufOff = s.pos
	return nil
}

// skip advances by n bytes without reading them.
func (s *source) skip(n int64) { s.pos += n }
