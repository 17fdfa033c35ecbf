package keras

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

type nopVisitor struct{}

func (nopVisitor) open(*object)           {}
func (nopVisitor) close(*object)          {}
func (nopVisitor) stringValue(str, int64) {}

func parseString(in jsonInput) error {
	_, _, _, err := parse(context.Background(), in, 100, nopVisitor{})
	return err
}

// TestPythonDialect pins the parser to what Python's json.loads accepts
// (each verdict checked against CPython 3.11).
func TestPythonDialect(t *testing.T) {
	ok := []string{
		`{"a": NaN}`, `Infinity`, `-Infinity`, `[1, 2.5e-3, -0, 0.0, 1E+2]`,
		`"\ud83d\ude00"`, `"\ud800"`, `"\ud800\n"`, `"\ud800\u0041"`, " \t\n\r{} \n", `{"a":1,"a":2}`,
		"\"\x7f\"", `"\/"`, `[[[]]]`, `{"a": {"b": [true, false, null]}}`,
	}
	bad := []string{
		`{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `+1`, `-NaN`, `nan`, "\"\x01\"", `"\q"`,
		`{'a':1}`, `{} {}`, ``, `tru`, `"\u12"`, `[1 2]`, `{"a" 1}`, `-`, `1e`, `1e+`, `[-]`,
		`"abc`, `{"a":`, "\ufeff{}",
	}
	for _, s := range ok {
		if err := parseString(jsonInput{r: strings.NewReader(s), limit: 1 << 20}); err != nil {
			t.Errorf("%q: %v; Python accepts it", s, err)
		}
	}
	for _, s := range bad {
		err := parseString(jsonInput{r: strings.NewReader(s), limit: 1 << 20})
		var syn *syntaxError
		if !errors.As(err, &syn) {
			t.Errorf("%q: err %v; Python rejects it", s, err)
		}
	}
}

// TestBytesEncodings: json.loads(bytes) detects UTF-16 and UTF-32 and
// skips a UTF-8 BOM; Keras hands it the bytes of config.json.
func TestBytesEncodings(t *testing.T) {
	doc := `{"class_name": "Lambda"}`
	u16 := func(order binary.AppendByteOrder, bom bool) []byte {
		var b []byte
		if bom {
			b = order.AppendUint16(b, 0xfeff)
		}
		for _, u := range utf16.Encode([]rune(doc)) {
			b = order.AppendUint16(b, u)
		}
		return b
	}
	u32 := func(order binary.AppendByteOrder, bom bool) []byte {
		var b []byte
		if bom {
			b = order.AppendUint32(b, 0xfeff)
		}
		for _, r := range doc {
			b = order.AppendUint32(b, uint32(r))
		}
		return b
	}
	for name, b := range map[string][]byte{
		"utf-8":        []byte(doc),
		"utf-8-sig":    append([]byte("\xef\xbb\xbf"), doc...),
		"utf-16-le":    u16(binary.LittleEndian, false),
		"utf-16-be":    u16(binary.BigEndian, false),
		"utf-16 bom":   u16(binary.LittleEndian, true),
		"utf-16be bom": u16(binary.BigEndian, true),
		"utf-32-le":    u32(binary.LittleEndian, false),
		"utf-32-be":    u32(binary.BigEndian, false),
		"utf-32 bom":   u32(binary.LittleEndian, true),
	} {
		w := &walker{}
		root, _, _, err := parse(context.Background(), jsonInput{r: bytes.NewReader(b), limit: 1 << 20, bytesIn: true}, 10, w)
		if err != nil || root.kind != vObject || root.obj.className.s != "Lambda" {
			t.Errorf("%s: root %+v, err %v", name, root, err)
		}
	}
}

func TestNulEnds(t *testing.T) {
	in := jsonInput{r: strings.NewReader("{\"a\": 1}\x00\x00garbage"), limit: 1 << 20, nulEnds: true}
	if err := parseString(in); err != nil {
		t.Errorf("NUL-terminated document: %v", err)
	}
	in = jsonInput{r: strings.NewReader("{\"a\": 1}\x00"), limit: 1 << 20}
	if err := parseString(in); err == nil {
		t.Error("NUL accepted where Python's json.loads would see it")
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("[", 101) + strings.Repeat("]", 101)
	if err := parseString(jsonInput{r: strings.NewReader(deep), limit: 1 << 20}); !errors.Is(err, errTooDeep) {
		t.Errorf("deep: %v", err)
	}
	if err := parseString(jsonInput{r: strings.NewReader(strings.Repeat(" ", 100) + "{}"), limit: 50}); !errors.Is(err, errTooLarge) {
		t.Errorf("large: %v", err)
	}
	// A document that ends exactly at the limit is complete.
	if err := parseString(jsonInput{r: strings.NewReader(`{"a": 1}`), limit: 8}); err != nil {
		t.Errorf("exactly at the limit: %v", err)
	}
}

// TestLastDuplicateWins: Python keeps the last value of a repeated key.
func TestLastDuplicateWins(t *testing.T) {
	w := &walker{}
	doc := `{"class_name": "Lambda", "class_name": "Dense", "config": {"name": "x"}}`
	root, _, _, err := parse(context.Background(), jsonInput{r: strings.NewReader(doc), limit: 1 << 20}, 10, w)
	if err != nil || root.obj.className.s != "Dense" || len(w.pending) != 0 {
		t.Errorf("class_name %q, %d findings, err %v", root.obj.className.s, len(w.pending), err)
	}
}

func TestModuleLists(t *testing.T) {
	for m, want := range map[string]bool{"keras": true, "keras.src.layers.core.dense": true, "keras_hub.src.models": true, "kerasx": false, "keras_evil.layers": false, "tf_keras.src": true} {
		if got := isKerasModule(m); got != want {
			t.Errorf("isKerasModule(%q) = %v", m, got)
		}
	}
	for m, want := range map[string]bool{"os": true, "os.path": true, "subprocess": true, "builtins": true, "mypkg": false, "ossify": false} {
		if got := isDangerousModule(m); got != want {
			t.Errorf("isDangerousModule(%q) = %v", m, got)
		}
	}
	for r, want := range map[string]string{"MyLayers>Scale": "MyLayers>Scale", "keras_hub>GemmaBackbone": "", "Dense": "", "keras>Foo": ""} {
		if got := customPackage(r); got != want {
			t.Errorf("customPackage(%q) = %q", r, got)
		}
	}
}
