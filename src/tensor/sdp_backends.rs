//! Which implementations `scaled_dot_product_attention` may use (`torch.nn.attention.sdpa_kernel`,
//! `torch.backends.cuda.enable_*_sdp`), and the choice among them that PyTorch's CPU dispatch
//! makes (sdp_utils_cpp's `select_sdp_backend_cpp`): flash attention first when it is enabled and
//! fits the inputs, then the math implementation, else an error.
//!
//! The flags are per lesson thread, as PyTorch's are per process (a lesson runs on its own
//! thread); the other backends PyTorch names (memory-efficient, cuDNN, overrideable) are CUDA's
//! and never run on the CPU, but their flags exist and `sdpa_kernel` sets them.

use std::cell::Cell;

/// The backends in PyTorch's `SDPBackend` numbering (`ERROR` is -1 and no flag).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Math = 0,
    Flash = 1,
    Efficient = 2,
    Cudnn = 3,
    Overrideable = 4,
}

impl Backend {
    pub const ALL: [Backend; 5] = [
        Backend::Math,
        Backend::Flash,
        Backend::Efficient,
        Backend::Cudnn,
        Backend::Overrideable,
    ];

    /// The enum member's name in `torch.nn.attention.SDPBackend`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Math => "MATH",
            Backend::Flash => "FLASH_ATTENTION",
            Backend::Efficient => "EFFICIENT_ATTENTION",
            Backend::Cudnn => "CUDNN_ATTENTION",
            Backend::Overrideable => "OVERRIDEABLE",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

thread_local! {
    /// Enabled backends, one bit each; all are enabled at a lesson's start.
    static ENABLED: Cell<u8> = const { Cell::new(0x1f) };
}

/// Every backend enabled again (a new lesson).
pub fn reset() {
    ENABLED.with(|e| e.set(0x1f));
}

pub fn enabled(b: Backend) -> bool {
    ENABLED.with(|e| e.get() & b.bit() != 0)
}

pub fn set_enabled(b: Backend, on: bool) {
    ENABLED.with(|e| {
        e.set(if on {
            e.get() | b.bit()
        } else {
            e.get() & !b.bit()
        })
    });
}

/// The implementation a CPU call runs: flash when enabled and `flash_fits` (PyTorch's
/// `use_flash_attention_cpp`), else math when enabled. The errors are PyTorch's: none of the CPU's
/// two enabled, or neither fitting these inputs.
pub fn choose(flash_fits: bool) -> Result<Backend, &'static str> {
    let (flash, math) = (enabled(Backend::Flash), enabled(Backend::Math));
    if !flash && !math {
        return Err(
            "No viable backend for scaled_dot_product_attention was found. This is likely due to turning off both the math kernel and the fused kernels.",
        );
    }
    if flash && flash_fits {
        Ok(Backend::Flash)
    } else if math {
        Ok(Backend::Math)
    } else {
        Err("No available kernel.  Aborting execution.")
    }
}
