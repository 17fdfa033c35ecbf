package tensorflow

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/tensorflow/tfpb"
)

var (
	savedModelType  = (&tfpb.SavedModel{}).ProtoReflect().Type()
	fingerprintDesc = (&tfpb.FingerprintDef{}).ProtoReflect().Type()
)

// pyFuncOps call a Python function registered in the running process.
var pyFuncOps = map[string]bool{
	"PyFunc": true, "PyFuncStateless": true, "EagerPyFunc": true, "PyCall": true,
}

// fileOps read or write files, with the index of the input that carries
// the path (-1: none to resolve).
var fileOps = map[string]int{
	"ReadFile": 0, "WriteFile": 0, "MatchingFiles": 0, "ImmutableConst": -1,
	"LoadAndRemapMatrix": 0, "GenerateVocabRemapping": 0,
	"TFRecordDataset": 0, "TFRecordDatasetV2": 0, "TextLineDataset": 0,
	"FixedLengthRecordDataset": 0, "FixedLengthRecordDatasetV2": 0,
	"CSVDataset": 0, "CSVDatasetV2": 0, "ExperimentalCSVDataset": 0,
	"LMDBDataset": 0, "ExperimentalLMDBDataset": 0, "SqlDataset": 1, "ExperimentalSqlDataset": 1,
	"MatchingFilesDataset": 0, "ExperimentalMatchingFilesDataset": 0,
	"SaveDataset": 1, "SaveDatasetV2": 1, "LoadDataset": 0, "SnapshotDataset": 1, "SnapshotDatasetV2": 1,
	"DatasetToTFRecord": 1, "ExperimentalDatasetToTFRecord": 1,
	"WholeFileReader": -1, "WholeFileReaderV2": -1, "TextLineReader": -1, "TextLineReaderV2": -1,
	"TFRecordReader": -1, "TFRecordReaderV2": -1, "FixedLengthRecordReader": -1,
	"FixedLengthRecordReaderV2": -1, "LMDBReader": -1,
	"CreateSummaryFileWriter": 1, "CreateSummaryDbWriter": 1,
}

// checkpointOps read and write checkpoints: every SavedModel's saver has
// them, so they are judged by where they are (see saverScope).
var checkpointOps = map[string]int{
	"Save": 0, "SaveV2": 0, "SaveSlices": 0, "Restore": 0, "RestoreV2": 0, "RestoreSlice": 0,
	"MergeV2Checkpoints": 1,
}

// tableInitOps initialise lookup tables from text files. TF text models
// read their vocabularies this way from assets/, so they are judged by
// where the path comes from (see tableInit).
var tableInitOps = map[string]int{"InitializeTableFromTextFile": 1, "InitializeTableFromTextFileV2": 1}

// debugOps take debug_urls, which may be file:// dump locations.
var debugOps = map[string]bool{
	"DebugIdentity": true, "DebugIdentityV2": true, "DebugNanCount": true, "DebugNumericSummary": true,
	"DebugNumericSummaryV2": true, "CopyHost": true, "Copy": true,
}

// systemLike matches op names that read as command execution; no
// TensorFlow op but the TPU ones below is named this way.
var systemLike = regexp.MustCompile(`(?i)shell|exec|system|popen|spawn|subprocess|command|cmd|eval`)

var knownSystemLike = map[string]bool{
	"TPUExecute": true, "TPUExecuteAndUpdateVariables": true, "ExecuteTPUEmbeddingPartitioner": true,
	"_TPUExecute": true, "_ExecuteTPUEmbeddingPartitioner": true,
}

func scanSavedModel(ctx context.Context, in *scanner.Input, rep *report) error {
	msg, err := parse(ctx, in, rep, savedModelType, "a SavedModel", maxString)
	if err != nil || msg == nil {
		return err
	}
	sm := msg.(*tfpb.SavedModel)
	if len(sm.GetMetaGraphs()) == 0 {
		rep.add(ruleMalformed, noOffset,
			"the file parses as protobuf but holds no MetaGraphDef: it is not a SavedModel TensorFlow can load",
			"no meta_graphs")
		return nil
	}
	a := &analysis{ctx: ctx, rep: rep, uses: map[useKey]*use{}}
	for i, mg := range sm.GetMetaGraphs() {
		label := ""
		if len(sm.GetMetaGraphs()) > 1 {
			label = fmt.Sprintf(" of meta graph %d (tags %s)", i, strings.Join(mg.GetMetaInfoDef().GetTags(), ", "))
		}
		if err := a.metaGraph(mg, label); err != nil {
			return err
		}
	}
	a.report()
	return nil
}

// scope is a set of nodes that refer to each other by name: the graph, or
// one function's body.
type scope struct {
	name  string // for messages
	nodes map[string]*tfpb.NodeDef
	saver bool // the whole scope belongs to the saver
	// assets maps the graph nodes that hold asset paths to the asset's
	// file name (MetaGraphDef.asset_file_def); the loader feeds them.
	assets map[string]string
}

// useKey groups identical findings: the same rule, op and detail.
type useKey struct{ rule, op, detail string }

type use struct {
	count int
	first string
	off   int64
	msg   string
}

// analysis collects the op findings of one file.
type analysis struct {
	ctx   context.Context
	rep   *report
	uses  map[useKey]*use
	order []useKey
	seen  int
}

func (a *analysis) metaGraph(mg *tfpb.MetaGraphDef, label string) error {
	g := mg.GetGraphDef()
	funcs := map[string]*tfpb.FunctionDef{}
	for _, f := range g.GetLibrary().GetFunction() {
		funcs[f.GetSignature().GetName()] = f
	}
	saverNodes, saverFuncs := saverScope(g, mg.GetSaverDef(), funcs)
	main := &scope{name: "the graph" + label, nodes: byName(g.GetNode()), assets: map[string]string{}}
	for _, af := range mg.GetAssetFileDef() {
		name := af.GetFilename()
		main.assets[inputNode(af.GetTensorInfo().GetName())] = name
		if escapesAssets(name) {
			a.rep.add(ruleFileOp, af.GetMgOffset(),
				fmt.Sprintf("the asset list%s names the file %s; TensorFlow joins it to the model's assets/ directory and feeds the result to the graph, so loading the model reads a file outside it", label, scanner.Quote(name)),
				"asset "+scanner.Quote(name))
		}
	}
	for _, n := range g.GetNode() {
		if err := a.node(n, main, saverNodes[n.GetName()], funcs); err != nil {
			return err
		}
	}
	for _, f := range g.GetLibrary().GetFunction() {
		s := &scope{
			name:  "function " + scanner.Quote(f.GetSignature().GetName()) + label,
			nodes: byName(f.GetNodeDef()),
			saver: saverFuncs[f.GetSignature().GetName()],
		}
		for _, n := range f.GetNodeDef() {
			if err := a.node(n, s, s.saver, funcs); err != nil {
				return err
			}
		}
	}
	return nil
}

func byName(nodes []*tfpb.NodeDef) map[string]*tfpb.NodeDef {
	m := make(map[string]*tfpb.NodeDef, len(nodes))
	for _, n := range nodes {
		m[n.GetName()] = n
	}
	return m
}

// inputNode turns an input reference ("^a", "a:1", "a:output:0") into the
// name of the node it comes from.
func inputNode(ref string) string {
	ref = strings.TrimPrefix(ref, "^")
	name, _, _ := strings.Cut(ref, ":")
	return name
}

// saverScope finds what belongs to the meta graph's saver: the graph
// nodes the SaverDef's filename, save and restore tensors depend on
// (through data and control inputs), and the library functions those
// nodes call, transitively. TF1 savers live in the graph ("save/SaveV2");
// TF2 SavedModels call __inference__traced_save/_restore functions from
// StatefulPartitionedCall nodes named in the SaverDef.
func saverScope(g *tfpb.GraphDef, sd *tfpb.SaverDef, funcs map[string]*tfpb.FunctionDef) (nodes, fns map[string]bool) {
	nodes, fns = map[string]bool{}, map[string]bool{}
	if sd == nil {
		return nodes, fns
	}
	graph := byName(g.GetNode())
	var stack, fnStack []string
	for _, root := range []string{sd.GetFilenameTensorName(), sd.GetSaveTensorName(), sd.GetRestoreOpName()} {
		if root != "" {
			stack = append(stack, inputNode(root))
		}
	}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := graph[name]
		if n == nil || nodes[name] {
			continue
		}
		nodes[name] = true
		for _, in := range n.GetInput() {
			stack = append(stack, inputNode(in))
		}
		fnStack = append(fnStack, calls(n, funcs)...)
	}
	for len(fnStack) > 0 {
		name := fnStack[len(fnStack)-1]
		fnStack = fnStack[:len(fnStack)-1]
		f := funcs[name]
		if f == nil || fns[name] {
			continue
		}
		fns[name] = true
		for _, n := range f.GetNodeDef() {
			fnStack = append(fnStack, calls(n, funcs)...)
		}
	}
	return nodes, fns
}

// calls lists the library functions a node calls: through function-valued
// attributes (PartitionedCall's f, While's body …) or as its op.
func calls(n *tfpb.NodeDef, funcs map[string]*tfpb.FunctionDef) []string {
	var out []string
	if _, ok := funcs[n.GetOp()]; ok {
		out = append(out, n.GetOp())
	}
	for _, v := range n.GetAttr() {
		if f := v.GetFunc(); f != nil {
			out = append(out, f.GetName())
		}
		for _, f := range v.GetList().GetFunc() {
			out = append(out, f.GetName())
		}
	}
	return out
}

// constString resolves the input-th input of n to the string value of a
// Const node in the same scope, if it is one.
func constString(n *tfpb.NodeDef, input int, s *scope) (string, bool) {
	if input < 0 || input >= len(n.GetInput()) {
		return "", false
	}
	src := s.nodes[inputNode(n.GetInput()[input])]
	if src == nil || src.GetOp() != "Const" {
		return "", false
	}
	vals := src.GetAttr()["value"].GetTensor().GetStringVal()
	if len(vals) == 0 {
		return "", false
	}
	return string(vals[0]), true
}

// nodeDesc describes a node for messages.
func nodeDesc(n *tfpb.NodeDef, s *scope) string {
	return fmt.Sprintf("node %s of %s", scanner.Quote(n.GetName()), s.name)
}

// node checks one node; saver says it belongs to the SavedModel's saver.
func (a *analysis) node(n *tfpb.NodeDef, s *scope, saver bool, funcs map[string]*tfpb.FunctionDef) error {
	if a.seen++; a.seen%1024 == 0 {
		if err := a.ctx.Err(); err != nil {
			return err
		}
	}
	op := n.GetOp()
	switch {
	case pyFuncOps[op]:
		token := string(n.GetAttr()["token"].GetS())
		detail := ""
		if token != "" {
			detail = fmt.Sprintf(" (token %s)", scanner.Quote(token))
		}
		a.add(rulePyFunc, op, detail, n, s,
			fmt.Sprintf("op %s calls back into Python%s: it runs whatever Python function the loading process registered under its token; the function itself was not saved, so the model depends on custom code from outside it", op, detail))
	case hasKey(fileOps, op):
		a.fileOp(n, s, fileOps[op], "")
	case hasKey(checkpointOps, op):
		a.checkpointOp(n, s, saver)
	case hasKey(tableInitOps, op):
		a.tableInit(n, s)
	case op == "PrintV2":
		if stream := string(n.GetAttr()["output_stream"].GetS()); strings.HasPrefix(stream, "file://") {
			a.add(ruleFileOp, op, " to "+scanner.Quote(stream), n, s,
				fmt.Sprintf("op PrintV2 appends its input to the file %s each time it runs", scanner.Quote(strings.TrimPrefix(stream, "file://"))))
		}
	case debugOps[op]:
		for _, u := range n.GetAttr()["debug_urls"].GetList().GetS() {
			if strings.HasPrefix(string(u), "file://") {
				a.add(ruleFileOp, op, " to "+scanner.Quote(string(u)), n, s,
					fmt.Sprintf("op %s dumps tensors to the directory %s each time it runs", op, scanner.Quote(strings.TrimPrefix(string(u), "file://"))))
				break
			}
		}
	case systemLike.MatchString(op) && !knownSystemLike[op] && funcs[op] == nil:
		a.add(ruleSystemOp, op, "", n, s,
			fmt.Sprintf("op %s is not a TensorFlow op and is named like command execution: it must come from a custom op library loaded with tf.load_op_library, native code that runs with the loading process's privileges", scanner.Quote(op)))
	}
	return nil
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// fileOp reports an op that reads or writes files, naming the path when
// it is a constant.
func (a *analysis) fileOp(n *tfpb.NodeDef, s *scope, input int, why string) {
	op := n.GetOp()
	verb := "reads or writes files"
	switch {
	case strings.HasPrefix(op, "Write"), strings.HasPrefix(op, "Save"), strings.HasPrefix(op, "Merge"),
		strings.HasPrefix(op, "Create"), strings.Contains(op, "ToTFRecord"), strings.HasPrefix(op, "Snapshot"):
		verb = "writes files"
	case strings.HasPrefix(op, "Read"), strings.HasPrefix(op, "Restore"), strings.HasPrefix(op, "Load"),
		strings.HasPrefix(op, "Initialize"), strings.HasSuffix(op, "Dataset"), strings.HasSuffix(op, "DatasetV2"),
		strings.HasSuffix(op, "Reader"), strings.HasSuffix(op, "ReaderV2"), op == "ImmutableConst":
		verb = "reads files"
	case strings.HasPrefix(op, "Matching"):
		verb = "lists files"
	}
	detail, where := "", ""
	if p, ok := constString(n, input, s); ok {
		detail, where = " at "+scanner.Quote(p), fmt.Sprintf(", here the constant path %s", scanner.Quote(p))
	} else if op == "ImmutableConst" {
		if region := string(n.GetAttr()["memory_region_name"].GetS()); region != "" {
			detail, where = " at "+scanner.Quote(region), fmt.Sprintf(", here memory-mapping %s", scanner.Quote(region))
		}
	}
	a.add(ruleFileOp, op, detail, n, s,
		fmt.Sprintf("op %s %s when the graph runs%s%s", op, verb, where, why))
}

// checkpointOp judges a checkpoint op by context: inside the saver it is
// expected unless its path is a constant outside the checkpoint prefix
// the caller passes in.
func (a *analysis) checkpointOp(n *tfpb.NodeDef, s *scope, saver bool) {
	input := checkpointOps[n.GetOp()]
	if !saver {
		a.fileOp(n, s, input, "; it is not part of the SavedModel's saver (the SaverDef does not reach it), where checkpoint ops belong")
		return
	}
	if p, ok := constString(n, input, s); ok && outsidePath(p) {
		a.fileOp(n, s, input, "; the saver's checkpoint ops take the checkpoint prefix from their caller, not a constant path like this one")
	}
}

// tableInit judges a table initialiser by where its file name comes from:
// an asset the loader feeds, a function argument or a placeholder is the
// normal vocabulary mechanism; a constant path is reported when it leaves
// the model, and a path computed in the graph is reported always.
func (a *analysis) tableInit(n *tfpb.NodeDef, s *scope) {
	input := tableInitOps[n.GetOp()]
	if input >= len(n.GetInput()) {
		return
	}
	srcName := inputNode(n.GetInput()[input])
	src := s.nodes[srcName]
	if _, asset := s.assets[srcName]; asset || src == nil {
		return
	}
	switch src.GetOp() {
	case "Placeholder", "PlaceholderWithDefault", "Identity":
	case "Const":
		if p, ok := constString(n, input, s); ok && outsidePath(p) {
			a.fileOp(n, s, input, "; vocabulary files belong in the model's assets/ directory")
		}
	default:
		a.fileOp(n, s, input, fmt.Sprintf("; its file name is computed by a %s op rather than supplied as one of the model's assets", scanner.Quote(src.GetOp())))
	}
}

// escapesAssets reports an asset file name that is not a plain name
// inside assets/.
func escapesAssets(name string) bool {
	return outsidePath(name) || strings.ContainsAny(name, `/\`) || strings.IndexByte(name, 0) >= 0
}

// outsidePath reports a path that no checkpoint prefix would be: absolute,
// home-relative, climbing with "..", or a URL.
func outsidePath(p string) bool {
	q := strings.ReplaceAll(p, `\`, "/")
	if strings.HasPrefix(q, "/") || strings.HasPrefix(q, "~") || strings.Contains(q, "://") ||
		len(q) >= 2 && q[1] == ':' {
		return true
	}
	for _, part := range strings.Split(q, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// add records one occurrence of an op finding; identical findings (same
// rule, op and detail) are reported once with a count.
func (a *analysis) add(rule, op, detail string, n *tfpb.NodeDef, s *scope, msg string) {
	k := useKey{rule, op, detail}
	u := a.uses[k]
	if u == nil {
		u = &use{first: nodeDesc(n, s), off: n.GetMgOffset(), msg: msg}
		a.uses[k] = u
		a.order = append(a.order, k)
	}
	u.count++
}

func (a *analysis) report() {
	for _, k := range a.order {
		u := a.uses[k]
		where := u.first
		if u.count > 1 {
			where = fmt.Sprintf("%s and %d more", u.first, u.count-1)
		}
		a.rep.add(k.rule, u.off, fmt.Sprintf("%s: %s", where, u.msg), "op "+scanner.Quote(k.op)+k.detail)
	}
}
