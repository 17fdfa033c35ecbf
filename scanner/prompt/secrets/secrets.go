// Package secrets finds credentials and personal data in prompt text:
// secrets through the gitleaks default rule set (used as a library) and
// PII (e-mail, phone, US SSN, payment cards, IBAN, AWS account IDs) through
// regular expressions plus validators (NANP rules, SSN area rules, IIN +
// Luhn, IBAN mod-97). Severity depends on the segment's role; see RuleFor.
//
// Evidence never carries a secret or a whole value: secrets show the
// gitleaks rule and at most their first four characters, PII is masked
// (j***@example.com, **** **** **** 1111).
package secrets

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// MaxDecodeDepth is how many rounds of base64 / hex / percent decoding
// gitleaks applies before matching (the library default is 0: none).
const MaxDecodeDepth = 2

// maxTextMB: gitleaks skips text larger than this many megabytes in one
// call (the prompt extractors cap files at 10 MiB).
const maxTextMB = 10

var (
	detOnce sync.Once
	detErr  error
	// det is not safe for concurrent use: DetectContext appends decoder
	// tags to the rule's shared Tags slice (append(r.Tags, metaTags...)),
	// a data race once decoding is on. detMu serialises every call.
	det   *detect.Detector
	detMu sync.Mutex
)

// detector builds the gitleaks detector once. NewDetectorDefaultConfig
// reads the embedded config through the global viper instance, so it must
// not run concurrently with itself; sync.Once guarantees that.
func detector() (*detect.Detector, error) {
	detOnce.Do(func() {
		// gitleaks logs to stderr through a package-level zerolog logger.
		logging.Logger = zerolog.Nop()
		d, err := detect.NewDetectorDefaultConfig()
		if err != nil {
			detErr = fmt.Errorf("secrets: gitleaks default config: %w", err)
			return
		}
		d.MaxDecodeDepth = MaxDecodeDepth
		d.MaxTargetMegaBytes = maxTextMB
		det = d
	})
	return det, detErr
}

// Init builds the gitleaks detector now (it takes tens of milliseconds)
// and reports a configuration error. Detect calls it lazily.
func Init() error {
	_, err := detector()
	return err
}

// Detect returns the secrets and PII found in seg, ordered by offset, with
// rule IDs chosen by seg.Role. Overlapping findings keep the strongest
// (secrets first, then IBAN, card, SSN, phone, AWS account, e-mail).
func Detect(seg promptcore.Segment) []promptcore.Hit {
	text := seg.Text
	if text == "" {
		return nil
	}
	var hits []promptcore.Hit
	hits = append(hits, secretHits(text)...)
	for _, p := range findPII(text) {
		kind := p.kind
		if p.example {
			kind = Example(kind)
		}
		hits = append(hits, promptcore.Hit{
			Rule:     RuleFor(kind, seg.Role),
			Start:    p.start,
			End:      p.end,
			Message:  piiMessage(p, seg),
			Evidence: p.evidence,
		})
	}
	return resolveOverlaps(hits)
}

func piiMessage(p piiMatch, seg promptcore.Segment) string {
	m := fmt.Sprintf("%s in %s text", piiNames[p.kind], seg.Role)
	if seg.Source != "" {
		m += " (" + seg.Source + ")"
	}
	if p.example {
		m += "; a documentation or test value, reported one band lower"
	}
	return m
}

var piiNames = map[string]string{
	KindEmail:      "E-mail address",
	KindPhone:      "Telephone number",
	KindSSN:        "US social security number",
	KindCard:       "Payment card number",
	KindIBAN:       "IBAN",
	KindAWSAccount: "AWS account ID",
}

// secretHits runs gitleaks over text.
func secretHits(text string) []promptcore.Hit {
	d, err := detector()
	if err != nil {
		return nil
	}
	detMu.Lock()
	findings := d.DetectString(text)
	detMu.Unlock()
	var nl []int // offsets of '\n'
	if len(findings) > 0 {
		for i := 0; i < len(text); i++ {
			if text[i] == '\n' {
				nl = append(nl, i)
			}
		}
	}
	hits := make([]promptcore.Hit, 0, len(findings))
	for i := range findings {
		f := &findings[i]
		start, end, ok := findingSpan(text, nl, f)
		if !ok {
			continue
		}
		hits = append(hits, promptcore.Hit{
			Rule:     RuleSecret,
			Start:    start,
			End:      end,
			Message:  fmt.Sprintf("Secret in prompt text (gitleaks %s): %s", f.RuleID, strings.TrimSpace(f.Description)),
			Evidence: f.RuleID + ": " + redactSecret(f.Secret),
		})
	}
	return hits
}

// findingSpan turns gitleaks' line/column location back into byte offsets
// in text. gitleaks counts a line's column from the preceding newline byte
// (so column 1 of line k > 0 is the newline itself), which this inverts.
// The span is narrowed to the secret when it appears verbatim in the match.
func findingSpan(text string, nl []int, f *report.Finding) (int, int, bool) {
	base := func(line int) int {
		switch {
		case line <= 0:
			return 0
		case line-1 < len(nl):
			return nl[line-1]
		default:
			return len(text)
		}
	}
	start := base(f.StartLine) + f.StartColumn - 1
	end := base(f.EndLine) + f.EndColumn
	if start < 0 || end > len(text) || start >= end {
		return 0, 0, false
	}
	if f.Secret != "" {
		if i := strings.Index(text[start:end], f.Secret); i >= 0 {
			start, end = start+i, start+i+len(f.Secret)
		}
	}
	return start, end, true
}

// redactSecret shows at most the first four characters of a secret (fewer
// for short secrets: a quarter of its length), then "…".
func redactSecret(s string) string {
	n := utf8.RuneCountInString(s) / 4
	if n > 4 {
		n = 4
	}
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			break
		}
		b.WriteRune(r)
		n--
	}
	b.WriteString("…")
	return b.String()
}

// resolveOverlaps keeps the first of any overlapping hits (hits arrive in
// priority order) and sorts the result by offset.
func resolveOverlaps(hits []promptcore.Hit) []promptcore.Hit {
	var kept []promptcore.Hit
	for _, h := range hits {
		overlaps := false
		for _, k := range kept {
			if h.Start < k.End && k.Start < h.End {
				overlaps = true
				break
			}
		}
		if !overlaps {
			kept = append(kept, h)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Start < kept[j].Start })
	return kept
}
