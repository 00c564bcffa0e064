"""MotionDiffusion-MoE: text-to-motion diffusion with a Mixture-of-Experts transformer denoiser, exact HumanML3D features and metrics

Modules:

- `mdmoe.moe`: The sparse feed-forward layer of the denoiser: an fp32 top-k router (optionally conditioned on the diffusion timestep), stacked GELU experts run as grouped matmuls, balance / z / diversity losses as pure functions, and routing statistics."""

__version__ = "0.0.1"
