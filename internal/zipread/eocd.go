package zipread

import (
	"encoding/binary"
	"io"
)

// Record signatures and fixed sizes.
const (
	sigLocal   = 0x04034b50 // PK\x03\x04
	sigCentral = 0x02014b50 // PK\x01\x02
	sigEnd     = 0x06054b50 // PK\x05\x06
	sigEnd64   = 0x06064b50 // PK\x06\x06
	sigLoc64   = 0x07064b50 // PK\x06\x07

	localLen   = 30
	centralLen = 46
	endLen     = 22
	end64Len   = 56
	loc64Len   = 20

	// maxEndSearch is the end record plus the longest comment.
	maxEndSearch = endLen + 0xffff
)

// endRecord is what the end records say about the central directory.
type endRecord struct {
	pos       int64 // offset of the end record
	exact     bool  // its comment ends exactly at the end of the file
	dirEnd    int64 // offset of the record that follows the directory
	entries   uint64
	dirSize   uint64
	dirOffset uint64
	zip64     bool
	notes     []string // inconsistencies, reported as KindDirectory
}

var le = binary.LittleEndian

// readAtMost reads len(p) bytes at off, or fewer at the end of the file.
func readAtMost(r io.ReaderAt, p []byte, off int64) (int, error) {
	n, err := r.ReadAt(p, off)
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// endCandidates returns the end records found in the last maxEndSearch
// bytes: those whose comment reaches exactly the end of the file first,
// then the others, each group from the end of the file backwards.
func endCandidates(r io.ReaderAt, size int64) ([]endRecord, error) {
	n := min(size, maxEndSearch)
	tail := make([]byte, n)
	got, err := readAtMost(r, tail, size-n)
	if err != nil {
		return nil, err
	}
	tail = tail[:got]
	base := size - n
	var exact, inexact []endRecord
	for i := len(tail) - endLen; i >= 0; i-- {
		if le.Uint32(tail[i:]) != sigEnd {
			continue
		}
		er := parseEnd(tail[i:i+endLen], base+int64(i))
		er.exact = i+endLen+int(le.Uint16(tail[i+20:])) == len(tail) && base+int64(len(tail)) == size
		if er.exact {
			exact = append(exact, er)
		} else {
			inexact = append(inexact, er)
		}
	}
	return append(exact, inexact...), nil
}

// parseEnd decodes a 22-byte end record found at pos.
func parseEnd(b []byte, pos int64) endRecord {
	return endRecord{
		pos:       pos,
		dirEnd:    pos,
		entries:   uint64(le.Uint16(b[10:])),
		dirSize:   uint64(le.Uint32(b[12:])),
		dirOffset: uint64(le.Uint32(b[16:])),
	}
}

// applyZip64 replaces the end record's fields with those of the ZIP64 end
// record when a ZIP64 locator sits right before it, as miniz and zipfile
// do. The ZIP64 record is looked for where the locator says (miniz) and
// then right before the locator (zipfile, which survives prepended bytes).
func applyZip64(r io.ReaderAt, er *endRecord) {
	if er.pos < loc64Len {
		return
	}
	var loc [loc64Len]byte
	if _, err := r.ReadAt(loc[:], er.pos-loc64Len); err != nil || le.Uint32(loc[:]) != sigLoc64 {
		return
	}
	for _, off := range []uint64{le.Uint64(loc[8:]), uint64(max(er.pos-loc64Len-end64Len, 0))} {
		var rec [end64Len]byte
		if off > uint64(er.pos) {
			continue
		}
		if _, err := r.ReadAt(rec[:], int64(off)); err != nil || le.Uint32(rec[:]) != sigEnd64 {
			continue
		}
		mergeZip64(er, rec[:], int64(off))
		return
	}
	er.notes = append(er.notes, "ZIP64 locator present but no ZIP64 end record found")
}

// mergeZip64 takes the directory fields from a ZIP64 end record at pos,
// noting 32-bit fields that are not the 0xffff… placeholder and disagree.
func mergeZip64(er *endRecord, rec []byte, pos int64) {
	entries, size, off := le.Uint64(rec[32:]), le.Uint64(rec[40:]), le.Uint64(rec[48:])
	if (er.entries != 0xffff && er.entries != entries) ||
		(er.dirSize != 0xffffffff && er.dirSize != size) ||
		(er.dirOffset != 0xffffffff && er.dirOffset != off) {
		er.notes = append(er.notes, "end record and ZIP64 end record disagree; the ZIP64 values are used")
	}
	er.entries, er.dirSize, er.dirOffset = entries, size, off
	er.dirEnd, er.zip64 = pos, true
}

// locateDirectory returns where the central directory really starts and
// the shift to add to every offset the archive states. Like zipfile it
// first assumes the directory ends where the next record begins, which
// finds it after prepended bytes; then it trusts the stated offset. ok is
// false when neither place holds a directory.
func locateDirectory(r io.ReaderAt, size int64, er *endRecord) (pos, start int64, ok bool) {
	if er.dirSize <= uint64(er.dirEnd) {
		p := er.dirEnd - int64(er.dirSize)
		if uint64(p) >= er.dirOffset && directoryAt(r, p) {
			return p, p - int64(er.dirOffset), true
		}
	}
	if er.dirOffset < uint64(size) && directoryAt(r, int64(er.dirOffset)) {
		return int64(er.dirOffset), 0, true
	}
	if er.entries == 0 && er.dirSize == 0 {
		// An empty archive: nothing to find, only the shift to guess.
		if er.dirOffset <= uint64(er.dirEnd) {
			return er.dirEnd, er.dirEnd - int64(er.dirOffset), true
		}
		return er.dirEnd, 0, true
	}
	return 0, 0, false
}

// directoryAt reports whether a central-directory entry starts at pos.
func directoryAt(r io.ReaderAt, pos int64) bool {
	var sig [4]byte
	_, err := r.ReadAt(sig[:], pos)
	return err == nil && le.Uint32(sig[:]) == sigCentral
}
