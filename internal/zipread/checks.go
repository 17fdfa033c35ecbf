package zipread

import (
	"cmp"
	"slices"
	"strings"
)

// checkEntry records the per-entry anomalies other than those of the
// local header. localFlags are the local header's flags (0 if none).
func (a *Archive) checkEntry(e *Entry, localFlags uint16) {
	a.checkFlags(e, localFlags)
	switch e.Method {
	case MethodStore, MethodDeflate, MethodBzip2:
	default:
		a.add(KindUnsupportedMethod, e.Name, e.HeaderOffset, "compression method %d cannot be decoded here", e.Method)
	}
	if e.Method == MethodStore && e.CompressedSize != e.UncompressedSize {
		a.add(KindSizeMismatch, e.Name, e.HeaderOffset, "stored member claims %d bytes stored and %d uncompressed; %d are read", e.CompressedSize, e.UncompressedSize, e.CompressedSize)
	}
	if e.DataOffset >= 0 && (e.DataOffset > a.size || e.CompressedSize > uint64(a.size-e.DataOffset)) {
		a.add(KindOutOfBounds, e.Name, e.DataOffset, "%d bytes of data at %d run past the end of the file (%d bytes)", e.CompressedSize, e.DataOffset, a.size)
	}
	a.checkName(e, e.Name, "name")
	if e.LocalName != e.Name && e.LocalName != "" {
		a.checkName(e, e.LocalName, "local header name")
	}
}

// checkFlags reports the flag bits loaders disagree on, set in the
// directory or the local header.
func (a *Archive) checkFlags(e *Entry, localFlags uint16) {
	both := e.Flags | localFlags
	if enc := both & (FlagEncrypted | FlagStrongEncrypted); enc != 0 {
		a.add(KindEncrypted, e.Name, e.HeaderOffset, "encryption flag bits %#x set (directory flags %#04x, local %#04x); data read raw, as PyTorch does", enc, e.Flags, localFlags)
	}
	if both&FlagPatched != 0 {
		a.add(KindPatched, e.Name, e.HeaderOffset, "patched-data flag bit 0x20 set (directory flags %#04x, local %#04x); data read raw, as PyTorch does", e.Flags, localFlags)
	}
}

// checkName reports a name that would escape an extraction directory.
func (a *Archive) checkName(e *Entry, name, which string) {
	if why := unsafeName(name); why != "" {
		a.add(KindUnsafeName, e.Name, e.HeaderOffset, "%s %s %s", which, short(name), why)
	}
}

// unsafeName says why name is unsafe to extract, "" if it is not.
func unsafeName(name string) string {
	switch {
	case strings.IndexByte(name, 0) >= 0:
		return "contains a NUL byte"
	case strings.HasPrefix(name, "/"), strings.HasPrefix(name, `\`):
		return "is absolute"
	case len(name) >= 2 && name[1] == ':' && isASCIILetter(name[0]):
		return "starts with a drive letter"
	case hasDotDot(name):
		return "has a .. segment"
	case strings.IndexByte(name, '\\') >= 0:
		return "contains a backslash"
	}
	return ""
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// hasDotDot reports whether a "/" or "\" separated segment is "..".
func hasDotDot(name string) bool {
	for name != "" {
		i := strings.IndexAny(name, `/\`)
		if i < 0 {
			return name == ".."
		}
		if name[:i] == ".." {
			return true
		}
		name = name[i+1:]
	}
	return false
}

// checkArchive records the anomalies that involve several entries.
func (a *Archive) checkArchive() {
	a.checkDuplicates()
	a.checkOverlaps()
	a.checkPrefix()
}

func (a *Archive) checkDuplicates() {
	seen := make(map[string]int, len(a.Entries))
	for i, e := range a.Entries {
		if j, ok := seen[e.Name]; ok {
			a.add(KindDuplicateName, e.Name, e.HeaderOffset, "entry %d has the same name as entry %d; zipfile takes the last, miniz either", i, j)
			continue
		}
		seen[e.Name] = i
	}
}

// span is the byte range of a member (header and data) or, with a nil
// entry, of the central directory.
type span struct {
	start, end int64
	e          *Entry
}

// checkOverlaps reports members whose header and data overlap another
// member's or the central directory.
func (a *Archive) checkOverlaps() {
	spans := make([]span, 0, len(a.Entries)+1)
	for _, e := range a.Entries {
		if e.DataOffset < 0 {
			continue
		}
		n := min(clampU64(e.CompressedSize), max(a.size-e.DataOffset, 0))
		spans = append(spans, span{e.HeaderOffset, e.DataOffset + n, e})
	}
	if a.dirLen > 0 {
		spans = append(spans, span{a.dirPos, a.dirPos + a.dirLen, nil})
	}
	slices.SortStableFunc(spans, func(x, y span) int { return cmp.Compare(x.start, y.start) })
	var last span
	for i, s := range spans {
		if i > 0 && s.start < last.end {
			a.reportOverlap(s, last)
		}
		if i == 0 || s.end > last.end {
			last = s
		}
	}
}

// reportOverlap records that s starts inside prev.
func (a *Archive) reportOverlap(s, prev span) {
	switch {
	case s.e == nil:
		a.add(KindOverlap, prev.e.Name, prev.start, "member data runs into the central directory at %d", s.start)
	case prev.e == nil:
		a.add(KindOverlap, s.e.Name, s.start, "member lies inside the central directory")
	default:
		a.add(KindOverlap, s.e.Name, s.start, "member overlaps %s (header at %d)", short(prev.e.Name), prev.start)
	}
}

// checkPrefix reports bytes before the first local header, or before the
// directory of an archive without entries. When no local header is
// readable there is no telling, and KindLocalHeader says enough.
func (a *Archive) checkPrefix() {
	first, found := a.dirPos, len(a.Entries) == 0
	for _, e := range a.Entries {
		if e.DataOffset >= 0 {
			first, found = min(first, e.HeaderOffset), true
		}
	}
	if found && first > 0 {
		a.add(KindPrefix, "", 0, "%d bytes precede the first local header (archive start %d); torch.load reads such a file as a legacy pickle", first, a.Start)
	}
}
