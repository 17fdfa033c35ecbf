package safetensors

import (
	"encoding/json"
	"fmt"
	"github.com/modelgate/modelgate/internal/textcheck"
	"github.com/modelgate/modelgate/scanner"
	"strings"
)

// metadata walks __metadata__, whose key was just read at header offset at.
func (w *walker) metadata(at int64) {
	tok, _, ok := w.next()
	if !ok {
		return
	}
	if tok != json.Delim('{') {
		w.skip(tok, 1, metadataKey)
		if !w.stop {
			w.rep.add(ruleMetaType, lengthSize+at,
				fmt.Sprintf("%s is %s, not an object of strings", metadataKey, kindOf(tok)),
				metadataKey+" is "+kindOf(tok))
		}
		return
	}
	w.members(2, metadataKey, func(key string, at int64) {
		tok, ok := w.value(2, metadataKey)
		if !ok {
			return
		}
		if s, isString := tok.(string); isString {
			checkMetaValue(w.rep, key, s, lengthSize+at)
			return
		}
		w.rep.add(ruleMetaType, lengthSize+at,
			fmt.Sprintf("%s value %s is %s, not a string; the reference reader rejects the file", metadataKey, scanner.Quote(key), kindOf(tok)),
			fmt.Sprintf("%s %s is %s", metadataKey, scanner.Quote(key), kindOf(tok)))
	})
}

// checkMetaValue looks for code (MG2010) and URLs (MG2011) in one value;
// off is the file offset of its key.
func checkMetaValue(rep *report, key, value string, off int64) {
	var labels []string
	first := -1
	for _, p := range metadataPatterns {
		if loc := p.RE.FindStringIndex(value); loc != nil {
			labels = append(labels, p.Label)
			if first < 0 || loc[0] < first {
				first = loc[0]
			}
		}
	}
	if labels != nil {
		rep.add(ruleMetaCode, off,
			fmt.Sprintf("%s value %s contains code or shell command text (%s)", metadataKey, scanner.Quote(key), strings.Join(labels, ", ")),
			scanner.Quote(key)+": "+scanner.Quote(textcheck.Excerpt(value, first)))
	}
	if loc := textcheck.URL.FindStringIndex(value); loc != nil {
		url := textcheck.RedactURL(value[loc[0]:loc[1]])
		rep.add(ruleMetaURL, off,
			fmt.Sprintf("%s value %s contains the URL %s", metadataKey, scanner.Quote(key), scanner.Quote(url)),
			scanner.Quote(key)+": "+scanner.Quote(url))
	}
}

// metadataPatterns are the code shapes looked for in metadata values,
// lambdas included (metadata has no business holding one).
var metadataPatterns = append(append([]textcheck.Pattern{}, textcheck.CodePatterns...), textcheck.Lambda)
