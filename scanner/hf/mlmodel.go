package hf

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// mlmodel checks an MLflow MLmodel file (YAML). What runs on
// mlflow.pyfunc.load_model: the python_function flavor's loader_module is
// imported and its _load_pyfunc called; mlflow.* loaders are MLflow's own,
// anything else is code shipped with (or installed beside) the model. The
// flavors' pickled artifacts are unpickled by their loaders, and the
// "code" directories are put on sys.path first.
func (d *doc) mlmodel() {
	var root yaml.Node
	if err := yamlUnmarshal(d.src, &root); err != nil {
		d.at(ruleMalformed, -1, fmt.Sprintf("MLmodel YAML cannot be parsed: %v; MLflow will fail to load it.", short(err.Error(), 200)), "malformed YAML")
		return
	}
	top := mapping(&root)
	if top == nil {
		d.at(ruleMalformed, -1, "MLmodel is not a YAML mapping.", "MLmodel not a mapping")
		return
	}
	flavors := lookup(top, "flavors")
	if flavors == nil {
		return
	}
	fm := mapping(flavors)
	if fm == nil {
		d.atNode(ruleMalformed, flavors, "MLmodel flavors is not a mapping.", "flavors not a mapping")
		return
	}
	for i := 0; i+1 < len(fm.Content); i += 2 {
		name := fm.Content[i].Value
		f := mapping(fm.Content[i+1])
		if f == nil {
			continue
		}
		d.flavor(name, f)
	}
}

// yamlUnmarshal parses YAML into a node tree; the parser does not expand
// aliases into a Node, and a panic in it is a parse error.
func yamlUnmarshal(src []byte, n *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("YAML parser failed: %v", p)
		}
	}()
	return yaml.Unmarshal(src, n)
}

// mapping returns n as a mapping node, through a document node and one
// alias, or nil.
func mapping(n *yaml.Node) *yaml.Node {
	for range 3 {
		if n == nil {
			return nil
		}
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		case yaml.AliasNode:
			n = n.Alias
		case yaml.MappingNode:
			return n
		default:
			return nil
		}
	}
	return nil
}

// lookup returns the value of key in a mapping (the last one, as PyYAML
// keeps).
func lookup(m *yaml.Node, key string) *yaml.Node {
	var v *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v = m.Content[i+1]
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
		}
	}
	return v
}

// scalar returns a scalar value, "" for null or non-scalars.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// strings returns a scalar or a sequence of scalars.
func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if s := scalar(n); s != "" {
		return []string{s}
	}
	var out []string
	if n.Kind == yaml.SequenceNode {
		for _, e := range n.Content {
			if s := scalar(e); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func (d *doc) atNode(rule string, n *yaml.Node, message, evidence string) {
	d.atLine(rule, n.Line, n.Column, message, evidence)
}

// pickleFormats are serialization formats that are pickles.
var pickleFormats = []string{"cloudpickle", "pickle"}

func (d *doc) flavor(name string, f *yaml.Node) {
	if name == "python_function" {
		if lm := lookup(f, "loader_module"); scalar(lm) != "" && !strings.HasPrefix(scalar(lm), "mlflow.") {
			code := scalars(lookup(f, "code"))
			where := "a module installed in the loading environment"
			if len(code) > 0 {
				where = "shipped in " + strings.Join(code, ", ")
			}
			d.atNode(ruleMLflowLoader, lm,
				fmt.Sprintf("The python_function flavor's loader_module is %s, custom code (%s) that mlflow.pyfunc.load_model imports and runs (%s._load_pyfunc) to load the model.", quote(scalar(lm)), where, scalar(lm)),
				"loader_module: "+short(scalar(lm), 80))
		}
		if pm := lookup(f, "python_model"); scalar(pm) != "" {
			d.atNode(ruleMLflowPickle, pm,
				fmt.Sprintf("The python_function flavor's python_model %s is a cloudpickle of a PythonModel: loading the model unpickles it, which runs code chosen by its author. Scan that file.", quote(scalar(pm))),
				"python_model: "+short(scalar(pm), 80))
		}
	}
	if sf := lookup(f, "serialization_format"); slices.Contains(pickleFormats, scalar(sf)) {
		artifact := ""
		for _, k := range []string{"pickled_model", "model_path", "data"} {
			if a := scalar(lookup(f, k)); a != "" {
				artifact = a
				break
			}
		}
		d.atNode(ruleMLflowPickle, sf,
			fmt.Sprintf("The %s flavor is saved with serialization_format %s: its artifact %s is a pickle, and loading the model unpickles it. Scan that file; prefer a data-only format (skops, ONNX).", name, scalar(sf), quote(artifact)),
			short(name, 60)+": "+scalar(sf))
	}
	if pmn := lookup(f, "pickle_module_name"); scalar(pmn) != "" {
		d.atNode(ruleMLflowPickle, pmn,
			fmt.Sprintf("The %s flavor is saved with torch.save through %s: its model data is a pickle that loading unpickles. Scan those files; prefer safetensors.", name, quote(scalar(pmn))),
			short(name, 60)+": pickle_module_name")
	}
	if c := lookup(f, "code"); len(scalars(c)) > 0 {
		d.atNode(ruleMLflowCode, c,
			fmt.Sprintf("The %s flavor ships code (%s) that MLflow puts on sys.path before loading the model, so its modules shadow installed ones and run on import. Review it.", name, strings.Join(scalars(c), ", ")),
			short(name, 60)+": code")
	}
}
