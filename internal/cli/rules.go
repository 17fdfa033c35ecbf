package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/modelgate/modelgate/scanner"
)

func runRules(args []string, env Env) error {
	fs := flag.NewFlagSet("modelgate rules", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	formatName := fs.String("format", "text", "output format: text, json or markdown")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	rules := scanner.Rules()
	switch *formatName {
	case "json":
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rules)
	case "markdown":
		_, err := io.WriteString(env.Stdout, RulesMarkdown(rules))
		return err
	case "text":
		for _, r := range rules {
			fmt.Fprintf(env.Stdout, "%s  %-8s  %-32s  %s\n", r.ID, r.Severity, r.Name, r.Title)
		}
		return nil
	}
	return fmt.Errorf("--format %q: want text, json or markdown: %w", *formatName, errUsage)
}

// RulesMarkdown renders the catalogue as the README's rule table.
func RulesMarkdown(rules []scanner.Rule) string {
	var b strings.Builder
	b.WriteString("| ID | Name | Default severity | Title | CWE |\n|---|---|---|---|---|\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", r.ID, r.Name, r.Severity, r.Title, r.CWE)
	}
	return b.String()
}
