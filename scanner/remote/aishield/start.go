package aishield

import (
	"cmp"
	"context"
	"maps"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/modelgate/modelgate/scanner/remote"
)

// presigned is an upload target: a URL and the form fields to post with
// the file.
type presigned struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

// formFields are the fields in a stable order, "key" first as S3 wants.
func (p presigned) formFields() []remote.Field {
	var out []remote.Field
	for _, k := range slices.Sorted(maps.Keys(p.Fields)) {
		f := remote.Field{Name: k, Value: p.Fields[k]}
		if k == "key" {
			out = append([]remote.Field{f}, out...)
		} else {
			out = append(out, f)
		}
	}
	return out
}

// startSupplyChain registers the model, uploads it and starts the
// supply-chain analysis.
func (e *Engine) startSupplyChain(ctx context.Context, artifact *zipFile) (job, error) {
	var reg struct {
		ModelID      string    `json:"model_id"`
		ArtifactPath presigned `json:"artifact_path"`
	}
	call := remote.Call{Name: "generate model id", Method: http.MethodPost, Path: "/generate_model_id", JSON: map[string]any{}}
	if err := e.client.JSON(ctx, call, &reg); err != nil {
		return job{}, err
	}
	registered := time.Now()
	if reg.ModelID == "" {
		return job{}, e.client.Malformed(call, "no model_id")
	}
	if err := e.upload(ctx, "model", reg.ArtifactPath, artifact, registered); err != nil {
		return job{}, err
	}
	return e.startJob(ctx, remote.Call{Name: "start supply-chain analysis", Method: http.MethodPost, Path: "/supplychain",
		JSON: map[string]string{"model_id": reg.ModelID, "repo_type": "upload"}})
}

// startModelAnalysis registers the model for a task and analysis type,
// uploads the model, data and labels, and starts the analysis.
func (e *Engine) startModelAnalysis(ctx context.Context, artifact *zipFile) (job, error) {
	var reg struct {
		ModelID string               `json:"model_id"`
		URLs    map[string]presigned `json:"urls"`
	}
	call := remote.Call{Name: "register model", Method: http.MethodPost, Path: "/model_registration/upload",
		JSON: map[string]string{"task_type": e.cfg.TaskType, "analysis_type": e.cfg.AnalysisType}}
	if err := e.client.JSON(ctx, call, &reg); err != nil {
		return job{}, err
	}
	registered := time.Now()
	if reg.ModelID == "" {
		return job{}, e.client.Malformed(call, "no model_id")
	}
	if err := e.upload(ctx, "model", reg.URLs["model_upload_url"], artifact, registered); err != nil {
		return job{}, err
	}
	for _, extra := range []struct{ name, path string }{{"data", e.cfg.DataZip}, {"label", e.cfg.LabelZip}} {
		target, wanted := reg.URLs[extra.name+"_upload_url"]
		if !wanted || target.URL == "" {
			continue
		}
		if extra.path == "" {
			return job{}, remote.NotSent("the %s analysis needs %s (--aishield-%s ZIP)", e.cfg.AnalysisType, extra.name, extra.name)
		}
		z, err := openZip(extra.path)
		if err != nil {
			return job{}, err
		}
		err = e.upload(ctx, extra.name, target, z, registered)
		z.Close()
		if err != nil {
			return job{}, err
		}
	}
	body := any(map[string]any{})
	if len(e.cfg.AnalysisConfig) > 0 {
		body = e.cfg.AnalysisConfig
	}
	return e.startJob(ctx, remote.Call{Name: "start model analysis", Method: http.MethodPost, Path: "/model_analyse/" + reg.ModelID, JSON: body})
}

// startJob posts a start call and returns its job.
func (e *Engine) startJob(ctx context.Context, call remote.Call) (job, error) {
	var out struct {
		JobID         string `json:"job_id"`
		DashboardLink string `json:"dashboard_link"`
		MonitorLink   string `json:"monitor_link"`
	}
	if err := e.client.JSON(ctx, call, &out); err != nil {
		return job{}, err
	}
	if out.JobID == "" {
		return job{}, e.client.Malformed(call, "no job_id")
	}
	return job{id: out.JobID, link: cmp.Or(out.DashboardLink, out.MonitorLink)}, nil
}

// job is a started analysis.
type job struct {
	id   string
	link string // the dashboard (older APIs: monitor) link
}

// openZip opens a local ZIP for upload.
func openZip(path string) (*zipFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &zipFile{ReaderAt: f, size: st.Size(), closer: f.Close}, nil
}
