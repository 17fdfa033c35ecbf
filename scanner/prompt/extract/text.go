package extract

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// frontMatter finds a leading "---" block. It returns the byte range of the
// YAML between the fences and the offset where the body starts.
func frontMatter(d []byte) (fmStart, fmEnd, body int, ok bool) {
	off := 0
	if bytes.HasPrefix(d, []byte("\xef\xbb\xbf")) {
		off = 3
	}
	first, _, found := bytes.Cut(d[off:], []byte("\n"))
	if !found || strings.TrimRight(string(first), " \t\r") != "---" {
		return 0, 0, 0, false
	}
	fmStart = off + len(first) + 1
	i := fmStart
	for i <= len(d) {
		j := bytes.IndexByte(d[i:], '\n')
		end := len(d)
		if j >= 0 {
			end = i + j
		}
		l := strings.TrimRight(string(d[i:end]), " \t\r")
		if l == "---" || l == "..." {
			body = end
			if j >= 0 {
				body = end + 1
			}
			return fmStart, i, body, true
		}
		if j < 0 {
			break
		}
		i = end + 1
	}
	return 0, 0, 0, false
}

// markdown emits a Markdown or plain text file: the front matter (if any)
// and the body, both verbatim.
func (e *emitter) markdown(role promptcore.Role) {
	d := e.x.data
	if fs, fe, body, ok := frontMatter(d); ok {
		e.emitRange(fs, fe, role, "front matter")
		e.emitRange(body, len(d), role, "body")
		return
	}
	e.emitRange(0, len(d), role, "text")
}

// messageRole maps a chat message role name to a segment role for a
// template (prompt files): user text is template, assistant text is a
// few-shot example.
func templateRole(name string) promptcore.Role {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "system", "developer":
		return promptcore.RoleSystem
	case "assistant", "model", "ai", "bot":
		return promptcore.RoleExample
	default:
		return promptcore.RoleTemplate
	}
}

var skMessage = regexp.MustCompile(`(?is)<message\s+role\s*=\s*["']([a-z_-]+)["']\s*>(.*?)</message\s*>`)

// skprompt splits a Semantic Kernel template in d[start:end] into its
// <message role="..."> blocks and the text around them.
func (e *emitter) skprompt(start, end int, prefix string) {
	d := e.x.data[start:end]
	last := 0
	for _, m := range skMessage.FindAllSubmatchIndex(d, -1) {
		e.emitRange(start+last, start+m[0], promptcore.RoleTemplate, prefix+"template")
		role := string(d[m[2]:m[3]])
		e.emitRange(start+m[4], start+m[5], templateRole(role), prefix+`<message role="`+role+`">`)
		last = m[1]
	}
	e.emitRange(start+last, end, promptcore.RoleTemplate, prefix+"template")
}

// skString splits an SK template held in a decoded string node.
func (e *emitter) skString(n *node, source string) {
	if n == nil || n.kind != kStr {
		return
	}
	s := n.str
	last := 0
	for _, m := range skMessage.FindAllStringSubmatchIndex(s, -1) {
		e.emit(s[last:m[0]], promptcore.RoleTemplate, source, sub(n.locate, last))
		role := s[m[2]:m[3]]
		e.emit(s[m[4]:m[5]], templateRole(role), source+` <message role="`+role+`">`, sub(n.locate, m[4]))
		last = m[1]
	}
	e.emit(s[last:], promptcore.RoleTemplate, source, sub(n.locate, last))
}

// lines calls f for every line of d[start:end] with its byte range
// (without the line break).
func lines(d []byte, start, end int, f func(ls, le int) bool) {
	for i := start; i < end; {
		j := bytes.IndexByte(d[i:end], '\n')
		le := end
		next := end
		if j >= 0 {
			le = i + j
			next = le + 1
		}
		if !f(i, le) {
			return
		}
		i = next
	}
}

var (
	promptflowSection = regexp.MustCompile(`(?im)^\s*#\s*(system|user|assistant)\s*:\s*\r?$`)
	promptflowLine    = regexp.MustCompile(`^\s*#\s*(?i:(system|user|assistant))\s*:\s*$`)
)

var promptySection = regexp.MustCompile(`^\s*(?i:(system|user|assistant|developer))\s*:\s*$`)

// prompty: YAML front matter (model configuration; not prompt text) and a
// body split by "system:" / "user:" / "assistant:" lines.
func (e *emitter) prompty() error {
	d := e.x.data
	body := 0
	if _, _, b, ok := frontMatter(d); ok {
		body = b
	}
	e.sections(body, len(d), promptySection, "body ")
	return nil
}

// sections splits d[start:end] at lines matching re (whose group 1 names
// the role); text before the first marker is template.
func (e *emitter) sections(start, end int, re *regexp.Regexp, prefix string) {
	d := e.x.data
	segStart, role, name := start, promptcore.RoleTemplate, ""
	lines(d, start, end, func(ls, le int) bool {
		l := strings.TrimRight(string(d[ls:le]), "\r")
		if m := re.FindStringSubmatch(l); m != nil {
			e.emitRange(segStart, ls, role, prefix+name)
			name = strings.ToLower(m[1]) + ":"
			role = templateRole(m[1])
			segStart = le + 1
			if segStart > end {
				segStart = end
			}
		}
		return true
	})
	if name == "" {
		name = "template"
	}
	e.emitRange(segStart, end, role, prefix+name)
}

var dotRole = regexp.MustCompile(`\{\{~?\s*role\s+["']([a-zA-Z_-]+)["']\s*~?\}\}`)

// dotprompt: YAML front matter, then a Handlebars body in which
// {{role "system"}} switches the role of the text that follows.
func (e *emitter) dotprompt() error {
	d := e.x.data
	body := 0
	if _, _, b, ok := frontMatter(d); ok {
		body = b
	}
	segStart, role, name := body, promptcore.RoleTemplate, "body"
	for _, m := range dotRole.FindAllSubmatchIndex(d[body:], -1) {
		e.emitRange(segStart, body+m[0], role, name)
		r := string(d[body+m[2] : body+m[3]])
		role = templateRole(r)
		name = `body {{role "` + r + `"}}`
		segStart = skipNewline(d, body+m[1])
	}
	e.emitRange(segStart, len(d), role, name)
	return nil
}

// modelfile: Ollama Modelfile. SYSTEM → system, TEMPLATE → chat-template,
// MESSAGE <role> → system or example. Values are taken verbatim: between
// """ fences, between "…" quotes (escapes inside are not decoded), or the
// rest of the line.
func (e *emitter) modelfile() {
	d := e.x.data
	i := 0
	for i < len(d) {
		le := bytes.IndexByte(d[i:], '\n')
		lineEnd := len(d)
		if le >= 0 {
			lineEnd = i + le
		}
		ls := i
		for ls < lineEnd && (d[ls] == ' ' || d[ls] == '\t') {
			ls++
		}
		kw := ls
		for kw < lineEnd && d[kw] != ' ' && d[kw] != '\t' {
			kw++
		}
		word := strings.ToUpper(string(d[ls:kw]))
		var role promptcore.Role
		src := word
		switch word {
		case "SYSTEM":
			role = promptcore.RoleSystem
		case "TEMPLATE":
			role = promptcore.RoleChatTemplate
		case "MESSAGE":
			for kw < lineEnd && (d[kw] == ' ' || d[kw] == '\t') {
				kw++
			}
			rs := kw
			for kw < lineEnd && d[kw] != ' ' && d[kw] != '\t' {
				kw++
			}
			rn := string(d[rs:kw])
			src = "MESSAGE " + rn
			role = promptcore.RoleExample
			if strings.EqualFold(rn, "system") {
				role = promptcore.RoleSystem
			}
		}
		v := kw
		for v < lineEnd && (d[v] == ' ' || d[v] == '\t') {
			v++
		}
		next := lineEnd + 1
		if bytes.HasPrefix(d[v:], []byte(`"""`)) {
			// A triple-quoted value may span lines; it is consumed even for
			// instructions we ignore (LICENSE).
			vs := v + 3
			ve := bytes.Index(d[vs:], []byte(`"""`))
			if ve < 0 {
				ve = len(d) - vs
			}
			if role != "" {
				e.emitRange(vs, vs+ve, role, src)
			}
			next = vs + ve + 3
			if nl := bytes.IndexByte(d[min(next, len(d)):], '\n'); nl >= 0 {
				next = next + nl + 1
			} else {
				next = len(d)
			}
		} else if role != "" {
			ve := strings.TrimRight(string(d[v:lineEnd]), " \t\r")
			vs, vEnd := v, v+len(ve)
			if vEnd-vs >= 2 && d[vs] == '"' && d[vEnd-1] == '"' {
				vs, vEnd = vs+1, vEnd-1
			}
			e.emitRange(vs, vEnd, role, src)
		}
		i = next
	}
}

// skipNewline skips one line break (LF or CRLF) at i, if there is one.
func skipNewline(d []byte, i int) int {
	if i < len(d) && d[i] == '\r' {
		i++
	}
	if i < len(d) && d[i] == '\n' {
		i++
	}
	return i
}
