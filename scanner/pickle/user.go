package pickle

import (
	"fmt"
	"strings"

	"github.com/modelgate/modelgate/scanner"
)

var _ scanner.Configurable = (*Scanner)(nil)

// userWhy is the reason shown for names the repository policy lists.
const (
	userAllowWhy = "allowed by the repository policy (pickle.allow-globals)"
	userDenyWhy  = "denied by the repository policy (pickle.deny-globals)"
)

// Configure adds the repository policy's pickle globals to the built-in
// lists. A denied name is judged dangerous wherever the built-in lists
// would have allowed it. An allowed name may turn an unknown name into a
// safe one, but never overrides the built-in judgement of a dangerous
// name: such an entry is an error, since the finding should be suppressed
// with a reason and an expiry instead.
func (s *Scanner) Configure(set scanner.Settings) error {
	if len(set.PickleAllow) == 0 && len(set.PickleDeny) == 0 {
		return nil
	}
	pol := *s.pol
	var err error
	if pol.userDeny, err = userNameSet(set.PickleDeny, userDenyWhy); err != nil {
		return err
	}
	if pol.userAllow, err = userNameSet(set.PickleAllow, userAllowWhy); err != nil {
		return err
	}
	for _, g := range set.PickleAllow {
		name := strings.TrimSuffix(g, ".*")
		module, attr := name, ""
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			module, attr = name[:i], name[i+1:]
		}
		var j judgement
		if attr == "" || strings.HasSuffix(g, ".*") {
			j = s.pol.judgeCanonical(s.pol.canonical(name))
		} else {
			j = s.pol.judge(module, attr)
		}
		if j.verdict >= verdictDeny {
			return fmt.Errorf("pickle.allow-globals: %s cannot be allowed: the built-in policy judges %s %s (%s); suppress the finding with a reason and an expiry instead", g, j.resolved, j.verdict, j.why)
		}
	}
	s.pol = &pol
	return nil
}

// userNameSet builds a name set from "module.name" and "module.*" entries.
func userNameSet(globals []string, why string) (*nameSet, error) {
	es := make([]entry, 0, len(globals))
	for _, g := range globals {
		if m, ok := strings.CutSuffix(g, ".*"); ok {
			es = append(es, entry{Module: m, Why: why})
		} else {
			es = append(es, entry{Name: g, Why: why})
		}
	}
	return newNameSet(es)
}
