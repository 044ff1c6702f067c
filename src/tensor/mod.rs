//! placeholder, filled by the tensor work
