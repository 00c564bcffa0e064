# Two entry points (README quick start): `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PIPQ   := $(PIP) install -q --disable-pip-version-check -c constraints.txt
OUT    ?= demo_out

.PHONY: setup browser demo test test-nbs test-py sync docs readme bench model model-gpu smoothness eval-protocol ablation clean

setup: $(VENV)/.installed

# Once per clone (about 2 min on 2 CPU cores with the packages in pip's cache; longer where pip downloads them): each
# stage says what it does, since pip itself runs quietly.
$(VENV)/.installed: pyproject.toml constraints.txt
	@echo "set-up [1/4]: a virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "set-up [2/4]: pip"
	$(PIPQ) --upgrade pip
	@echo "set-up [3/4]: torch (the build pinned in constraints.txt)"
	$(PIPQ) torch
	@echo "set-up [4/4]: mdmoe and its dependencies (transformers, diffusers, accelerate, ...) with the dev tools"
	$(PIPQ) -e ".[dev]"
	touch $@
	@echo "set-up done"

# Debian's chromium for tests/test_browser.py (apt-get where it can; otherwise that test skips and says why).
browser:
	@tools/install_chromium.sh

demo: setup
	$(BIN)/mdmoe demo --out $(OUT) --overwrite

# README.md is made from nbs/index.ipynb (tools/make_readme.py); check_sync.sh fails when it is out of date.
readme: setup
	$(BIN)/python tools/make_readme.py

sync: setup
	tools/check_sync.sh $(BIN)

# The docs in _docs/: the Quarto site where Quarto is installed (nbdev-docs), else every notebook as a plain HTML page
# (nbconvert) for a local look; stored Plotly figures are drawn by one plotly.js per page either way.
docs: setup
	$(BIN)/python tools/make_docs.py

# Tests may read nothing beside the repository (users' clones have nothing there): tests/guard refuses it.
GUARD := PYTHONPATH=$(CURDIR)/tests/guard MDMOE_GUARD_ROOT=$(CURDIR)

test-nbs: setup
	$(GUARD) OMP_NUM_THREADS=1 $(BIN)/nbdev-test --n-workers 2

test-py: setup browser
	$(BIN)/pytest -q tests

test: sync test-nbs test-py

bench: setup
	$(BIN)/python bench/moe_dispatch.py

# A model and the evaluator from scratch on the CPU (about 2.5 h on 2 CPU cores; this made the previously shipped model): built-in data, training in two stages
# (1,000 steps, then 1,000 steps fine-tuned from their EMA weights with stronger temporal and joint-position losses),
# own evaluator, export into mdmoe/assets, evaluation report and AITS benchmark. Work files go to $(WORK).
WORK  ?= build/shipped
COMMON_SET := --set train.ema_decay=0.999 --set train.log_every=25 --set train.ckpt_every=100 --set train.progress=false
TRAIN_SET  := --set train.max_steps=1000 --set train.lr=3e-4 --set train.warmup_steps=100 --set train.min_lr_ratio=0.1 $(COMMON_SET)
FT_SET     := --set train.init_from=$(WORK)/run --set train.max_steps=1000 --set train.lr=1e-4 --set train.warmup_steps=50 \
              --set train.min_lr_ratio=0.1 --set loss.temporal=200 --set loss.position=1.0 $(COMMON_SET)
EVAL_SET   := --replications 2 --steps 10 --mm-texts 8 --mm-reps 11
AITS_SET   := --n-quality 32 --n-quality-ddpm 8 --ddpm-timed-steps 20
# Each command is written once: the recipes run it and the model card lists it.
DATA_CPU   = mdmoe data builtin --out $(WORK)/builtin --n 5000 --workers 2
TRAIN_CPU  = mdmoe train small --data $(WORK)/builtin --out $(WORK)/run $(TRAIN_SET)
FT_CPU     = mdmoe train small --data $(WORK)/builtin --out $(WORK)/run_ft $(FT_SET)
EVALUATOR  = mdmoe train-evaluator $(WORK)/builtin --out mdmoe/assets/evaluator --steps 1200
EVAL       = mdmoe eval shipped --data $(WORK)/builtin $(EVAL_SET)
AITS       = python bench/aits.py --data $(WORK)/builtin $(AITS_SET)
model: setup
	$(BIN)/$(DATA_CPU)
	$(BIN)/$(TRAIN_CPU)
	$(BIN)/$(FT_CPU)
	$(BIN)/$(EVALUATOR)
	$(BIN)/python tools/ship_model.py $(WORK)/run_ft --previous $(WORK)/run --data $(WORK)/builtin --out mdmoe/assets/model \
	  --hours 2.5 --commands "$(DATA_CPU)
	$(TRAIN_CPU)
	$(FT_CPU)
	$(EVALUATOR)
	$(EVAL)
	$(AITS)"
	$(BIN)/$(EVAL) --out mdmoe/assets/model/eval_report.json
	$(BIN)/$(AITS) --json mdmoe/assets/model/aits_cpu.json

# The shipped model as it was made: the same two stages on one GPU with batch 256 (1,250 + 600 steps, fp32; the two
# stages took 4 min on an H200), shipped with default guidance 3 applied at timesteps <= 900 (the guidance interval) and
# the early x0 estimates (t >= 400) low-passed over frames (std 1 frame), all chosen on the validation split (the
# low-pass more than halved the jitter; 3 rather than 2.5 with it kept R-precision), and prompts with words no training
# caption uses guided half by the nearest training caption (retrieval weight 0.5, chosen on the shipped-model tutorial's
# held-out phrasings; the evaluation never retrieves), then the CPU evaluation with these
# settings, at guidance 7.5, with guidance at every step, with the stochastic sampler, without the low-pass, and with
# the previous defaults (2.5, no low-pass), and AITS as above, plus AITS on the GPU.
# GPU_EXTRA adds settings to both stages: `make model-gpu GPU_EXTRA="--set loss.temporal_weighting=none"` trains the
# from-scratch smoothness experiment of the shipped-model tutorial ("Retrained from stage 1"). Like any model-gpu run
# it then replaces mdmoe/assets/model (`git checkout mdmoe/assets` restores the shipped one).
GPU_EXTRA  ?=
GPU_COMMON := $(strip --set train.ema_decay=0.999 --set train.progress=false --set train.batch_size=256 --set data.num_workers=6 \
              --set train.tensorboard=false --set train.mixed_precision=no $(GPU_EXTRA))
GPU_TRAIN  := --set train.max_steps=1250 --set train.lr=3e-4 --set train.warmup_steps=62 --set train.min_lr_ratio=0.1 \
              --set train.log_every=50 --set train.ckpt_every=300 $(GPU_COMMON)
GPU_FT     := --set train.init_from=$(WORK)/run --set train.max_steps=600 --set train.lr=1e-4 --set train.warmup_steps=50 \
              --set train.min_lr_ratio=0.1 --set loss.temporal=200 --set loss.position=1.0 --set train.log_every=50 \
              --set train.ckpt_every=200 $(GPU_COMMON)
DATA_GPU   = mdmoe data builtin --out $(WORK)/builtin --n 5000 --workers 14
TRAIN_GPU  = mdmoe train small --data $(WORK)/builtin --out $(WORK)/run $(GPU_TRAIN)
FT_GPU     = mdmoe train small --data $(WORK)/builtin --out $(WORK)/run_ft $(GPU_FT)
EVAL_7_5   = $(EVAL) --cfg-scale 7.5
EVAL_EVERY = $(EVAL) --cfg-t-max 999
EVAL_SDE   = $(EVAL) --scheduler sde-dpmsolver++
EVAL_NOLP  = $(EVAL) --x0-lowpass 0
EVAL_PREV  = $(EVAL) --cfg-scale 2.5 --x0-lowpass 0
AITS_GPU   = python bench/aits.py --data $(WORK)/builtin --device cuda --no-quality --ddpm-timed-steps 1000
# the sampling defaults the GPU-trained model ships with (tools/gpu/train_variants.sh ships its variants with them too)
SHIP_GPU   := --cfg-scale 3 --cfg-t-max 900 --x0-lowpass 1 --x0-lowpass-t-min 400 --retrieval-weight 0.5
model-gpu: setup
	$(BIN)/$(DATA_GPU)
	$(BIN)/$(TRAIN_GPU)
	$(BIN)/$(FT_GPU)
	$(BIN)/python tools/ship_model.py $(WORK)/run_ft --previous $(WORK)/run --data $(WORK)/builtin --out mdmoe/assets/model \
	  $(SHIP_GPU) --device "one $$($(BIN)/python -c 'import torch; print(torch.cuda.get_device_name())') GPU (fp32, batch 256)" \
	  --how "Reproduce it with \`make model-gpu\` on one GPU (the two training stages took 4 min on an NVIDIA H200), which runs:" \
	  --commands "$(DATA_GPU)
	$(TRAIN_GPU)
	$(FT_GPU)
	$(EVAL)
	$(EVAL_7_5)
	$(EVAL_EVERY)
	$(EVAL_SDE)
	$(EVAL_NOLP)
	$(EVAL_PREV)
	$(AITS)
	$(AITS_GPU)"
	$(BIN)/$(EVAL) --out mdmoe/assets/model/eval_report.json
	$(BIN)/$(EVAL_7_5) --out mdmoe/assets/model/eval_report_cfg7.5.json
	$(BIN)/$(EVAL_EVERY) --out mdmoe/assets/model/eval_report_every_step.json
	$(BIN)/$(EVAL_SDE) --out mdmoe/assets/model/eval_report_sde-dpmsolver++.json
	$(BIN)/$(EVAL_NOLP) --out mdmoe/assets/model/eval_report_no_lowpass.json
	$(BIN)/$(EVAL_PREV) --out mdmoe/assets/model/eval_report_cfg2.5_no_lowpass.json
	$(BIN)/$(AITS) --json mdmoe/assets/model/aits_cpu.json
	$(BIN)/$(AITS_GPU) --json mdmoe/assets/model/aits_cuda.json

# The stride-flicker experiment (shipped-model tutorial, "Where the flicker starts"), on the CPU: the shipped model
# fine-tuned for 300 more steps at batch 32, once with the joint-space loss terms weighted the same at every timestep
# (loss.geometric_weighting=none) and once, as the control, with the shipped recipe (min-SNR weights, which give those
# terms almost no weight at high noise); then tools/smoothness.py compares both with the shipped model. The two runs
# share the 2 cores (one thread each, about 17 min); the whole target takes about 20 min.
SMOOTH_SET  := --set train.init_from=shipped --set train.batch_size=32 --set train.max_steps=300 --set train.lr=1e-4 \
               --set train.warmup_steps=30 --set data.num_workers=0 --set train.tensorboard=false $(COMMON_SET)
SMOOTH_CPU   = mdmoe train mdmoe/assets/model/config.json --data $(WORK)/builtin --out $(WORK)/run_smooth $(SMOOTH_SET) \
               --set loss.geometric_weighting=none
CONTROL_CPU  = mdmoe train mdmoe/assets/model/config.json --data $(WORK)/builtin --out $(WORK)/run_control $(SMOOTH_SET)
smoothness: setup
	test -d $(WORK)/builtin || $(BIN)/$(DATA_CPU)
	OMP_NUM_THREADS=1 $(BIN)/$(SMOOTH_CPU) & s=$$!; OMP_NUM_THREADS=1 $(BIN)/$(CONTROL_CPU) & c=$$!; wait $$s && wait $$c
	$(BIN)/python tools/smoothness.py shipped $(WORK)/run_smooth $(WORK)/run_control --cfg-scale 2.5 --x0-lowpass 0 --json $(WORK)/smoothness.json

# The paper protocol on the shipped model (mean and 95% interval over 20 replications). Multimodality over 100 captions
# x 30 generations in each of 20 replications would take about 8 h on 2 CPU cores, so on the CPU it runs apart, in 2
# replications; the two commands took 46-68 and 44 min there. On a GPU, `mdmoe eval shipped --data DIR --steps 10`
# runs everything in one go.
# The shipped eval_protocol.json and eval_protocol_mm.json have the current defaults; eval_protocol_cfg2.5_no_lowpass.json
# and eval_protocol_mm_cfg2.5_no_lowpass.json are the output of
# `make eval-protocol PROTOCOL_EXTRA="--cfg-scale 2.5 --x0-lowpass 0"` (the previous defaults), renamed.
PROTOCOL_EXTRA   ?=
EVAL_PROTOCOL    = mdmoe eval shipped --data $(WORK)/builtin --replications 20 --steps 10 --mm-texts 0 $(PROTOCOL_EXTRA)
EVAL_PROTOCOL_MM = mdmoe eval shipped --data $(WORK)/builtin --replications 2 --steps 10 $(PROTOCOL_EXTRA)
eval-protocol: setup
	$(BIN)/$(EVAL_PROTOCOL) --out mdmoe/assets/model/eval_protocol.json
	$(BIN)/$(EVAL_PROTOCOL_MM) --out mdmoe/assets/model/eval_protocol_mm.json

# The ablation study (nbs/tutorials/ablation.ipynb; mdmoe.ablation): the seed's table (base, moe, cfg, advanced), dense
# models at equal active and total parameters, an MDM-shaped baseline and one row per advanced feature, each trained
# with the same steps and batch on the built-in data and judged with the T2M protocol; one line per (row, seed) in
# results/ablation/runs.csv. Resumable run by run: a stopped study goes on where it stopped. By default it runs what the
# study still needs (3 seeds of the seed table and baselines, 1 of each feature row, 3 where a row overlaps its
# reference); VARIANTS="cfg advanced" SEEDS="0 1 2" runs those instead. SCALE=gpu is the shipped model's size on a GPU.
# At CPU scale one run takes 15-20 min on one core and two run at once (ABLATION_JOBS).
SCALE         ?= cpu
ABLATION_JOBS ?= 2
ABLATION_ROOT ?= build/ablation
ABLATION_OUT  ?= results/ablation
ABLATION_WHAT  = $(if $(VARIANTS),--variants $(VARIANTS) --seeds $(or $(SEEDS),0),--plan)
ablation: setup
	test -d $(WORK)/builtin || $(BIN)/$(DATA_CPU)
	$(BIN)/python -m mdmoe.ablation run $(ABLATION_WHAT) --scale $(SCALE) --jobs $(ABLATION_JOBS) --data $(WORK)/builtin \
	  --root $(ABLATION_ROOT) --results $(ABLATION_OUT)
	$(BIN)/python -m mdmoe.ablation summary --scale $(SCALE) --results $(ABLATION_OUT)

clean:
	rm -rf $(VENV) $(OUT) build dist *.egg-info

# `make -s print-VAR` prints a variable (tools/gpu/train_variants.sh reads the GPU training settings this way)
print-%:
	@echo '$($*)'
