package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	for i, e := range a.Entries {
		if i >= s.lim.MaxMembers {
			out = append(out, in.Finding(ruleMalformed, fmt.Sprintf("Only the first %d of %d members were scanned.", s.lim.MaxMembers, len(a.Entries)), "member limit"))
			break
		}
		if e.Mode.IsDir() || strings.HasSuffix(e.Name, "/") {
			continue
		}
		fs, err := s.zipMember(ctx, in, a, e, ts)
		out = append(out, fs...)
		if err != nil {
			return out, err
		}
	}
	out = append(out, anomalyFindings(in, a.Anomalies)...)
	out = append(out, ts.findings(in)...)
	return in.CollapseNote(out, ruleFormatInUse, "Archive holds %d pickle stream(s); no dangerous content found, but loading pickles runs code chosen by their author; prefer safetensors."), nil
}

// zipMember scans one member through the engine.
func (s *Scanner) zipMember(ctx context.Context, in *scanner.Input, a *zipread.Archive, e *zipread.Entry, ts *torchScript) ([]scanner.Finding, error) {
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
	if size <= s.lim.MaxCRCVerify {
		if ok, err := a.VerifyCRC(e); err == nil && !ok {
			a.Anomalies = append(a.Anomalies, zipread.CRCAnomaly(e))
		}
	}
	ts.member(e.Name, r, size)
	return in.ScanMember(ctx, e.Name, r, size)
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
