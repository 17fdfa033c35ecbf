package archive

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"

	"github.com/bodgit/sevenzip"

	"github.com/modelgate/modelgate/internal/spool"
	"github.com/modelgate/modelgate/scanner"
)

// max7zMember bounds one 7z member spooled for scanning.
const max7zMember = 16 << 30

// scanSevenZip checks the 7z headers (szWalk), then reads the members in
// archive order, so that a solid block is decoded once, and routes each
// through the engine. Encrypted folders and coders that are not decoded
// are reported, not guessed at.
func (s *Scanner) scanSevenZip(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	lim := defaultSZLimits
	lim.maxCount = uint64(max(s.lim.MaxMembers, 1))
	a, err := szWalk(in.R, in.Size, lim)
	var p *szProblem
	switch {
	case errors.As(err, &p):
		return []scanner.Finding{szProblemFinding(in, p)}, nil
	case err != nil:
		return nil, err
	case a == nil:
		return nil, nil // an empty archive
	}
	a.classify(lim)
	zr, err := open7z(in.R, in.Size)
	if err != nil {
		if isContextErr(err) {
			return nil, err
		}
		return []scanner.Finding{in.FindingAt(rule7zMalformed, 0, "7z archive cannot be read: "+err.Error()+".", "unreadable 7z")}, nil
	}
	c := &capped{in: in}
	budget := newExpansion(in.Size)
	for _, f := range budget.claims(in, a.claimedSize()) {
		c.add(f)
	}
	var deep nesting
	skipped := map[szStatus]*skippedMembers{}
	// After a decoding failure, every later member of the same solid
	// block would be decoded again from the block's start: skip them.
	broken := map[int]bool{}
	var afterBreak skippedMembers
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return c.findings(), err
		}
		mode := f.Mode()
		if unsafeName(f.Name) {
			c.add(in.Finding(ruleTraversal, fmt.Sprintf("7z member %q escapes the extraction directory.", cut(f.Name)), "name "+cut(f.Name)))
		}
		if mode&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
			c.add(in.Finding(ruleTraversal, fmt.Sprintf("7z member %q is a device, FIFO or socket.", cut(f.Name)), "device "+cut(f.Name)))
		}
		if mode.IsDir() || f.UncompressedSize == 0 {
			continue
		}
		if st, reason := a.folderStatus(f.Stream); st != szReadable {
			if skipped[st] == nil {
				skipped[st] = &skippedMembers{reason: reason}
			}
			skipped[st].add(f.Name)
			continue
		}
		if broken[f.Stream] {
			afterBreak.add(f.Name)
			continue
		}
		if deep.blocked() && mode&fs.ModeSymlink == 0 {
			deep.skip(f.Name)
			continue
		}
		if budget.spent() {
			for _, x := range budget.exceeded(in) {
				c.add(x)
			}
			break
		}
		own, nested, failed, err := s.sevenZipMember(ctx, in, f, budget, &deep)
		broken[f.Stream] = broken[f.Stream] || failed
		for _, x := range own {
			c.add(x)
		}
		c.addAll(nested)
		if err != nil {
			return c.findings(), err
		}
	}
	out := c.findings()
	out = append(out, deep.findings(in)...)
	if afterBreak.n > 0 {
		out = append(out, in.Finding(ruleCorrupt,
			fmt.Sprintf("%d later member(s) of a solid block that failed to decode were not scanned (first: %q).", afterBreak.n, cut(afterBreak.first)),
			"solid block failed"))
	}
	for _, st := range []szStatus{szFolderEncrypted, szFolderUnsupported} {
		if sk := skipped[st]; sk != nil {
			out = append(out, in.Finding(ruleNotScanned,
				fmt.Sprintf("%d 7z member(s) not scanned: %s (first: %q).", sk.n, sk.reason, cut(sk.first)),
				sk.reason))
		}
	}
	return in.CollapseNote(out, ruleFormatInUse, "Archive holds %d pickle stream(s); no dangerous content found, but loading pickles runs code chosen by their author; prefer safetensors."), nil
}

type skippedMembers struct {
	n      int
	first  string
	reason string
}

func (sk *skippedMembers) add(name string) {
	if sk.n++; sk.first == "" {
		sk.first = name
	}
}

// folderStatus says whether members of folder i can be read.
func (a *szArchive) folderStatus(i int) (szStatus, string) {
	if a.streams == nil || i < 0 || i >= len(a.streams.folders) {
		return szFolderUnsupported, "no folder holds their data"
	}
	f := a.streams.folders[i]
	return f.status, f.reason
}

// sevenZipMember decodes one member into a spool, checks it and routes it
// through the engine. Bytes members yield are charged to budget. It
// returns its own findings and the member's.
func (s *Scanner) sevenZipMember(ctx context.Context, in *scanner.Input, f *sevenzip.File, budget *expansion, deep *nesting) (own, nested []scanner.Finding, failed bool, err error) {
	at := func(rule, msg, evidence string) []scanner.Finding {
		return []scanner.Finding{in.Finding(rule, msg, evidence)}
	}
	rc, err := open7zMember(f)
	if err != nil {
		if isContextErr(err) {
			return nil, nil, true, err
		}
		return at(ruleCorrupt, fmt.Sprintf("7z member %q cannot be decoded: %v.", cut(f.Name), err), "member "+cut(f.Name)), nil, true, nil
	}
	defer rc.Close()
	limit := min(int64(max7zMember), budget.left())
	crc := crc32.NewIEEE()
	content, err := readSpool(ctxReader{ctx, io.TeeReader(rc, crc)}, s.lim.MaxMemory, limit)
	switch {
	case errors.Is(err, spool.ErrTooLarge):
		budget.add(limit + 1)
		if limit < max7zMember {
			return budget.exceeded(in), nil, true, nil
		}
		return at(ruleBomb, fmt.Sprintf("7z member %q decodes to more than %d bytes; not scanned.", cut(f.Name), limit), "member "+cut(f.Name)), nil, true, nil
	case isContextErr(err):
		return nil, nil, true, err
	case err != nil:
		return at(ruleCorrupt, fmt.Sprintf("7z member %q cannot be decoded: %v.", cut(f.Name), err), "member "+cut(f.Name)), nil, true, nil
	}
	defer content.Close()
	budget.add(content.Size)
	if uint64(content.Size) != f.UncompressedSize {
		failed = true
		own = at(ruleCorrupt, fmt.Sprintf("7z member %q decodes to %d bytes, the header says %d.", cut(f.Name), content.Size, f.UncompressedSize), "size "+cut(f.Name))
	} else if f.CRC32 != 0 && crc.Sum32() != f.CRC32 {
		own = at(ruleCorrupt, fmt.Sprintf("7z member %q does not match its CRC-32 %08x.", cut(f.Name), f.CRC32), "crc "+cut(f.Name))
	}
	if f.Mode()&fs.ModeSymlink != 0 {
		if t := linkTarget(content, content.Size); t != "" && linkEscapes(f.Name, t) {
			own = append(own, at(ruleTraversal, fmt.Sprintf("7z member %q is a symbolic link to %q, outside the archive.", cut(f.Name), cut(t)), "link "+cut(f.Name))...)
		}
	}
	if deep.blocked() {
		deep.skip(f.Name)
		return own, nil, failed, nil
	}
	nested, err = scanMember(ctx, in, deep, f.Name, content, content.Size)
	return own, nested, failed, err
}

// open7z opens the archive with the library; a panic in it (hostile input
// the header walk did not foresee) becomes an error.
func open7z(r io.ReaderAt, size int64) (zr *sevenzip.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			zr, err = nil, fmt.Errorf("7z reader failed: %v", p)
		}
	}()
	return sevenzip.NewReader(r, size)
}

func open7zMember(f *sevenzip.File) (rc io.ReadCloser, err error) {
	defer func() {
		if p := recover(); p != nil {
			rc, err = nil, fmt.Errorf("7z reader failed: %v", p)
		}
	}()
	rc, err = f.Open()
	if err != nil {
		return nil, err
	}
	return &safeReadCloser{rc}, nil
}

// safeReadCloser turns a decoder panic into an error.
type safeReadCloser struct{ rc io.ReadCloser }

func (s *safeReadCloser) Read(p []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("7z decoder failed: %v", r)
		}
	}()
	return s.rc.Read(p)
}

func (s *safeReadCloser) Close() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("7z decoder failed: %v", r)
		}
	}()
	return s.rc.Close()
}

// readSpool spools r, failing with spool.ErrTooLarge past limit bytes.
func readSpool(r io.Reader, maxMem, limit int64) (*spool.Spooled, error) {
	return spool.Read(r, maxMem, max(limit, 0))
}

func szProblemFinding(in *scanner.Input, p *szProblem) scanner.Finding {
	switch p.kind {
	case szEncrypted:
		return in.FindingAt(ruleNotScanned, 0, "7z archive cannot be scanned: "+p.detail+".", "encrypted 7z header")
	case szUnsupported:
		return in.FindingAt(ruleNotScanned, 0, "7z archive cannot be scanned: "+p.detail+".", "7z limit")
	}
	return in.FindingAt(rule7zMalformed, 0, "7z archive is malformed: "+p.detail+".", "malformed 7z")
}
