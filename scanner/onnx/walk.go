package onnx

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/onnx/onnxpb"
)

// Operator domains served by ONNX itself and by ONNX Runtime's built-in
// kernels: loading a model that uses them needs no extra library.
var standardDomains = map[string]bool{
	"":                         true,
	"ai.onnx":                  true,
	"ai.onnx.ml":               true,
	"ai.onnx.training":         true,
	"ai.onnx.preview.training": true,
	"com.microsoft":            true,
	// ONNX Runtime's internal layouts, written by its graph optimiser
	// into saved optimised models.
	"com.microsoft.nchwc":        true,
	"com.microsoft.experimental": true,
	"com.microsoft.dml":          true,
	"com.ms.internal.nhwc":       true,
}

// extensionDomains are onnxruntime-extensions' domains. Besides tokenizers
// and string ops they carry Python operators (PyOp and ops defined with
// @onnx_op, which run a Python function of the loading process) and, in
// com.microsoft.extensions, operators that call remote HTTP endpoints.
var extensionDomains = map[string]bool{
	"ai.onnx.contrib":          true,
	"com.microsoft.extensions": true,
}

// opKey names an operator.
type opKey struct{ domain, opType string }

// domainUse aggregates the nodes that use the operators of one
// non-standard domain.
type domainUse struct {
	ops    []string // operator types, in order of first use
	python bool     // one of them is a Python operator
	nodes  int
	first  string // where the first node is
	off    int64
}

// walker visits a model's graphs, nodes, tensors and free text.
type walker struct {
	ctx   context.Context
	in    *scanner.Input
	rep   *report
	local map[opKey]bool // model-local functions
	used  map[string]*domainUse
	order []string // domains in order of first use
	seen  int
}

func newWalker(ctx context.Context, in *scanner.Input, rep *report, m *onnxpb.ModelProto) *walker {
	w := &walker{ctx: ctx, in: in, rep: rep, local: map[opKey]bool{}, used: map[string]*domainUse{}}
	for _, f := range m.GetFunctions() {
		w.local[opKey{f.GetDomain(), f.GetName()}] = true
	}
	return w
}

// tick checks the context every few hundred visited items.
func (w *walker) tick() error {
	if w.seen++; w.seen%256 == 0 {
		return w.ctx.Err()
	}
	return nil
}

// desc describes where something is, for messages. It is only called
// when a finding is made: quoting the names of every node of a large
// graph up front would cost more than the whole parse.
type desc func() string

// lit is a fixed description.
func lit(s string) desc { return func() string { return s } }

// suffix describes a field of what d describes.
func (d desc) suffix(field string) desc { return func() string { return d() + " " + field } }

func (w *walker) model(m *onnxpb.ModelProto) error {
	w.text(lit("the model's doc_string"), m.GetDocString(), noOffset)
	w.props(lit("the model's metadata_props"), m.GetMetadataProps())
	if g := m.GetGraph(); g != nil {
		if err := w.graph(g, lit("the main graph")); err != nil {
			return err
		}
	}
	for i, t := range m.GetTrainingInfo() {
		if g := t.GetInitialization(); g != nil {
			if err := w.graph(g, lit(fmt.Sprintf("training_info[%d].initialization", i))); err != nil {
				return err
			}
		}
		if g := t.GetAlgorithm(); g != nil {
			if err := w.graph(g, lit(fmt.Sprintf("training_info[%d].algorithm", i))); err != nil {
				return err
			}
		}
	}
	for _, f := range m.GetFunctions() {
		if err := w.function(f); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) function(f *onnxpb.FunctionProto) error {
	where := lit("function " + scanner.Quote(qualified(f.GetDomain(), f.GetName())))
	w.text(where.suffix("doc_string"), f.GetDocString(), f.GetMgOffset())
	w.props(where.suffix("metadata_props"), f.GetMetadataProps())
	for _, v := range f.GetValueInfo() {
		w.valueInfo(v, where)
	}
	for _, a := range f.GetAttributeProto() {
		if err := w.attribute(a, where); err != nil {
			return err
		}
	}
	for _, n := range f.GetNode() {
		if err := w.node(n, where); err != nil {
			return err
		}
	}
	return nil
}

// graph visits a graph; where says which one ("the main graph", "the
// subgraph in attribute …").
func (w *walker) graph(g *onnxpb.GraphProto, where desc) error {
	if err := w.tick(); err != nil {
		return err
	}
	w.text(where.suffix("doc_string"), g.GetDocString(), g.GetMgOffset())
	w.props(where.suffix("metadata_props"), g.GetMetadataProps())
	for _, t := range g.GetInitializer() {
		w.tensor(t, func() string { return fmt.Sprintf("initializer %s of %s", scanner.Quote(t.GetName()), where()) })
	}
	for _, s := range g.GetSparseInitializer() {
		w.sparse(s, func() string { return "sparse initializer of " + where() })
	}
	for _, list := range [][]*onnxpb.ValueInfoProto{g.GetInput(), g.GetOutput(), g.GetValueInfo()} {
		for _, v := range list {
			w.valueInfo(v, where)
		}
	}
	for _, n := range g.GetNode() {
		if err := w.node(n, where); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) valueInfo(v *onnxpb.ValueInfoProto, where desc) {
	if v.GetDocString() == "" && len(v.GetMetadataProps()) == 0 {
		return
	}
	what := desc(func() string { return fmt.Sprintf("value %s of %s", scanner.Quote(v.GetName()), where()) })
	w.text(what.suffix("doc_string"), v.GetDocString(), v.GetMgOffset())
	w.props(what.suffix("metadata_props"), v.GetMetadataProps())
}

// nodeName describes a node for messages.
func nodeName(n *onnxpb.NodeProto) string {
	if n.GetName() != "" {
		return "node " + scanner.Quote(n.GetName())
	}
	return "an unnamed " + scanner.Quote(n.GetOpType()) + " node"
}

func (w *walker) node(n *onnxpb.NodeProto, where desc) error {
	if err := w.tick(); err != nil {
		return err
	}
	what := desc(func() string { return nodeName(n) + " in " + where() })
	w.operator(n, what)
	w.text(what.suffix("doc_string"), n.GetDocString(), n.GetMgOffset())
	w.props(what.suffix("metadata_props"), n.GetMetadataProps())
	for _, a := range n.GetAttribute() {
		if err := w.attribute(a, func() string { return nodeName(n) }); err != nil {
			return err
		}
	}
	return nil
}

// attribute visits an attribute's tensors and subgraphs; owner is the
// node or function it belongs to.
func (w *walker) attribute(a *onnxpb.AttributeProto, owner desc) error {
	what := desc(func() string { return fmt.Sprintf("attribute %s of %s", scanner.Quote(a.GetName()), owner()) })
	w.text(what.suffix("doc_string"), a.GetDocString(), a.GetMgOffset())
	in := func(kind string) desc { return func() string { return kind + " in " + what() } }
	if t := a.GetT(); t != nil {
		w.tensor(t, in("tensor"))
	}
	for _, t := range a.GetTensors() {
		w.tensor(t, in("tensor"))
	}
	if s := a.GetSparseTensor(); s != nil {
		w.sparse(s, in("sparse tensor"))
	}
	for _, s := range a.GetSparseTensors() {
		w.sparse(s, in("sparse tensor"))
	}
	if g := a.GetG(); g != nil {
		if err := w.graph(g, in("the subgraph")); err != nil {
			return err
		}
	}
	for i, g := range a.GetGraphs() {
		if err := w.graph(g, func() string { return fmt.Sprintf("subgraph %d in %s", i, what()) }); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) sparse(s *onnxpb.SparseTensorProto, what desc) {
	if t := s.GetValues(); t != nil {
		w.tensor(t, func() string { return "values of " + what() })
	}
	if t := s.GetIndices(); t != nil {
		w.tensor(t, func() string { return "indices of " + what() })
	}
}

// operator records a node whose operator is not standard.
func (w *walker) operator(n *onnxpb.NodeProto, what desc) {
	k := opKey{n.GetDomain(), n.GetOpType()}
	if standardDomains[k.domain] || w.local[k] {
		return
	}
	u := w.used[k.domain]
	if u == nil {
		u = &domainUse{first: what(), off: n.GetMgOffset()}
		w.used[k.domain] = u
		w.order = append(w.order, k.domain)
	}
	if !slices.Contains(u.ops, k.opType) && len(u.ops) <= maxOpsListed {
		u.ops = append(u.ops, k.opType)
	}
	u.python = u.python || isPythonOp(k.opType)
	u.nodes++
}

// maxOpsListed caps the operator names listed for one domain.
const maxOpsListed = 8

// reportOps reports each non-standard domain once, in order of first use.
func (w *walker) reportOps() {
	for _, domain := range w.order {
		u := w.used[domain]
		names := make([]string, 0, len(u.ops))
		for i, op := range u.ops {
			if i == maxOpsListed {
				names = append(names, "…")
				break
			}
			names = append(names, scanner.Quote(qualified(domain, op)))
		}
		ops := "operator " + names[0]
		if len(names) > 1 {
			ops = "operators " + strings.Join(names, ", ")
		}
		used := fmt.Sprintf("used by %s, first %s", plural(u.nodes, "node"), u.first)
		evidence := "domain " + scanner.Quote(domain) + " op " + scanner.Quote(u.ops[0])
		if extensionDomains[domain] {
			what := "come from onnxruntime-extensions"
			if u.python {
				what = "include onnxruntime-extensions' PyOp, which calls a Python function registered in the loading process"
			}
			w.rep.add(ruleExtensions, u.off,
				fmt.Sprintf("the model's %s %s: the domain %s holds Python-defined and network-calling operators, and loading it requires the onnxruntime-extensions native library (%s)", ops, what, scanner.Quote(domain), used),
				evidence)
			continue
		}
		w.rep.add(ruleCustomOp, u.off,
			fmt.Sprintf("the model's %s come from the non-standard domain %s, which neither ONNX nor ONNX Runtime implements: running it requires loading a native custom-operator library (%s)", ops, scanner.Quote(domain), used),
			evidence)
	}
}

// isPythonOp recognises onnxruntime-extensions' generic Python operator.
func isPythonOp(opType string) bool {
	return strings.HasPrefix(opType, "PyOp")
}

// qualified renders domain::op (or just op for the default domain).
func qualified(domain, name string) string {
	if domain == "" {
		return name
	}
	return domain + "::" + name
}

// props scans the keys and values of a metadata list.
func (w *walker) props(where desc, props []*onnxpb.StringStringEntryProto) {
	for _, p := range props {
		what := desc(func() string { return fmt.Sprintf("%s entry %s", where(), scanner.Quote(p.GetKey())) })
		w.text(what.suffix("(its key)"), p.GetKey(), p.GetMgOffset())
		w.text(what, p.GetValue(), p.GetMgOffset())
	}
}
