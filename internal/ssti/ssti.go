// Package ssti finds server-side template injection markers in Jinja-style
// templates (Hugging Face and GGUF chat templates, prompt templates): the
// attribute walks and calls that escape a sandboxed template to Python
// (CVE-2024-34359 and friends). It is a marker search for formats whose
// full template analysis lives elsewhere; it never renders anything.
package ssti

import (
	"regexp"
	"sort"
)

// Marker is one suspicious construct found in a template.
type Marker struct {
	Offset int    // byte offset in the template
	Text   string // the matched text, at most 80 bytes
	Why    string
}

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

// Find returns the markers in text, in order of position.
func Find(text string) []Marker {
	var out []Marker
	for _, m := range markers {
		for _, loc := range m.re.FindAllStringIndex(text, 50) {
			t := text[loc[0]:loc[1]]
			if len(t) > 80 {
				t = t[:80]
			}
			out = append(out, Marker{Offset: loc[0], Text: t, Why: m.why})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}
