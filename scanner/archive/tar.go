package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/modelgate/modelgate/internal/spool"
	"github.com/modelgate/modelgate/scanner"
)

// maxTarMember bounds a tar member spooled for scanning.
const maxTarMember = 16 << 30

func (s *Scanner) scanTar(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	tr := tar.NewReader(io.NewSectionReader(in.R, 0, in.Size))
	var out []scanner.Finding
	// Sparse members expand holes to zeros: the budget bounds them.
	budget := newExpansion(in.Size)
	var deep nesting
	done := func() []scanner.Finding {
		out = append(out, deep.findings(in)...)
		return in.CollapseNote(out, ruleFormatInUse, "Archive holds %d pickle stream(s); no dangerous content found, but loading pickles runs code chosen by their author; prefer safetensors.")
	}
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return done(), nil
		}
		if isContextErr(err) {
			return out, err
		}
		if err != nil {
			out = append(out, in.Finding(ruleMalformed, "Tar archive is damaged: "+err.Error()+".", "damaged tar"))
			return done(), nil
		}
		if i >= s.lim.MaxMembers {
			out = append(out, in.Finding(ruleMalformed, fmt.Sprintf("Only the first %d members were scanned.", s.lim.MaxMembers), "member limit"))
			return done(), nil
		}
		out = append(out, tarEntryChecks(in, h)...)
		// GNU sparse members ('S') are regular files to extractors, with
		// holes read as zeros.
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA && h.Typeflag != tar.TypeGNUSparse {
			continue
		}
		if deep.blocked() {
			deep.skip(h.Name)
			continue
		}
		if budget.spent() {
			out = append(out, budget.exceeded(in)...)
			return done(), nil
		}
		limit := min(int64(maxTarMember), budget.left())
		content, err := spool.Read(ctxReader{ctx, tr}, s.lim.MaxMemory, limit)
		if err != nil {
			if isContextErr(err) {
				return out, err
			}
			if errors.Is(err, spool.ErrTooLarge) && limit < maxTarMember {
				budget.add(limit + 1)
				out = append(out, budget.exceeded(in)...)
				return done(), nil
			}
			out = append(out, in.Finding(ruleMalformed, fmt.Sprintf("Member %q cannot be read: %v.", h.Name, err), "member "+h.Name))
			continue
		}
		budget.add(content.Size)
		found, err := scanMember(ctx, in, &deep, h.Name, content, content.Size)
		content.Close()
		out = append(out, found...)
		if err != nil {
			return out, err
		}
	}
}

// tarEntryChecks reports names and links that escape the archive, and
// device files.
func tarEntryChecks(in *scanner.Input, h *tar.Header) []scanner.Finding {
	var out []scanner.Finding
	if escapes(h.Name) {
		out = append(out, in.Finding(ruleTraversal, fmt.Sprintf("Tar member %q escapes the extraction directory.", h.Name), "name "+h.Name))
	}
	switch h.Typeflag {
	case tar.TypeSymlink, tar.TypeLink:
		target := h.Linkname
		if h.Typeflag == tar.TypeSymlink && !path.IsAbs(target) {
			target = path.Join(path.Dir(h.Name), target)
		}
		if escapes(target) {
			out = append(out, in.Finding(ruleTraversal, fmt.Sprintf("Tar member %q links to %q, outside the archive.", h.Name, h.Linkname), "link "+h.Name))
		}
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		out = append(out, in.Finding(ruleTraversal, fmt.Sprintf("Tar member %q is a device or FIFO.", h.Name), "device "+h.Name))
	}
	return out
}

// escapes reports an absolute path or one that climbs out with "..".
func escapes(name string) bool {
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || strings.Contains(name, "\x00") {
		return true
	}
	return strings.HasPrefix(path.Clean(name), "../") || path.Clean(name) == ".."
}
