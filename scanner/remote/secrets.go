package remote

import (
	"io"
	"slices"
	"strings"
	"sync"
)

// Mask replaces every secret in text.
const Mask = "***"

// minSecret is the shortest value masked: shorter ones would mask ordinary
// words and are not credentials anyway.
const minSecret = 6

// Secrets holds the credentials of every remote engine (API keys, client
// secrets and the tokens obtained with them) and masks them. Every log
// line, error message and finding a remote engine produces passes through
// Mask before it leaves the package. The zero value is ready to use and it
// is safe for concurrent use.
type Secrets struct {
	mu     sync.RWMutex
	values []string
}

// Add registers secrets; empty and very short values are ignored.
func (s *Secrets) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if v = strings.TrimSpace(v); len(v) >= minSecret && !slices.Contains(s.values, v) {
			s.values = append(s.values, v)
		}
	}
	// Longest first, so that a secret containing another is masked whole.
	slices.SortFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// Values returns the registered secrets (for ::add-mask:: in GitHub Actions).
func (s *Secrets) Values() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.values)
}

// Mask returns text with every registered secret replaced by "***".
func (s *Secrets) Mask(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		text = strings.ReplaceAll(text, v, Mask)
	}
	return text
}

// Writer returns a writer that masks each write before passing it on. Each
// write must hold whole lines (as fmt.Fprintln and log do), so that no
// secret is split across writes.
func (s *Secrets) Writer(w io.Writer) io.Writer { return maskingWriter{s, w} }

type maskingWriter struct {
	s *Secrets
	w io.Writer
}

func (m maskingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(m.w, m.s.Mask(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
