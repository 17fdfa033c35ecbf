package gguf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelgate/modelgate/internal/textcheck"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/prompt/detect"
	"github.com/modelgate/modelgate/scanner/prompt/jinja"
	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// overlap is how many bytes of a long string each text window repeats
// from the previous one, so that a marker cut by a window boundary is
// still found whole. Markers and the patterns below are much shorter.
// (Templates short enough for the syntax-tree analysis are kept whole.)
const overlap = 256

// maxShownMarkers caps the markers listed in one finding's message.
const maxShownMarkers = 5

// scanText consumes the n bytes of a string value in windows of at most
// bufSize bytes plus the overlap, calling fn with each window, the file
// offset of its first byte and the length of the repeated prefix; fn must
// ignore matches that end inside that prefix (they were seen already).
func (p *parser) scanText(n uint64, fn func(w string, base int64, carry int)) error {
	var carry string
	for n > 0 {
		if err := p.tick(); err != nil {
			return err
		}
		m := min(n, bufSize)
		b, err := p.r.next(int(m))
		if err != nil {
			return err
		}
		w := carry + string(b)
		fn(w, p.r.off-int64(len(w)), len(carry))
		carry = w[max(0, len(w)-overlap):]
		n -= m
	}
	return nil
}

// maxParsedTemplate bounds the chat template text kept for the Jinja
// syntax-tree analysis; longer templates get the windowed marker search.
var maxParsedTemplate uint64 = 1 << 20 // a variable so that tests can exercise the windowed search

// template scans a chat template (or an entry of tokenizer.chat_templates)
// for Jinja sandbox escapes and URLs. A template up to maxParsedTemplate
// bytes is analysed through its syntax tree (jinja.Check, which falls back
// to the marker search when it does not parse); a longer one is searched
// for markers window by window.
func (p *parser) template(k *kv, i int64, n uint64) error {
	var found []marker
	seen := map[string]bool{}
	url, urlAt := "", int64(0)
	whole := n <= maxParsedTemplate
	var text strings.Builder
	start := int64(-1)
	err := p.scanText(n, func(w string, base int64, carry int) {
		if start < 0 {
			start = base
		}
		if whole {
			text.WriteString(w[carry:])
		} else {
			found = appendMarkers(found, seen, jinja.Markers(w), w, base, carry)
		}
		if url == "" {
			if loc := textcheck.URL.FindStringIndex(w); loc != nil && loc[1] > carry {
				url, urlAt = textcheck.RedactURL(w[loc[0]:loc[1]]), base+int64(loc[0])
			}
		}
	})
	if err != nil {
		return err
	}
	where := "chat template " + k.name()
	if k.kind == kindTemplates {
		where = fmt.Sprintf("entry %d of %s", i, k.name())
	} else if i >= 0 {
		where = fmt.Sprintf("chat template %s (element %d)", k.name(), i)
	}
	if whole {
		t := text.String()
		issues, parsed := jinja.Check(t)
		found = appendMarkers(found, seen, issues, t, start, 0)
		if !parsed {
			p.rep.add(ruleUnparsedTemplate, start,
				where+" does not parse as Jinja: it was searched for sandbox-escape markers instead of analysed, and llama.cpp or transformers may fail to render it",
				fmt.Sprintf("%s: %d bytes", k.name(), len(t)))
		}
		if p.promptHits(t, start, where) {
			k.url = true // the prompt detectors reported the template's URLs, at medium or above
		}
	}
	if len(found) > 0 {
		p.rep.add(ruleSSTI, found[0].at,
			fmt.Sprintf("%s contains Jinja sandbox-escape markers %s. llama-cpp-python before 0.2.72 rendered GGUF chat templates with an unsandboxed Jinja2 environment when the model loaded (CVE-2024-34359), so such a template runs code on the machine that loads the model", where, describeMarkers(found)),
			fmt.Sprintf("%s: %s", k.name(), scanner.Quote(found[0].text)))
	}
	if url != "" && !k.url {
		k.url = true
		p.rep.add(ruleURL, urlAt,
			fmt.Sprintf("%s contains the URL %s; chat templates have no need for links, and a template can make the model emit or follow one", where, scanner.Quote(url)),
			fmt.Sprintf("%s: %s", k.name(), scanner.Quote(url)))
	}
	return nil
}

// promptHits runs the prompt-fixture detectors on a chat template (role
// chat template: injected instructions, hidden characters, URLs, encoded
// payloads, code) whose first byte is at file offset base, and reports
// whether one of them was about a URL.
func (p *parser) promptHits(t string, base int64, where string) (url bool) {
	for _, h := range detect.Run(promptcore.Segment{Text: t, Role: promptcore.RoleChatTemplate, Source: where}) {
		if h.Rule == detect.RuleFor(detect.DetURL, promptcore.RoleChatTemplate) || h.Rule == detect.RuleFor(detect.DetURLNote, promptcore.RoleChatTemplate) {
			url = true
		}
		p.rep.add(h.Rule, base+int64(h.Start), fmt.Sprintf("%s: %s", where, h.Message), h.Evidence)
	}
	return url
}

// marker is an SSTI issue at a file offset.
type marker struct {
	at        int64
	text, why string
}

// appendMarkers adds the issues found in w (whose first byte is at file
// offset base) that do not end inside its first carry bytes, once per
// distinct text.
func appendMarkers(found []marker, seen map[string]bool, issues []jinja.Issue, w string, base int64, carry int) []marker {
	for _, is := range issues {
		text := w[is.Start:min(is.End, is.Start+80)]
		if is.End <= carry || seen[text] {
			continue
		}
		seen[text] = true
		found = append(found, marker{at: base + int64(is.Start), text: text, why: is.Why})
	}
	return found
}

// describeMarkers lists the markers (at most maxShownMarkers) and then
// what they do.
func describeMarkers(ms []marker) string {
	var texts, whys []string
	for i, m := range ms {
		if i == maxShownMarkers {
			texts = append(texts, fmt.Sprintf("and %d more", len(ms)-i))
			break
		}
		texts = append(texts, scanner.Quote(m.text))
		if !slices.Contains(whys, m.why) {
			whys = append(whys, m.why)
		}
	}
	return strings.Join(texts, ", ") + " (" + strings.Join(whys, "; ") + ")"
}

// freeText scans a general.* string for code (MG3411) and URLs (MG3412);
// each entry is reported at most once per rule.
func (p *parser) freeText(k *kv, i int64, n uint64) error {
	linkKey := isLinkKey(k.key)
	return p.scanText(n, func(w string, base int64, carry int) {
		if !k.code {
			var labels []string
			first := -1
			for _, c := range textcheck.CodePatterns {
				if loc := c.RE.FindStringIndex(w); loc != nil && loc[1] > carry {
					labels = append(labels, c.Label)
					if first < 0 || loc[0] < first {
						first = loc[0]
					}
				}
			}
			if labels != nil {
				k.code = true
				p.rep.add(ruleCode, base+int64(first),
					fmt.Sprintf("%s contains code or shell command text (%s); GGUF loaders never run metadata, but model hubs, cards and tools that template or evaluate it can", k.element(i), strings.Join(labels, ", ")),
					fmt.Sprintf("%s: %s", k.name(), scanner.Quote(textcheck.Excerpt(w, first))))
			}
		}
		if !k.url {
			for _, loc := range textcheck.URL.FindAllStringIndex(w, -1) {
				u := w[loc[0]:loc[1]]
				if loc[1] <= carry || linkKey && isWebURL(u) {
					continue
				}
				k.url = true
				u = textcheck.RedactURL(u)
				p.rep.add(ruleURL, base+int64(loc[0]),
					fmt.Sprintf("%s contains the URL %s", k.element(i), scanner.Quote(u)),
					fmt.Sprintf("%s: %s", k.name(), scanner.Quote(u)))
				break
			}
		}
	})
}

// isLinkKey says whether a general.* key holds a link by design
// (general.url, general.repo_url, general.license.link,
// general.base_model.0.repo_url, general.doi...); web URLs there are
// expected and not reported.
func isLinkKey(key string) bool {
	last := key[strings.LastIndexByte(key, '.')+1:]
	return last == "url" || last == "link" || last == "doi" || strings.HasSuffix(last, "_url")
}

func isWebURL(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}
