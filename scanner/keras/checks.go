package keras

import (
	"fmt"
	"github.com/modelgate/modelgate/scanner"
	"strings"
)

// kerasPackages are the top-level packages whose objects Keras 3.9+
// deserialises by module (keras, keras_hub, keras_cv, keras_nlp), plus
// tf_keras, the TF-Keras 2 package: importing them is what loading any
// Keras model does anyway.
var kerasPackages = map[string]bool{
	"keras": true, "keras_hub": true, "keras_cv": true, "keras_nlp": true, "tf_keras": true,
}

// dangerousPackages are top-level modules whose import or members give
// command execution, code loading, file or network access, or
// deserialisation. A config that names one of them has no legitimate use.
var dangerousPackages = map[string]bool{
	"os": true, "posix": true, "nt": true, "subprocess": true, "_posixsubprocess": true, "pty": true,
	"builtins": true, "__builtin__": true, "__builtins__": true, "sys": true, "importlib": true, "imp": true,
	"runpy": true, "code": true, "codeop": true, "types": true, "ctypes": true, "_ctypes": true,
	"shutil": true, "pathlib": true, "io": true, "_io": true, "tempfile": true, "glob": true,
	"zipfile": true, "tarfile": true, "zipimport": true, "pickle": true, "_pickle": true, "cPickle": true,
	"dill": true, "cloudpickle": true, "joblib": true, "marshal": true, "shelve": true,
	"socket": true, "_socket": true, "http": true, "httplib": true, "urllib": true, "urllib2": true,
	"urllib3": true, "requests": true, "httpx": true, "aiohttp": true, "ftplib": true, "smtplib": true,
	"telnetlib": true, "webbrowser": true, "multiprocessing": true, "asyncio": true, "signal": true,
	"operator": true, "_operator": true, "pdb": true, "pydoc": true, "timeit": true, "commands": true,
	"popen2": true, "platform": true, "site": true, "pip": true, "setuptools": true, "distutils": true,
}

// dangerousBuiltins are Python builtins that evaluate code, import
// modules, open files or reach arbitrary attributes.
var dangerousBuiltins = map[string]bool{
	"eval": true, "exec": true, "compile": true, "open": true, "__import__": true, "getattr": true,
	"setattr": true, "delattr": true, "globals": true, "locals": true, "vars": true, "input": true,
	"breakpoint": true, "exit": true, "quit": true, "help": true, "type": true, "__build_class__": true,
}

// riskyTFSymbols are TensorFlow API path components that reach files, the
// network, Python callables or native libraries.
var riskyTFSymbols = map[string]bool{
	"io": true, "gfile": true, "raw_ops": true, "py_function": true, "numpy_function": true,
	"py_func": true, "eager_py_func": true, "print": true, "Print": true, "summary": true,
	"saved_model": true, "load_library": true, "load_op_library": true,
	"load_file_system_library": true, "get_file": true, "data": true, "debugging": true,
	"config": true, "sysconfig": true, "write_file": true, "read_file": true,
}

func topPackage(module string) string {
	if i := strings.IndexByte(module, '.'); i >= 0 {
		return module[:i]
	}
	return module
}

func isKerasModule(module string) bool { return kerasPackages[topPackage(module)] }

func isDangerousModule(module string) bool { return dangerousPackages[topPackage(module)] }

// customPackage returns the package of a registered name "package>Name"
// when it is not a Keras package, "" otherwise.
func customPackage(registered string) string {
	i := strings.IndexByte(registered, '>')
	if i < 0 {
		return ""
	}
	if pkg := registered[:i]; !kerasPackages[pkg] {
		return registered
	}
	return ""
}

// pending is a finding waiting for the name of the layer around it, which
// the parser learns only when that layer's object closes.
type pending struct {
	rule     string
	pos      int64
	owner    int    // id of the object the finding is about (0: a string value)
	subject  string // "Lambda layer", "__lambda__ function", "reference"
	detail   string
	evidence string
	// Set by the innermost enclosing named object.
	label  string // `Dense "dense"`, or the name alone for the owner itself
	own    bool   // the label names the subject itself
	labels bool
}

// walker runs the checks on each serialised Keras object as the parser
// closes it, and labels findings with the layer they occur in.
type walker struct {
	pending  []pending
	sawClass bool
}

func (w *walker) open(o *object) { o.mark = len(w.pending) }

func (w *walker) add(o *object, pos int64, rule, subject, detail, evidence string) {
	p := pending{rule: rule, pos: pos, subject: subject, detail: detail, evidence: evidence}
	if o != nil {
		p.owner = o.id
	}
	w.pending = append(w.pending, p)
}

func (w *walker) close(o *object) {
	if !o.className.ok {
		return
	}
	w.sawClass = true
	w.check(o)
	name := o.layerName()
	if !name.ok || name.s == "" {
		return
	}
	for i := o.mark; i < len(w.pending); i++ {
		p := &w.pending[i]
		if p.labels {
			continue
		}
		p.labels = true
		if p.owner == o.id {
			p.own, p.label = true, scanner.Quote(name.s)
		} else {
			p.label = clipName(o.className.s) + " " + scanner.Quote(name.s)
		}
	}
}

// layerName is the name a layer or model carries in its config (Keras 2
// and 3) or beside it (Keras 3 functional layers).
func (o *object) layerName() str {
	if o.config != nil && o.config.name.ok {
		return o.config.name
	}
	return o.name
}

// clipName shortens a class name for labels, without quoting ordinary ones.
func clipName(s string) string {
	for _, r := range s {
		if !(r == '_' || r == '>' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return scanner.Quote(s)
		}
	}
	if len(s) > maxExcerpt {
		return scanner.Quote(s)
	}
	return s
}

// stringValue looks for the two allow-listed gadgets, wherever a string
// names them: a function reference's "config", a class name, a symbol.
func (w *walker) stringValue(s str, pos int64) {
	switch {
	case strings.Contains(s.s, "enable_unsafe_deserialization"):
		w.add(nil, pos, ruleUnsafe, "reference to keras.config.enable_unsafe_deserialization", fmt.Sprintf("(%s): a Lambda or other callable that calls it switches safe mode off for the rest of the load, so a __lambda__ later in the config runs (CVE-2025-9906)", scanner.Quote(s.s)), "enable_unsafe_deserialization")
	case s.s == "get_file" || strings.HasSuffix(s.s, ".get_file") || strings.HasSuffix(s.s, ">get_file"):
		w.add(nil, pos, ruleGetFile, "reference to keras.utils.get_file", fmt.Sprintf("(%s): called through a Lambda with attacker-chosen arguments it downloads a file to any path at load time, without leaving the Keras allow-list (CVE-2025-8747)", scanner.Quote(s.s)), "get_file")
	}
}

// check applies the per-object rules to a serialised object.
func (w *walker) check(o *object) {
	switch o.className.s {
	case "__lambda__":
		code := lambdaCode(o)
		w.add(o, o.pos, ruleLambda, "__lambda__ function", fmt.Sprintf("carries marshalled Python bytecode (%d base64 characters); Keras runs it on load when safe_mode is off or was switched off, and always before safe mode existed (CVE-2024-3660)", code.n), fmt.Sprintf("__lambda__ bytecode %d chars", code.n))
	case "Lambda":
		w.lambdaLayer(o)
	case "TFOpLambda":
		w.tfOpLambda(o)
	case "TorchModuleWrapper":
		w.add(o, o.pos, ruleTorch, "TorchModuleWrapper layer", "holds a torch.save-d module that Keras unpickles with torch.load when the model is loaded; the pickle can run arbitrary code (CVE-2025-49655)", "TorchModuleWrapper")
	}
	w.module(o)
}

// lambdaCode finds the bytecode of a __lambda__ object: config.code
// (Lambda layers) or config.value[0] (generic lambdas).
func lambdaCode(o *object) str {
	c := o.config
	switch {
	case c == nil:
		return str{}
	case c.code.kind == vString:
		return c.code.str
	case c.val.kind == vArray:
		return c.val.first
	}
	return c.val.str
}

// lambdaLayer checks a TF-Keras 2 Lambda config, whose function and
// output_shape are [base64 code, defaults, closure] with type "lambda" or
// a function name with type "function". (Keras 3 Lambda functions are
// nested objects, checked when they close.)
func (w *walker) lambdaLayer(o *object) {
	c := o.config
	if c == nil {
		return
	}
	w.lambdaPart(o, "function", c.function, c.functionType, c.module)
	w.lambdaPart(o, "output_shape", c.outputShape, c.outputShapeType, c.outputShapeModule)
}

func (w *walker) lambdaPart(o *object, part string, fn value, typ, module str) {
	switch {
	case typ.s == "lambda":
		code := fn.str
		if fn.kind == vArray {
			code = fn.first
		}
		w.add(o, o.pos, ruleLambda, "Lambda layer", fmt.Sprintf("carries marshalled Python bytecode as its %s (%d base64 characters); TF-Keras and Keras 2 load H5 Lambda bytecode without any safe mode (CVE-2024-3660, CVE-2025-9905), Keras 3 when safe_mode is off", part, code.n), fmt.Sprintf("Lambda %s bytecode %d chars", part, code.n))
	case typ.s == "function" && fn.kind == vString:
		target := fn.str.s
		if module.ok && module.s != "" {
			target = module.s + "." + target
		}
		switch {
		case module.ok && isDangerousModule(module.s):
			w.add(o, o.pos, ruleDangerous, "Lambda layer", fmt.Sprintf("calls %s as its %s; the module %s gives command execution, file or network access", scanner.Quote(target), part, scanner.Quote(topPackage(module.s))), "Lambda "+part+" "+clipName(target))
		case module.ok && module.s != "" && module.s != "__main__" && !isKerasModule(module.s):
			w.add(o, o.pos, ruleFunction, "Lambda layer", fmt.Sprintf("calls the named function %s from outside Keras as its %s; loading resolves it from that module's code", scanner.Quote(target), part), "Lambda "+part+" "+clipName(target))
		default:
			w.add(o, o.pos, ruleCustom, "Lambda layer", fmt.Sprintf("calls the custom function %s as its %s, which loading takes from custom_objects", scanner.Quote(target), part), "Lambda "+part+" "+clipName(target))
		}
	}
}

// tfOpLambda checks the TensorFlow symbol a TFOpLambda layer calls.
func (w *walker) tfOpLambda(o *object) {
	sym := str{}
	if o.config != nil {
		sym = o.config.function.str
		if !sym.ok {
			sym = o.config.name
		}
	}
	name := strings.TrimPrefix(sym.s, "tf.")
	for _, part := range strings.Split(name, ".") {
		if riskyTFSymbols[part] {
			w.add(o, o.pos, ruleTFOpRisky, "TFOpLambda layer", fmt.Sprintf("calls TensorFlow symbol %s, which reaches files, Python callables or native code; the layer runs it when the model is built and called", scanner.Quote("tf."+name)), "TFOpLambda tf."+clipName(name))
			return
		}
	}
	w.add(o, o.pos, ruleTFOp, "TFOpLambda layer", fmt.Sprintf("calls TensorFlow symbol %s, resolved by name when the model is loaded; check that it is the operation you expect", scanner.Quote("tf."+name)), "TFOpLambda tf."+clipName(name))
}

// module checks the module a serialised object is imported from (Keras
// ≤ 3.8 imports any module and calls class_name.from_config or returns the
// function, even in safe mode: CVE-2025-1550), and custom objects.
func (w *walker) module(o *object) {
	cls := o.className.s
	if !o.module.ok || o.module.s == "" {
		w.custom(o)
		return
	}
	mod := o.module.s
	target := mod + "." + cls
	switch {
	case cls == "function" && o.configStr.ok:
		target = mod + "." + o.configStr.s
	case cls == "__typespec__" && o.specName.ok:
		target = mod + "." + o.specName.s
	}
	switch {
	case mod == "builtins" && cls == "function":
		// Keras writes built-in functions ("relu", "mae") and unregistered
		// custom ones as builtins functions and resolves them from its own
		// modules and custom_objects first; only a Python builtin that
		// evaluates, imports or reaches objects is worth reporting.
		if o.configStr.ok && dangerousBuiltins[o.configStr.s] {
			w.add(o, o.pos, ruleDangerous, "function reference", fmt.Sprintf("is Python's %s; Keras ≤ 3.8 resolves it from the builtins module when no Keras function has that name, even with safe_mode=True (CVE-2025-1550)", scanner.Quote(o.configStr.s)), "builtins "+clipName(o.configStr.s))
		}
	case isDangerousModule(mod):
		w.add(o, o.pos, ruleDangerous, "object", fmt.Sprintf("is %s from module %s, which gives command execution, file or network access; Keras ≤ 3.8 imports it and calls it even with safe_mode=True (CVE-2025-1550)", scanner.Quote(target), scanner.Quote(mod)), "module "+clipName(mod)+" "+clipName(strings.TrimPrefix(target, mod+".")))
	case isKerasModule(mod):
		w.custom(o)
	case mod == "__main__":
		w.add(o, o.pos, ruleCustom, "custom object", fmt.Sprintf("is %s from the saving script's __main__, which needs custom code (custom_objects or a registered class) to load", scanner.Quote(cls)), "custom "+clipName(cls))
	case cls == "function":
		w.add(o, o.pos, ruleFunction, "function reference", fmt.Sprintf("is %s from module %s outside the Keras packages; Keras ≤ 3.8 imports the module to resolve it even with safe_mode=True (CVE-2025-1550) and the model calls it", scanner.Quote(target), scanner.Quote(mod)), "function "+clipName(target))
	default:
		w.add(o, o.pos, ruleExternal, "object", fmt.Sprintf("is %s from module %s outside the Keras packages; Keras ≤ 3.8 imports the module and calls from_config on it even with safe_mode=True (CVE-2025-1550)", scanner.Quote(target), scanner.Quote(mod)), "module "+clipName(mod)+" "+clipName(cls))
	}
}

// custom reports objects registered under a non-Keras package
// ("package>Name"), which need that package's code to load.
func (w *walker) custom(o *object) {
	reg := customPackage(o.registered.s)
	if reg == "" {
		reg = customPackage(o.className.s)
	}
	if reg != "" {
		w.add(o, o.pos, ruleCustom, "custom object", fmt.Sprintf("is registered as %s by a package outside Keras and needs that package's code (or custom_objects) to load", scanner.Quote(reg)), "custom "+clipName(reg))
	}
}

// flush turns the pending findings into report entries: msgPrefix names
// the config ("config.json", "model_config attribute"), base maps document
// positions to file offsets (-1: no exact mapping, use fallback).
func (w *walker) flush(rep *report, src string, base, fallback int64) {
	seen := map[string]bool{}
	for _, p := range w.pending {
		msg := src + ": " + p.subject
		ev := p.evidence
		switch {
		case p.own:
			msg += " " + p.label
			ev += " " + p.label
		case p.label != "":
			msg += " in " + p.label
			ev += " in " + p.label
		}
		msg += " " + p.detail + "."
		if seen[p.rule+"\x00"+msg] {
			continue
		}
		seen[p.rule+"\x00"+msg] = true
		off := fallback
		if base >= 0 {
			off = base + p.pos
		}
		rep.add(p.rule, off, msg, ev)
	}
	w.pending = nil
}
