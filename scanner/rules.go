package scanner

import (
	"embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Rule is one entry of the rule catalogue: everything SARIF, `modelgate
// rules`, the README table and the PR comment say about a kind of finding.
type Rule struct {
	ID          string   `yaml:"id" json:"id"`
	Name        string   `yaml:"name" json:"name"`
	Title       string   `yaml:"title" json:"title"`
	Severity    Severity `yaml:"severity" json:"severity"`
	Tags        []string `yaml:"tags" json:"tags"`
	CWE         string   `yaml:"cwe,omitempty" json:"cwe,omitempty"`
	Description string   `yaml:"description" json:"description"`
	Remediation string   `yaml:"remediation" json:"remediation"`
	References  []string `yaml:"references,omitempty" json:"references,omitempty"`
}

// HelpMarkdown is the rule's help as Markdown: description, remediation and
// references.
func (r *Rule) HelpMarkdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n**Remediation.** %s\n", strings.TrimSpace(r.Description), strings.TrimSpace(r.Remediation))
	if r.CWE != "" {
		fmt.Fprintf(&b, "\nWeakness: [%s](https://cwe.mitre.org/data/definitions/%s.html).\n", r.CWE, strings.TrimPrefix(r.CWE, "CWE-"))
	}
	if len(r.References) > 0 {
		b.WriteString("\nReferences:\n")
		for _, ref := range r.References {
			fmt.Fprintf(&b, "- %s\n", ref)
		}
	}
	return b.String()
}

// HelpText is the rule's help as plain text.
func (r *Rule) HelpText() string {
	return strings.TrimSpace(r.Description) + "\n\nRemediation: " + stripMarkdown(strings.TrimSpace(r.Remediation))
}

var markdownNoise = strings.NewReplacer("**", "", "`", "")

func stripMarkdown(s string) string { return markdownNoise.Replace(s) }

//go:embed rules/*.yaml
var rulesFS embed.FS

var (
	catalogueOnce sync.Once
	catalogue     []Rule
	ruleIndex     map[string]*Rule
	catalogueErr  error
)

var ruleIDPattern = regexp.MustCompile(`^MG\d{4}$`)
var ruleNamePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func loadCatalogue() {
	rules, err := readRuleFiles()
	if err != nil {
		catalogueErr = err
		return
	}
	index := make(map[string]*Rule, len(rules))
	for i := range rules {
		r := &rules[i]
		if err := r.validate(); err != nil {
			catalogueErr = fmt.Errorf("rules: rule %s: %w", r.ID, err)
			return
		}
		if _, dup := index[r.ID]; dup {
			catalogueErr = fmt.Errorf("rules: duplicate rule id %s", r.ID)
			return
		}
		index[r.ID] = r
	}
	slices.SortFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	for i := range rules {
		index[rules[i].ID] = &rules[i]
	}
	catalogue, ruleIndex = rules, index
}

// readRuleFiles reads every embedded rules/*.yaml file.
func readRuleFiles() ([]Rule, error) {
	entries, err := rulesFS.ReadDir("rules")
	if err != nil {
		return nil, err
	}
	var rules []Rule
	for _, e := range entries {
		data, err := rulesFS.ReadFile("rules/" + e.Name())
		if err != nil {
			return nil, err
		}
		var part []Rule
		if err := yaml.Unmarshal(data, &part); err != nil {
			return nil, fmt.Errorf("rules/%s: %w", e.Name(), err)
		}
		rules = append(rules, part...)
	}
	return rules, nil
}

func (r *Rule) validate() error {
	switch {
	case !ruleIDPattern.MatchString(r.ID):
		return fmt.Errorf("id must look like MG1234")
	case !ruleNamePattern.MatchString(r.Name):
		return fmt.Errorf("name %q must be kebab-case", r.Name)
	case r.Title == "" || len(r.Title) > 255:
		return fmt.Errorf("title must be 1-255 characters")
	case r.Severity == SeverityUnset:
		return fmt.Errorf("severity is required")
	case !slices.Contains(r.Tags, "security"):
		return fmt.Errorf("tags must include security")
	case len(r.Tags) > 10:
		return fmt.Errorf("at most 10 tags (GitHub keeps 10)")
	case r.Description == "" || len(r.Description) > 1024:
		return fmt.Errorf("description must be 1-1024 characters")
	case r.Remediation == "":
		return fmt.Errorf("remediation is required")
	case r.CWE != "" && !strings.HasPrefix(r.CWE, "CWE-"):
		return fmt.Errorf("cwe must look like CWE-20")
	}
	return nil
}

// Rules returns the whole catalogue sorted by ID. It panics if the embedded
// catalogue is invalid, which a unit test rules out.
func Rules() []Rule {
	catalogueOnce.Do(loadCatalogue)
	if catalogueErr != nil {
		panic(catalogueErr)
	}
	return catalogue
}

// LookupRule returns the rule with the given ID.
func LookupRule(id string) (*Rule, bool) {
	Rules()
	r, ok := ruleIndex[id]
	return r, ok
}
