package jinja

import (
	"regexp"
	"sort"
)

// The pattern search for templates that gonja cannot parse (or that are
// too large to parse): the markers of sandbox escapes, found in the raw
// text. It was internal/ssti; Check uses it only when the syntax tree is
// not available, because on parseable templates the tree walk is exact
// and does not trip over the same words in literal text.

// KindMarker is the kind of an Issue found by the pattern search.
const KindMarker = "marker"

// maxMarkersPerPattern bounds the markers one pattern reports.
const maxMarkersPerPattern = 50

var markers = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`__(class|mro|base|bases|subclasses|globals|builtins|init|getattribute|import|dict|code|func|self|reduce|reduce_ex)__`), "Python internals reached from a template (sandbox escape)"},
	{regexp.MustCompile(`\|\s*attr\s*\(`), "the attr filter reads arbitrary attributes"},
	{regexp.MustCompile(`\b(os|subprocess|sys|builtins|importlib)\s*\.`), "a Python module reached from a template"},
	{regexp.MustCompile(`\b(popen|system|check_output|eval|exec|compile|__import__|getattr|setattr)\s*\(`), "code execution or reflection call"},
	{regexp.MustCompile(`\b(cycler|joiner|namespace|lipsum|url_for|get_flashed_messages|config|request|self)\s*\.\s*(__|_TemplateReference|_module|init|environment)`), "a Jinja global used as a gadget to reach Python internals"},
	{regexp.MustCompile(`\{%-?\s*(import|include|extends|from)\b`), "template loads another template (not needed by chat templates)"},
}

// Markers returns the sandbox-escape markers in text by pattern search,
// ordered by offset, as issues of kind KindMarker.
func Markers(text string) []Issue {
	var out []Issue
	for _, m := range markers {
		for _, loc := range m.re.FindAllStringIndex(text, maxMarkersPerPattern) {
			out = append(out, Issue{Start: loc[0], End: min(loc[1], loc[0]+80), Kind: KindMarker, Why: m.why})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// Check returns the template-injection issues of template: from the
// syntax tree when gonja parses it (parsed true), else from Markers. It
// is what format scanners with their own SSTI rule use.
func Check(template string) (issues []Issue, parsed bool) {
	issues, err := Analyze(template)
	if err != nil {
		return Markers(template), false
	}
	return issues, true
}
