package keras

import (
	"bytes"
	"os"
	"testing"
)

// TestRootAttrs checks the structural reader against what h5py wrote:
// which fixtures it reads completely, and that the model_config value it
// locates is the JSON document itself.
func TestRootAttrs(t *testing.T) {
	cases := []struct {
		file     string
		complete bool // no dense storage, no problem
		config   bool // model_config located
		vlen     bool
	}{
		{"sequential.h5", true, true, true},
		{"sequential-fixed.h5", true, true, false},
		{"userblock-lambda.h5", true, true, true},
		{"large-config-lambda.h5", true, true, true},
		{"weights-only.h5", true, false, false},
		{"dense-attrs-sequential.h5", false, false, false},
		{"dense-storage-lambda.h5", false, false, false},
	}
	for _, c := range cases {
		data, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		h, err := openH5(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		root, err := h.rootAttrs()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if complete := root.problem == "" && !root.dense; complete != c.complete {
			t.Errorf("%s: complete = %v (problem %q, dense %v), want %v", c.file, complete, root.problem, root.dense, c.complete)
		}
		if root.attr("keras_version") == nil && !root.dense {
			t.Errorf("%s: keras_version attribute not found", c.file)
		}
		a := root.attr("model_config")
		if (a != nil) != c.config {
			t.Fatalf("%s: model_config found = %v, want %v", c.file, a != nil, c.config)
		}
		if a == nil {
			continue
		}
		if a.err != nil || a.vlen != c.vlen {
			t.Fatalf("%s: model_config err %v, vlen %v", c.file, a.err, a.vlen)
		}
		v := bytes.TrimRight(data[a.off:a.off+a.n], "\x00")
		if !bytes.HasPrefix(v, []byte(`{"class_name": "Sequential"`)) || v[len(v)-1] != '}' {
			t.Errorf("%s: model_config at %d (%d bytes) is not the document: %.40q…%q", c.file, a.off, a.n, v, v[max(0, len(v)-5):])
		}
	}
}

// TestSearchFindsDenseAttribute: the fallback decodes the attribute
// message a fractal heap holds, by its name.
func TestSearchFindsDenseAttribute(t *testing.T) {
	for _, file := range []string{"dense-attrs-sequential.h5", "dense-storage-lambda.h5"} {
		data, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		h, err := openH5(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(data, []byte("model_config\x00"))
		a, ok, err := h.attributeAt(int64(i), "model_config")
		if err != nil || !ok || a.err != nil {
			t.Fatalf("%s: attributeAt = %+v, %v, %v", file, a, ok, err)
		}
		if !bytes.HasPrefix(data[a.off:], []byte(`{"class_name": "Sequential"`)) {
			t.Errorf("%s: value at %d is not the document", file, a.off)
		}
	}
}
