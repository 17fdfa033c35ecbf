package archive

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"

	"github.com/ulikunitz/xz/lzma"
)

// The 7z reader (github.com/bodgit/sevenzip) trusts every count in the
// archive header up to 2^32 and allocates accordingly, and its decoders
// allocate the dictionary or model memory the coder properties ask for: a
// few hundred hostile bytes can ask for hundreds of gigabytes, which kills
// the process instead of failing. So before the library sees an archive,
// szWalk parses the headers itself, following the library's grammar
// exactly, with every count, size and coder bounded. Anything the walk
// refuses is reported and never handed to the library; anything it accepts
// makes the library allocate no more than the walk allowed, since both read
// the same bytes the same way (where the library is stricter it merely
// fails, and that is reported as damage).

// 7z property IDs (7zFormat.txt).
const (
	szEnd              = 0x00
	szHeader           = 0x01
	szMainStreamsInfo  = 0x04
	szFilesInfo        = 0x05
	szPackInfo         = 0x06
	szUnpackInfo       = 0x07
	szSubStreamsInfo   = 0x08
	szSize             = 0x09
	szCRC              = 0x0a
	szFolderID         = 0x0b
	szCodersUnpackSize = 0x0c
	szNumUnpackStream  = 0x0d
	szEmptyStream      = 0x0e
	szEmptyFile        = 0x0f
	szName             = 0x11
	szCTime            = 0x12
	szATime            = 0x13
	szMTime            = 0x14
	szWinAttributes    = 0x15
	szEncodedHeader    = 0x17
	szDummy            = 0x19
)

// szSignature starts every 7z archive.
const szSignature = "7z\xbc\xaf\x27\x1c"

// szLimits bound what the walk accepts.
type szLimits struct {
	maxHeader    int64  // header bytes, stored or decoded
	maxCount     uint64 // files, folders, pack streams, sub-streams
	maxCoders    uint64 // coders per folder
	maxStreams   uint64 // coder inputs and outputs per folder
	maxProps     uint64 // coder property bytes
	maxDict      uint64 // dictionary or model memory a decoder may allocate
	maxFileProps int    // file properties per header
}

var defaultSZLimits = szLimits{
	maxHeader:    64 << 20,
	maxCount:     100_000,
	maxCoders:    8,
	maxStreams:   16,
	maxProps:     128,
	maxDict:      256 << 20,
	maxFileProps: 64,
}

// szProblem is why an archive cannot be handed to the library.
type szProblem struct {
	kind   szKind
	detail string
}

type szKind int

const (
	szMalformed   szKind = iota // damaged or not what the library can read
	szEncrypted                 // the header is encrypted
	szUnsupported               // header coding or a limit the walk will not pass
)

func (p *szProblem) Error() string { return p.detail }

// szCoder is one coder of a folder.
type szCoder struct {
	id      []byte
	in, out uint64
	props   []byte
}

// szFolder is one folder (a chain of coders producing one stream).
type szFolder struct {
	coders        []szCoder
	in, out       uint64
	bindIn        []uint64
	bindOut       []uint64
	packedStreams uint64
	sizes         []uint64 // one per coder output
	// status says whether the members of this folder can be read.
	status szStatus
	reason string
}

type szStatus int

const (
	szReadable szStatus = iota
	szFolderEncrypted
	szFolderUnsupported
)

// unpackSize is the size of the folder's final output, as the library
// computes it.
func (f *szFolder) unpackSize() uint64 {
	if len(f.sizes) == 0 {
		return 0
	}
	for i := len(f.sizes) - 1; i >= 0; i-- {
		if !containsU64(f.bindOut, uint64(i)) {
			return f.sizes[i]
		}
	}
	return f.sizes[len(f.sizes)-1]
}

type szStreams struct {
	hasPack    bool
	packPos    uint64
	packSizes  []uint64 // nil without a kSize record
	hasUnpack  bool
	folders    []*szFolder
	folderCRCs []uint32 // nil when none; 0 for undefined entries
	hasSub     bool
	subStreams []uint64
	subSizes   bool
}

// szArchive is what the walk learnt.
type szArchive struct {
	streams  *szStreams // the main streams, nil when there are none
	files    uint64
	nonEmpty uint64 // files with a data stream
	// packEnd is where the packed streams end, relative to the end of
	// the signature header.
	packEnd uint64
}

// claimedSize is the total the folders claim to unpack to.
func (a *szArchive) claimedSize() uint64 {
	var total uint64
	if a.streams == nil {
		return 0
	}
	for _, f := range a.streams.folders {
		total = addSat(total, f.unpackSize())
	}
	return total
}

// szWalk reads and checks the signature header and the headers of the 7z
// archive in r. It returns a nil archive and a nil problem for an empty
// archive (no header at all).
func szWalk(r io.ReaderAt, size int64, lim szLimits) (*szArchive, error) {
	var sig [32]byte
	if _, err := r.ReadAt(sig[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &szProblem{szMalformed, "signature header truncated"}
		}
		return nil, err
	}
	if string(sig[:6]) != szSignature {
		return nil, &szProblem{szMalformed, "no 7z signature"}
	}
	if crc32.ChecksumIEEE(sig[12:32]) != binary.LittleEndian.Uint32(sig[8:12]) {
		return nil, &szProblem{szMalformed, "start header CRC mismatch"}
	}
	next := binary.LittleEndian.Uint64(sig[12:20])
	nextSize := binary.LittleEndian.Uint64(sig[20:28])
	nextCRC := binary.LittleEndian.Uint32(sig[28:32])
	if nextSize == 0 {
		return nil, nil // an empty archive
	}
	avail := uint64(size - 32)
	if next > avail || nextSize > avail-next {
		return nil, &szProblem{szMalformed, fmt.Sprintf("header (%d bytes at %d) lies outside the file", nextSize, 32+next)}
	}
	if nextSize > uint64(lim.maxHeader) {
		return nil, &szProblem{szUnsupported, fmt.Sprintf("header of %d bytes is over the %d-byte limit", nextSize, lim.maxHeader)}
	}
	hdr := make([]byte, nextSize)
	if _, err := r.ReadAt(hdr, int64(32+next)); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if crc32.ChecksumIEEE(hdr) != nextCRC {
		return nil, &szProblem{szMalformed, "header CRC mismatch"}
	}
	w := &szReader{b: hdr, lim: lim}
	a := &szArchive{packEnd: next}
	switch id := w.byte(); id {
	case szHeader:
		w.header(a)
		if w.err == nil && w.pos != len(w.b) {
			w.fail("%d bytes after the header", len(w.b)-w.pos)
		}
	case szEncodedHeader:
		s := w.streamsInfo()
		if w.err == nil && w.pos != len(w.b) {
			w.fail("%d bytes after the encoded header", len(w.b)-w.pos)
		}
		if w.err != nil {
			return nil, w.err
		}
		decoded, err := szDecodeHeader(r, s, next, lim)
		if err != nil {
			return nil, err
		}
		w = &szReader{b: decoded, lim: lim}
		if id := w.byte(); id != szHeader && w.err == nil {
			w.fail("decoded header starts with property %#x", id)
		}
		w.header(a)
	default:
		w.fail("header starts with property %#x", id)
	}
	if w.err != nil {
		return nil, w.err
	}
	if err := a.check(); err != nil {
		return nil, err
	}
	return a, nil
}

// szDecodeHeader decodes an encoded header: one folder of one coder
// (LZMA, LZMA2 or copy); an AES coder means the header is encrypted.
func szDecodeHeader(r io.ReaderAt, s *szStreams, packEnd uint64, lim szLimits) ([]byte, error) {
	if !s.hasUnpack || len(s.folders) != 1 || !s.hasPack || len(s.packSizes) < 1 {
		return nil, &szProblem{szMalformed, "encoded header is not one packed folder"}
	}
	f := s.folders[0]
	for _, c := range f.coders {
		if bytes.Equal(c.id, szAES) {
			return nil, &szProblem{szEncrypted, "the header is encrypted (member names and content are hidden)"}
		}
	}
	if len(f.coders) != 1 || f.in != 1 || f.out != 1 {
		return nil, &szProblem{szUnsupported, fmt.Sprintf("encoded header uses a chain of %d coders", len(f.coders))}
	}
	c := f.coders[0]
	size := f.unpackSize()
	if size > uint64(lim.maxHeader) {
		return nil, &szProblem{szUnsupported, fmt.Sprintf("decoded header of %d bytes is over the %d-byte limit", size, lim.maxHeader)}
	}
	packSize := s.packSizes[0]
	if s.packPos > packEnd || packSize > packEnd-s.packPos {
		return nil, &szProblem{szMalformed, "encoded header data lies outside the packed streams"}
	}
	if packSize > uint64(lim.maxHeader) {
		return nil, &szProblem{szUnsupported, fmt.Sprintf("encoded header of %d bytes is over the %d-byte limit", packSize, lim.maxHeader)}
	}
	packed := io.NewSectionReader(r, int64(32+s.packPos), int64(packSize))
	var src io.Reader
	switch {
	case bytes.Equal(c.id, szCopy):
		src = packed
	case bytes.Equal(c.id, szLZMA):
		if reason := szCheckCoder(c, lim, size); reason != "" {
			return nil, &szProblem{szUnsupported, "encoded header: " + reason}
		}
		var h [13]byte
		copy(h[:5], c.props)
		binary.LittleEndian.PutUint64(h[5:], size)
		lr, err := lzma.ReaderConfig{DictCap: int(lim.maxDict)}.NewReader(io.MultiReader(bytes.NewReader(h[:]), packed))
		if err != nil {
			return nil, &szProblem{szMalformed, "encoded header: " + err.Error()}
		}
		src = lr
	case bytes.Equal(c.id, szLZMA2):
		if reason := szCheckCoder(c, lim, size); reason != "" {
			return nil, &szProblem{szUnsupported, "encoded header: " + reason}
		}
		lr, err := lzma.Reader2Config{DictCap: int(szLZMA2Dict(c.props[0]))}.NewReader2(packed)
		if err != nil {
			return nil, &szProblem{szMalformed, "encoded header: " + err.Error()}
		}
		src = lr
	default:
		return nil, &szProblem{szUnsupported, "encoded header uses coder " + szCoderName(c.id)}
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(src, out); err != nil {
		if isContextErr(err) {
			return nil, err
		}
		return nil, &szProblem{szMalformed, "encoded header cannot be decoded: " + err.Error()}
	}
	if len(s.folderCRCs) > 0 && s.folderCRCs[0] != 0 && crc32.ChecksumIEEE(out) != s.folderCRCs[0] {
		return nil, &szProblem{szMalformed, "decoded header CRC mismatch"}
	}
	return out, nil
}

// check makes sure the library will not index past what it read: every
// file with data maps to a folder and every folder to its pack streams.
func (a *szArchive) check() error {
	s := a.streams
	if a.nonEmpty > 0 && (s == nil || !s.hasUnpack || len(s.folders) == 0) {
		return &szProblem{szMalformed, fmt.Sprintf("%d file(s) have data but there are no folders", a.nonEmpty)}
	}
	if s == nil {
		return nil
	}
	var packed, packTotal uint64
	for _, f := range s.folders {
		packed += f.packedStreams
	}
	if len(s.folders) > 0 && (!s.hasPack || uint64(len(s.packSizes)) < packed) {
		return &szProblem{szMalformed, fmt.Sprintf("folders use %d pack stream(s), %d are described", packed, len(s.packSizes))}
	}
	for _, n := range s.packSizes {
		packTotal = addSat(packTotal, n)
	}
	if addSat(s.packPos, packTotal) > a.packEnd {
		return &szProblem{szMalformed, "packed streams run into the header or past the end of the file"}
	}
	if s.hasSub {
		var total uint64
		multi := false
		for _, n := range s.subStreams {
			total += n
			multi = multi || n > 1
		}
		if a.nonEmpty > total {
			return &szProblem{szMalformed, fmt.Sprintf("%d file(s) have data, the folders hold %d stream(s)", a.nonEmpty, total)}
		}
		if multi && !s.subSizes {
			return &szProblem{szMalformed, "sub-stream sizes are missing"}
		}
	}
	return nil
}

// szReader walks header bytes; the first failure sticks and every later
// read returns zero.
type szReader struct {
	b   []byte
	pos int
	lim szLimits
	err error
}

func (r *szReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = &szProblem{szMalformed, fmt.Sprintf(format, args...)}
	}
}

func (r *szReader) limit(format string, args ...any) {
	if r.err == nil {
		r.err = &szProblem{szUnsupported, fmt.Sprintf(format, args...)}
	}
}

func (r *szReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.b) {
		r.fail("header truncated")
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *szReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.pos) {
		r.fail("header truncated")
		return nil
	}
	b := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b
}

// num reads a 7z variable-length number (as the library's readUint64).
func (r *szReader) num() uint64 {
	b := r.byte()
	l := bits.LeadingZeros8(^b)
	var v uint64
	if l < 7 {
		v |= uint64(b&((1<<(8-l))-1)) << (8 * l)
	}
	for i := range l {
		v |= uint64(r.byte()) << (8 * i)
	}
	return v
}

// count reads a non-zero count no larger than max.
func (r *szReader) count(what string, max uint64) uint64 {
	v := r.num()
	switch {
	case r.err != nil:
		return 0
	case v == 0:
		r.fail("zero %s", what)
		return 0
	case v > max:
		r.limit("%d %s, over the limit of %d", v, what, max)
		return 0
	}
	return v
}

// boolVector reads count bits, most significant first.
func (r *szReader) boolVector(count uint64) []bool {
	out := make([]bool, 0, count)
	var b, mask byte
	for range count {
		if mask == 0 {
			b, mask = r.byte(), 0x80
		}
		out = append(out, b&mask != 0)
		mask >>= 1
	}
	return out
}

// optionalBools reads an "all defined" byte and, if zero, a bit vector.
func (r *szReader) optionalBools(count uint64) []bool {
	if count == 0 {
		r.fail("empty vector")
		return nil
	}
	if r.byte() != 0 {
		out := make([]bool, count)
		for i := range out {
			out[i] = true
		}
		return out
	}
	return r.boolVector(count)
}

func (r *szReader) crcs(count uint64) []uint32 {
	defined := r.optionalBools(count)
	out := make([]uint32, len(defined))
	for i, d := range defined {
		if d {
			if b := r.bytes(4); b != nil {
				out[i] = binary.LittleEndian.Uint32(b)
			}
		}
	}
	return out
}

func (r *szReader) header(a *szArchive) {
	id := r.byte()
	if id == szMainStreamsInfo {
		a.streams = r.streamsInfo()
		id = r.byte()
	}
	if id == szFilesInfo {
		r.filesInfo(a)
		id = r.byte()
	}
	if id != szEnd {
		r.fail("unexpected property %#x in the header", id)
	}
}

func (r *szReader) streamsInfo() *szStreams {
	s := &szStreams{}
	id := r.byte()
	if id == szPackInfo {
		r.packInfo(s)
		id = r.byte()
	}
	if id == szUnpackInfo {
		r.unpackInfo(s)
		id = r.byte()
	}
	if id == szSubStreamsInfo {
		if !s.hasUnpack {
			r.fail("sub-streams without folders")
		}
		r.subStreamsInfo(s)
		id = r.byte()
	}
	if id != szEnd {
		r.fail("unexpected property %#x in streams info", id)
	}
	return s
}

func (r *szReader) packInfo(s *szStreams) {
	s.hasPack = true
	s.packPos = r.num()
	n := r.count("pack streams", r.lim.maxCount)
	id := r.byte()
	if id == szSize {
		s.packSizes = make([]uint64, 0, n)
		for range n {
			s.packSizes = append(s.packSizes, r.num())
		}
		id = r.byte()
	}
	if id == szCRC {
		r.crcs(n)
		id = r.byte()
	}
	if id != szEnd {
		r.fail("unexpected property %#x in pack info", id)
	}
}

func (r *szReader) unpackInfo(s *szStreams) {
	s.hasUnpack = true
	if id := r.byte(); id != szFolderID {
		r.fail("unexpected property %#x in unpack info", id)
		return
	}
	n := r.count("folders", r.lim.maxCount)
	if r.byte() != 0 {
		r.fail("external folders")
		return
	}
	for range n {
		if r.err != nil {
			return
		}
		s.folders = append(s.folders, r.folder())
	}
	if id := r.byte(); id != szCodersUnpackSize {
		r.fail("unexpected property %#x in unpack info", id)
		return
	}
	for _, f := range s.folders {
		f.sizes = make([]uint64, f.out)
		for i := range f.sizes {
			f.sizes[i] = r.num()
		}
	}
	id := r.byte()
	if id == szCRC {
		s.folderCRCs = r.crcs(n)
		id = r.byte()
	}
	if id != szEnd {
		r.fail("unexpected property %#x in unpack info", id)
	}
}

func (r *szReader) folder() *szFolder {
	f := &szFolder{}
	n := r.count("coders in a folder", r.lim.maxCoders)
	for range n {
		flags := r.byte()
		c := szCoder{id: r.bytes(uint64(flags & 0xf)), in: 1, out: 1}
		if flags&0x10 != 0 {
			c.in = r.count("coder inputs", r.lim.maxStreams)
			c.out = r.count("coder outputs", r.lim.maxStreams)
		}
		if flags&0x20 != 0 {
			c.props = r.bytes(r.count("coder property bytes", r.lim.maxProps))
		}
		f.coders = append(f.coders, c)
		f.in += c.in
		f.out += c.out
	}
	if r.err != nil {
		return f
	}
	if f.in > r.lim.maxStreams || f.out > r.lim.maxStreams {
		r.limit("folder with %d inputs and %d outputs, over the limit of %d", f.in, f.out, r.lim.maxStreams)
		return f
	}
	if f.in < f.out {
		r.fail("folder has fewer inputs than outputs")
		return f
	}
	for range f.out - 1 {
		in, out := r.num(), r.num()
		if r.err == nil && (in >= f.in || out >= f.out) {
			r.fail("bind pair %d-%d outside the folder", in, out)
		}
		f.bindIn, f.bindOut = append(f.bindIn, in), append(f.bindOut, out)
	}
	f.packedStreams = f.in - (f.out - 1)
	if f.packedStreams == 1 {
		var free int
		for i := range f.in {
			if !containsU64(f.bindIn, i) {
				free++
			}
		}
		if free != 1 && r.err == nil {
			r.fail("folder has %d unbound inputs for one pack stream", free)
		}
	} else {
		for range f.packedStreams {
			if i := r.num(); i >= f.in && r.err == nil {
				r.fail("pack stream index %d outside the folder", i)
			}
		}
	}
	return f
}

func (r *szReader) subStreamsInfo(s *szStreams) {
	s.hasSub = true
	s.subStreams = make([]uint64, len(s.folders))
	id := r.byte()
	var total uint64
	for i := range s.subStreams {
		if id == szNumUnpackStream {
			s.subStreams[i] = r.num()
		} else {
			s.subStreams[i] = 1
		}
		total += min(s.subStreams[i], r.lim.maxCount+1)
	}
	if total > r.lim.maxCount {
		r.limit("%d sub-streams, over the limit of %d", total, r.lim.maxCount)
		return
	}
	if id == szNumUnpackStream {
		id = r.byte()
	}
	if id == szSize {
		s.subSizes = true
		for i, n := range s.subStreams {
			if n == 0 {
				continue
			}
			var sum uint64
			for j := uint64(1); j < n; j++ {
				sum = addSat(sum, r.num())
			}
			if sum > s.folders[i].unpackSize() && r.err == nil {
				r.fail("sub-streams of folder %d are larger than the folder", i)
			}
		}
		id = r.byte()
	}
	if id == szCRC {
		r.crcs(total)
		id = r.byte()
	}
	if id != szEnd {
		r.fail("unexpected property %#x in sub-streams info", id)
	}
}

func (r *szReader) filesInfo(a *szArchive) {
	n := r.count("files", r.lim.maxCount)
	a.files = n
	empty := make([]bool, n)
	var emptyStreams uint64
	for props := 0; r.err == nil; props++ {
		if props >= r.lim.maxFileProps {
			r.limit("more than %d file properties", r.lim.maxFileProps)
			return
		}
		prop := r.byte()
		if prop == szEnd {
			break
		}
		length := r.num()
		switch prop {
		case szEmptyStream:
			v := r.boolVector(n)
			for i, e := range v {
				empty[i] = e
				if e {
					emptyStreams++
				}
			}
		case szEmptyFile:
			if emptyStreams == 0 {
				r.fail("empty-file vector without empty streams")
			}
			r.boolVector(emptyStreams)
		case szCTime, szATime, szMTime:
			defined := r.optionalBools(n)
			if r.byte() != 0 {
				r.fail("external times")
			}
			r.bytes(8 * uint64(countTrue(defined)))
		case szName:
			if r.byte() != 0 {
				r.fail("external names")
			}
			if length == 0 {
				r.fail("empty names property")
				return
			}
			if names := szCountNames(r.bytes(length - 1)); r.err == nil && names != n {
				r.fail("%d names for %d files", names, n)
			}
		case szWinAttributes:
			defined := r.optionalBools(n)
			if r.byte() != 0 {
				r.fail("external attributes")
			}
			r.bytes(4 * uint64(countTrue(defined)))
		case szDummy:
			r.bytes(length)
		default:
			r.fail("unsupported file property %#x", prop)
		}
	}
	for _, e := range empty {
		if !e {
			a.nonEmpty++
		}
	}
}

// szCountNames counts the NUL-terminated UTF-16LE names in b, with a
// final unterminated name counted as the library's scanner does.
func szCountNames(b []byte) uint64 {
	var n uint64
	start := 0
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			n++
			start = i + 2
		}
	}
	if start < len(b) {
		n++
	}
	return n
}

// Coder IDs.
var (
	szCopy  = []byte{0x00}
	szLZMA  = []byte{0x03, 0x01, 0x01}
	szLZMA2 = []byte{0x21}
	szPPMd  = []byte{0x03, 0x04, 0x01}
	szDelta = []byte{0x03}
	szAES   = []byte{0x06, 0xf1, 0x07, 0x01}
)

// szPlainCoders need no memory beyond small fixed buffers.
var szPlainCoders = map[string]string{
	"\x03\x03\x01\x03": "BCJ",
	"\x03\x03\x01\x1b": "BCJ2",
	"\x03\x03\x02\x05": "PPC",
	"\x03\x03\x05\x01": "ARM",
	"\x03\x03\x08\x05": "SPARC",
	"\x0a":             "ARM64",
	"\x04\x01\x08":     "Deflate",
	"\x04\x02\x02":     "BZip2",
	"\x00":             "Copy",
}

// szOtherCoders are known but not decoded here.
var szOtherCoders = map[string]string{
	"\x04\xf7\x11\x01": "Zstandard",
	"\x04\xf7\x11\x02": "Brotli",
	"\x04\xf7\x11\x04": "LZ4",
	"\x04\xf7\x11\x05": "LZ5",
	"\x04\xf7\x11\x06": "Lizard",
	"\x04\x01\x09":     "Deflate64",
	"\x03\x03\x04\x01": "IA64",
}

func szCoderName(id []byte) string {
	switch {
	case bytes.Equal(id, szLZMA):
		return "LZMA"
	case bytes.Equal(id, szLZMA2):
		return "LZMA2"
	case bytes.Equal(id, szPPMd):
		return "PPMd"
	case bytes.Equal(id, szDelta):
		return "Delta"
	case bytes.Equal(id, szAES):
		return "AES-256"
	}
	if n, ok := szPlainCoders[string(id)]; ok {
		return n
	}
	if n, ok := szOtherCoders[string(id)]; ok {
		return n
	}
	return "0x" + hex.EncodeToString(id)
}

// szLZMA2Dict is the dictionary size an LZMA2 property byte (≤ 40) asks for.
func szLZMA2Dict(p byte) uint64 {
	if p >= 40 {
		return 0xffffffff
	}
	return uint64(2|p&1) << (p/2 + 11)
}

// szCheckCoder returns why a coder will not be run, or "". outSize is
// the size the coder is to produce: the LZMA decoder allocates no larger a
// dictionary than that (LZMA2 and PPMd allocate what they ask for).
func szCheckCoder(c szCoder, lim szLimits, outSize uint64) string {
	name := szCoderName(c.id)
	switch {
	case bytes.Equal(c.id, szLZMA):
		if len(c.props) != 5 {
			return "LZMA coder with malformed properties"
		}
		if d := min(uint64(binary.LittleEndian.Uint32(c.props[1:])), outSize); d > lim.maxDict {
			return fmt.Sprintf("LZMA dictionary of %d bytes is over the %d-byte limit", d, lim.maxDict)
		}
	case bytes.Equal(c.id, szLZMA2):
		if len(c.props) != 1 || c.props[0] > 40 {
			return "LZMA2 coder with malformed properties"
		}
		if d := szLZMA2Dict(c.props[0]); d > lim.maxDict {
			return fmt.Sprintf("LZMA2 dictionary of %d bytes is over the %d-byte limit", d, lim.maxDict)
		}
	case bytes.Equal(c.id, szPPMd):
		if len(c.props) != 5 {
			return "PPMd coder with malformed properties"
		}
		if m := uint64(binary.LittleEndian.Uint32(c.props[1:])); m > lim.maxDict {
			return fmt.Sprintf("PPMd model memory of %d bytes is over the %d-byte limit", m, lim.maxDict)
		}
	case bytes.Equal(c.id, szDelta):
		if len(c.props) != 1 {
			return "Delta coder with malformed properties"
		}
	default:
		if _, ok := szPlainCoders[string(c.id)]; !ok {
			return "coder " + name + " is not supported"
		}
	}
	return ""
}

// classify sets each folder's status from its coders.
func (a *szArchive) classify(lim szLimits) {
	if a.streams == nil {
		return
	}
	for _, f := range a.streams.folders {
		var out uint64 // index of the coder's first output
		for _, c := range f.coders {
			if bytes.Equal(c.id, szAES) {
				f.status, f.reason = szFolderEncrypted, "encrypted (AES-256)"
				break
			}
			size := ^uint64(0)
			if out < uint64(len(f.sizes)) {
				size = f.sizes[out]
			}
			if reason := szCheckCoder(c, lim, size); reason != "" && f.status == szReadable {
				f.status, f.reason = szFolderUnsupported, reason
			}
			out += c.out
		}
	}
}

func containsU64(s []uint64, v uint64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func countTrue(v []bool) int {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return n
}

func addSat(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return ^uint64(0)
}
