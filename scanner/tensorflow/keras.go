package tensorflow

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/tensorflow/tfpb"
)

var savedMetadataType = (&tfpb.SavedMetadata{}).ProtoReflect().Type()

// maxJSONDepth bounds the walk of one layer's metadata.
const maxJSONDepth = 256

// lambdaSlots are the function-valued entries of a Lambda layer's config,
// each with its type and module entries (tf_keras/layers/core/lambda_layer.py).
var lambdaSlots = []struct{ value, kind, module string }{
	{"function", "function_type", "module"},
	{"output_shape", "output_shape_type", "output_shape_module"},
	{"mask", "mask_type", "mask_module"},
}

// lambdaMarker finds a lambda function type in text that is not valid
// JSON, as a last resort.
var lambdaMarker = regexp.MustCompile(`"(?:function|output_shape|mask)_type"\s*:\s*"lambda"`)

// kerasScan walks the layer metadata of one keras_metadata.pb.
type kerasScan struct {
	rep  *report
	seen map[string]bool // reported (rule, layer, slot, payload) keys
	obj  *tfpb.SavedObject
}

func scanKeras(ctx context.Context, in *scanner.Input, rep *report) error {
	msg, err := parse(ctx, in, rep, savedMetadataType, "Keras SavedModel metadata (SavedMetadata)", maxKerasString)
	if err != nil || msg == nil {
		return err
	}
	k := &kerasScan{rep: rep, seen: map[string]bool{}}
	nodes := msg.(*tfpb.SavedMetadata).GetNodes()
	docs := make([]any, len(nodes))
	for i, obj := range nodes {
		if err := ctx.Err(); err != nil {
			return err
		}
		k.obj = obj
		docs[i] = k.decode(obj)
	}
	// A layer appears in its own metadata and again inside its model's
	// config: look at the layers' own nodes first, so that a finding
	// points at the layer, then at everything else.
	for _, deep := range []bool{false, true} {
		for i, obj := range nodes {
			if docs[i] == nil {
				continue
			}
			k.obj = obj
			if deep {
				k.walk(docs[i], 0)
			} else if m, ok := docs[i].(map[string]any); ok {
				k.layer(m)
			}
		}
	}
	return nil
}

// where describes the current SavedObject for messages.
func (k *kerasScan) where() string {
	s := fmt.Sprintf("node %d", k.obj.GetNodeId())
	if p := k.obj.GetNodePath(); p != "" {
		s += " (" + scanner.Quote(p) + ")"
	}
	return s
}

// decode parses one object's metadata JSON; it returns nil, after
// reporting why, when there is none to walk.
func (k *kerasScan) decode(obj *tfpb.SavedObject) any {
	meta := obj.GetMetadata()
	if meta == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(meta))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = fmt.Errorf("trailing data after the JSON value")
	}
	if err != nil {
		k.rep.add(ruleMalformed, obj.GetMgOffset(),
			fmt.Sprintf("the metadata of %s is not valid JSON (%v); TF-Keras cannot load the layer", k.where(), err),
			fmt.Sprintf("node %d metadata not JSON", obj.GetNodeId()))
		if lambdaMarker.MatchString(meta) {
			k.report(ruleLambda, "?", "function", "",
				fmt.Sprintf("the unparseable metadata of %s declares a Lambda function of type \"lambda\", which TF-Keras stores as marshalled Python bytecode", k.where()))
		}
		return nil
	}
	return v
}

// layer checks an object that may be a Lambda layer's config.
func (k *kerasScan) layer(x map[string]any) {
	if cls, _ := x["class_name"].(string); cls == "Lambda" || cls == "TFOpLambda" {
		if cfg, ok := x["config"].(map[string]any); ok {
			k.lambda(cls, cfg)
		}
	}
}

// walk visits every object of a metadata document, looking for Lambda
// layer configs (the layer's own metadata and the copies inside its
// model's config).
func (k *kerasScan) walk(v any, depth int) {
	if depth > maxJSONDepth {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		k.layer(x)
		keys := make([]string, 0, len(x))
		for key := range x {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		for _, key := range keys {
			k.walk(x[key], depth+1)
		}
	case []any:
		for _, e := range x {
			k.walk(e, depth+1)
		}
	}
}

// lambda checks one Lambda (or TFOpLambda) layer config.
func (k *kerasScan) lambda(cls string, cfg map[string]any) {
	layer, _ := cfg["name"].(string)
	for _, slot := range lambdaSlots {
		val, ok := cfg[slot.value]
		if !ok || val == nil {
			continue
		}
		kind, _ := cfg[slot.kind].(string)
		module, _ := cfg[slot.module].(string)
		code, isCode := bytecode(val)
		what := fmt.Sprintf("Keras %s layer %s in %s", cls, scanner.Quote(layer), k.where())
		switch {
		case kind == "lambda" || kind == "" && isCode:
			size := "Python bytecode that does not decode"
			if isCode {
				size = fmt.Sprintf("%d bytes of marshalled Python bytecode", len(code))
			}
			k.report(ruleLambda, layer, slot.value, digest(code, val),
				fmt.Sprintf("%s stores its %s as %s%s; loading the model with TF-Keras rebuilds the function with marshal.loads and runs it while the model is reconstructed", what, slot.value, size, fromModule(module)))
		case kind == "function":
			name := functionName(val)
			k.report(ruleLambdaRef, layer, slot.value, module+"."+name,
				fmt.Sprintf("%s refers to the Python function %s%s by name; TF-Keras resolves it in the loading process (custom objects, then the module's namespace) and calls it, so the model runs whatever that name means there", what, scanner.Quote(name), fromModule(module)))
		}
	}
}

// report records a Lambda finding once per (rule, layer, slot, payload):
// a layer appears both in its own metadata and in its model's config.
func (k *kerasScan) report(rule, layer, slot, payload, msg string) {
	key := strings.Join([]string{rule, layer, slot, payload}, "\x00")
	if k.seen[key] {
		return
	}
	k.seen[key] = true
	evidence := fmt.Sprintf("layer %s %s", scanner.Quote(layer), slot)
	if rule == ruleLambdaRef {
		evidence += " = " + scanner.Quote(payload)
	}
	k.rep.add(rule, k.obj.GetMgOffset(), msg, evidence)
}

func fromModule(module string) string {
	if module == "" {
		return ""
	}
	return " (module " + scanner.Quote(module) + ")"
}

// bytecode decodes a func_dump value: base64 of marshal.dumps(code), as a
// string or as the first element of [code, defaults, closure]. ok reports
// that it decodes to a marshalled code object.
func bytecode(v any) ([]byte, bool) {
	if list, isList := v.([]any); isList && len(list) > 0 {
		v = list[0]
	}
	s, isString := v.(string)
	if !isString {
		return nil, false
	}
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, false
	}
	// marshal's TYPE_CODE is 'c', with 0x80 set when the object is
	// referenced (FLAG_REF).
	return b, b[0]&0x7f == 'c'
}

// digest identifies a Lambda payload for de-duplication.
func digest(code []byte, v any) string {
	if code == nil {
		raw, _ := json.Marshal(v)
		code = raw
	}
	sum := sha256.Sum256(code)
	return fmt.Sprintf("%x", sum[:8])
}

// functionName renders a named function reference: a string, or a
// serialised object whose config is the name.
func functionName(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if s, ok := x["config"].(string); ok {
			return s
		}
		if s, ok := x["class_name"].(string); ok {
			return s
		}
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}
