package pickle

import "testing"

func TestJudge(t *testing.T) {
	pol, err := loadPolicy()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		module, name string
		want         verdict
		resolved     string
	}{
		{"posix", "system", verdictDeny, "os.system"},
		{"nt", "system", verdictDeny, "os.system"},
		{"os", "system", verdictDeny, "os.system"},
		{"pathlib", "os.system", verdictDeny, "os.system"},
		{"torch", "os.system", verdictDeny, "os.system"},
		{"random", "_os.system", verdictDeny, "os.system"},
		{"collections", "_sys.modules", verdictDeny, "sys.modules"},
		{"asyncio.unix_events", "_UnixSubprocessTransport._start", verdictDeny, "asyncio.unix_events._UnixSubprocessTransport._start"},
		{"_operator", "attrgetter", verdictDeny, "operator.attrgetter"},
		{"__builtin__", "eval", verdictDeny, "builtins.eval"},
		{"builtins", "__import__", verdictDeny, "builtins.__import__"},
		{"numpy", "__builtins__", verdictDeny, "numpy.__builtins__"},
		{"builtins", "str.join", verdictUnknown, "builtins.str.join"},
		{"marshal", "loads", verdictCode, "marshal.loads"},
		{"types", "FunctionType", verdictCode, "types.FunctionType"},
		{"dill._dill", "_create_code", verdictCode, "dill._dill._create_code"},
		{"fickling", "hook", verdictTamper, "fickling.hook"},
		{"collections", "OrderedDict", verdictAllow, "collections.OrderedDict"},
		{"torch._utils", "_rebuild_tensor_v2", verdictAllow, "torch._utils._rebuild_tensor_v2"},
		{"torch", "FloatStorage", verdictAllow, "torch.FloatStorage"},
		{"torch", "bfloat16", verdictAllow, "torch.bfloat16"},
		{"numpy.core.multiarray", "_reconstruct", verdictAllow, "numpy.core.multiarray._reconstruct"},
		{"_codecs", "encode", verdictAllow, "codecs.encode"},
		{"copy_reg", "_reconstructor", verdictAllow, "copyreg._reconstructor"},
		{"joblib.numpy_pickle", "NumpyArrayWrapper", verdictAllow, "joblib.numpy_pickle.NumpyArrayWrapper"},
		{"joblib", "load", verdictDeny, "joblib.load"},
		{"uuid", "UUID", verdictAllow, "uuid.UUID"},
		{"uuid", "_get_command_stdout", verdictDeny, "uuid._get_command_stdout"},
		{"sklearn.linear_model._logistic", "LogisticRegression", verdictAllowNew, "sklearn.linear_model._logistic.LogisticRegression"},
		{"sklearn.datasets", "fetch_openml", verdictUnknown, "sklearn.datasets.fetch_openml"},
		{"mypkg.models", "Net", verdictUnknown, "mypkg.models.Net"},
		{"functools", "partial", verdictDeny, "functools.partial"},
		{"numpy.f2py.crackfortran", "getlincoef", verdictDeny, "numpy.f2py.crackfortran.getlincoef"},
		{"pip", "main", verdictDeny, "pip.main"},
	}
	for _, tt := range tests {
		j := pol.judge(tt.module, tt.name)
		if j.verdict != tt.want || j.resolved != tt.resolved || j.why == "" {
			t.Errorf("judge(%s, %s) = %v %q (%s), want %v %q", tt.module, tt.name, j.verdict, j.resolved, j.why, tt.want, tt.resolved)
		}
	}
}
