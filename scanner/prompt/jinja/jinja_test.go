package jinja

import (
	"os"
	"path/filepath"
	"testing"
)

type want struct {
	kind string
	text string // template[Start:End]
}

func TestAnalyzePayloads(t *testing.T) {
	cases := []struct {
		name string
		tpl  string
		want []want
	}{
		{"mro-subclasses", `{{ ''.__class__.__mro__[1].__subclasses__() }}`, []want{
			{KindDunderAttr, "__class__"}, {KindDunderAttr, "__mro__"}, {KindDunderAttr, "__subclasses__"}}},
		{"cycler-globals", `{{ cycler.__init__.__globals__.os.popen('id').read() }}`, []want{
			{KindDunderAttr, "__init__"}, {KindDunderAttr, "__globals__"}}},
		{"attr-filter", `{{ x|attr('__class__') }}`, []want{
			{KindAttrFilter, "attr"}, {KindDunderString, "'__class__'"}}},
		{"self-context", `{{ self._TemplateReference__context }}`, []want{
			{KindDunderAttr, "_TemplateReference__context"}}},
		{"namespace-escape", `{% set x = namespace() %}{{ x.__init__.__globals__['os'] }}`, []want{
			{KindDunderAttr, "__init__"}, {KindDunderAttr, "__globals__"}}},
		{"item-globals", `{{ lipsum['__globals__']["os"].popen("id") }}`, []want{
			{KindDunderItem, "'__globals__'"}}},
		{"lipsum-attr", `{{ lipsum.x }}`, []want{{KindRiskyGlobal, "x"}}},
		{"config", `{{ config.items() }}`, []want{{KindRiskyGlobal, "config"}, {KindRiskyGlobal, "items"}}},
		{"dunder-name", `{{ __builtins__ }}`, []want{{KindDunderName, "__builtins__"}}},
		{"huge-range", `{% for i in range(10**9) %}x{% endfor %}`, []want{{KindHugeRange, "range(10**9)"}}},
		{"small-range", `{% for i in range(10) %}x{% endfor %}`, nil},
		{"include", "hi\n{% include 'other.j2' %}", []want{{KindTemplateLoad, "{% include 'other.j2' %}"}}},
		{"import", `{% import 'm.j2' as m %}{{ m.f() }}`, []want{{KindTemplateLoad, "{% import 'm.j2' as m %}"}}},
		{"from-import", `{% from 'm.j2' import f %}`, []want{{KindTemplateLoad, "{% from 'm.j2' import f %}"}}},
		{"request-globals", `{{ request.application.__globals__ }}`, []want{{KindRiskyGlobal, "request"}, {KindRiskyGlobal, "application"}, {KindDunderAttr, "__globals__"}}},
		{"extends", `{% extends 'base.j2' %}`, []want{{KindTemplateLoad, "{% extends 'base.j2' %}"}}},
		{"in-if-and-set", "{% if true %}{% set y = ''['__class__'] %}{% endif %}", []want{{KindDunderItem, "'__class__'"}}},
		{"in-macro", "{% macro m(a) %}{{ a.__class__ }}{% endmacro %}{{ m(1) }}", []want{{KindDunderAttr, "__class__"}}},
		{"crlf-offsets", "a\r\nb\r\n{{ x.__class__ }}", []want{{KindDunderAttr, "__class__"}}},
		{"namespace-benign", `{% set ns = namespace(found=false) %}{% set ns.found = true %}{{ ns.found }}`, nil},
		{"benign", `{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] }}{% endfor %}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Analyze(c.tpl)
			if err != nil {
				t.Fatalf("parse error: %v", err)
			}
			var gotW []want
			for _, is := range got {
				if is.Start < 0 || is.End > len(c.tpl) || is.Start > is.End {
					t.Fatalf("bad span %+v", is)
				}
				if is.Why == "" {
					t.Errorf("empty Why in %+v", is)
				}
				gotW = append(gotW, want{is.Kind, c.tpl[is.Start:is.End]})
			}
			if len(gotW) != len(c.want) {
				t.Fatalf("got %v, want %v", gotW, c.want)
			}
			for i := range gotW {
				if gotW[i] != c.want[i] {
					t.Errorf("issue %d: got %v, want %v", i, gotW[i], c.want[i])
				}
			}
		})
	}
}

func TestAnalyzeExactOffsets(t *testing.T) {
	tpl := `{{ ''.__class__.__mro__[1].__subclasses__() }}`
	got, err := Analyze(tpl)
	if err != nil {
		t.Fatal(err)
	}
	wantSpans := [][2]int{{6, 15}, {16, 23}, {27, 41}}
	if len(got) != len(wantSpans) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range wantSpans {
		if got[i].Start != w[0] || got[i].End != w[1] {
			t.Errorf("issue %d: got [%d,%d), want %v", i, got[i].Start, got[i].End, w)
		}
	}
}

func TestAnalyzeCyclerOffsets(t *testing.T) {
	tpl := "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
	got, err := Analyze(tpl)
	if err != nil {
		t.Fatal(err)
	}
	want := []Issue{{Start: 10, End: 18, Kind: KindDunderAttr}, {Start: 19, End: 30, Kind: KindDunderAttr}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Start != want[i].Start || got[i].End != want[i].End || got[i].Kind != want[i].Kind {
			t.Errorf("issue %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tpl := range []string{
		`{{ x|attr('__class__')('y') }}`, // call-on-filter bypass: gonja rejects it
		`{% if %}`,
		`{{ unclosed`,
		`{% endfor %}`,
	} {
		if iss, err := Analyze(tpl); err == nil {
			t.Errorf("%q: parsed, issues %+v", tpl, iss)
		}
	}
}

func TestLiterals(t *testing.T) {
	tpl := "Hello {{ name }}, see {{ 'https://x.test/?q=' + q }}!\n"
	got := Literals(tpl)
	want := []Literal{{"Hello ", 0}, {", see ", 16}, {"https://x.test/?q=", 25}, {"!\n", 52}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("literal %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if Literals("{% if %}") != nil {
		t.Error("unparsable template should give nil literals")
	}
}

// TestRealChatTemplates: every real chat template parses and yields no issue.
func TestRealChatTemplates(t *testing.T) {
	dir := "../../../../shared/data/prompts-dev/chat-templates"
	files, _ := filepath.Glob(filepath.Join(dir, "*.jinja"))
	if len(files) == 0 {
		t.Skip("shared chat templates not present")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		iss, err := Analyze(string(b))
		if err != nil {
			t.Errorf("%s: parse error: %v", filepath.Base(f), err)
			continue
		}
		if len(iss) != 0 {
			t.Errorf("%s: unexpected issues %+v", filepath.Base(f), iss)
		}
		if len(Literals(string(b))) == 0 {
			t.Errorf("%s: no literals", filepath.Base(f))
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		`{{ ''.__class__.__mro__[1].__subclasses__() }}`,
		`{{ cycler.__init__.__globals__.os.popen('id').read() }}`,
		`{% set x = namespace() %}{{ x['__globals__'] }}`,
		"{% for m in messages %}{{ m['content'] }}\r\n{% endfor %}",
		`{% include 'a' %}{% extends "b" %}{% from 'c' import d %}`,
		`{{ range(2**40) }}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tpl string) {
		if len(tpl) > 4096 {
			return
		}
		iss, err := Analyze(tpl)
		if err != nil {
			return
		}
		for _, is := range iss {
			if is.Start < 0 || is.End > len(tpl) || is.Start > is.End || is.Kind == "" {
				t.Fatalf("bad issue %+v", is)
			}
		}
		for _, l := range Literals(tpl) {
			if l.Offset < 0 || l.Offset > len(tpl) {
				t.Fatalf("bad literal %+v", l)
			}
		}
	})
}

func TestMarkersAndCheck(t *testing.T) {
	for _, tt := range []struct {
		tmpl string
		want int
	}{
		{`{{ ''.__class__.__mro__[1].__subclasses__() }}`, 3},
		{`{{ cycler.__init__.__globals__.os.popen('id').read() }}`, 5},
		{`{{ x|attr('__class__') }}`, 2},
		{`{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>' }}{% endfor %}`, 0},
	} {
		if got := Markers(tt.tmpl); len(got) != tt.want {
			t.Errorf("Markers(%q) = %d markers %+v, want %d", tt.tmpl, len(got), got, tt.want)
		}
	}
	// A template that parses is judged by its tree: "os." in literal text
	// is no marker.
	if issues, parsed := Check(`Tell me about os. {{ messages[0]['content'] }}`); !parsed || len(issues) != 0 {
		t.Errorf("Check(literal os.) = %+v, parsed %v", issues, parsed)
	}
	// One that does not parse falls back to the markers.
	issues, parsed := Check(`{{ x|attr('__class__')('y') }`)
	if parsed || len(issues) == 0 || issues[0].Kind != KindMarker {
		t.Errorf("Check(unparseable) = %+v, parsed %v", issues, parsed)
	}
}
