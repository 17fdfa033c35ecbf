package discover

// DefaultModelIncludes match model artifacts by name. Names only pick
// candidates: every candidate's format is then decided by its content.
var DefaultModelIncludes = []string{
	"**/*.{pkl,pickle,pk,joblib,jbl,dill,cloudpickle,sav}",
	"**/*.{pt,pth,bin,ckpt,ptl,mar,model}",
	"**/*.{npy,npz}",
	"**/*.safetensors",
	"**/*.{onnx,ort}",
	"**/*.{keras,h5,hdf5}",
	"**/*.{pb,pbtxt}",
	"**/*.{tflite,lite}",
	"**/*.{gguf,ggml,ggjt}",
	"**/*.{zip,tar,tgz,gz,bz2,xz,lzma,zst,lz4,7z}",
	"**/*.{safetensors,bin,h5,msgpack}.index.json",
	"**/MLmodel",
	// Hugging Face metadata: auto_map (trust_remote_code), chat templates,
	// and the remote-code modules they name.
	"**/config.json",
	"**/{preprocessor,processor}_config.json",
	"**/additional_chat_templates/*.jinja",
	"**/{modeling,configuration,tokenization,processing,image_processing,feature_extraction,video_processing}_*.py",
}

// DefaultPromptIncludes match prompt fixtures: prompt templates, chat
// templates, eval and red-team sets, agent instruction files.
var DefaultPromptIncludes = []string{
	// Files that are always prompt fixtures.
	"**/*.prompty",
	"**/*.prompt",
	"**/*.prompt.{yml,yaml}",
	"**/*.prompt.md",
	"**/skprompt.txt",
	"**/promptfooconfig*.{yaml,yml,json}",
	"**/redteam*.{yaml,yml}",
	"**/flow.dag.{yaml,yml}",
	"**/tokenizer_config.json",
	"**/chat_template.{jinja,json}",
	"**/Modelfile",
	// Prompt directories, text-like files only.
	"**/{prompts,prompt,prompt_templates,prompt-templates,system_prompts,system-prompts,few_shot,fewshot,few-shot}/**/*.{txt,md,yaml,yml,json,jsonl,csv,tsv,j2,jinja,jinja2,njk,hbs,mustache,liquid,xml}",
	"**/{evals,eval,evaluations,datasets,redteam,red-team,red_team}/**/*.{jsonl,json,csv,tsv,yaml,yml,txt}",
	"**/registry/{evals,data}/**/*.{yaml,yml,jsonl}",
	// Agent instruction files.
	"**/AGENTS.md",
	"CLAUDE.md",
	"GEMINI.md",
	".github/copilot-instructions.md",
	".github/instructions/**/*.instructions.md",
	".cursorrules",
	".cursor/rules/**/*.mdc",
	".windsurfrules",
	".clinerules",
	".claude/{commands,agents}/**/*.md",
	"**/SKILL.md",
}

// DefaultExcludes are never walked: VCS data, dependencies, virtual
// environments, caches and build output.
var DefaultExcludes = []string{
	"**/.git",
	"**/.hg",
	"**/.svn",
	"**/node_modules",
	"**/.venv",
	"**/venv",
	"**/site-packages",
	"**/__pycache__",
	"**/.tox",
	"**/.nox",
	"**/.mypy_cache",
	"**/.pytest_cache",
	"**/.ruff_cache",
	"**/vendor",
	"**/dist",
	"**/build",
	"**/target",
}
