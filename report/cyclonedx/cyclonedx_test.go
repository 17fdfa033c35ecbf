package cyclonedx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/modelgate/modelgate/inventory"
	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/cyclonedx"
	"github.com/modelgate/modelgate/report/cyclonedx/cdxtest"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

func sample(t *testing.T) (*report.Report, []inventory.Model) {
	t.Helper()
	fs := []scanner.Finding{
		{RuleID: "MG1001", Message: "REDUCE calls os.system", Evidence: "os.system", Location: scanner.Location{Path: "models/torch.pt", Member: "archive/data.pkl", ByteOffset: scanner.Offset(75)}},
		{RuleID: "MG5001", Message: "hidden tag characters", Location: scanner.Location{Path: "AGENTS.md", StartLine: 4}},
	}
	for i := range fs {
		fs[i].Severity = report.RuleFor(&fs[i]).Severity
	}
	scanner.SortFindings(fs)
	scanner.AssignFingerprints(fs)
	end := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := &scanner.Result{StartedAt: end, FinishedAt: end, Findings: fs}
	rep := &report.Report{Tool: report.Tool{Name: "modelgate", Version: "1.2.3", InformationURI: "https://example.invalid/mg"},
		Result: res, Decision: policy.Evaluate(res, policy.DefaultGate), Category: "models"}
	var models []inventory.Model
	for _, f := range []inventory.File{
		{Path: "models/torch.pt", OSPath: "../../testdata/pickle/benign/torch-state-dict.pt", Format: format.Zip},
		{Path: "models/llama.gguf", OSPath: "../../scanner/gguf/testdata/valid-llama.gguf", Format: format.GGUF},
	} {
		models = append(models, inventory.Describe(context.Background(), f, inventory.Limits{}))
	}
	return rep, models
}

func TestBOMIsValidCycloneDX16(t *testing.T) {
	rep, models := sample(t)
	var buf bytes.Buffer
	if err := cyclonedx.Write(&buf, rep, models); err != nil {
		t.Fatal(err)
	}
	cdxtest.Validate(t, buf.Bytes())

	var bom cdx.BOM
	if err := json.Unmarshal(buf.Bytes(), &bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		t.Errorf("spec %v serial %s", bom.SpecVersion, bom.SerialNumber)
	}
	comps := map[string]cdx.Component{}
	for _, c := range *bom.Components {
		comps[c.BOMRef] = c
	}
	torch := comps["file:models/torch.pt"]
	if torch.Type != cdx.ComponentTypeMachineLearningModel || len(*torch.Hashes) != 1 || (*torch.Hashes)[0].Algorithm != cdx.HashAlgoSHA256 || (*torch.Hashes)[0].Value != models[0].SHA256 {
		t.Errorf("torch component %+v", torch)
	}
	props := map[string][]string{}
	for _, p := range *torch.Properties {
		props[p.Name] = append(props[p.Name], p.Value)
	}
	if props["modelgate:framework"][0] != "PyTorch" || props["modelgate:tensor-count"][0] != "5" || props["modelgate:parameters"][0] != "216" ||
		len(props["modelgate:tensor"]) != 5 || props["modelgate:tensor"][0] != "0.weight float32 [16,8]" || props["modelgate:dtypes"][0] != "float32×5" {
		t.Errorf("torch properties %v", props)
	}
	if llama := comps["file:models/llama.gguf"]; llama.ModelCard == nil || llama.ModelCard.ModelParameters.ArchitectureFamily != "llama" {
		t.Errorf("gguf component %+v", llama)
	}
	if agents := comps["file:AGENTS.md"]; agents.Type != cdx.ComponentTypeFile {
		t.Errorf("a prompt file with findings is a file component: %+v", agents)
	}
	if len(*bom.Vulnerabilities) != 2 {
		t.Fatalf("%d vulnerabilities", len(*bom.Vulnerabilities))
	}
	for _, v := range *bom.Vulnerabilities {
		ref := (*v.Affects)[0].Ref
		if _, ok := comps[ref]; !ok {
			t.Errorf("vulnerability %s affects %q, which is no component", v.ID, ref)
		}
		if v.ID == "MG1001" && (ref != "file:models/torch.pt" || (*v.Ratings)[0].Severity != cdx.SeverityCritical ||
			(*v.CWEs)[0] != 502 || !strings.Contains(v.Detail, "at byte 75")) {
			t.Errorf("MG1001 %+v", v)
		}
	}
}

func TestBOMWithoutModelsIsValid(t *testing.T) {
	res := &scanner.Result{Findings: []scanner.Finding{}}
	rep := &report.Report{Tool: report.CurrentTool(), Result: res, Decision: policy.Evaluate(res, policy.DefaultGate)}
	var buf bytes.Buffer
	if err := cyclonedx.Write(&buf, rep, nil); err != nil {
		t.Fatal(err)
	}
	cdxtest.Validate(t, buf.Bytes())
}

func TestTensorListIsCapped(t *testing.T) {
	rep, _ := sample(t)
	m := inventory.Model{Path: "models/torch.pt", Format: format.Zip, TensorCount: cyclonedx.MaxListed + 10}
	for range cyclonedx.MaxListed + 10 {
		m.Tensors = append(m.Tensors, inventory.Tensor{Name: "t", DType: "F32"})
	}
	bom := cyclonedx.Build(rep, []inventory.Model{m})
	n := 0
	for _, p := range *(*bom.Components)[1].Properties {
		if p.Name == "modelgate:tensor" {
			n++
		}
	}
	if n != cyclonedx.MaxListed {
		t.Errorf("%d tensors listed, want %d", n, cyclonedx.MaxListed)
	}
}
