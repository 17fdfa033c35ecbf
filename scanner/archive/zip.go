package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/modelgate/modelgate/internal/zipread"
	"github.com/modelgate/modelgate/scanner"
)

// zipLimits raise the ratio limit above deflate's ~1032:1 ceiling: all-zero
// arrays in a compressed .npz are legitimate; size limits still stop bombs.
var zipLimits = func() zipread.Limits {
	l := zipread.DefaultLimits
	l.MaxRatio = 2000
	return l
}()

// differential kinds make readers disagree; the others are damage.
var differential = map[zipread.AnomalyKind]bool{
	zipread.KindNameMismatch: true, zipread.KindEncrypted: true, zipread.KindPatched: true,
	zipread.KindCRCMismatch: true, zipread.KindDuplicateName: true, zipread.KindOverlap: true,
	zipread.KindPrefix: true, zipread.KindEndRecordAmbiguous: true, zipread.KindSizeMismatch: true,
}

func (s *Scanner) scanZip(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	a, err := zipread.Read(in.R, in.Size, zipLimits)
	if err != nil {
		return []scanner.Finding{in.FindingAt(ruleMalformed, 0, "Zip archive cannot be read: "+err.Error()+".", "unreadable zip")}, nil
	}
	var out []scanner.Finding
	ts := newTorchScript()
	budget := newExpansion(in.Size)
	var claimed uint64
	for _, e := range a.Entries {
		if !e.Mode.IsDir() && !strings.HasSuffix(e.Name, "/") {
			claimed = addSat(claimed, e.UncompressedSize)
		}
	}
	out = append(out, budget.claims(in, claimed)...)
	var deep nesting
	for i, e := range a.Entries {
		if i >= s.lim.MaxMembers {
			out = append(out, in.Finding(ruleMalformed, fmt.Sprintf("Only the first %d of %d members were scanned.", s.lim.MaxMembers, len(a.Entries)), "member limit"))
			break
		}
		if e.Mode.IsDir() || strings.HasSuffix(e.Name, "/") {
			continue
		}
		if e.Mode&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
			out = append(out, in.FindingAt(ruleTraversal, e.HeaderOffset, fmt.Sprintf("Zip member %q is a device, FIFO or socket.", cut(e.Name)), "device "+cut(e.Name)))
		}
		if budget.spent() {
			out = append(out, budget.exceeded(in)...)
			break
		}
		found, err := s.zipMember(ctx, in, a, e, ts, budget, &deep)
		out = append(out, found...)
		if err != nil {
			return out, err
		}
	}
	out = append(out, anomalyFindings(in, a.Anomalies)...)
	out = append(out, ts.findings(in)...)
	out = append(out, deep.findings(in)...)
	return in.CollapseNote(out, ruleFormatInUse, "Archive holds %d pickle stream(s); no dangerous content found, but loading pickles runs code chosen by their author; prefer safetensors."), nil
}

// zipMember scans one member through the engine. The bytes it yields are
// charged to budget; at the nesting limit only links and TorchScript code
// are still read.
func (s *Scanner) zipMember(ctx context.Context, in *scanner.Input, a *zipread.Archive, e *zipread.Entry, ts *torchScript, budget *expansion, deep *nesting) ([]scanner.Finding, error) {
	link := e.Mode&fs.ModeSymlink != 0
	if deep.blocked() && !link && !isCodeFile(e.Name) {
		deep.skip(e.Name)
		return nil, nil
	}
	r, size, closeFn, err := a.Materialize(e, s.lim.MaxMemory)
	switch {
	case errors.Is(err, zipread.ErrLimit):
		return []scanner.Finding{in.FindingAt(ruleBomb, e.HeaderOffset, fmt.Sprintf("Member %q decompresses beyond the size or ratio limit; not scanned.", e.Name), "member "+e.Name)}, nil
	case isContextErr(err):
		return nil, err
	case err != nil:
		return []scanner.Finding{in.FindingAt(ruleMalformed, e.HeaderOffset, fmt.Sprintf("Member %q cannot be read: %v.", e.Name, err), "member "+e.Name)}, nil
	}
	defer closeFn()
	budget.add(size)
	if size <= s.lim.MaxCRCVerify {
		if ok, err := a.VerifyCRC(e); err == nil && !ok {
			a.Anomalies = append(a.Anomalies, zipread.CRCAnomaly(e))
		}
	}
	var out []scanner.Finding
	if link {
		// Extractors that honour the Unix mode (Info-ZIP unzip, bsdtar)
		// create a link to this target; PyTorch and Python's zipfile read
		// the data as a regular file, so the member is scanned as well.
		if t := linkTarget(r, size); t != "" && linkEscapes(e.Name, t) {
			out = append(out, in.FindingAt(ruleTraversal, e.HeaderOffset, fmt.Sprintf("Zip member %q is a symbolic link to %q, outside the archive.", cut(e.Name), cut(t)), "link "+cut(e.Name)))
		}
	}
	ts.member(e.Name, r, size)
	if deep.blocked() {
		deep.skip(e.Name)
		return out, nil
	}
	found, err := scanMember(ctx, in, deep, e.Name, r, size)
	return append(out, found...), err
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, scanner.ErrReadBudget)
}

// anomalyFindings reports the archive's structural anomalies.
func anomalyFindings(in *scanner.Input, as []zipread.Anomaly) []scanner.Finding {
	var out []scanner.Finding
	for _, an := range as {
		rule := ruleMalformed
		switch {
		case an.Kind == zipread.KindUnsafeName:
			rule = ruleTraversal
		case differential[an.Kind]:
			rule = ruleDifferential
		case an.Kind == zipread.KindCommentLength:
			continue // trailing bytes after the archive: reported as a polyglot when they parse
		}
		msg := "Zip " + string(an.Kind)
		if an.Entry != "" {
			msg += fmt.Sprintf(" in member %q", an.Entry)
		}
		out = append(out, in.FindingAt(rule, an.Offset, msg+": "+an.Detail+".", strings.TrimSpace(string(an.Kind)+" "+an.Entry)))
	}
	return out
}

// readPrefix reads up to n bytes of a member for text checks.
func readPrefix(r io.ReaderAt, size, n int64) []byte {
	b := make([]byte, min(size, n))
	k, _ := r.ReadAt(b, 0)
	return b[:k]
}
