package gguf

import (
	"fmt"
	"github.com/modelgate/modelgate/scanner"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Metadata value types.
const (
	tU8 uint32 = iota
	tI8
	tU16
	tI16
	tU32
	tI32
	tF32
	tBool
	tString
	tArray
	tU64
	tI64
	tF64
	typeCount
)

var typeNames = [typeCount]string{"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"}

// scalarSize is the size of each fixed-size value type (0 for string and
// array).
var scalarSize = [typeCount]uint64{1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8}

func typeName(t uint32) string {
	if t < typeCount {
		return typeNames[t]
	}
	return fmt.Sprintf("type %d", t)
}

// Keys the scanner reads values of.
const (
	keyAlignment     = "general.alignment"
	keyChatTemplate  = "tokenizer.chat_template"
	keyChatTemplates = "tokenizer.chat_templates"
)

// kind says what the scanner does with a key's value.
type kind int

const (
	kindOther     kind = iota
	kindAlignment      // general.alignment: u32, a power of two
	kindTemplate       // a Jinja chat template
	kindTemplates      // tokenizer.chat_templates: the names of the named templates
	kindGeneral        // free text in general.*
)

func classify(key string) kind {
	switch {
	case key == keyAlignment:
		return kindAlignment
	case key == keyChatTemplate, strings.HasPrefix(key, keyChatTemplate+"."):
		return kindTemplate
	case key == keyChatTemplates:
		return kindTemplates
	case strings.HasPrefix(key, "general."):
		return kindGeneral
	}
	return kindOther
}

// kv is the metadata entry being read.
type kv struct {
	index uint64
	key   string
	at    int64 // file offset of the entry
	kind  kind
	// badBool, code and url are set once the entry has had that finding.
	badBool, code, url bool
}

func (k *kv) name() string { return scanner.Quote(k.key) }

// element names element i of the entry's array value (i < 0: the value).
func (k *kv) element(i int64) string {
	if i < 0 {
		return "the value of " + k.name()
	}
	return fmt.Sprintf("element %d of %s", i, k.name())
}

// metadata reads every key-value pair.
func (p *parser) metadata() error {
	p.keys = make(map[string]int64, min(p.nKV, 256))
	for i := uint64(0); i < p.nKV; i++ {
		if err := p.tick(); err != nil {
			return err
		}
		k := &kv{index: i, at: p.r.off}
		p.where = func() string { return fmt.Sprintf("metadata entry %d", k.index) }
		if err := p.key(k); err != nil {
			return err
		}
		p.where = func() string { return fmt.Sprintf("metadata entry %d (%s)", k.index, k.name()) }
		typ, err := p.r.u32()
		if err != nil {
			return err
		}
		k.kind = classify(k.key)
		if first, dup := p.keys[k.key]; dup {
			p.rep.add(ruleDuplicate, k.at,
				fmt.Sprintf("metadata key %s appears again at offset %d (first at offset %d); llama.cpp rejects the file while other readers keep the first or the last value, so tools disagree on the model's metadata", k.name(), k.at, first),
				"duplicate key "+k.name())
		} else {
			p.keys[k.key] = k.at
		}
		if err := p.checkKeyType(k, typ); err != nil {
			return err
		}
		if err := p.value(k, typ, 0); err != nil {
			return err
		}
	}
	return nil
}

// key reads and checks the key of entry k.
func (p *parser) key(k *kv) error {
	n, err := p.r.count()
	if err != nil {
		return err
	}
	if n > p.r.remaining() {
		return p.fail(ruleBounds, k.at,
			fmt.Sprintf("the key of metadata entry %d has length %d, past the end of the file (%s remain)", k.index, n, byteCount(p.r.remaining())),
			fmt.Sprintf("key length %d", n))
	}
	if n > maxKeyLen {
		b, err := p.r.view(maxExcerpt)
		if err != nil {
			return err
		}
		k.key = string(b)
		p.rep.add(ruleValue, k.at,
			fmt.Sprintf("the key of metadata entry %d (%s) is %d bytes long; the GGUF specification allows at most %d", k.index, scanner.Quote(k.key), n, maxKeyLen),
			fmt.Sprintf("key length %d", n))
		return p.r.skip(n)
	}
	b, err := p.r.next(int(n))
	if err != nil {
		return err
	}
	k.key = string(b)
	if why := badKey(k.key); why != "" {
		p.rep.add(ruleValue, k.at,
			fmt.Sprintf("the key of metadata entry %d, %s, %s; keys are printable ASCII names such as general.name, and readers that decode keys as UTF-8 reject the file", k.index, k.name(), why),
			"key "+k.name())
	}
	return nil
}

// badKey says what is wrong with a key, or "".
func badKey(key string) string {
	switch {
	case key == "":
		return "is empty"
	case !utf8.ValidString(key):
		return "is not valid UTF-8"
	case strings.IndexFunc(key, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' }) >= 0:
		return "contains spaces or control characters"
	}
	return ""
}

// checkKeyType reports well-known keys whose value has the wrong type.
// llama.cpp aborts on a general.alignment that is not a u32 (an assertion
// in gguf_get_val_u32), and template keys must hold strings.
func (p *parser) checkKeyType(k *kv, typ uint32) error {
	var want string
	var ok bool
	switch k.kind {
	case kindAlignment:
		want, ok = "a u32", typ == tU32
	case kindTemplate:
		want, ok = "a string", typ == tString
	case kindTemplates:
		want, ok = "an array of strings", typ == tArray
	default:
		return nil
	}
	if !ok && typ < typeCount {
		p.rep.add(ruleValue, k.at,
			fmt.Sprintf("%s holds a %s value; it must be %s, and readers that assume so fail or crash (llama.cpp aborts on a general.alignment that is not a u32)", k.name(), typeName(typ), want),
			fmt.Sprintf("%s is %s", k.name(), typeName(typ)))
		if k.kind == kindAlignment {
			k.kind = kindOther
		}
	}
	return nil
}

// value reads a value of type typ; depth counts enclosing arrays.
func (p *parser) value(k *kv, typ uint32, depth int) error {
	switch {
	case typ == tString:
		return p.stringValue(k, -1)
	case typ == tArray:
		return p.array(k, depth+1)
	case typ == tBool:
		at := p.r.off
		b, err := p.r.u8()
		if err == nil {
			p.checkBool(k, -1, b, at)
		}
		return err
	case typ == tU32 && k.kind == kindAlignment:
		at := p.r.off
		v, err := p.r.u32()
		if err == nil {
			p.setAlignment(k, v, at)
		}
		return err
	case typ < typeCount:
		return p.r.skip(scalarSize[typ])
	}
	return p.fail(ruleValue, p.r.off-4,
		fmt.Sprintf("%s has value type %d, which is not a GGUF type (0-12); its size is unknown, so the rest of the file cannot be read", k.name(), typ),
		fmt.Sprintf("%s value type %d", k.name(), typ))
}

func (p *parser) checkBool(k *kv, i int64, b byte, at int64) {
	if b <= 1 || k.badBool {
		return
	}
	k.badBool = true
	p.rep.add(ruleValue, at,
		fmt.Sprintf("%s is a bool stored as %d; only 0 and 1 are valid, and readers disagree on other values", k.element(i), b),
		fmt.Sprintf("%s bool %d", k.name(), b))
}

func (p *parser) setAlignment(k *kv, v uint32, at int64) {
	if v == 0 || v&(v-1) != 0 {
		p.rep.add(ruleValue, at,
			fmt.Sprintf("%s is %d, not a power of two; llama.cpp rejects the file and the tensor data cannot be located (the default of %d is assumed)", k.name(), v, defaultAlignment),
			fmt.Sprintf("general.alignment %d", v))
		return
	}
	p.alignment = uint64(v)
}

// minSize is the smallest encoding of a value of type typ.
func (p *parser) minSize(typ uint32) uint64 {
	switch typ {
	case tString:
		return p.r.lenSize()
	case tArray:
		return 4 + p.r.lenSize()
	}
	return scalarSize[typ]
}

// array reads an array value (its element type, count and elements) at
// nesting depth depth.
func (p *parser) array(k *kv, depth int) error {
	at := p.r.off
	et, err := p.r.u32()
	if err != nil {
		return err
	}
	n, err := p.r.count()
	if err != nil {
		return err
	}
	switch {
	case et >= typeCount:
		return p.fail(ruleValue, at,
			fmt.Sprintf("%s is an array of element type %d, which is not a GGUF type (0-12); the rest of the file cannot be read", k.name(), et),
			fmt.Sprintf("%s array element type %d", k.name(), et))
	case et == tArray && depth >= maxArrayDepth:
		return p.fail(ruleValue, at,
			fmt.Sprintf("%s nests arrays deeper than %d levels; llama.cpp accepts no nested arrays at all, and deep nesting exhausts recursive readers", k.name(), maxArrayDepth),
			fmt.Sprintf("%s nesting deeper than %d", k.name(), maxArrayDepth))
	case k.kind == kindTemplates && depth == 1 && et != tString:
		p.rep.add(ruleValue, at,
			fmt.Sprintf("%s is an array of %s; it must list template names as strings", k.name(), typeName(et)),
			fmt.Sprintf("%s is an array of %s", k.name(), typeName(et)))
	}
	if min := p.minSize(et); n > p.r.remaining()/min {
		return p.fail(ruleBounds, at,
			fmt.Sprintf("%s is an array of %d %s elements, which needs at least %s, but only %s remain in the file", k.name(), n, typeName(et), byteCount(min)+" each", byteCount(p.r.remaining())),
			fmt.Sprintf("%s array count %d", k.name(), n))
	}
	switch et {
	case tString:
		for i := uint64(0); i < n; i++ {
			if err := p.tick(); err != nil {
				return err
			}
			if err := p.stringValue(k, int64(i)); err != nil {
				return err
			}
		}
	case tArray:
		for i := uint64(0); i < n; i++ {
			if err := p.tick(); err != nil {
				return err
			}
			if err := p.array(k, depth+1); err != nil {
				return err
			}
		}
	case tBool:
		return p.bools(k, n)
	default:
		return p.r.skip(n * scalarSize[et])
	}
	return nil
}

// bools checks the n bytes of a bool array.
func (p *parser) bools(k *kv, n uint64) error {
	for i := uint64(0); i < n; {
		if err := p.tick(); err != nil {
			return err
		}
		at := p.r.off
		b, err := p.r.next(int(min(n-i, bufSize)))
		if err != nil {
			return err
		}
		for j, v := range b {
			p.checkBool(k, int64(i)+int64(j), v, at+int64(j))
		}
		i += uint64(len(b))
	}
	return nil
}

// stringValue reads a string value, element i of an array (i < 0: the
// value itself), scanning the text of the keys that matter.
func (p *parser) stringValue(k *kv, i int64) error {
	at := p.r.off
	n, err := p.r.count()
	if err != nil {
		return err
	}
	if n > p.r.remaining() {
		return p.fail(ruleBounds, at,
			fmt.Sprintf("%s is a string of length %d, past the end of the file (%s remain)", k.element(i), n, byteCount(p.r.remaining())),
			fmt.Sprintf("%s string length %d", k.name(), n))
	}
	switch {
	case i >= maxTextElements:
		// Text is scanned in the first elements of an array only: each
		// scan costs a dozen regexp runs, whatever the string's length.
	case k.kind == kindTemplate, k.kind == kindTemplates:
		return p.template(k, i, n)
	case k.kind == kindGeneral:
		return p.freeText(k, i, n)
	}
	return p.r.skip(n)
}
