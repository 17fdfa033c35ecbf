package pickle

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/scannertest"
)

// callPickle is a protocol-2 pickle that calls module.name() with no
// arguments: PROTO 2, GLOBAL, EMPTY_TUPLE, REDUCE, STOP.
func callPickle(module, name string) []byte {
	return []byte("\x80\x02c" + module + "\n" + name + "\n)R.")
}

func scanWith(t *testing.T, set scanner.Settings, data []byte) []string {
	t.Helper()
	s := New()
	if err := s.Configure(set); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	fs, err := s.Scan(context.Background(), scannertest.Input(t, "model.pkl", data))
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return scannertest.RuleSet(fs)
}

func TestConfigureGlobals(t *testing.T) {
	custom := callPickle("mypkg.models", "build")
	ordered := callPickle("collections", "OrderedDict")
	// Without a policy the custom call is an unknown call and OrderedDict is fine.
	if got := scanWith(t, scanner.Settings{}, custom); !slices.Contains(got, "MG1002") {
		t.Fatalf("unknown call without policy: rules %v, want MG1002", got)
	}
	// MG1015 (pickle format in use, info) is reported for every pickle.
	if got := scanWith(t, scanner.Settings{}, ordered); !slices.Equal(got, []string{"MG1015"}) {
		t.Fatalf("OrderedDict without policy: rules %v, want only MG1015", got)
	}
	for _, allow := range []string{"mypkg.models.build", "mypkg.*", "mypkg.models.*"} {
		if got := scanWith(t, scanner.Settings{PickleAllow: []string{allow}}, custom); !slices.Equal(got, []string{"MG1015"}) {
			t.Errorf("allow %s: rules %v, want only MG1015", allow, got)
		}
	}
	if got := scanWith(t, scanner.Settings{PickleAllow: []string{"otherpkg.*"}}, custom); !slices.Contains(got, "MG1002") {
		t.Errorf("an unrelated allow entry silenced the call: %v", got)
	}
	for _, deny := range []string{"collections.OrderedDict", "collections.*"} {
		got := scanWith(t, scanner.Settings{PickleDeny: []string{deny}}, ordered)
		if !slices.Contains(got, "MG1001") {
			t.Errorf("deny %s: rules %v, want the dangerous-call rule MG1001", deny, got)
		}
	}
}

func TestConfigureRefusesAllowingDangerousNames(t *testing.T) {
	for _, g := range []string{"os.system", "os.*", "builtins.eval", "posix.system", "torch.os.system"} {
		err := New().Configure(scanner.Settings{PickleAllow: []string{g}})
		if err == nil || !strings.Contains(err.Error(), "cannot be allowed") {
			t.Errorf("allow %s: err %v, want a refusal", g, err)
		}
	}
}
