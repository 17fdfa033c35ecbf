package cli_test

import (
	"testing"
)

// TestFormatFixturesThroughTheCLI runs every format family's fixtures
// through `modelgate scan` with all scanners registered: benign files pass
// the default gate, malicious ones fail it. The per-package tests check the
// exact rules; this checks that routing by content reaches them and that no
// other scanner adds a false alarm.
func TestFormatFixturesThroughTheCLI(t *testing.T) {
	repoRoot(t)
	benign := []string{
		"scanner/onnx/testdata/benign-mlp.onnx", "scanner/onnx/testdata/benign-control-flow.onnx", "scanner/onnx/testdata/benign-external.onnx",
		"scanner/tensorflow/testdata/tf1-benign", "scanner/tensorflow/testdata/tf2-benign", "scanner/tensorflow/testdata/tf1-vocab-asset",
		"scanner/keras/testdata/sequential.keras", "scanner/keras/testdata/functional.keras", "scanner/keras/testdata/keras-hub.keras",
		"scanner/keras/testdata/sequential.h5", "scanner/keras/testdata/sequential-fixed.h5", "scanner/keras/testdata/weights-only.h5",
		"scanner/keras/testdata/dense-attrs-sequential.h5",
		"scanner/gguf/testdata/valid-llama.gguf", "scanner/gguf/testdata/valid-v1.gguf", "scanner/gguf/testdata/valid-big-endian.gguf",
		"scanner/gguf/testdata/valid-vocab-only.gguf", "scanner/gguf/testdata/valid-alignment-64.gguf",
		"scanner/tflite/testdata/valid-add-fc.tflite", "scanner/tflite/testdata/valid-stock-custom-op.tflite",
		"scanner/hf/testdata/benign", "scanner/hf/testdata/benign-code", "scanner/hf/testdata/not-hf", "scanner/hf/testdata/mlflow-onnx",
		"scanner/archive/testdata/7z-clean.7z", "scanner/archive/testdata/7z-empty.7z", "scanner/archive/testdata/zip-clean.zip",
		"scanner/safetensors/testdata/valid-multi.safetensors", "testdata/pickle/benign", "testdata/clean",
	}
	for _, p := range benign {
		if r := run(t, nil, "scan", p, "--fail-on", "medium", "--quiet"); r.code != 0 {
			t.Errorf("benign %s: exit %d\n%s", p, r.code, run(t, nil, "scan", p, "--report-min", "medium", "--no-color").stdout)
		}
	}
	malicious := []string{
		"scanner/onnx/testdata/contrib-pyop.onnx", "scanner/onnx/testdata/external-traversal.onnx",
		"scanner/tensorflow/testdata/tf1-pyfunc", "scanner/tensorflow/testdata/keras-lambda",
		"scanner/keras/testdata/lambda.keras", "scanner/keras/testdata/lambda.h5", "scanner/keras/testdata/module-os.keras",
		"scanner/keras/testdata/torch-module-wrapper.keras",
		"scanner/gguf/testdata/ssti-template.gguf", "scanner/tflite/testdata/flex-pyfunc.tflite",
		"scanner/hf/testdata/ssti-string", "scanner/hf/testdata/remote-code", "scanner/hf/testdata/index-traversal",
		"scanner/archive/testdata/7z-pickle.7z", "scanner/archive/testdata/zip-symlink.zip", "scanner/archive/testdata/zip-overlap-bomb.zip",
	}
	for _, p := range malicious {
		if r := run(t, nil, "scan", p, "--quiet"); r.code != 1 {
			t.Errorf("malicious %s: exit %d, want 1", p, r.code)
		}
	}
}
