// Package cyclonedx renders a report and the model inventory as a
// CycloneDX 1.6 machine-learning bill of materials (ML-BOM), with
// github.com/CycloneDX/cyclonedx-go. It only renders: the inventory
// (hashes, tensors) is computed beforehand by package inventory.
//
// Mapping:
//   - metadata: the scan's end time, modelgate as the tool, and the gate's
//     verdict and category as properties;
//   - one component per model file, of type machine-learning-model:
//     bom-ref "file:<path>", name the path, a SHA-256 hash, properties
//     (modelgate:format, modelgate:size, modelgate:framework,
//     modelgate:tensor-count, modelgate:parameters, modelgate:dtypes, one
//     modelgate:tensor "name dtype [shape]" each for at most MaxListed
//     tensors, modelgate:note for what could not be read), and a model card
//     whose architecture family is the one the file declares (GGUF);
//   - other files with findings (prompt fixtures, Git LFS pointers) as
//     components of type file, so that every finding has a component;
//   - one vulnerability per reported finding: id the rule ID, source
//     modelgate, a rating with the finding's severity, the rule's CWE,
//     description (rule title), detail (the message and where in the
//     file), recommendation (remediation), affects the file's component,
//     and the fingerprint, location and evidence as properties.
package cyclonedx

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"

	"github.com/modelgate/modelgate/inventory"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/gitlab"
	"github.com/modelgate/modelgate/scanner"
)

// SchemaURL is the JSON schema the BOM declares.
const SchemaURL = "http://cyclonedx.org/schema/bom-1.6.schema.json"

// MaxListed bounds the tensors listed per component; the count and the
// parameter total still cover all of them.
const MaxListed = 256

// Build assembles the BOM. models describe the scanned files (those
// missing from it get components without hashes).
func Build(rep *report.Report, models []inventory.Model) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.JSONSchema = SchemaURL
	bom.XMLNS = ""
	bom.SerialNumber = "urn:uuid:" + uuid.NewString()
	bom.Metadata = metadata(rep)

	refs := map[string]string{} // path → bom-ref
	comps := []cdx.Component{}
	for i := range models {
		c := modelComponent(&models[i])
		refs[models[i].Path] = c.BOMRef
		comps = append(comps, c)
	}
	for _, p := range findingPaths(rep) {
		if _, ok := refs[p]; !ok {
			c := cdx.Component{Type: cdx.ComponentTypeFile, BOMRef: ref(p), Name: p}
			refs[p] = c.BOMRef
			comps = append(comps, c)
		}
	}
	slices.SortFunc(comps, func(a, b cdx.Component) int { return cmp.Compare(a.Name, b.Name) })
	bom.Components = &comps

	vulns := make([]cdx.Vulnerability, 0, len(rep.Decision.Reported))
	for i := range rep.Decision.Reported {
		f := &rep.Decision.Reported[i]
		vulns = append(vulns, vulnerability(rep, f, refs[f.Location.Path]))
	}
	bom.Vulnerabilities = &vulns
	return bom
}

// Write renders the BOM as indented JSON.
func Write(w io.Writer, rep *report.Report, models []inventory.Model) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.Encode(Build(rep, models))
}

func metadata(rep *report.Report) *cdx.Metadata {
	tool := cdx.Component{
		Type:    cdx.ComponentTypeApplication,
		Name:    rep.Tool.Name,
		Version: rep.Tool.Version,
	}
	if strings.HasPrefix(rep.Tool.InformationURI, "http") {
		tool.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeWebsite, URL: rep.Tool.InformationURI}}
	}
	return &cdx.Metadata{
		Timestamp: rep.Result.FinishedAt.UTC().Format("2006-01-02T15:04:05Z"),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
		Properties: &[]cdx.Property{
			{Name: "modelgate:category", Value: cmp.Or(rep.Category, report.DefaultCategory)},
			{Name: "modelgate:verdict", Value: rep.Decision.Verdict},
		},
	}
}

// ref is a file's bom-ref.
func ref(path string) string { return "file:" + path }

func modelComponent(m *inventory.Model) cdx.Component {
	c := cdx.Component{
		Type:   cdx.ComponentTypeMachineLearningModel,
		BOMRef: ref(m.Path),
		Name:   m.Path,
	}
	if m.SHA256 != "" {
		c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: m.SHA256}}
	}
	if m.Architecture != "" {
		c.ModelCard = &cdx.MLModelCard{ModelParameters: &cdx.MLModelParameters{ArchitectureFamily: m.Architecture}}
	}
	if m.Name != "" {
		c.Description = m.Name
	}
	props := modelProperties(m)
	c.Properties = &props
	return c
}

func modelProperties(m *inventory.Model) []cdx.Property {
	props := []cdx.Property{
		{Name: "modelgate:format", Value: string(m.Format)},
		{Name: "modelgate:size", Value: strconv.FormatInt(m.Size, 10)},
	}
	add := func(name, value string) {
		if value != "" {
			props = append(props, cdx.Property{Name: name, Value: value})
		}
	}
	add("modelgate:framework", m.Framework)
	if m.TensorCount > 0 {
		add("modelgate:tensor-count", strconv.Itoa(m.TensorCount))
	}
	if n, ok := m.Parameters(); ok {
		add("modelgate:parameters", strconv.FormatUint(n, 10))
	}
	add("modelgate:dtypes", dtypes(m.DTypes()))
	if m.Storages > 0 {
		add("modelgate:storages", strconv.Itoa(m.Storages))
	}
	for i, t := range m.Tensors {
		if i == MaxListed {
			add("modelgate:note", fmt.Sprintf("%d more tensors not listed", len(m.Tensors)-MaxListed))
			break
		}
		add("modelgate:tensor", tensorText(t))
	}
	for _, n := range m.Notes {
		add("modelgate:note", n)
	}
	return props
}

// dtypes summarises dtype counts as "F16×290, F32×65", by name.
func dtypes(counts map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s×%d", cmp.Or(k, "unknown"), counts[k]))
	}
	return strings.Join(parts, ", ")
}

func tensorText(t inventory.Tensor) string {
	shape := "?"
	if t.Shape != nil {
		dims := make([]string, len(t.Shape))
		for i, d := range t.Shape {
			dims[i] = strconv.FormatUint(d, 10)
		}
		shape = "[" + strings.Join(dims, ",") + "]"
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", t.Name, cmp.Or(t.DType, "?"), shape))
}

// findingPaths lists the files findings are in, in order.
func findingPaths(rep *report.Report) []string {
	var ps []string
	for _, f := range rep.Decision.Reported {
		ps = append(ps, f.Location.Path)
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

func vulnerability(rep *report.Report, f *scanner.Finding, component string) cdx.Vulnerability {
	rule := report.RuleFor(f)
	source := &cdx.Source{Name: rep.Tool.Name}
	if strings.HasPrefix(rep.Tool.InformationURI, "http") {
		source.URL = rep.Tool.InformationURI + "#rules"
	}
	v := cdx.Vulnerability{
		BOMRef:         "finding:" + f.Fingerprint,
		ID:             f.RuleID,
		Source:         source,
		Ratings:        &[]cdx.VulnerabilityRating{{Source: source, Severity: cdx.Severity(f.Severity.String()), Method: cdx.ScoringMethodOther}},
		Description:    rule.Title,
		Detail:         gitlab.Message(f),
		Recommendation: strings.TrimSpace(rule.Remediation),
		Affects:        &[]cdx.Affects{{Ref: component}},
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(rule.CWE, "CWE-")); err == nil {
		v.CWEs = &[]int{n}
	}
	props := []cdx.Property{
		{Name: "modelgate:fingerprint", Value: f.Fingerprint},
		{Name: "modelgate:location", Value: f.Location.String()},
	}
	if f.Evidence != "" {
		props = append(props, cdx.Property{Name: "modelgate:evidence", Value: f.Evidence})
	}
	v.Properties = &props
	return v
}
