"""MotionDiffusion-MoE: text-to-motion diffusion with a Mixture-of-Experts transformer denoiser, exact HumanML3D features and metrics

Modules:

- `mdmoe.losses`: Motion-aware training losses on decoded joints: SNR-weighted diffusion loss, progressive denoising, skeleton structure, physics priors (skating, penetration, floating, joint limits, gravity in flight), temporal coherence, cross-expert routing consistency and a perceptual loss, all masked for padding and weighted through one `LossConfig`.
- `mdmoe.moe`: The sparse feed-forward layer of the denoiser: an fp32 top-k router (optionally conditioned on the diffusion timestep; or expert choice per sequence), stacked GELU experts run as grouped or batched matmuls (packed oneDNN matmuls for CPU inference), balance / z / diversity losses as pure functions, routing statistics, and removing experts at sampling time.
- `mdmoe.train`: `ExperimentConfig` (strict JSON with a schema version), one accelerate training loop for CPU, one GPU (bf16), many GPUs or nodes and notebooks, EMA weights, warmup + cosine LR, checkpoints that resume the exact trajectory, CSV / TensorBoard logs."""

__version__ = "0.0.1"
