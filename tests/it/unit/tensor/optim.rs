//! Unit tests under `tensor::optim`.

mod adam_fused;
mod lbfgs;

