package hf

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/modelgate/modelgate/scanner/prompt/jinja"
)

// configKeys are the top-level members of config files that are checked.
var configKeys = map[string]bool{"auto_map": true, "custom_pipelines": true, "chat_template": true}

// hfMarkers say a config.json is a Hugging Face config: config.json is a
// common name, and a syntax error in somebody else's config is not news.
var hfMarkers = [][]byte{[]byte(`"model_type"`), []byte(`"architectures"`), []byte(`"auto_map"`), []byte(`"transformers_version"`)}

func (d *doc) config() {
	root, err := parseJSON(d.src, func(k string) bool { return configKeys[k] })
	if err != nil {
		if path.Base(fileName(&d.in.File)) != "config.json" || d.looksHF() {
			d.malformed("JSON", err)
		}
		return
	}
	if root.kind != '{' {
		return
	}
	for _, m := range root.members {
		switch m.key {
		case "auto_map":
			d.autoMap(m)
		case "custom_pipelines":
			d.customPipelines(m)
		case "chat_template":
			d.chatTemplates(m.val, "chat_template")
		}
	}
}

func (d *doc) looksHF() bool {
	for _, m := range hfMarkers {
		if bytes.Contains(d.src, m) {
			return true
		}
	}
	return false
}

// codeRef is one class reference of auto_map or custom_pipelines:
// "module.Class", or "org/repo--module.Class" for code in another repo.
type codeRef struct {
	key    string // the Auto class or pipeline task
	ref    string
	repo   string // "" for this repository
	file   string // the module file it imports
	off    int
	escape bool // the module path leaves the model directory
}

func parseRef(key, ref string, off int) codeRef {
	c := codeRef{key: key, ref: ref, off: off}
	rest := ref
	if i := strings.Index(ref, "--"); i >= 0 {
		c.repo, rest = ref[:i], ref[i+2:]
	}
	module := rest
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		module = rest[:i]
	}
	c.file = module + ".py"
	m := strings.ReplaceAll(module, `\`, "/")
	c.escape = strings.HasPrefix(m, "/") || strings.Contains("/"+m+"/", "/../") || strings.Contains(m, ":")
	return c
}

// refs collects the string class references under a member value: a
// string, a list of strings (tokenizers: [slow, fast], null for none), or
// for custom_pipelines the "impl" of each task.
func refs(key string, v *node) []codeRef {
	var out []codeRef
	switch v.kind {
	case '"':
		if v.str != "" {
			out = append(out, parseRef(key, v.str, v.off))
		}
	case '[':
		for _, e := range v.elems {
			if e.kind == '"' && e.str != "" {
				out = append(out, parseRef(key, e.str, e.off))
			}
		}
	}
	return out
}

func (d *doc) autoMap(m member) {
	if m.val.kind != '{' {
		return
	}
	var all []codeRef
	for _, e := range m.val.members {
		all = append(all, refs(e.key, e.val)...)
	}
	d.remoteCode(m, "auto_map", all)
}

func (d *doc) customPipelines(m member) {
	if m.val.kind != '{' {
		return
	}
	var all []codeRef
	for _, task := range m.val.members {
		for _, impl := range task.val.get("impl") {
			all = append(all, refs(task.key, impl)...)
		}
	}
	d.remoteCode(m, "custom_pipelines", all)
}

// remoteCode reports the modules trust_remote_code=True would import.
func (d *doc) remoteCode(m member, what string, all []codeRef) {
	if len(all) == 0 {
		return
	}
	files := map[string]bool{}
	classes := map[string]bool{}
	external := map[string]codeRef{}
	for _, c := range all {
		classes[c.key] = true
		switch {
		case c.repo != "":
			if _, seen := external[c.repo]; !seen {
				external[c.repo] = c
			}
		case c.escape:
			if _, seen := external[c.file]; !seen {
				external[c.file] = c
			}
		default:
			files[c.file] = true
		}
	}
	names := slices.Sorted(maps.Keys(files))
	shortNames := make([]string, len(names))
	for i, n := range names {
		shortNames[i] = short(n, 40)
	}
	if len(names) > 0 {
		d.at(ruleRemoteCode, m.keyOff,
			fmt.Sprintf("%s makes transformers import Python code from the repository when the model is loaded with trust_remote_code=True: %s (for %s). That code runs with the loader's privileges; review it before enabling remote code.",
				what, strings.Join(names, ", "), strings.Join(capList(slices.Sorted(maps.Keys(classes)), 6), ", ")),
			what+": "+strings.Join(capList(shortNames, 3), ", "))
	}
	for _, k := range slices.Sorted(maps.Keys(external)) {
		c := external[k]
		if c.repo != "" {
			d.at(ruleRemoteExternal, c.off,
				fmt.Sprintf("%s %s loads %s from another repository, %s: that code is fetched at load time (trust_remote_code=True), is not part of this model's files and can change after review.",
					what, c.key, c.file, quote(c.repo)),
				what+" "+short(c.key, 40)+": "+short(c.ref, 100))
			continue
		}
		d.at(ruleRemoteExternal, c.off,
			fmt.Sprintf("%s %s names the module %s, a path outside the model directory; loading with trust_remote_code=True would import code from there.", what, c.key, quote(c.file)),
			what+" "+short(c.key, 40)+": "+short(c.ref, 100))
	}
}

func capList(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], fmt.Sprintf("%d more", len(s)-n))
}

// chatTemplateJSON checks chat_template.json: {"chat_template": ...}.
func (d *doc) chatTemplateJSON() {
	root, err := parseJSON(d.src, func(k string) bool { return k == "chat_template" })
	if err != nil {
		d.malformed("JSON", err)
		return
	}
	for _, v := range root.get("chat_template") {
		d.chatTemplates(v, "chat_template")
	}
}

// chatTemplates checks a chat_template value: a string, or a list of
// {"name": ..., "template": ...}.
func (d *doc) chatTemplates(v *node, label string) {
	switch v.kind {
	case '"':
		d.template(v, label)
	case '[':
		for i, e := range v.elems {
			name := fmt.Sprintf("%d", i)
			for _, n := range e.get("name") {
				if n.kind == '"' {
					name = n.str
				}
			}
			for _, t := range e.get("template") {
				if t.kind == '"' {
					d.template(t, fmt.Sprintf("%s[%s]", label, short(name, 40)))
				}
			}
		}
	}
}

// template analyses a chat template held in a JSON string value (its
// Jinja syntax tree, or the marker search when it does not parse).
func (d *doc) template(v *node, label string) {
	issues, parsed := jinja.Check(v.str)
	if len(issues) == 0 {
		return
	}
	first := snippet(v.str, issues[0])
	d.at(ruleTemplateSSTI, rawOffset(d.src, v.off, issues[0].Start), templateMessage(label, v.str, issues, parsed), label+": "+first)
}

// jinja checks a chat_template.jinja file: the whole file is the template.
func (d *doc) jinja() {
	src := string(d.src)
	issues, parsed := jinja.Check(src)
	if len(issues) == 0 {
		return
	}
	d.at(ruleTemplateSSTI, issues[0].Start, templateMessage("chat template", src, issues, parsed), "template: "+snippet(src, issues[0]))
}

// snippet is the template text of an issue, at most 80 bytes.
func snippet(tmpl string, is jinja.Issue) string { return short(tmpl[is.Start:is.End], 80) }

func templateMessage(label, tmpl string, issues []jinja.Issue, parsed bool) string {
	var parts []string
	seen := map[string]bool{}
	for _, is := range issues {
		text := snippet(tmpl, is)
		if seen[text] || len(parts) == 5 {
			continue
		}
		seen[text] = true
		parts = append(parts, fmt.Sprintf("%q (%s)", text, is.Why))
	}
	how := "its Jinja syntax tree"
	if !parsed {
		how = "a pattern search (the template does not parse as Jinja)"
	}
	return fmt.Sprintf("The %s reaches Python internals from Jinja, the pattern of sandbox escapes that run code when the template is rendered (CVE-2024-34359), found in %s: %s.", label, how, strings.Join(parts, "; "))
}
