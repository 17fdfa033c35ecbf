package hf

import (
	"fmt"
	"regexp"
	"strings"
)

// index checks a sharded-checkpoint index ({"metadata": {...},
// "weight_map": {tensor: shard file}}): loaders join each shard name to
// the model directory and open it, so a name must stay inside it.
func (d *doc) index() {
	root, err := parseJSON(d.src, func(k string) bool { return k == "weight_map" || k == "metadata" })
	if err != nil {
		d.malformed("JSON", err)
		return
	}
	if root.kind != '{' {
		d.at(ruleMalformed, root.off, "The index is not a JSON object.", "index not an object")
		return
	}
	maps := root.get("weight_map")
	if len(maps) == 0 {
		d.at(ruleMalformed, -1, "The index has no weight_map.", "no weight_map")
	}
	for _, wm := range maps {
		d.weightMap(wm)
	}
	for _, md := range root.get("metadata") {
		d.indexMetadata(md, "metadata", 0)
	}
}

func (d *doc) weightMap(wm *node) {
	if wm.kind != '{' {
		d.at(ruleMalformed, wm.off, "weight_map is not an object.", "weight_map not an object")
		return
	}
	seen := map[string]bool{}
	bad := 0
	for _, m := range wm.members {
		if m.val.kind != '"' {
			if bad++; bad == 1 {
				d.at(ruleMalformed, m.val.off, fmt.Sprintf("weight_map entry %s is not a file name.", quote(m.key)), "weight_map non-string")
			}
			continue
		}
		name := m.val.str
		if seen[name] {
			continue
		}
		seen[name] = true
		if why := shardEscape(name); why != "" {
			d.at(ruleShardPath, m.val.off,
				fmt.Sprintf("weight_map sends tensor %s to shard %s, %s; loaders open it relative to the model directory.", quote(m.key), quote(name), why),
				"shard "+short(name, 100))
		}
	}
}

var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// shardEscape says why a shard file name leaves the model directory, or "".
func shardEscape(name string) string {
	n := strings.ReplaceAll(name, `\`, "/")
	switch {
	case strings.ContainsRune(name, 0):
		return "which contains a NUL byte"
	case strings.Contains(name, "://"), urlScheme.MatchString(name) && !hasDrive(name):
		return "which is a URL"
	case strings.HasPrefix(n, "/"), hasDrive(name):
		return "which is an absolute path"
	case strings.HasPrefix(n, "~"):
		return "which names a home directory"
	case strings.Contains("/"+n+"/", "/../"):
		return "which climbs out of the directory with '..'"
	}
	return ""
}

func hasDrive(s string) bool {
	return len(s) >= 2 && s[1] == ':' && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z')
}

// codeText recognises code and shell text in free-text metadata values.
var codeText = regexp.MustCompile(`__import__|\bos\s*\.\s*(system|popen)\b|\bsubprocess\b|\b(eval|exec)\s*\(|\bimport\s+(os|sys|subprocess|socket|base64|pickle)\b|/bin/(ba)?sh\b|\b(curl|wget)\b[^|\n]{0,200}\|\s*(ba)?sh\b|\bpowershell\b|<script\b`)

var urlText = regexp.MustCompile(`(?i)\b(?:https?|ftp|file)://[^\s"'<>]+`)

// indexMetadata looks for code and URLs in the index's metadata strings
// ("total_size" is the only field writers put there).
func (d *doc) indexMetadata(v *node, where string, depth int) {
	switch v.kind {
	case '"':
		if m := codeText.FindString(v.str); m != "" {
			d.at(ruleIndexMetadata, v.off, fmt.Sprintf("Index %s holds code or shell text (%s).", where, quote(m)), short(where, 80)+": "+short(m, 60))
		} else if m := urlText.FindString(v.str); m != "" {
			d.at(ruleIndexMetadata, v.off, fmt.Sprintf("Index %s holds a URL, %s.", where, quote(m)), short(where, 80)+": "+short(m, 100))
		}
	case '{':
		if depth > 8 {
			return
		}
		for _, m := range v.members {
			d.indexMetadata(m.val, where+"."+short(m.key, 40), depth+1)
		}
	case '[':
		if depth > 8 {
			return
		}
		for i, e := range v.elems {
			d.indexMetadata(e, fmt.Sprintf("%s[%d]", where, i), depth+1)
		}
	}
}
