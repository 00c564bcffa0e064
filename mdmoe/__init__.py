"""MotionDiffusion-MoE: text-to-motion diffusion with a Mixture-of-Experts transformer denoiser, exact HumanML3D features and metrics

Modules:

- `mdmoe.checkpoint`: What training leaves on disk and how a model comes back from it: checkpoints that resume the exact trajectory, pretrained folders with checksums, both written atomically and read defensively; `MotionDiffusionModel` (the module whose weights they hold), `load_model` and `initial_weights`.
- `mdmoe.experiment`: `ExperimentConfig`: one frozen config per component of a training run (data, text encoder, denoiser with its MoE layers, diffusion, losses, optimisation), strict JSON with a schema version, dotted overrides.
- `mdmoe.losses`: Motion-aware training losses on decoded joints: SNR-weighted diffusion loss, progressive denoising, skeleton structure, physics priors (skating, penetration, floating, joint limits, gravity in flight), temporal coherence, cross-expert routing consistency and a perceptual loss, all masked for padding and weighted through one `LossConfig`.
- `mdmoe.moe`: The sparse feed-forward layer of the denoiser: an fp32 top-k router (optionally conditioned on the diffusion timestep; or expert choice per sequence), stacked GELU experts run as grouped or batched matmuls (packed oneDNN matmuls for CPU inference), balance / z / diversity losses as pure functions, routing statistics, and removing experts at sampling time.
- `mdmoe.train`: One accelerate training loop for CPU, one GPU (bf16), many GPUs or nodes and notebooks: EMA weights, warmup + cosine LR, exactly resumable data order, the training step with every loss, CSV / TensorBoard logs."""

__version__ = "0.0.1"
