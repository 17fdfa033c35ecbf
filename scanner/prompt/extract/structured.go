package extract

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// jsonFile parses the whole file as JSON and hands the tree to f.
func (e *emitter) jsonFile(f func(n *node, prefix string)) error {
	n, err := parseJSON(e.x, 0, len(e.x.data))
	if err != nil {
		return err
	}
	f(n, "")
	return nil
}

// yamlFile parses the whole file as YAML and hands each document's tree
// to f: the first with no prefix, later ones of a multi-document stream
// with "docs[i]." (i counts every document of the stream, empty ones
// too) so sources stay distinct. Documents before a syntax
// error are still handed over.
func (e *emitter) yamlFile(f func(n *node, prefix string)) error {
	docs, err := parseYAML(e.x, 0, len(e.x.data))
	for i, n := range docs {
		if n == nil {
			continue
		}
		prefix := ""
		if i > 0 {
			prefix = fmt.Sprintf("docs[%d].", i)
		}
		f(n, prefix)
	}
	return err
}

// jsonl reads JSON Lines: every non-blank line is one record. A malformed
// line is skipped and reported after the rest is read.
func (e *emitter) jsonl() error {
	d := e.x.data
	var firstErr error
	records := 0
	lineNo := 0
	lines(d, 0, len(d), func(ls, le int) bool {
		lineNo++
		if len(bytes.TrimSpace(d[ls:le])) == 0 {
			return true
		}
		if records >= MaxRecords {
			e.truncated = true
			return false
		}
		records++
		n, err := parseJSON(e.x, ls, le)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: %w", lineNo, err)
			}
			return true
		}
		e.record(n, "line "+strconv.Itoa(lineNo)+" ")
		return true
	})
	return firstErr
}

// generic handles a JSON or YAML file found by directory convention or by
// sniffing: LangChain and Semantic Kernel prompt files, chat arrays, and
// eval records (a list of records, or an object holding one).
func (e *emitter) generic(n *node, prefix string) {
	switch n.kind {
	case kSeq:
		if isChat(n) {
			e.messages(n, strings.TrimSuffix(prefix, "."), e.chatRole)
			return
		}
		for i, v := range n.vals {
			if i >= MaxRecords {
				e.truncated = true
				return
			}
			e.record(v, fmt.Sprintf("%s[%d].", prefix, i))
		}
	case kMap:
		if e.langchain(n, prefix) {
			return
		}
		if t := n.get("template"); t != nil && t.kind == kStr && n.get("template_format") != nil {
			e.skString(t, prefix+"template")
			return
		}
		for _, k := range []string{"data", "examples", "samples", "records", "tests", "testData", "rows"} {
			if v := n.get(k); v != nil && v.kind == kSeq {
				e.generic(v, prefix+k)
				return
			}
		}
		e.record(n, prefix)
	}
}

// langchain handles serialised LangChain prompts: _type prompt / few_shot /
// chat, and the lc==1 constructor form.
func (e *emitter) langchain(n *node, prefix string) bool {
	if n.get("lc") != nil && n.strVal("type") == "constructor" {
		if kw := n.get("kwargs"); kw != nil {
			e.langchainBody(kw, prefix+"kwargs.")
			return true
		}
	}
	switch n.strVal("_type") {
	case "prompt", "few_shot", "chat", "chat_prompt":
		e.langchainBody(n, prefix)
		return true
	}
	return false
}

func (e *emitter) langchainBody(n *node, prefix string) {
	for _, k := range []string{"template", "prefix", "suffix"} {
		e.emitStr(n.get(k), promptcore.RoleTemplate, prefix+k)
	}
	if p := n.get("template_path"); p != nil && p.kind == kStr {
		e.ref(prefix+"template_path", p)
	}
	if ex := n.get("examples"); ex != nil {
		if ex.kind == kStr {
			e.ref(prefix+"examples", ex)
		} else {
			e.strings(ex, promptcore.RoleExample, prefix+"examples", 0)
		}
	}
	if ep := n.get("example_prompt"); ep != nil && ep.kind == kMap {
		e.langchainBody(ep, prefix+"example_prompt.")
	}
	if ms := n.get("messages"); ms != nil && ms.kind == kSeq {
		for i, m := range ms.vals {
			src := fmt.Sprintf("%smessages[%d].", prefix, i)
			role := promptcore.RoleTemplate
			if id := m.get("id"); id != nil && id.kind == kSeq && len(id.vals) > 0 {
				if strings.Contains(strings.ToLower(id.vals[len(id.vals)-1].str), "system") {
					role = promptcore.RoleSystem
				}
			}
			if strings.Contains(strings.ToLower(m.strVal("_type")+m.strVal("role")), "system") {
				role = promptcore.RoleSystem
			}
			if kw := m.get("kwargs"); kw != nil {
				m, src = kw, src+"kwargs."
			}
			if p := m.get("prompt"); p != nil {
				if kw := p.get("kwargs"); kw != nil {
					p = kw
				}
				e.emitStr(p.get("template"), role, src+"prompt.template")
			}
			e.emitStr(m.get("template"), role, src+"template")
			e.emitStr(m.get("content"), role, src+"content")
		}
	}
}

// strings emits every string under n with role.
func (e *emitter) strings(n *node, role promptcore.Role, source string, depth int) {
	if n == nil || depth > maxDepth {
		return
	}
	switch n.kind {
	case kStr:
		e.emitStr(n, role, source)
	case kSeq:
		for i, v := range n.vals {
			e.strings(v, role, fmt.Sprintf("%s[%d]", source, i), depth+1)
		}
	case kMap:
		for i, k := range n.keys {
			e.strings(n.vals[i], role, source+"."+k, depth+1)
		}
	}
}

// evalRole maps a chat message role in an eval record.
func evalRole(name string) promptcore.Role {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "system", "developer":
		return promptcore.RoleSystem
	case "assistant", "model", "ai", "bot", "gpt":
		return promptcore.RoleExpected
	default:
		return promptcore.RoleTestInput
	}
}

// messages emits a chat array [{role, content}] (also ShareGPT's
// {from, value}); content may be a string or a list of {type, text} parts.
func (e *emitter) messages(ms *node, source string, roleOf func(string) promptcore.Role) {
	for i, m := range ms.vals {
		if m.kind != kMap {
			continue
		}
		role := m.strVal("role")
		key := "content"
		if role == "" && m.get("from") != nil {
			role, key = m.strVal("from"), "value"
		}
		src := fmt.Sprintf("%s[%d].%s", source, i, key)
		switch c := m.get(key); {
		case c == nil:
		case c.kind == kStr:
			e.emitStr(c, roleOf(role), src)
		case c.kind == kSeq:
			for j, part := range c.vals {
				e.emitStr(part.get("text"), roleOf(role), fmt.Sprintf("%s[%d].text", src, j))
			}
		}
	}
}

// isChat reports whether n looks like [{role|from, content|value}, ...].
func isChat(n *node) bool {
	if n == nil || n.kind != kSeq || len(n.vals) == 0 {
		return false
	}
	m := n.vals[0]
	return m.kind == kMap && (m.get("role") != nil || m.get("from") != nil)
}

// record emits one eval / dataset record.
func (e *emitter) record(n *node, prefix string) {
	switch n.kind {
	case kStr:
		e.emitStr(n, promptcore.RoleTestInput, strings.TrimSuffix(prefix, "."))
		return
	case kSeq:
		if isChat(n) {
			e.messages(n, strings.TrimSuffix(prefix, "."), e.chatRole)
		}
		return
	case kMap:
	default:
		return
	}
	for i, k := range n.keys {
		v := n.vals[i]
		src := prefix + k
		switch strings.ToLower(k) {
		case "messages", "conversations", "conversation", "input", "prompt", "chosen", "rejected":
			if isChat(v) {
				e.messages(v, src, e.chatRole)
				continue
			}
		}
		switch strings.ToLower(k) {
		case "template", "prompt_template":
			e.strings(v, promptcore.RoleTemplate, src, 0)
		case "system", "system_prompt", "instructions":
			e.strings(v, promptcore.RoleSystem, src, 0)
		case "input", "prompt", "instruction", "question", "query", "text", "goal", "context", "user", "vars":
			e.strings(v, promptcore.RoleTestInput, src, 0)
		case "ideal", "completion", "output", "answer", "expected", "expected_output", "target", "response", "reference", "chosen", "rejected", "label_text":
			e.strings(v, promptcore.RoleExpected, src, 0)
		}
	}
}

// hfChatTemplate: tokenizer_config.json / chat_template.json. chat_template
// is a string or a list of {name, template}.
func (e *emitter) hfChatTemplate(n *node, prefix string) {
	ct := n.get("chat_template")
	if ct == nil {
		return
	}
	switch ct.kind {
	case kStr:
		e.emitStr(ct, promptcore.RoleChatTemplate, "chat_template")
	case kSeq:
		for i, t := range ct.vals {
			e.emitStr(t.get("template"), promptcore.RoleChatTemplate, fmt.Sprintf("chat_template[%d] %s", i, t.strVal("name")))
		}
	}
}

// githubModels: *.prompt.yml — messages (system → system, user →
// template, assistant → example) and testData (input → test-input,
// expected → expected-output, other strings → test-input).
func (e *emitter) githubModels(n *node, prefix string) {
	if ms := n.get("messages"); ms != nil && ms.kind == kSeq {
		e.messages(ms, "messages", templateRole)
	}
	if td := n.get("testData"); td != nil && td.kind == kSeq {
		for i, t := range td.vals {
			if t.kind != kMap {
				continue
			}
			for j, k := range t.keys {
				role := promptcore.RoleTestInput
				if k == "expected" {
					role = promptcore.RoleExpected
				}
				e.strings(t.vals[j], role, fmt.Sprintf("testData[%d].%s", i, k), 0)
			}
		}
	}
}

// promptfoo: prompts (inline text, or file:// references recorded as
// Refs), providers[].config.system, tests / defaultTest (vars → test-input,
// assert values → expected-output) and redteam: (every string →
// redteam-payload).
func (e *emitter) promptfoo(n *node, prefix string) {
	if n.kind != kMap {
		return
	}
	promptOrRef := func(v *node, src string, role promptcore.Role) {
		if v.kind != kStr {
			return
		}
		if strings.HasPrefix(v.str, "file://") {
			e.ref(src, v)
			return
		}
		e.emitStr(v, role, src)
	}
	switch ps := n.get("prompts"); {
	case ps == nil:
	case ps.kind == kStr:
		promptOrRef(ps, "prompts", promptcore.RoleTemplate)
	case ps.kind == kSeq:
		for i, p := range ps.vals {
			src := fmt.Sprintf("prompts[%d]", i)
			switch p.kind {
			case kStr:
				promptOrRef(p, src, promptcore.RoleTemplate)
			case kMap:
				if r := p.get("raw"); r != nil {
					promptOrRef(r, src+".raw", promptcore.RoleTemplate)
				}
				if id := p.get("id"); id != nil && id.kind == kStr && strings.HasPrefix(id.str, "file://") {
					e.ref(src+".id", id)
				}
			}
		}
	case ps.kind == kMap: // {file://path: label}
		for _, k := range ps.keys {
			if strings.HasPrefix(k, "file://") {
				e.refs = append(e.refs, Ref{Source: "prompts", Target: k, Pos: e.x.pos(0)})
			}
		}
	}
	if pr := n.get("providers"); pr != nil && pr.kind == kSeq {
		for i, p := range pr.vals {
			if c := p.get("config"); c != nil {
				e.emitStr(c.get("system"), promptcore.RoleSystem, fmt.Sprintf("providers[%d].config.system", i))
				e.emitStr(c.get("systemPrompt"), promptcore.RoleSystem, fmt.Sprintf("providers[%d].config.systemPrompt", i))
			}
		}
	}
	test := func(t *node, src string) {
		if t.kind == kStr {
			promptOrRef(t, src, promptcore.RoleTestInput)
			return
		}
		if vars := t.get("vars"); vars != nil && vars.kind == kMap {
			for j, k := range vars.keys {
				v := vars.vals[j]
				if v.kind == kStr && strings.HasPrefix(v.str, "file://") {
					e.ref(src+".vars."+k, v)
					continue
				}
				e.strings(v, promptcore.RoleTestInput, src+".vars."+k, 0)
			}
		}
		if as := t.get("assert"); as != nil && as.kind == kSeq {
			for j, a := range as.vals {
				e.strings(a.get("value"), promptcore.RoleExpected, fmt.Sprintf("%s.assert[%d].value", src, j), 0)
			}
		}
	}
	if dt := n.get("defaultTest"); dt != nil {
		test(dt, "defaultTest")
	}
	switch ts := n.get("tests"); {
	case ts == nil:
	case ts.kind == kStr:
		promptOrRef(ts, "tests", promptcore.RoleTestInput)
	case ts.kind == kSeq:
		for i, t := range ts.vals {
			test(t, fmt.Sprintf("tests[%d]", i))
		}
	}
	if rt := n.get("redteam"); rt != nil {
		saved := e.override
		e.override = promptcore.RoleRedTeam
		e.strings(rt, promptcore.RoleRedTeam, "redteam", 0)
		e.override = saved
	}
}
