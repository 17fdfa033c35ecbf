package zipread

import (
	"bufio"
	"fmt"
	"io"
	"sync/atomic"
)

// Archive is a parsed zip archive. Its methods are safe for concurrent
// use and read only the Entry passed to them, so callers may append to
// Anomalies (see CRCAnomaly) under their own synchronisation.
type Archive struct {
	// Entries are the central-directory entries in directory order.
	Entries []*Entry
	// Anomalies are the reader differentials and damage Read found, in
	// the order found, at most 1,000 per kind (the last one says so).
	Anomalies []Anomaly
	// Start is the offset where the archive starts: 0 normally, > 0 when
	// bytes were prepended and the archive's own offsets are relative to
	// Start. All offsets in Entries are absolute.
	Start int64

	r        io.ReaderAt
	size     int64
	lim      Limits
	dirPos   int64 // absolute offset of the central directory
	dirLen   int64 // bytes of it read
	perKind  map[AnomalyKind]int
	consumed atomic.Int64
}

// Read parses the end records, the central directory and every local
// header of the archive in r (size bytes).
//
// The end record is searched for backwards over the last 65,557 bytes. One
// whose comment reaches exactly the end of the file is preferred (the last
// such), then the last one found (KindCommentLength); a candidate whose
// directory cannot be found is skipped for the next. The directory is
// taken to end where the (ZIP64) end record begins, and Start is where
// that puts it minus where the archive says it is, as zipfile computes
// for prepended data; offsets are trusted as stated when that fails.
//
// It fails with an error wrapping
// ErrFormat only when no usable central directory exists; damage found
// after that becomes Anomalies. An error from r other than io.EOF (a read
// budget, an I/O failure) is returned as such, since it says nothing
// about the file.
func Read(r io.ReaderAt, size int64, lim Limits) (*Archive, error) {
	if size < endLen {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrFormat, size)
	}
	rec := &errRecorder{r: r}
	a := &Archive{r: rec, size: size, lim: lim.withDefaults()}
	er, err := a.findEnd()
	if err == nil {
		a.readDirectory(er)
		a.readLocalHeaders()
		a.checkArchive()
	}
	if rec.err != nil {
		return nil, fmt.Errorf("zipread: reading archive: %w", rec.err)
	}
	if err != nil {
		return nil, err
	}
	a.r = r
	return a, nil
}

// errRecorder keeps the first error other than io.EOF that r returns.
type errRecorder struct {
	r   io.ReaderAt
	err error
}

func (e *errRecorder) ReadAt(p []byte, off int64) (int, error) {
	n, err := e.r.ReadAt(p, off)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// findEnd chooses the end record and locates the directory it describes.
func (a *Archive) findEnd() (*endRecord, error) {
	cands, err := endCandidates(a.r, a.size)
	if err != nil {
		return nil, err
	}
	for i := range cands {
		er := &cands[i]
		applyZip64(a.r, er)
		pos, start, ok := locateDirectory(a.r, a.size, er)
		if !ok {
			continue
		}
		a.dirPos, a.Start = pos, start
		a.noteEnd(er, cands)
		return er, nil
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("%w: no end-of-central-directory record", ErrFormat)
	}
	return nil, fmt.Errorf("%w: no central directory where the end record points", ErrFormat)
}

// noteEnd records the anomalies of the chosen end record.
func (a *Archive) noteEnd(er *endRecord, cands []endRecord) {
	if !er.exact {
		a.add(KindCommentLength, "", er.pos, "end record comment length does not reach the end of the file")
	}
	for _, c := range cands {
		if c.pos > er.pos {
			a.add(KindEndRecordAmbiguous, "", c.pos, "a later end-record signature lies at %d; miniz and zipfile would use it", c.pos)
			break
		}
	}
	for _, n := range er.notes {
		a.add(KindDirectory, "", er.dirEnd, "%s", n)
	}
}

// readDirectory reads the central-directory entries, within the stated
// size, the file and the limits.
func (a *Archive) readDirectory(er *endRecord) {
	n := clampU64(er.dirSize)
	if avail := a.size - a.dirPos; n > avail {
		a.add(KindDirectory, "", a.dirPos, "central directory of %d bytes runs past the end of the file", er.dirSize)
		n = avail
	}
	limited := n > a.lim.MaxCentralDirectory
	if limited {
		a.add(KindLimit, "", a.dirPos, "central directory of %d bytes exceeds the limit of %d; the rest is not read", n, a.lim.MaxCentralDirectory)
		n = a.lim.MaxCentralDirectory
	}
	a.dirLen = n
	capHint := min(clampU64(er.entries), int64(a.lim.MaxEntries), n/centralLen)
	a.Entries = make([]*Entry, 0, capHint)
	br := bufio.NewReaderSize(io.NewSectionReader(a.r, a.dirPos, n), 64<<10)
	stopped := a.readEntries(br, limited)
	if !stopped && !limited && uint64(len(a.Entries)) != er.entries {
		a.add(KindDirectory, "", a.dirPos, "end record declares %d entries, the directory holds %d", er.entries, len(a.Entries))
	}
}

// readEntries reads entries until the directory bytes end. It reports
// whether it stopped early (limit or damage, already recorded). limited
// says the bytes were cut by MaxCentralDirectory, so a cut entry is no
// damage.
func (a *Archive) readEntries(br *bufio.Reader, limited bool) (stopped bool) {
	// Names and extra fields take up to 2×0xffff bytes, and no more
	// than the directory holds.
	fixed, vari := make([]byte, centralLen), make([]byte, min(2*0xffff, a.dirLen))
	for off := a.dirPos; ; {
		_, err := io.ReadFull(br, fixed)
		if err == io.EOF {
			return false
		}
		if err == nil && !a.mayRead(fixed, off) {
			return true
		}
		var e *Entry
		var n int64
		if err == nil {
			e, n, err = a.readEntry(br, fixed, vari)
		}
		if err != nil {
			if !limited {
				a.add(KindDirectory, "", off, "central directory is truncated in entry %d", len(a.Entries))
			}
			return true
		}
		a.Entries = append(a.Entries, e)
		off += n
	}
}

// mayRead checks the signature of the entry at off, whose fixed part is h,
// and the entry limit.
func (a *Archive) mayRead(h []byte, off int64) bool {
	if le.Uint32(h) != sigCentral {
		a.add(KindDirectory, "", off, "no central-directory signature where entry %d should start", len(a.Entries))
		return false
	}
	if len(a.Entries) >= a.lim.MaxEntries {
		a.add(KindLimit, "", off, "more than %d entries; the rest are not read", a.lim.MaxEntries)
		return false
	}
	return true
}

// readEntry decodes one entry whose fixed part is h and whose variable
// part follows in br, using buf for the name and extra field. It returns
// the entry's total length.
func (a *Archive) readEntry(br *bufio.Reader, h, buf []byte) (*Entry, int64, error) {
	nameLen, extraLen, commentLen := int(le.Uint16(h[28:])), int(le.Uint16(h[30:])), int(le.Uint16(h[32:]))
	if nameLen+extraLen > len(buf) {
		return nil, 0, io.ErrUnexpectedEOF
	}
	vari := buf[:nameLen+extraLen]
	if _, err := io.ReadFull(br, vari); err != nil {
		return nil, 0, err
	}
	if _, err := br.Discard(commentLen); err != nil {
		return nil, 0, err
	}
	e := &Entry{
		Name:             string(vari[:nameLen]),
		Flags:            le.Uint16(h[8:]),
		Method:           le.Uint16(h[10:]),
		CRC32:            le.Uint32(h[16:]),
		CompressedSize:   uint64(le.Uint32(h[20:])),
		UncompressedSize: uint64(le.Uint32(h[24:])),
		DataOffset:       -1,
	}
	e.Mode = entryMode(le.Uint16(h[4:]), le.Uint32(h[38:]), e.Name)
	offset := uint64(le.Uint32(h[42:]))
	applyZip64Extra(e, &offset, vari[nameLen:])
	e.HeaderOffset = a.absolute(offset)
	return e, int64(centralLen + nameLen + extraLen + commentLen), nil
}

// absolute turns an archive offset into a file offset, -1 if it is too
// large to be one.
func (a *Archive) absolute(off uint64) int64 {
	if off > 1<<62 {
		return -1
	}
	return a.Start + int64(off)
}

// applyZip64Extra replaces the 0xffffffff placeholders of e's sizes and
// header offset with the values of the ZIP64 extra field (ID 0x0001), in
// the order the specification gives, as far as the field holds them.
func applyZip64Extra(e *Entry, offset *uint64, extra []byte) {
	const placeholder = 0xffffffff
	if e.UncompressedSize != placeholder && e.CompressedSize != placeholder && *offset != placeholder {
		return
	}
	data := findExtra(extra, 0x0001)
	for _, f := range []*uint64{&e.UncompressedSize, &e.CompressedSize, offset} {
		if *f != placeholder {
			continue
		}
		if len(data) < 8 {
			return
		}
		*f, data = le.Uint64(data), data[8:]
	}
}

// findExtra returns the data of the first extra field with the given ID.
func findExtra(extra []byte, id uint16) []byte {
	for len(extra) >= 4 {
		tag, n := le.Uint16(extra), int(le.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			return nil
		}
		if tag == id {
			return extra[:n]
		}
		extra = extra[n:]
	}
	return nil
}
