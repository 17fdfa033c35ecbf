package zipread

import "fmt"

// AnomalyKind names one kind of reader differential or damage. The values
// are stable identifiers meant for rule IDs and JSON.
type AnomalyKind string

// Anomaly kinds. Each comment says what Read (or VerifyCRC) saw; the
// reader still reads what it can, driven by the central directory.
const (
	// KindNameMismatch: the local-header name differs from the central
	// directory name (CVE-2025-1944). Reading follows the directory.
	KindNameMismatch AnomalyKind = "name-mismatch"
	// KindEncrypted: flag bit 0x1 (encrypted) or 0x40 (strong encryption)
	// is set in the directory or local header (CVE-2025-1945). The data is
	// read raw, as PyTorch does; real ciphertext will not parse.
	KindEncrypted AnomalyKind = "encrypted"
	// KindPatched: flag bit 0x20 (patched data) is set (CVE-2025-1945).
	// The data is read raw.
	KindPatched AnomalyKind = "patched-data"
	// KindCRCMismatch: the data does not match the stored CRC-32
	// (CVE-2025-10156). Only VerifyCRC finds it; see CRCAnomaly.
	KindCRCMismatch AnomalyKind = "crc-mismatch"
	// KindDuplicateName: two directory entries share a name; loaders
	// disagree on which one wins.
	KindDuplicateName AnomalyKind = "duplicate-name"
	// KindOverlap: a member's header and data overlap another member's or
	// the central directory (shared data, overlapping-file zip bombs).
	KindOverlap AnomalyKind = "overlap"
	// KindPrefix: bytes precede the first local header (prepended junk or
	// a pickle+zip polyglot; torch.load then takes its legacy path and
	// unpickles offset 0).
	KindPrefix AnomalyKind = "prefix"
	// KindOutOfBounds: a member's data runs past the end of the file.
	KindOutOfBounds AnomalyKind = "out-of-bounds"
	// KindLocalHeader: the local header is missing or unreadable, so the
	// member's data cannot be located.
	KindLocalHeader AnomalyKind = "local-header"
	// KindUnsupportedMethod: compression other than stored, deflate or
	// bzip2; Open returns ErrUnsupportedMethod.
	KindUnsupportedMethod AnomalyKind = "unsupported-method"
	// KindUnsafeName: the name has a ".." segment, a leading "/" or "\",
	// a drive letter, a backslash or a NUL byte (zip slip).
	KindUnsafeName AnomalyKind = "unsafe-name"
	// KindLimit: the entry count or central-directory size exceeds Limits;
	// the remaining entries were not read.
	KindLimit AnomalyKind = "limit"
	// KindCommentLength: no end record's comment length reaches exactly
	// the end of the file (trailing bytes or a truncated comment).
	KindCommentLength AnomalyKind = "comment-length"
	// KindEndRecordAmbiguous: another end-record signature lies after the
	// one used; miniz and Python take the last one in the file.
	KindEndRecordAmbiguous AnomalyKind = "end-record-ambiguous"
	// KindDirectory: the central directory is damaged or inconsistent
	// (truncated, bad signature, entry count or ZIP64 fields disagree).
	KindDirectory AnomalyKind = "directory"
	// KindSizeMismatch: a stored member's compressed and uncompressed
	// sizes differ (miniz refuses the archive; zipfile reads the
	// compressed size, and so does this package).
	KindSizeMismatch AnomalyKind = "size-mismatch"
)

// Anomaly is one finding about the archive's structure.
type Anomaly struct {
	Kind AnomalyKind
	// Entry is the central-directory name of the member concerned, ""
	// for the archive as a whole.
	Entry string
	// Offset is the absolute file offset the anomaly is about.
	Offset int64
	// Detail is a short human explanation.
	Detail string
}

func (a Anomaly) String() string {
	if a.Entry == "" {
		return fmt.Sprintf("%s at %d: %s", a.Kind, a.Offset, a.Detail)
	}
	return fmt.Sprintf("%s %q at %d: %s", a.Kind, a.Entry, a.Offset, a.Detail)
}

// CRCAnomaly is the anomaly a caller records when VerifyCRC reports a
// mismatch for e.
func CRCAnomaly(e *Entry) Anomaly {
	return Anomaly{
		Kind:   KindCRCMismatch,
		Entry:  e.Name,
		Offset: e.HeaderOffset,
		Detail: fmt.Sprintf("data does not match the stored CRC-32 %08x; PyTorch does not check it", e.CRC32),
	}
}

// maxPerKind caps the anomalies recorded per kind, so that a directory of
// 100,000 hostile entries does not become millions of findings.
const maxPerKind = 1000

// add records an anomaly, unless maxPerKind of its kind are recorded.
func (a *Archive) add(kind AnomalyKind, entry string, off int64, format string, args ...any) {
	if a.perKind == nil {
		a.perKind = make(map[AnomalyKind]int)
	}
	a.perKind[kind]++
	switch n := a.perKind[kind]; {
	case n < maxPerKind:
		a.Anomalies = append(a.Anomalies, Anomaly{Kind: kind, Entry: entry, Offset: off, Detail: fmt.Sprintf(format, args...)})
	case n == maxPerKind:
		a.Anomalies = append(a.Anomalies, Anomaly{Kind: kind, Offset: off, Detail: fmt.Sprintf("%d or more anomalies of this kind; the rest are not recorded", maxPerKind)})
	}
}

// short quotes s for a Detail, cut to a readable length.
func short(s string) string {
	const n = 80
	if len(s) > n {
		return fmt.Sprintf("%q…", s[:n])
	}
	return fmt.Sprintf("%q", s)
}
