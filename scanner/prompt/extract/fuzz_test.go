package extract_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner/prompt/extract"
)

// fuzzPaths reach every extractor.
var fuzzPaths = []string{
	"prompts/a.txt", "system_prompts/a.md", "AGENTS.md", ".cursor/rules/a.mdc",
	"plugins/P/F/skprompt.txt", "evals/a.jsonl", "evals/a.json", "datasets/a.yaml",
	"evals/a.csv", "redteam/a.tsv", "a.prompty", "a.prompt", "a.prompt.yml",
	"promptfooconfig.yaml", "promptfooconfig.json", "Modelfile", "tokenizer_config.json",
	"chat_template.jinja", "prompts/lc.yaml", "prompts/lc.json",
}

func FuzzExtract(f *testing.F) {
	for i, c := range cases {
		f.Add(uint8(i), readFixture(f, c.path))
	}
	f.Add(uint8(5), []byte(`{"messages":[{"role":"user","content":"\ud83d\ude00\ud83d x\u12"}]}`))
	f.Add(uint8(7), []byte("a: \"x\\\n  y\\x41\\u00e9\"\nb: 'it''s'\nc: >\n  p\n\n  q\n"))
	f.Add(uint8(8), []byte("input,ideal\n\"a\"\"b\",\"c\n"))
	f.Fuzz(func(t *testing.T, pi uint8, data []byte) {
		for _, p := range []string{fuzzPaths[int(pi)%len(fuzzPaths)], cases[int(pi)%len(cases)].path} {
			r, err := extract.ExtractAll(p, data)
			if errors.Is(err, extract.ErrInternal) {
				t.Fatalf("%s: recovered panic", p)
			}
			checkLocate(t, data, r.Segments)
			for _, ref := range r.Refs {
				if err := consistent(data, ref.Pos); err != nil {
					t.Fatalf("ref %+v: %v", ref, err)
				}
			}
		}
	})
}

// benchCorpus is about 1 MiB of mixed fixtures.
func benchCorpus() map[string][]byte {
	var jl, md, y bytes.Buffer
	for i := 0; jl.Len() < 1<<20; i++ {
		fmt.Fprintf(&jl, `{"messages":[{"role":"system","content":"You are bot %d.\nBe nice \u00e9 \"ok\""},{"role":"user","content":"Question number %d about things"},{"role":"assistant","content":"Answer %d"}]}`+"\n", i, i, i)
	}
	for md.Len() < 1<<20 {
		md.WriteString("# Rules\n\n- Always run the tests before committing — ünïcödé text.\n")
	}
	y.WriteString("tests:\n")
	for i := 0; y.Len() < 1<<20; i++ {
		fmt.Fprintf(&y, "  - input: \"Question %d with \\\"quotes\\\"\"\n    ideal: |\n      Line one %d\n      Line two\n", i, i)
	}
	return map[string][]byte{"evals/b.jsonl": jl.Bytes(), "AGENTS.md": md.Bytes(), "datasets/b.yaml": y.Bytes()}
}

func BenchmarkExtract(b *testing.B) {
	for p, data := range benchCorpus() {
		name := strings.ReplaceAll(p, "/", "_")
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				segs, err := extract.Extract(p, data)
				if err != nil || len(segs) == 0 {
					b.Fatal(err)
				}
				// Locate the middle of every segment, as a detector would.
				for _, s := range segs {
					s.Locate(len(s.Text) / 2)
				}
			}
		})
	}
}
