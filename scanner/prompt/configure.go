package prompt

import "github.com/modelgate/modelgate/scanner"

var _ scanner.Configurable = (*Scanner)(nil)

// Configure turns on following promptfoo and LangChain file:// references
// when the settings give a view of the repository.
func (s *Scanner) Configure(set scanner.Settings) error {
	if set.RepoFS != nil {
		s.refs = &refState{opts: RefOptions{FS: set.RepoFS, Root: set.Root}}
	}
	return nil
}
