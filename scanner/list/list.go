// Package list registers every embedded scanner in one explicit list.
package list

import (
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/archive"
	"github.com/modelgate/modelgate/scanner/compress"
	"github.com/modelgate/modelgate/scanner/gguf"
	"github.com/modelgate/modelgate/scanner/hf"
	"github.com/modelgate/modelgate/scanner/keras"
	"github.com/modelgate/modelgate/scanner/lfs"
	"github.com/modelgate/modelgate/scanner/numpy"
	"github.com/modelgate/modelgate/scanner/onnx"
	"github.com/modelgate/modelgate/scanner/pickle"
	"github.com/modelgate/modelgate/scanner/prompt"
	"github.com/modelgate/modelgate/scanner/safetensors"
	"github.com/modelgate/modelgate/scanner/tensorflow"
	"github.com/modelgate/modelgate/scanner/tflite"
)

// All returns the embedded engine's scanners, in the order they run.
func All() []scanner.Scanner {
	return []scanner.Scanner{
		lfs.New(),
		pickle.New(),
		numpy.New(),
		safetensors.New(),
		gguf.New(),
		onnx.New(),
		tensorflow.New(),
		tflite.New(),
		keras.New(),
		hf.New(),
		prompt.New(),
		compress.New(),
		archive.New(),
	}
}
