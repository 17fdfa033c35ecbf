// Package zipread is a lenient, bounded zip reader for a security scanner.
//
// It reads archives the way the loaders that matter read them: PyTorch's
// miniz-based reader drives everything from the central directory, ignores
// the encryption and patch flag bits, never checks CRC-32 and does not
// require the local-header name to match the directory name; Python's
// zipfile tolerates bytes prepended to the archive. zipread accepts all of
// that, reads the members anyway, and records every place where loaders,
// scanners and extractors could disagree as an Anomaly (see AnomalyKind),
// so that a scanner both sees what the loader sees and reports the trick.
//
// Read parses only the end records, the central directory and the local
// headers. Member data is read on demand through Open (streaming
// decompression: stored, deflate and bzip2), ReaderAt (stored members, no
// copy) and Materialize (random access, spilling to a temporary file).
//
// Everything here handles hostile input. The package must never panic on
// any input, never allocate in proportion to a size the file claims (sizes
// and counts in the archive are claims, bounded by Limits and by the real
// file size), and never extract members to disk under their member names:
// names are attacker-chosen strings (zip slip), reported, never used as
// paths. The only file it writes is an anonymous temporary file in
// Materialize, removed by the close function it returns.
package zipread
