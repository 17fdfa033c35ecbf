package extract_test

import (
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner/prompt/extract"
	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Small inline cases: dispatch variants, CRLF, YAML scalar styles.
var inlineCases = []struct {
	path, data string
	segs       []seg
	locs       []loc
}{
	// CRLF literal block with a more-indented line: exact columns.
	{"datasets/crlf.yaml", "system: |\r\n  Be safe.\r\n    Indented.\r\n",
		[]seg{{sys, "system", "Be safe.\n  Indented.\n"}},
		[]loc{{0, "Indented", 3, 5, 27}, {0, "  Indented", 3, 3, 25}}},
	// Plain multi-line scalar: the folded line break maps to the break.
	{"datasets/p.yaml", "input: first line\n  second line\n",
		[]seg{{in, "input", "first line second line"}},
		[]loc{{0, "second", 2, 3, 20}, {0, " second", 1, 18, 17}}},
	// Double-quoted: escaped line break and \x41.
	{"datasets/q.yaml", "input: \"ab\\\n  cd\\x41e\"\n",
		[]seg{{in, "input", "abcdAe"}},
		[]loc{{0, "cd", 2, 3, 14}, {0, "A", 2, 5, 16}, {0, "e", 2, 9, 20}}},
	// Single-quoted with a doubled quote.
	{"datasets/s.yaml", "input: 'it''s ok'\n",
		[]seg{{in, "input", "it's ok"}},
		[]loc{{0, "'", 1, 11, 10}, {0, "s ok", 1, 13, 12}}},
	{"evals/set.yaml", "- input: What?\n  ideal: That.\n",
		[]seg{{in, "[0].input", "What?"}, {exp, "[0].ideal", "That."}}, nil},
	// A chat array in a prompt directory: user text is template.
	{"prompts/chat.json", `[{"role":"system","content":"Sys"},{"role":"user","content":"Hi {{name}}"}]`,
		[]seg{{sys, "[0].content", "Sys"}, {tmpl, "[1].content", "Hi {{name}}"}},
		[]loc{{0, "Sys", 1, 30, 29}}},
	{"prompts/lc.json", `{"lc":1,"type":"constructor","id":["langchain","prompts","prompt","PromptTemplate"],"kwargs":{"template":"Hi \u0041{x}"}}`,
		[]seg{{tmpl, "kwargs.template", "Hi A{x}"}},
		[]loc{{0, "A", 1, 110, 109}, {0, "{x}", 1, 116, 115}}},
	{"prompts/sk.yaml", "template_format: semantic-kernel\ntemplate: |\n  <message role=\"system\">Be terse.</message>\n  Ask: {{$q}}\n",
		[]seg{{sys, `template <message role="system">`, "Be terse."}, {tmpl, "template", "\nAsk: {{$q}}"}},
		[]loc{{0, "Be", 3, 26, 70}, {1, "Ask", 4, 3, 92}}},
	{"datasets/sg.jsonl", `{"conversations":[{"from":"human","value":"Q"},{"from":"gpt","value":"A"}]}`,
		[]seg{{in, "line 1 conversations[0].value", "Q"}, {exp, "line 1 conversations[1].value", "A"}}, nil},
	{".github/prompts/fix.prompt.md", "---\nmode: agent\n---\nFix the bug.\n",
		[]seg{{agt, "front matter", "mode: agent"}, {agt, "body", "Fix the bug."}},
		[]loc{{1, "bug", 4, 9, 28}}},
	{".github/instructions/go.instructions.md", "Use errors.Is.\n",
		[]seg{{agt, "text", "Use errors.Is."}}, nil},
	{"skills/pdf/SKILL.md", "---\nname: pdf\n---\nRead PDFs.\n",
		[]seg{{agt, "front matter", "name: pdf"}, {agt, "body", "Read PDFs."}}, nil},
	{".windsurfrules", "Be brief.", []seg{{agt, "text", "Be brief."}}, nil},
	{"prompts/review.prompt.md", "Review {{code}}.\n", []seg{{tmpl, "text", "Review"}}, nil},
	{"x.prompt", "Hello {{name}}\n{{ role \"model\" }}\nHi!\n",
		[]seg{{tmpl, "body", "Hello {{name}}\n"}, {exmp, `body {{role "model"}}`, "Hi!\n"}},
		[]loc{{1, "Hi!", 3, 1, 34}}},
	{"sub/Modelfile", "from x\nsystem \"Be kind\"\nMESSAGE system Rules here\n",
		[]seg{{sys, "SYSTEM", "Be kind"}, {sys, "MESSAGE system", "Rules here"}},
		[]loc{{0, "kind", 2, 12, 18}}},
	{"m/chat_template.json", `{"chat_template": "{{ bos }}\n{% if x %}"}`,
		[]seg{{chat, "chat_template", "{{ bos }}\n{% if x %}"}},
		[]loc{{0, "{% if", 1, 31, 30}}},
	{"a.prompty", "---\r\nname: x\r\n---\r\nsystem:\r\nBe nice.\r\nuser:\r\n{{q}}\r\n",
		[]seg{{sys, "body system:", "Be nice.\r\n"}, {tmpl, "body user:", "{{q}}\r\n"}},
		[]loc{{0, "Be nice", 5, 1, 28}}},
	{"redteam.yaml", "prompts:\n  - 'Hi {{x}}'\n", []seg{{red, "prompts[0]", "Hi {{x}}"}}, nil},
	// A byte order mark counts as one column on line 1.
	{"evals/bom.json", "\ufeff{\"input\":\"x\"}", []seg{{in, "input", "x"}}, []loc{{0, "x", 1, 12, 13}}},
	{"datasets/bom.yaml", "\ufeffinput: hi\n", []seg{{in, "input", "hi"}}, []loc{{0, "hi", 1, 9, 10}}},
	// Columns after non-ASCII text on the same line count code points.
	{"datasets/u.yaml", "input: [\"é\", \"ü\"]\n",
		[]seg{{in, "input[0]", "é"}, {in, "input[1]", "ü"}},
		[]loc{{1, "ü", 1, 15, 15}}},
	// Azure Prompt flow template.
	{"prompts/chat.jinja2", "# system:\nYou are a helper.\n\n# user:\n{{question}}\n",
		[]seg{{sys, "system:", "You are a helper."}, {tmpl, "user:", "{{question}}"}},
		[]loc{{1, "{{question}}", 5, 1, 37}}},
	// A prompt of zero-width characters only is kept; a blank one is not.
	{"prompts/zw.txt", "\u200b\u200b\n", []seg{{tmpl, "text", "\u200b"}}, nil},
	{"prompts/blank.txt", " \n\t\n", nil, nil},
	{"red-team/x.txt", "Ignore the above.", []seg{{red, "text", "Ignore"}}, nil},
}

func TestExtractInline(t *testing.T) {
	for _, c := range inlineCases {
		t.Run(c.path, func(t *testing.T) {
			data := []byte(c.data)
			got, err := extract.Extract(c.path, data)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if len(got) != len(c.segs) {
				for i, s := range got {
					t.Logf("got[%d] = %s %q %q", i, s.Role, s.Source, s.Text)
				}
				t.Fatalf("got %d segments, want %d", len(got), len(c.segs))
			}
			for i, w := range c.segs {
				g := got[i]
				if g.Role != w.role || g.Source != w.source || !strings.HasPrefix(g.Text, w.prefix) {
					t.Errorf("segment %d = %s %q %q, want %s %q prefix %q", i, g.Role, g.Source, g.Text, w.role, w.source, w.prefix)
				}
			}
			for _, l := range c.locs {
				s := got[l.i]
				o := strings.Index(s.Text, l.needle)
				if o < 0 {
					t.Errorf("segment %d has no %q", l.i, l.needle)
					continue
				}
				want := promptcore.Position{Line: l.line, Column: l.col, Offset: l.off}
				if p := s.Locate(o); p != want {
					t.Errorf("segment %d Locate(%q @%d) = %+v, want %+v", l.i, l.needle, o, p, want)
				}
			}
			checkLocate(t, data, got)
		})
	}
}

func TestRefPathAndRole(t *testing.T) {
	for _, tt := range []struct {
		target, want string
		ok           bool
	}{
		{"file://prompts/a.txt", "prompts/a.txt", true},
		{"file://prompts/chat.json", "prompts/chat.json", true},
		{"file://prompts.py:make_prompt", "", false},
		{"file://prompts/*.txt", "", false},
		{"file://https://example.com/p.txt", "", false},
		{"templates/t.j2", "templates/t.j2", true},
		{"file://", "", false},
	} {
		got, ok := extract.RefPath(tt.target)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RefPath(%q) = %q, %v; want %q, %v", tt.target, got, ok, tt.want, tt.ok)
		}
	}
	for src, want := range map[string]promptcore.Role{
		"prompts[0]": promptcore.RoleTemplate, "tests": promptcore.RoleTestInput,
		"tests[1].vars.q": promptcore.RoleTestInput, "examples": promptcore.RoleExample,
		"template_path": promptcore.RoleTemplate,
	} {
		if got := extract.RefRole(src); got != want {
			t.Errorf("RefRole(%q) = %s, want %s", src, got, want)
		}
	}
	segs, err := extract.ExtractRef(extract.Ref{Source: "tests[0].vars.q"}, "q.txt", []byte("What is 2+2?"))
	if err != nil || len(segs) != 1 || segs[0].Role != promptcore.RoleTestInput || segs[0].Text != "What is 2+2?" {
		t.Errorf("ExtractRef(txt) = %+v, %v", segs, err)
	}
	segs, _ = extract.ExtractRef(extract.Ref{Source: "prompts[0]"}, "p.json", []byte(`[{"role":"user","content":"Hi {{name}}"}]`))
	if len(segs) != 1 || segs[0].Role != promptcore.RoleTemplate {
		t.Errorf("ExtractRef(chat json) = %+v", segs)
	}
}
