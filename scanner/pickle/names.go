package pickle

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"gopkg.in/yaml.v3"
)

// verdict is the policy's judgement of an imported name.
type verdict uint8

const (
	verdictUnknown  verdict = iota // neither known-safe nor known-dangerous
	verdictAllow                   // safe to call
	verdictAllowNew                // safe to instantiate without __init__ (NEWOBJ, copyreg)
	verdictDeny                    // dangerous
	verdictCode                    // builds code objects
	verdictTamper                  // a scanner's own module
)

func (v verdict) String() string {
	return [...]string{"unknown", "allowed", "allowed (instantiation)", "dangerous", "code construction", "scanner tampering"}[v]
}

// judgement is a verdict with the entry that decided it.
type judgement struct {
	verdict verdict
	// resolved is the canonical dotted name the verdict is about; for a
	// gateway walk (torch.os.system) it is what the walk reaches (os.system).
	resolved string
	why      string
}

type entry struct {
	Module string `yaml:"module"`
	Name   string `yaml:"name"`
	Prefix string `yaml:"prefix"`
	RE     string `yaml:"re"`
	Why    string `yaml:"why"`
}

type policyFile struct {
	Gateways   []string          `yaml:"gateways"`
	Dunders    []string          `yaml:"dunders"`
	Aliases    map[string]string `yaml:"aliases"`
	Tamper     []entry           `yaml:"tamper"`
	Code       []entry           `yaml:"code"`
	Deny       []entry           `yaml:"deny"`
	Allow      []entry           `yaml:"allow"`
	AllowRegex []entry           `yaml:"allow_regex"`
	AllowNew   []entry           `yaml:"allow_new"`
}

//go:embed globals.yaml
var globalsYAML []byte

// policy is the compiled globals.yaml.
type policy struct {
	gateways, dunders map[string]bool
	aliases           map[string]string
	tamper, code      *nameSet
	deny, allow       *nameSet
	allowRegex        []*regexp.Regexp
	allowRegexWhy     []string
	allowNew          []entry
	// userAllow and userDeny are the repository policy's additions (nil
	// without a policy file).
	userAllow, userDeny *nameSet
}

// nameSet matches exact names and module prefixes.
type nameSet struct {
	names   map[string]string // module.name -> why
	modules map[string]string // module -> why (matches sub-modules too)
}

func newNameSet(es []entry) (*nameSet, error) {
	s := &nameSet{names: map[string]string{}, modules: map[string]string{}}
	for _, e := range es {
		switch {
		case e.Why == "":
			return nil, fmt.Errorf("entry %+v has no reason", e)
		case e.Name != "":
			s.names[e.Name] = e.Why
		case e.Module != "":
			s.modules[e.Module] = e.Why
		default:
			return nil, fmt.Errorf("entry %+v names nothing", e)
		}
	}
	return s, nil
}

// exact reports an exact name match.
func (s *nameSet) exact(full string) (string, bool) {
	why, ok := s.names[full]
	return why, ok
}

// module reports whether full lies in a listed module (any dotted prefix).
func (s *nameSet) module(full string) (string, bool) {
	for p := full; ; {
		if why, ok := s.modules[p]; ok {
			return why, true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return "", false
		}
		p = p[:i]
	}
}

// match is exact or module.
func (s *nameSet) match(full string) (string, bool) {
	if why, ok := s.exact(full); ok {
		return why, true
	}
	return s.module(full)
}

var (
	policyOnce sync.Once
	thePolicy  *policy
	policyErr  error
)

func loadPolicy() (*policy, error) {
	policyOnce.Do(func() { thePolicy, policyErr = compilePolicy(globalsYAML) })
	return thePolicy, policyErr
}

func compilePolicy(data []byte) (*policy, error) {
	var f policyFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("globals.yaml: %w", err)
	}
	p := &policy{gateways: set(f.Gateways), dunders: set(f.Dunders), aliases: f.Aliases, allowNew: f.AllowNew}
	var err error
	for _, s := range []struct {
		dst **nameSet
		src []entry
	}{{&p.tamper, f.Tamper}, {&p.code, f.Code}, {&p.deny, f.Deny}, {&p.allow, f.Allow}} {
		if *s.dst, err = newNameSet(s.src); err != nil {
			return nil, fmt.Errorf("globals.yaml: %w", err)
		}
	}
	for _, e := range f.AllowRegex {
		re, err := regexp.Compile(e.RE)
		if err != nil || e.Why == "" {
			return nil, fmt.Errorf("globals.yaml: allow_regex %q: bad pattern or no reason (%v)", e.RE, err)
		}
		p.allowRegex, p.allowRegexWhy = append(p.allowRegex, re), append(p.allowRegexWhy, e.Why)
	}
	return p, nil
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// canonical rewrites the first component of a dotted path through the
// alias table (posix.system -> os.system, _operator.attrgetter ->
// operator.attrgetter).
func (p *policy) canonical(path string) string {
	first, rest, dotted := strings.Cut(path, ".")
	alias, ok := p.aliases[first]
	if !ok {
		return path
	}
	if dotted {
		return alias + "." + rest
	}
	return alias
}

// judge decides about module.name as imported by GLOBAL, STACK_GLOBAL or
// INST. Names are walked the way CPython's find_class walks them under
// protocol 4 (attribute by attribute), whatever the stream's protocol.
func (p *policy) judge(module, name string) judgement {
	full := p.canonical(module + "." + name)
	comps := strings.Split(full, ".")
	for _, c := range comps {
		if p.dunders[c] {
			return judgement{verdictDeny, full, "reaches interpreter internals through " + c}
		}
	}
	if p.userDeny != nil {
		if why, ok := p.userDeny.match(full); ok {
			return judgement{verdictDeny, full, why}
		}
	}
	// Curated exact entries win over the gateway walk: torch.jit._pickle
	// is a torch module, not the pickle module.
	if why, ok := p.allow.exact(full); ok {
		return judgement{verdictAllow, full, why}
	}
	// A component that is a module object reached as an attribute
	// (torch.os, random._os) is judged as that module.
	for i := 1; i < len(comps); i++ {
		if p.gateways[comps[i]] {
			sub := p.canonical(strings.Join(comps[i:], "."))
			if j := p.judgeCanonical(sub); j.verdict >= verdictDeny {
				j.why = fmt.Sprintf("reaches %s through the attribute %q: %s", sub, comps[i], j.why)
				return j
			}
		}
	}
	return p.judgeCanonical(full)
}

// judgeCanonical applies the lists to a canonical dotted name.
func (p *policy) judgeCanonical(full string) judgement {
	if why, ok := p.tamper.module(full); ok {
		return judgement{verdictTamper, full, why}
	}
	if why, ok := p.code.match(full); ok {
		return judgement{verdictCode, full, why}
	}
	if p.userDeny != nil {
		if why, ok := p.userDeny.match(full); ok {
			return judgement{verdictDeny, full, why}
		}
	}
	if why, ok := p.deny.exact(full); ok {
		return judgement{verdictDeny, full, why}
	}
	if why, ok := p.allow.exact(full); ok {
		return judgement{verdictAllow, full, why}
	}
	if why, ok := p.deny.module(full); ok {
		return judgement{verdictDeny, full, why}
	}
	if p.userAllow != nil {
		if why, ok := p.userAllow.match(full); ok {
			return judgement{verdictAllow, full, why}
		}
	}
	for i, re := range p.allowRegex {
		if re.MatchString(full) {
			return judgement{verdictAllow, full, p.allowRegexWhy[i]}
		}
	}
	for _, e := range p.allowNew {
		if strings.HasPrefix(full, e.Prefix) && classLike(full) {
			return judgement{verdictAllowNew, full, e.Why}
		}
	}
	return judgement{verdictUnknown, full, "not on the allowlist"}
}

// classLike reports whether the last component looks like a class name.
func classLike(full string) bool {
	last := full[strings.LastIndexByte(full, '.')+1:]
	return last != "" && unicode.IsUpper(rune(last[0]))
}
