package zipread

import "io/fs"

// Compression methods this package decodes.
const (
	MethodStore   uint16 = 0
	MethodDeflate uint16 = 8
	MethodBzip2   uint16 = 12
)

// General-purpose flag bits of interest.
const (
	FlagEncrypted       uint16 = 0x1
	FlagDataDescriptor  uint16 = 0x8
	FlagPatched         uint16 = 0x20
	FlagStrongEncrypted uint16 = 0x40
	FlagUTF8            uint16 = 0x800
)

// Entry is one central-directory entry. Every field is a claim made by
// the file; sizes are never trusted for allocation.
type Entry struct {
	// Name is the central-directory name, the one loaders use, as raw
	// bytes (UTF-8 when Flags has FlagUTF8, otherwise usually CP437).
	Name string
	// LocalName is the name in the local header, "" if unreadable.
	LocalName string
	// Method is the compression method (see MethodStore and friends).
	Method uint16
	// Flags are the central-directory general-purpose flags.
	Flags uint16
	// CRC32 is the stored CRC-32 of the uncompressed data.
	CRC32 uint32
	// CompressedSize and UncompressedSize are the central-directory sizes,
	// ZIP64 values applied.
	CompressedSize, UncompressedSize uint64
	// HeaderOffset is the absolute offset of the local header (Start
	// applied), -1 if it does not fit in the file's offset range.
	HeaderOffset int64
	// DataOffset is the absolute offset of the member data, -1 when the
	// local header is missing or unreadable.
	DataOffset int64
	// Mode is the file mode from the external attributes: Unix modes when
	// the entry was made on Unix (so symlinks and devices show), the
	// MS-DOS directory bit otherwise, and fs.ModeDir for names ending in
	// "/".
	Mode fs.FileMode
}

// Encrypted reports whether the central directory marks e as encrypted.
func (e *Entry) Encrypted() bool {
	return e.Flags&(FlagEncrypted|FlagStrongEncrypted) != 0
}

// Creator systems whose external attributes carry a Unix mode.
const (
	creatorUnix  = 3
	creatorMacOS = 19
)

// entryMode derives a file mode from the "version made by" and external
// attribute fields.
func entryMode(madeBy uint16, external uint32, name string) fs.FileMode {
	var m fs.FileMode
	switch madeBy >> 8 {
	case creatorUnix, creatorMacOS:
		m = unixMode(external >> 16)
	default:
		if external&0x10 != 0 {
			m = fs.ModeDir | 0o755
		}
	}
	if len(name) > 0 && name[len(name)-1] == '/' {
		m |= fs.ModeDir
	}
	return m
}

// unixMode converts a Unix st_mode to an fs.FileMode.
func unixMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & 0o170000 {
	case 0o060000:
		mode |= fs.ModeDevice
	case 0o020000:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case 0o040000:
		mode |= fs.ModeDir
	case 0o010000:
		mode |= fs.ModeNamedPipe
	case 0o120000:
		mode |= fs.ModeSymlink
	case 0o140000:
		mode |= fs.ModeSocket
	}
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
